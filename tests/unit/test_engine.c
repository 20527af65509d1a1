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

#include <arpa/inet.h>

#include "fwd/engine.h"
#include "fwd/flowcheck.h"
#include "testutil.h"

/* The fake kernel: remembers the rendered ruleset it holds. */
struct fake {
	char *ruleset;
	int calls;
	int fail_next;
};

static int fake_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                      struct fw_diags *d)
{
	struct fake *k = ctx;

	(void)old;
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
	struct fw_backend be = {fake_apply, &k, NULL};
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

/* The fake conntrack table: connections, and which the revoke hook cut. */
struct fake_ct {
	struct fw_flow flows[4];
	bool gone[4];
	size_t n;
	int calls;
};

static int fake_revoke(void *ctx, const struct fw_policy *old_p, const struct fw_plan *old_plan,
                       const struct fw_policy *new_p, const struct fw_plan *new_plan,
                       struct fw_revoke_result *ret)
{
	struct fake_ct *ct = ctx;
	struct fw_revoke_result res = {0};

	ct->calls++;
	for (size_t i = 0; i < ct->n; i++) {
		if (ct->gone[i])
			continue;
		res.examined++;
		int r = policy_flow_revoked(old_p, old_plan, new_p, new_plan, &ct->flows[i]);
		if (r < 0)
			return r;
		if (r > 0) {
			ct->gone[i] = true;
			res.revoked++;
		}
	}
	*ret = res;
	return 0;
}

static struct fw_flow tcp_flow(const char *src, const char *dst, uint16_t dport)
{
	struct fw_flow f = {.family = 4, .proto = 6, .sport = 40000, .dport = dport};

	assert_int_equal(inet_pton(AF_INET, src, f.saddr), 1);
	assert_int_equal(inet_pton(AF_INET, dst, f.daddr), 1);
	return f;
}

static int apply_opts(struct fw_engine *e, const char *text, const struct fw_apply_opts *o,
                      struct fw_apply_result *res, char **err)
{
	struct fw_policy_source src = {"t.yaml", text, strlen(text)};
	struct fw_diags d = {0};
	int r = fw_engine_apply_opts(e, &src, 1, &bob, o, &d, res);

	if (err)
		*err = d.n_errors ? strdup(d.v[d.n - 1].msg) : NULL;
	fw_diags_free(&d);
	return r;
}

/* The audit log has a record with this detail, event and generation. */
static void assert_audit(const char *log, const char *detail, const char *event, int gen)
{
	char want[512];

	snprintf(want, sizeof(want), "{\"detail\":\"%s\",\"event\":\"%s\",\"generation\":%d,",
	         detail, event, gen);
	if (!strstr(log, want))
		fail_msg("audit log lacks %s:\n%s", want, log);
}

static void test_revoke(void **state)
{
	struct fake k = {0};
	struct fake_ct ct = {.n = 3};
	struct fw_backend be = {fake_apply, &k, NULL};
	struct fw_apply_opts o = {0};
	struct fw_apply_result res;
	struct fw_state *st;
	struct fw_engine *e;
	struct fw_diags d = {0};
	uint64_t gen;

	(void)state;
	ct.flows[0] = tcp_flow("10.0.10.5", "10.0.20.5", 22);
	ct.flows[1] = tcp_flow("10.0.10.5", "10.0.20.5", 80);
	ct.flows[2] = tcp_flow("10.0.20.5", "10.0.10.5", 22); /* never allowed */
	assert_int_equal(fw_state_open(dir, &st), 0);
	assert_int_equal(fw_engine_new(st, &be, &e), 0);
	fw_engine_set_revoke(e, fake_revoke, &ct);

	/* The first policy: nothing was live, nothing to revoke. */
	assert_int_equal(apply_opts(e, POLICY("22"), &o, &res, NULL), 0);
	assert_int_equal(ct.calls, 0);
	assert_false(res.revoke_ran);
	/* The same plan again: not looked at. */
	assert_int_equal(apply_opts(e, POLICY("22"), &o, &res, NULL), 0);
	assert_int_equal(ct.calls, 0);
	assert_int_equal(res.revoke.revoked, 0);
	/* tcp/22 -> tcp/80: the ssh session is cut, nothing else. */
	assert_int_equal(apply_opts(e, POLICY("80"), &o, &res, NULL), 0);
	assert_int_equal(ct.calls, 1);
	assert_true(res.revoke_ran);
	assert_int_equal(res.revoke.revoked, 1);
	assert_int_equal(res.revoke.examined, 3);
	assert_true(ct.gone[0]);
	assert_false(ct.gone[1]);
	assert_false(ct.gone[2]);
	/* A rollback (to tcp/22) cuts the tcp/80 one. */
	assert_int_equal(fw_engine_rollback_opts(e, 0, &bob, &o, &d, &res), 0);
	assert_int_equal(res.generation, 2);
	assert_int_equal(res.revoke.revoked, 1);
	assert_true(ct.gone[1]);
	/* So does the rollback when a confirm window closes. */
	ct.gone[0] = ct.gone[1] = false;
	o.confirm_seconds = 30;
	assert_int_equal(apply_opts(e, POLICY("80"), &o, &res, NULL), 0);
	assert_true(ct.gone[0]);
	assert_int_equal(fw_engine_tick(e, time(NULL) + 31, &d), 1);
	assert_true(ct.gone[1]);
	assert_int_equal(ct.calls, 4);
	fw_engine_free(e);

	/* Boot has no old plan: nothing is revoked. */
	assert_int_equal(fw_engine_new(st, &be, &e), 0);
	fw_engine_set_revoke(e, fake_revoke, &ct);
	assert_int_equal(fw_engine_boot(e, &d), 0);
	assert_int_equal(ct.calls, 4);
	/* The wrapper keeps working for other callers. */
	assert_int_equal(apply(e, POLICY("443"), 0, &gen), 0);
	assert_int_equal(ct.calls, 5);
	fw_engine_free(e);
	fw_state_close(st);
	fw_diags_free(&d);
	free(k.ruleset);

	char *log = audit_log();
	assert_audit(log, "revoked 1 connection", "apply", 3);
	assert_audit(log, "revoked 1 connection", "rollback", 2);
	assert_audit(log, "revoked 1 connection", "apply-pending", 4);
	assert_audit(log, "revoked 0 connections", "apply", 5);
	assert_non_null(strstr(log, "\"detail\":\"revoked 1 connection\",\"event\":\"rollback\","
	                            "\"generation\":2,\"source\":\"timer\""));
	free(log);
}

#define MGMT_POLICY(mgmt)                                                                          \
	"tenant: {name: t, id: 1}\nuplink: {interface: eth0, addresses: [203.0.113.11]}\n"         \
	"zones:\n  a: {vlan: 10, subnet: 10.0.10.0/24}\n  b: {vlan: 20, subnet: 10.0.20.0/24}\n"   \
	"rules:\n  - {id: r, from: a, to: b, allow: tcp/22}\n" mgmt

#define WITH_MGMT "management:\n  - {id: msp, from: 198.51.100.0/28, allow: ssh}\n"
#define REFUSAL                                                                                    \
	"it would cut management access from 198.51.100.7 to the firewall 203.0.113.11 tcp/22"

static void test_lockout(void **state)
{
	struct fake k = {0};
	struct fw_backend be = {fake_apply, &k, NULL};
	struct fw_mgmt_origin msp = {.family = 4, .has_to = true, .port = 22};
	struct fw_apply_opts o = {.origin = &msp};
	struct fw_apply_result res = {.generation = 77};
	struct fw_state *st;
	struct fw_engine *e;
	struct fw_diags d = {0};
	uint64_t gen;
	char *err;

	(void)state;
	assert_int_equal(inet_pton(AF_INET, "198.51.100.7", msp.from), 1);
	assert_int_equal(inet_pton(AF_INET, "203.0.113.11", msp.to), 1);
	assert_int_equal(fw_state_open(dir, &st), 0);
	assert_int_equal(fw_engine_new(st, &be, &e), 0);

	/* Nothing live yet: nothing to lose. */
	assert_int_equal(apply_opts(e, MGMT_POLICY(""), &o, &res, NULL), 0);
	assert_int_equal(apply_opts(e, MGMT_POLICY(WITH_MGMT), &o, &res, NULL), 0);
	assert_int_equal(res.generation, 2);
	assert_false(res.forced);

	/* Dropping the management entry cuts the engineer off: refused, the
	 * kernel and `current` untouched, nothing recorded. */
	res.generation = 77;
	assert_int_equal(apply_opts(e, MGMT_POLICY(""), &o, &res, &err), -EPERM);
	assert_string_equal(err, REFUSAL " (use --force to apply anyway, or --confirm S to try it "
	                                 "safely)");
	free(err);
	assert_int_equal(res.generation, 77);
	assert_int_equal(k.calls, 2);
	assert_int_equal(fw_state_current(st, &gen), 0);
	assert_int_equal(gen, 2);
	/* Not where the engineer is: another port (read through o.origin). */
	msp.port = 2222; // cppcheck-suppress redundantAssignment
	assert_int_equal(apply_opts(e, MGMT_POLICY(""), &o, &res, &err), 0);
	assert_null(err);
	assert_int_equal(fw_engine_rollback(e, 2, &bob, &d, &gen), 0);
	msp.port = 22; // cppcheck-suppress [redundantAssignment, unreadVariable]
	/* Changes that keep the access go through. */
	assert_int_equal(
	    apply_opts(e, MGMT_POLICY("management:\n  - {from: 198.51.100.7, allow: ssh}\n"), &o,
	               &res, NULL),
	    0);
	assert_int_equal(fw_engine_rollback(e, 2, &bob, &d, &gen), 0);

	/* With a confirm window it may go: the firewall lets him back in. */
	o.confirm_seconds = 60;
	assert_int_equal(apply_opts(e, MGMT_POLICY(""), &o, &res, NULL), 0);
	assert_false(res.forced);
	assert_int_equal(fw_engine_tick(e, time(NULL) + 61, &d), 1);
	o.confirm_seconds = 0;

	/* Forced: applied, and the result and audit say what was overridden. */
	o.force = true;
	assert_int_equal(apply_opts(e, MGMT_POLICY(""), &o, &res, NULL), 0);
	assert_true(res.forced);
	assert_string_equal(res.reason, REFUSAL);
	assert_null(strstr(k.ruleset, "msp"));
	uint64_t cut = res.generation;

	/* A rollback that cuts the access is refused the same way. */
	o.force = false;
	assert_int_equal(apply_opts(e, MGMT_POLICY(WITH_MGMT), &o, &res, NULL), 0);
	assert_false(res.forced);
	fw_diags_free(&d);
	assert_int_equal(fw_engine_rollback_opts(e, cut, &bob, &o, &d, &res), -EPERM);
	assert_string_equal(d.v[d.n - 1].msg, REFUSAL " (use --force to roll back anyway)");
	assert_non_null(strstr(k.ruleset, "msp"));
	fw_diags_free(&d);
	o.force = true;
	assert_int_equal(fw_engine_rollback_opts(e, cut, &bob, &o, &d, &res), 0);
	assert_true(res.forced);
	assert_null(strstr(k.ruleset, "msp"));
	fw_engine_free(e);
	fw_state_close(st);
	fw_diags_free(&d);
	free(k.ruleset);

	char *log = audit_log();
	assert_audit(log, REFUSAL, "refused", 0);
	assert_audit(log, "in a confirm window: " REFUSAL, "apply-pending", 5);
	assert_audit(log, "forced: " REFUSAL, "apply", 6);
	assert_audit(log, REFUSAL, "refused", 6);
	assert_audit(log, "forced: " REFUSAL, "rollback", 6);
	free(log);
}

/* A fake backend that remembers what apply was given and reports the drift
 * it is told to. */
struct fake_drift {
	const struct fw_plan *old, *plan;
	int applies, checks;
	struct fw_drift next; /* what the next check finds */
	int check_error;
};

static int drift_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                       struct fw_diags *d)
{
	struct fake_drift *k = ctx;

	(void)d;
	k->applies++;
	k->old = old;
	k->plan = plan;
	return 0;
}

static int drift_check(void *ctx, const struct fw_plan *plan, struct fw_drift *ret,
                       struct fw_diags *d)
{
	struct fake_drift *k = ctx;

	assert_ptr_equal(plan, k->plan); /* the live plan */
	k->checks++;
	*ret = k->next;
	if (k->check_error)
		fw_error(d, NULL, "kernel said no");
	return k->check_error;
}

static void test_drift(void **state)
{
	struct fake_drift k = {0};
	struct fw_backend be = {drift_apply, &k, drift_check};
	struct fw_engine_status s;
	struct fw_state *st;
	struct fw_engine *e;
	struct fw_drift dr;
	struct fw_diags d = {0};
	const struct fw_plan *first;
	uint64_t gen;
	char *log;

	(void)state;
	assert_int_equal(fw_state_open(dir, &st), 0);
	assert_int_equal(fw_engine_new(st, &be, &e), 0);
	/* Nothing live: nothing to compare with. */
	assert_int_equal(fw_engine_check_drift(e, 1000, &dr, &d), 0);
	assert_int_equal(k.checks, 0);
	assert_int_equal(dr.tables, 0);

	/* The first apply has no old plan; the next one gets the live plan. */
	assert_int_equal(apply(e, POLICY("22"), 0, &gen), 0);
	assert_null(k.old);
	first = k.plan;
	assert_ptr_equal(fw_engine_plan(e), first);
	assert_int_equal(apply(e, POLICY("443"), 0, &gen), 0);
	assert_ptr_equal(k.old, first);
	assert_ptr_not_equal(k.plan, first);

	/* Nothing drifted: checked, nothing recorded. */
	assert_int_equal(fw_engine_check_drift(e, 2000, &dr, &d), 0);
	fw_engine_status(e, &s);
	assert_int_equal(s.drift_checked, 2000);
	assert_int_equal(s.drift_repairs, 0);
	assert_int_equal(s.drift_found, 0);
	assert_string_equal(s.drift_detail, "");

	/* Drift, repaired: status and audit say what. */
	k.next = (struct fw_drift){.read_back = true, .tables = 1, .repaired = true};
	snprintf(k.next.detail, sizeof(k.next.detail), "fwd_t: chain a.b has 0 rules, expected 1");
	assert_int_equal(fw_engine_check_drift(e, 3000, &dr, &d), 0);
	assert_int_equal(dr.tables, 1);
	fw_engine_status(e, &s);
	assert_int_equal(s.drift_checked, 3000);
	assert_int_equal(s.drift_repairs, 1);
	assert_int_equal(s.drift_found, 3000);
	assert_string_equal(s.drift_detail, "fwd_t: chain a.b has 0 rules, expected 1");

	/* A repair the kernel refuses: an error, audited, not counted. */
	k.next.repaired = false;
	snprintf(k.next.detail, sizeof(k.next.detail), "fwd_t: table is missing");
	k.check_error = -EIO; // cppcheck-suppress unreadVariable
	assert_int_equal(fw_engine_check_drift(e, 4000, &dr, &d), -EIO);
	fw_engine_status(e, &s);
	assert_int_equal(s.drift_repairs, 1);
	assert_int_equal(s.drift_found, 4000);
	assert_string_equal(s.drift_detail, "fwd_t: table is missing");
	assert_int_equal(d.n_errors, 1);

	log = audit_log();
	assert_audit(log, "repaired: fwd_t: chain a.b has 0 rules, expected 1", "drift", 2);
	assert_audit(log, "not repaired: fwd_t: table is missing", "drift", 2);
	free(log);
	fw_engine_free(e);
	fw_state_close(st);
	fw_diags_free(&d);
}

/* --keep-history: old generations go, but not while a change waits for
 * confirm (its rollback target must stay), and never the live one. */
static void test_history_limit(void **state)
{
	struct fake k = {0};
	struct fw_backend be = {fake_apply, &k, NULL};
	struct fw_state *st;
	struct fw_engine *e;
	struct fw_generation *v;
	size_t n;
	uint64_t gen;

	(void)state;
	assert_int_equal(fw_state_open(dir, &st), 0);
	assert_int_equal(fw_engine_new(st, &be, &e), 0);
	fw_engine_set_history_limit(e, 2);
	assert_int_equal(apply(e, POLICY("1"), 0, &gen), 0);
	assert_int_equal(apply(e, POLICY("2"), 0, &gen), 0);
	assert_int_equal(apply(e, POLICY("3"), 0, &gen), 0);
	assert_int_equal(fw_state_list(st, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].generation, 2);
	assert_int_equal(v[1].generation, 3);
	free(v);
	/* pending: nothing is pruned until the confirm (3 is the rollback target) */
	assert_int_equal(apply(e, POLICY("4"), 60, &gen), 0);
	assert_int_equal(fw_state_list(st, &v, &n), 0);
	assert_int_equal(n, 3);
	free(v);
	assert_int_equal(fw_engine_confirm(e, &bob), 0);
	assert_int_equal(fw_state_list(st, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[1].generation, 4);
	free(v);
	fw_engine_free(e);
	fw_state_close(st);
	free(k.ruleset);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_states, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lockout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drift, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_history_limit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
