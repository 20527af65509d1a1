// SPDX-License-Identifier: GPL-2.0-or-later
/* The evaluator through policy_explain: verdicts, deciding origin, paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/explain.h"
#include "fwd/plan.h"
#include "fwd/policy.h"
#include "testutil.h"

static const char policy[] =
    "tenant: {name: t, id: 7}\n"
    "uplink: {interface: eth0, addresses: [203.0.113.5]}\n"
    "zones:\n"
    "  a: {vlan: 10, subnet: 10.0.10.0/24}\n"
    "  b: {vlan: 20, subnet: 10.0.20.0/24, isolate: true}\n"
    "hosts:\n"
    "  h1: {zone: a, address: 10.0.10.5}\n"
    "  h2: {zone: b, address: 10.0.20.5}\n"
    "  h3: {zone: b, address: 10.0.20.6}\n"
    "rules:\n"
    "  - {id: r1, from: h1, to: h2, allow: [ssh, icmp]}\n"
    "  - {id: r2, from: h2, to: h3, allow: tcp/8080}\n"
    "publish:\n"
    "  - {id: p1, address: 203.0.113.5, allow: https, host: h3, port: 8443}\n"
    "management:\n"
    "  - {id: m1, from: h1, allow: ssh}\n";

struct fixture {
	struct fw_diags d;
	struct fw_policy *p;
	struct fw_plan *plan;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(policy_load_buffer("t.yaml", policy, strlen(policy), &f->d, &f->p), 0);
	assert_int_equal(plan_compile(f->p, &f->d, &f->plan), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	plan_free(f->plan);
	policy_free(f->p);
	fw_diags_free(&f->d);
	free(f);
	return 0;
}

static struct fw_explain ask(struct fixture *f, const char *from, const char *to, const char *svc)
{
	struct fw_explain ex;

	assert_int_equal(policy_explain(f->p, f->plan, from, to, svc, &f->d, &ex), 0);
	return ex;
}

static void test_forward(void **state)
{
	struct fw_explain ex = ask(*state, "h1", "h2", "ssh");

	assert_true(ex.allowed);
	assert_int_equal(ex.n_ports, 1);
	assert_string_equal(ex.ports[0].eval.origin.id, "r1");
	assert_int_equal(ex.ports[0].eval.origin.loc.line, 11);
	assert_string_equal(ex.ports[0].path, "forward t: a -> b");
	assert_string_equal(ex.from, "h1 (10.0.10.5, zone a)");

	ex = ask(*state, "h2", "h1", "ssh"); /* rules are directed */
	assert_false(ex.allowed);
	/* the tenant's counted default drop, at the tenant's name */
	assert_false(ex.ports[0].eval.by_policy);
	assert_string_equal(ex.ports[0].eval.origin.id, FW_ORIGIN_DEFAULT_DENY);
	assert_string_equal(ex.ports[0].eval.chain, "forward");
	assert_string_equal(ex.ports[0].eval.table, "fwd_t");

	ex = ask(*state, "h1", "h2", "icmp");
	assert_true(ex.allowed);
}

static void test_isolated_zone(void **state)
{
	struct fw_explain ex = ask(*state, "h2", "h3", "tcp/8080");

	assert_true(ex.allowed);
	assert_string_equal(ex.ports[0].eval.origin.id, "r2");
	assert_string_equal(ex.ports[0].eval.table, "fwd_t_l2");
	ex = ask(*state, "h3", "h2", "tcp/8080");
	assert_false(ex.allowed);
	assert_string_equal(ex.ports[0].eval.chain, "iso.b");
}

static void test_publish(void **state)
{
	struct fw_explain ex = ask(*state, "internet", "203.0.113.5", "https");

	assert_true(ex.allowed);
	assert_true(ex.ports[0].eval.nat);
	assert_string_equal(ex.ports[0].eval.origin.id, "p1");
	/* The host's own address is not published. */
	ex = ask(*state, "internet", "h3", "tcp/8443");
	assert_false(ex.allowed);
	ex = ask(*state, "internet", "203.0.113.5", "ssh");
	assert_false(ex.allowed);
}

static void test_firewall(void **state)
{
	struct fw_explain ex = ask(*state, "h1", "firewall", "ssh");

	assert_true(ex.allowed);
	assert_string_equal(ex.ports[0].eval.origin.id, "m1");
	ex = ask(*state, "h2", "firewall", "ssh");
	assert_false(ex.allowed);
	assert_string_equal(ex.ports[0].eval.chain, "in.b");
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	struct fw_explain ex;

	assert_int_equal(policy_explain(f->p, f->plan, "nobody", "h1", "ssh", &f->d, &ex), -22);
	assert_int_equal(policy_explain(f->p, f->plan, "a", "h1", "ssh", &f->d, &ex), -22);
	assert_int_equal(policy_explain(f->p, f->plan, "h1", "h2", "nosuch", &f->d, &ex), -22);
	char *t = tu_diags_text(&f->d);
	assert_non_null(strstr(t, "fwd: error: 'nobody' is not a host"));
	assert_non_null(strstr(t, "fwd: error: 'a' names several hosts"));
	assert_non_null(strstr(t, "fwd: error: 'nosuch' is not a service name"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forward), cmocka_unit_test(test_isolated_zone),
	    cmocka_unit_test(test_publish), cmocka_unit_test(test_firewall),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
