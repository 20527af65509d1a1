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
#include "testutil.h"

#define SHA "0123456789abcdef0123456789abcdef01234567"

static struct tu_daemon td;
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

static json_t *call(uid_t uid, const char *line)
{
	return tu_daemon_call(&td, uid, line);
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
	td.dm->git = NULL;
	r = call(0, "{\"version\":1,\"command\":\"sync\"}");
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(error_message(r),
	                    "fwd follows no git repository (fwd --git-url or --git-receive)");
	json_decref(r);
	r = call(0, "{\"version\":1,\"command\":\"status\"}");
	assert_null(json_object_get(json_object_get(r, "result"), "git"));
	json_decref(r);

	td.dm->git = &fake_git;
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
	td.dm->git = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_prestate_setup_teardown(test_sync, tu_daemon_setup, tu_daemon_teardown,
	                                             &td),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
