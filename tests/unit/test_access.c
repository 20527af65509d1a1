// SPDX-License-Identifier: GPL-2.0-or-later
/* Effective access by name, and the access diff of two policies: exact text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/access.h"
#include "fwd/policy.h"
#include "testutil.h"

#define HEAD                                                                                       \
	"tenant: {name: t, id: 7}\n"                                                               \
	"uplink: {interface: eth0, addresses: [203.0.113.5, 203.0.113.6]}\n"                       \
	"zones:\n"                                                                                 \
	"  a: {vlan: 10, subnet: 10.0.10.0/24}\n"                                                  \
	"  b: {vlan: 20, subnet: 10.0.20.0/24, isolate: true}\n"                                   \
	"hosts:\n"                                                                                 \
	"  h1: {zone: a, address: 10.0.10.5}\n"                                                    \
	"  h2: {zone: b, address: 10.0.20.5}\n"                                                    \
	"  h3: {zone: b, address: 10.0.20.6}\n"

static struct fw_policy *load(const char *name, const char *text)
{
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;

	if (policy_load_buffer(name, text, strlen(text), &d, &p) != 0) {
		char *msg = tu_diags_text(&d);
		fail_msg("%s", msg);
	}
	fw_diags_free(&d);
	return p;
}

/* Every access of the policy, one per line, as "+ ..." lines against
 * nothing, is exactly want. */
static void accesses_are(const char *text, const char *want)
{
	struct fw_policy *p = load("t.yaml", text);
	struct fw_access_set *none, *set;
	struct fw_access_diff d;
	char *s;

	assert_int_equal(fw_access_compute(NULL, &none), 0);
	assert_int_equal(fw_access_compute(p, &set), 0);
	assert_int_equal(fw_access_diff(none, set, &d), 0);
	s = fw_access_diff_text(&d);
	assert_non_null(s);
	fw_access_diff_free(&d);
	fw_access_set_free(none);
	fw_access_set_free(set);
	policy_free(p);
	assert_string_equal(s, want);
	free(s);
}

static void test_names_and_services(void **state)
{
	(void)state;
	accesses_are(HEAD "groups:\n"
	                  "  g: [h1, h2]\n"
	                  "  outer: [g, b]\n"
	                  "services:\n"
	                  "  gc: [tcp/3268-3269]\n"
	                  "rules:\n"
	                  "  - {id: r1, from: h1, to: h2, allow: [mssql, gc, icmp]}\n"
	                  "  - {id: r2, from: outer, to: h3, allow: [tcp, any]}\n"
	                  "  - {id: r3, from: 192.168.1.7, to: h3, allow: udp/53}\n"
	                  "  - {id: r4, from: 192.168.0.0/16, to: h3, allow: udp/53}\n",
	             "+ 192.168.0.0/16 → h3 udp/53\n"
	             "+ 192.168.1.7 → h3 udp/53\n"
	             "+ b → h3 any\n"
	             "+ b → h3 tcp\n"
	             "+ h1 → h2 icmp\n"
	             "+ h1 → h2 tcp/1433\n"
	             "+ h1 → h2 tcp/3268-3269\n"
	             "+ h1 → h3 any\n"
	             "+ h1 → h3 tcp\n"
	             "+ h2 → h3 any\n"
	             "+ h2 → h3 tcp\n");
}

static void test_publish_egress_management(void **state)
{
	(void)state;
	accesses_are(HEAD "publish:\n"
	                  "  - {id: p1, address: 203.0.113.5, allow: https, host: h3}\n"
	                  "  - {id: p2, address: 203.0.113.5, allow: http, host: h3, "
	                  "port: 8080, from: 198.51.100.0/24}\n"
	                  "egress:\n"
	                  "  - {id: e1, from: a, snat: 203.0.113.6}\n"
	                  "  - {id: e2, from: h3, allow: [dns, ntp]}\n"
	                  "management:\n"
	                  "  - {id: m1, from: [h1, 198.51.100.0/28], allow: ssh}\n",
	             "+ 198.51.100.0/24 → h3 tcp/80 (published 203.0.113.5, to port 8080)\n"
	             "+ 198.51.100.0/28 → firewall tcp/22\n"
	             "+ a → internet any (snat 203.0.113.6)\n"
	             "+ h1 → firewall tcp/22\n"
	             "+ h3 → internet tcp/53 (masquerade)\n"
	             "+ h3 → internet udp/53 (masquerade)\n"
	             "+ h3 → internet udp/123 (masquerade)\n"
	             "+ internet → h3 tcp/443 (published 203.0.113.5)\n");
}

static void test_vpn(void **state)
{
	(void)state;
	accesses_are(HEAD "groups:\n"
	                  "  admins: [h1, vpn:group:it]\n"
	                  "rules:\n"
	                  "  - {id: r1, from: admins, to: h2, allow: rdp}\n"
	                  "  - {id: r2, from: vpn:all, to: h3, allow: dns}\n"
	                  "  - {id: r3, from: site:branch, to: vpn:bob, allow: icmp}\n"
	                  "vpn:\n"
	                  "  listen_port: 51820\n"
	                  "  pool: 10.0.99.0/24\n"
	                  "  users:\n"
	                  "    alice: {address: 10.0.99.10, groups: [it]}\n"
	                  "    bob: {address: 10.0.99.11, groups: [sales]}\n"
	                  "    carol: {address: 10.0.99.12, groups: [it, sales]}\n"
	                  "  sites:\n"
	                  "    branch: {networks: [10.30.0.0/16], public_key: "
	                  "\"YhFnigbHBKSVIwZ75QZVxYKPy5zk7rIS2Np9U231cN0=\"}\n",
	             "+ h1 → h2 tcp/3389\n"
	             "+ h1 → h2 udp/3389\n"
	             "+ site:branch → vpn:bob icmp\n"
	             "+ vpn:alice → h2 tcp/3389\n"
	             "+ vpn:alice → h2 udp/3389\n"
	             "+ vpn:all → h3 tcp/53\n"
	             "+ vpn:all → h3 udp/53\n"
	             "+ vpn:carol → h2 tcp/3389\n"
	             "+ vpn:carol → h2 udp/3389\n");
}

/* Overlapping rules allow one access once. */
static void test_duplicates_collapse(void **state)
{
	(void)state;
	accesses_are(HEAD "groups:\n"
	                  "  g: [h1, h1]\n"
	                  "rules:\n"
	                  "  - {id: r1, from: h1, to: h2, allow: ssh}\n"
	                  "  - {id: r2, from: g, to: h2, allow: [tcp/22, ssh]}\n",
	             "+ h1 → h2 tcp/22\n");
}

static char *diff_text(const char *name_a, const char *a, const char *name_b, const char *b,
                       size_t *added, size_t *removed)
{
	struct fw_policy *pa = load(name_a, a), *pb = load(name_b, b);
	struct fw_access_set *sa, *sb;
	struct fw_access_diff d;
	char *s;

	assert_int_equal(fw_access_compute(pa, &sa), 0);
	assert_int_equal(fw_access_compute(pb, &sb), 0);
	/* The sets own their names: the policies may go first. */
	policy_free(pa);
	policy_free(pb);
	assert_int_equal(fw_access_diff(sa, sb, &d), 0);
	s = fw_access_diff_text(&d);
	assert_non_null(s);
	*added = d.n_added;
	*removed = d.n_removed;
	fw_access_diff_free(&d);
	fw_access_set_free(sa);
	fw_access_set_free(sb);
	return s;
}

static void test_diff(void **state)
{
	size_t added, removed;
	(void)state;
	char *s = diff_text("t.yaml",
	                    HEAD "rules:\n"
	                         "  - {id: r1, from: h1, to: h2, allow: [mssql, ssh]}\n"
	                         "  - {id: r2, from: h1, to: h3, allow: ssh}\n",
	                    "t.yaml",
	                    HEAD "rules:\n"
	                         "  - {id: r1, from: h1, to: h2, allow: [ssh, tcp/1434]}\n"
	                         "  - {id: other-id, from: h1, to: h3, allow: tcp/22}\n",
	                    &added, &removed);

	/* Same access under another id or spelling: no change. */
	assert_string_equal(s, "- h1 → h2 tcp/1433\n"
	                       "+ h1 → h2 tcp/1434\n");
	assert_int_equal(added, 1);
	assert_int_equal(removed, 1);
	free(s);

	s = diff_text("t.yaml", HEAD, "t.yaml", HEAD, &added, &removed);
	assert_string_equal(s, "");
	assert_int_equal(added + removed, 0);
	free(s);
}

/* With several tenants every line names its tenant. */
static void test_diff_tenants(void **state)
{
	static const char other[] = "tenant: {name: u, id: 8}\n"
	                            "uplink: {interface: eth1, addresses: [203.0.113.9]}\n"
	                            "zones:\n"
	                            "  c: {vlan: 30, subnet: 10.0.30.0/24}\n"
	                            "management:\n"
	                            "  - {id: m, from: c, allow: ssh}\n";
	struct fw_policy *one = load("t.yaml", HEAD), *two;
	struct fw_policy_source src[] = {
	    {"t.yaml", HEAD, sizeof(HEAD) - 1},
	    {"u.yaml", other, sizeof(other) - 1},
	};
	struct fw_diags d = {0};
	struct fw_access_set *sa, *sb;
	struct fw_access_diff diff;
	char *s;
	(void)state;

	assert_int_equal(policy_load_buffers(src, 2, &d, &two), 0);
	assert_int_equal(fw_access_compute(one, &sa), 0);
	assert_int_equal(fw_access_compute(two, &sb), 0);
	assert_int_equal(fw_access_diff(sa, sb, &diff), 0);
	assert_true(diff.multi_tenant);
	s = fw_access_diff_text(&diff);
	assert_string_equal(s, "+ u: c → firewall tcp/22\n");
	free(s);
	fw_access_diff_free(&diff);
	fw_access_set_free(sa);
	fw_access_set_free(sb);
	policy_free(one);
	policy_free(two);
	fw_diags_free(&d);
}

/* Past FW_ACCESS_MAX entries the set says so instead of listing. */
static void test_too_many(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	size_t added, removed;
	char *s;
	(void)state;

	/* 100 x 100 hosts x 51 ports = 510,000 accesses */
	fputs("tenant: {name: t, id: 7}\n"
	      "uplink: {interface: eth0, addresses: [203.0.113.5]}\n"
	      "zones:\n"
	      "  a: {vlan: 10, subnet: 10.0.0.0/16}\n"
	      "  b: {vlan: 20, subnet: 10.1.0.0/16}\n"
	      "hosts:\n",
	      f);
	for (int i = 0; i < 100; i++)
		fprintf(f,
		        "  a%d: {zone: a, address: 10.0.0.%d}\n  b%d: {zone: b, address: "
		        "10.1.0.%d}\n",
		        i, i + 2, i, i + 2);
	fputs("groups:\n  ga: [", f);
	for (int i = 0; i < 100; i++)
		fprintf(f, "%sa%d", i ? ", " : "", i);
	fputs("]\n  gb: [", f);
	for (int i = 0; i < 100; i++)
		fprintf(f, "%sb%d", i ? ", " : "", i);
	fputs("]\nrules:\n  - {id: r, from: ga, to: gb, allow: [", f);
	for (int i = 0; i < 51; i++)
		fprintf(f, "%stcp/%d", i ? ", " : "", 1000 + 2 * i);
	fputs("]}\n", f);
	assert_int_equal(fclose(f), 0);

	s = diff_text("t.yaml", HEAD, "t.yaml", buf, &added, &removed);
	assert_string_equal(s,
	                    "access diff too large: a policy allows more than 500000 accesses\n");
	free(s);
	free(buf);
}

static void test_format(void **state)
{
	struct fw_access a = {
	    .tenant = "acme", .from = "app", .to = "sql", .proto = 6, .lo = 1433, .hi = 1433};
	char buf[FW_ACCESS_TEXT_MAX];
	(void)state;

	assert_int_equal(fw_access_format(&a, false, buf, sizeof(buf)),
	                 strlen("app → sql tcp/1433"));
	assert_string_equal(buf, "app → sql tcp/1433");
	fw_access_format(&a, true, buf, sizeof(buf));
	assert_string_equal(buf, "acme: app → sql tcp/1433");
	a.proto = 17;
	a.lo = 0;
	a.hi = 65535;
	a.note = "masquerade";
	fw_access_format(&a, false, buf, sizeof(buf));
	assert_string_equal(buf, "app → sql udp (masquerade)");
	/* cut, never overrun */
	assert_int_equal(fw_access_format(&a, false, buf, 5), 4);
	assert_string_equal(buf, "app ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_and_services),
	    cmocka_unit_test(test_publish_egress_management),
	    cmocka_unit_test(test_vpn),
	    cmocka_unit_test(test_duplicates_collapse),
	    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_diff_tenants),
	    cmocka_unit_test(test_too_many),
	    cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
