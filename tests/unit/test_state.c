// SPDX-License-Identifier: GPL-2.0-or-later
/* The state directory: generations, the live pointer, audit log, pruning. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fwd/state.h"
#include "testutil.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fwd-state-test-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct fw_state_meta alice = {
    .who = "alice", .uid = 1000, .source = "fwctl", .comment = "first"};

static void test_record_and_current(void **state)
{
	struct fw_state *st;
	struct fw_state_file files[] = {{"acme.yaml", "tenant: {name: acme}\n", 21}};
	struct fw_generation g;
	uint64_t gen, cur;
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(fw_state_open(dir, &st), 0);
	assert_int_equal(fw_state_current(st, &cur), -ENOENT);
	assert_int_equal(fw_state_record(st, &alice, files, 1, "table inet fwd_acme {}\n", &gen),
	                 0);
	assert_int_equal(gen, 1);
	/* Recording does not move the live pointer. */
	assert_int_equal(fw_state_current(st, &cur), -ENOENT);
	assert_int_equal(fw_state_set_current(st, gen), 0);
	assert_int_equal(fw_state_current(st, &cur), 0);
	assert_int_equal(cur, 1);
	assert_int_equal(fw_state_read(st, 1, "policy/acme.yaml", &text, &len), 0);
	assert_int_equal(len, 21);
	assert_string_equal(text, "tenant: {name: acme}\n");
	free(text);
	assert_int_equal(fw_state_read(st, 1, "ruleset.nft", &text, NULL), 0);
	assert_string_equal(text, "table inet fwd_acme {}\n");
	free(text);
	assert_int_equal(fw_state_read(st, 1, "policy/../meta.json", &text, NULL), -EINVAL);

	/* The second generation's parent is the live one. */
	assert_int_equal(fw_state_record(st, &alice, files, 1, "", &gen), 0);
	assert_int_equal(gen, 2);
	assert_int_equal(fw_state_get(st, 2, &g), 0);
	assert_int_equal(g.parent, 1);
	assert_string_equal(g.who, "alice");
	assert_int_equal(g.uid, 1000);
	assert_string_equal(g.source, "fwctl");
	assert_string_equal(g.comment, "first");
	assert_int_equal(fw_state_set_current(st, 99), -ENOENT);
	assert_int_equal(fw_state_set_current(st, 0), -EINVAL);

	char *pdir;
	assert_int_equal(fw_state_policy_dir(st, 2, &pdir), 0);
	assert_non_null(strstr(pdir, "/history/000002/policy"));
	free(pdir);
	fw_state_close(st);
}

static void test_refuses_bad_input(void **state)
{
	struct fw_state *st;
	struct fw_state_file bad[] = {{"../evil", "x", 1}};
	struct fw_state_file dup[] = {{"a.yaml", "x", 1}, {"a.yaml", "y", 1}};
	uint64_t gen;
	struct stat s;

	(void)state;
	assert_int_equal(fw_state_open(dir, &st), 0);
	assert_int_equal(fw_state_record(st, &alice, bad, 1, "", &gen), -EINVAL);
	assert_int_equal(fw_state_record(st, &alice, dup, 2, "", &gen), -EEXIST);
	fw_state_close(st);
	/* Others must not read the history. */
	assert_int_equal(stat(dir, &s), 0);
	assert_int_equal(s.st_mode & 0777, 0700);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(fw_state_open(dir, &st), -EPERM);
	assert_int_equal(chmod(dir, 0700), 0);
}

static void test_audit_lines(void **state)
{
	struct fw_state *st;
	char path[300], *text;

	(void)state;
	assert_int_equal(fw_state_open(dir, &st), 0);
	assert_int_equal(fw_state_audit(st, "apply", &alice, 3, "2 rules added"), 0);
	assert_int_equal(fw_state_audit(st, "refused", &alice, 0, "acme.yaml:3:7: error: ..."), 0);
	fw_state_close(st);
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	text = tu_read_file(path, NULL);
	/* One JSON object per line, in order. */
	char *nl = strchr(text, '\n');
	assert_non_null(nl);
	assert_non_null(strstr(text, "\"event\":\"apply\""));
	assert_true(strstr(text, "\"event\":\"apply\"") < nl);
	assert_non_null(strstr(nl, "\"event\":\"refused\""));
	assert_non_null(strstr(text, "\"generation\":3"));
	assert_non_null(strstr(text, "\"who\":\"alice\""));
	assert_int_equal(strchr(nl + 1, '\n')[1], '\0');
	free(text);
}

static void test_prune_keeps_current(void **state)
{
	struct fw_state *st;
	struct fw_generation *v;
	size_t n;
	uint64_t gen;

	(void)state;
	assert_int_equal(fw_state_open(dir, &st), 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(fw_state_record(st, &alice, NULL, 0, "", &gen), 0);
	assert_int_equal(fw_state_set_current(st, 2), 0);
	assert_int_equal(fw_state_prune(st, 3), 0);
	assert_int_equal(fw_state_list(st, &v, &n), 0);
	/* 8 generations: keep the newest 3 and the live one (2). */
	assert_int_equal(n, 4);
	assert_int_equal(v[0].generation, 2);
	assert_int_equal(v[1].generation, 6);
	assert_int_equal(v[3].generation, 8);
	free(v);
	fw_state_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_record_and_current),
	    cmocka_unit_test(test_refuses_bad_input),
	    cmocka_unit_test(test_audit_lines),
	    cmocka_unit_test(test_prune_keeps_current),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
