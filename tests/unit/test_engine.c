// SPDX-License-Identifier: GPL-2.0-or-later
/* The engine's states with a fake backend: refuse, fail, confirm, time out, boot. */
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

#include "fwd/engine.h"
#include "testutil.h"

/* The fake kernel: remembers the rendered ruleset it holds. */
struct fake {
	char *ruleset;
	int calls;
	int fail_next;
};

static int fake_apply(void *ctx, const struct fw_plan *plan, struct fw_diags *d)
{
	struct fake *k = ctx;

	k->calls++;
	if (k->fail_next) {
		k->fail_next = 0;
		fw_error(d, NULL, "kernel said no");
		return -EIO;
	}
	free(k->ruleset);
	k->ruleset = plan_render(plan);
	return 0;
}

static char dir[64];
static const struct fw_state_meta bob = {.who = "bob", .uid = 1001, .source = "fwctl"};

#define POLICY(port)                                                                               \
	"tenant: {name: t, id: 1}\nuplink: {interface: eth0}\nzones:\n"                            \
	"  a: {vlan: 10, subnet: 10.0.10.0/24}\n  b: {vlan: 20, subnet: 10.0.20.0/24}\n"           \
	"rules:\n  - {id: r, from: a, to: b, allow: tcp/" port "}\n"

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fwd-engine-test-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int apply(struct fw_engine *e, const char *text, uint32_t confirm, uint64_t *gen)
{
	struct fw_policy_source src = {"t.yaml", text, strlen(text)};
	struct fw_diags d = {0};
	int r = fw_engine_apply(e, &src, 1, &bob, confirm, &d, gen);

	fw_diags_free(&d);
	return r;
}

static char *audit_log(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/audit.log", dir);
	return tu_read_file(path, NULL);
}

static void test_states(void **state)
{
	struct fake k = {0};
	struct fw_backend be = {fake_apply, &k};
	struct fw_state *st;
	struct fw_engine *e;
	struct fw_engine_status s;
	struct fw_diags d = {0};
	uint64_t g1, g2, g3, gen;

	(void)state;
	assert_int_equal(fw_state_open(dir, &st), 0);
	assert_int_equal(fw_engine_new(st, &be, &e), 0);

	/* A good policy goes live. */
	assert_int_equal(apply(e, POLICY("22"), 0, &g1), 0);
	assert_int_equal(g1, 1);
	assert_non_null(strstr(k.ruleset, "tcp . 22 comment \"r\""));

	/* A policy with an error changes nothing and is audited. */
	assert_int_equal(apply(e, POLICY("0"), 0, &gen), -EINVAL);
	assert_int_equal(k.calls, 1);
	/* A kernel failure changes nothing either. */
	/* The backend reads it through its ctx pointer. */
	k.fail_next = 1; // cppcheck-suppress unreadVariable
	assert_int_equal(apply(e, POLICY("80"), 0, &gen), -EIO);
	fw_engine_status(e, &s);
	assert_int_equal(s.live, 1);
	assert_int_equal(fw_state_current(st, &gen), 0);
	assert_int_equal(gen, 1);
	assert_non_null(strstr(k.ruleset, "tcp . 22 "));

	/* Commit-confirm: pending until confirmed; a second apply must wait. */
	assert_int_equal(apply(e, POLICY("443"), 60, &g2), 0);
	fw_engine_status(e, &s);
	assert_int_equal(s.pending, g2);
	assert_int_equal(s.previous, g1);
	assert_int_equal(apply(e, POLICY("8080"), 0, &gen), -EBUSY);
	assert_int_equal(fw_engine_tick(e, s.deadline - 1, &d), 0);
	assert_non_null(strstr(k.ruleset, "tcp . 443 "));
	/* The window closes unconfirmed: back to the previous generation. */
	assert_int_equal(fw_engine_tick(e, s.deadline, &d), 1);
	fw_engine_status(e, &s);
	assert_int_equal(s.live, g1);
	assert_int_equal(s.pending, 0);
	assert_non_null(strstr(k.ruleset, "tcp . 22 "));
	assert_int_equal(fw_state_current(st, &gen), 0);
	assert_int_equal(gen, g1);

	/* Confirmed in time: it stays. */
	assert_int_equal(apply(e, POLICY("443"), 60, &g3), 0);
	assert_int_equal(fw_engine_confirm(e, &bob), 0);
	assert_int_equal(fw_engine_confirm(e, &bob), -ENOENT);
	fw_engine_status(e, &s);
	assert_int_equal(fw_engine_tick(e, s.deadline + 3600, &d), 0);
	assert_int_equal(s.live, g3);

	/* Rollback to the parent. */
	assert_int_equal(fw_engine_rollback(e, 0, &bob, &d, &gen), 0);
	assert_int_equal(gen, g1);
	assert_non_null(strstr(k.ruleset, "tcp . 22 "));
	fw_engine_free(e);

	/* Boot: a new daemon loads what is current. */
	free(k.ruleset);
	k.ruleset = NULL;
	assert_int_equal(fw_engine_new(st, &be, &e), 0);
	assert_int_equal(fw_engine_boot(e, &d), 0);
	fw_engine_status(e, &s);
	assert_int_equal(s.live, g1);
	/* boot() set it through the backend's ctx pointer */
	assert_non_null(k.ruleset);                      // cppcheck-suppress nullPointer
	assert_non_null(strstr(k.ruleset, "tcp . 22 ")); // cppcheck-suppress nullPointer
	assert_int_equal(s.tenants, 1);
	fw_engine_free(e);
	fw_state_close(st);
	fw_diags_free(&d);
	free(k.ruleset);

	/* Everything is in the audit log, in order, with who did it. */
	char *log = audit_log();
	const char *order[] = {"\"event\":\"apply\"",           "\"event\":\"refused\"",
	                       "\"event\":\"failed\"",          "\"event\":\"apply-pending\"",
	                       "\"event\":\"confirm-timeout\"", "\"event\":\"rollback\"",
	                       "\"event\":\"apply-pending\"",   "\"event\":\"confirm\"",
	                       "\"event\":\"rollback\"",        "\"event\":\"boot\""};
	const char *at = log;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *hit = strstr(at, order[i]);
		if (!hit)
			fail_msg("audit log lacks %s after position %td:\n%s", order[i], at - log,
			         log);
		at = hit + 1;
	}
	assert_non_null(strstr(log, "t.yaml:7:")); /* the refused policy's error */
	assert_non_null(strstr(log, "kernel said no"));
	assert_non_null(strstr(log, "\"who\":\"bob\""));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_states, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
