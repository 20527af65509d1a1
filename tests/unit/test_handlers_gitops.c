// SPDX-License-Identifier: GPL-2.0-or-later
/* `sync` and the status's "git" object through the handlers, with a fake
 * gitops (the real one: tests/netns/gitops.sh). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fwd/handlers.h"

#define SHA "0123456789abcdef0123456789abcdef01234567"

static int fake_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                      struct fw_diags *d)
{
	(void)old;
	(void)ctx;
	(void)plan;
	(void)d;
	return 0;
}

static char dir[64];
static struct fw_daemon dm;
static char last_commit[64], last_who[64];

static int fake_sync(void *ctx, const char *commit, const char *who, json_t **ret, char *err,
                     size_t err_size)
{
	(void)ctx;
	snprintf(last_commit, sizeof(last_commit), "%s", commit ? commit : "(tip)");
	snprintf(last_who, sizeof(last_who), "%s", who);
	if (commit && !strcmp(commit, "ffffffffffffffffffffffffffffffffffffffff")) {
		snprintf(err, err_size, "commit ffffffffffff is not in the repository");
		return -ENOENT;
	}
	*ret = json_pack("{s:s, s:s}", "commit", SHA, "state", "applied");
	return 0;
}

static json_t *fake_status(void *ctx)
{
	(void)ctx;
	return json_pack("{s:s}", "live_commit", SHA);
}

static const struct fw_daemon_git fake_git = {fake_sync, fake_status};

static int setup(void **state)
{
	static struct fw_backend be = {fake_apply, NULL, NULL};

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fwd-handlers-git-XXXXXX");
	if (!mkdtemp(dir) || fw_state_open(dir, &dm.state) < 0 ||
	    fw_engine_new(dm.state, &be, &dm.engine) < 0)
		return -1;
	dm.group = (gid_t)-1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	fw_engine_free(dm.engine);
	fw_state_close(dm.state);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static json_t *call(uid_t uid, const char *line)
{
	struct ctl_peer peer = {.pid = 1, .uid = uid, .gid = uid};
	struct fwp_request req;
	char err[256], *out;
	json_t *resp;

	assert_int_equal(fwp_request_parse(line, strlen(line), &req, err, sizeof(err)), 0);
	out = fw_daemon_handle(&dm, &peer, &req);
	fwp_request_free(&req);
	assert_non_null(out);
	resp = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(resp);
	return resp;
}

static const char *error_message(json_t *r)
{
	return json_string_value(json_object_get(json_object_get(r, "error"), "message"));
}

static void test_sync(void **state)
{
	json_t *r;

	(void)state;
	/* no repository: said so */
	dm.git = NULL;
	r = call(0, "{\"version\":1,\"command\":\"sync\"}");
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(error_message(r),
	                    "fwd follows no git repository (fwd --git-url or --git-receive)");
	json_decref(r);
	r = call(0, "{\"version\":1,\"command\":\"status\"}");
	assert_null(json_object_get(json_object_get(r, "result"), "git"));
	json_decref(r);

	dm.git = &fake_git;
	r = call(0, "{\"version\":1,\"command\":\"sync\",\"args\":{\"commit\":\"" SHA "\"}}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(r, "result"), "state")), "applied");
	assert_string_equal(last_commit, SHA);
	assert_string_equal(last_who, "root");
	json_decref(r);
	/* gitops' error message is the answer's */
	r = call(0, "{\"version\":1,\"command\":\"sync\",\"args\":{\"commit\":"
	            "\"ffffffffffffffffffffffffffffffffffffffff\"}}");
	assert_string_equal(error_message(r), "commit ffffffffffff is not in the repository");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "error"), "code")),
	                    "ENOENT");
	json_decref(r);
	/* a change: not for everybody */
	last_commit[0] = '\0';
	r = call(65534, "{\"version\":1,\"command\":\"sync\"}");
	assert_string_equal(error_message(r), "changes need root or the fwd group");
	assert_string_equal(last_commit, "");
	json_decref(r);
	/* the status carries the git object */
	r = call(65534, "{\"version\":1,\"command\":\"status\"}");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(json_object_get(r, "result"), "git"),
	                                      "live_commit")),
	    SHA);
	json_decref(r);
	dm.git = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
