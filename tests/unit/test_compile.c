// SPDX-License-Identifier: GPL-2.0-or-later
/* The compiler: what a policy becomes, as rendered nft text and warnings. */
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

#define HEAD                                                                                       \
	"tenant: {name: t, id: 7}\n"                                                               \
	"uplink: {interface: eth0, addresses: [203.0.113.5]}\n"                                    \
	"zones:\n"                                                                                 \
	"  a: {vlan: 10, subnet: 10.0.10.0/24, subnet6: 2001:db8:a::/64}\n"                        \
	"  b: {vlan: 20, subnet: 10.0.20.0/24, isolate: true}\n"                                   \
	"hosts:\n"                                                                                 \
	"  h1: {zone: a, address: 10.0.10.5, address6: 2001:db8:a::5}\n"                           \
	"  h2: {zone: b, address: 10.0.20.5}\n"                                                    \
	"  h3: {zone: b, address: 10.0.20.6}\n"

struct compiled {
	struct fw_diags d;
	struct fw_policy *p;
	struct fw_plan *plan;
	char *text;
	char *diags;
};

static void compile(struct compiled *c, const char *yaml)
{
	memset(c, 0, sizeof(*c));
	int r = policy_load_buffer("t.yaml", yaml, strlen(yaml), &c->d, &c->p);
	if (r != 0) {
		char *t = tu_diags_text(&c->d);
		fprintf(stderr, "%s", t);
		free(t);
	}
	assert_int_equal(r, 0);
	assert_int_equal(plan_compile(c->p, &c->d, &c->plan), 0);
	c->text = plan_render(c->plan);
	assert_non_null(c->text);
	c->diags = tu_diags_text(&c->d);
}

static void release(struct compiled *c)
{
	free(c->text);
	free(c->diags);
	plan_free(c->plan);
	policy_free(c->p);
	fw_diags_free(&c->d);
}

#define assert_has(hay, needle)                                                                    \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("missing:\n%s\nin:\n%s", (needle), (hay));                        \
	} while (0)

static void test_forward_pair(void **state)
{
	struct compiled c;

	(void)state;
	compile(&c, HEAD "rules:\n  - {id: r1, from: h1, to: h2, allow: [ssh, ping]}\n");
	assert_has(c.text, "\"vlan10\" . \"vlan20\" : jump a.b");
	assert_has(c.text,
	           "set a.b.4px {\n\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service\n"
	           "\t\tcounter\n\t\telements = {\n"
	           "\t\t\t10.0.10.5 . 10.0.20.5 . tcp . 22 comment \"r1\"\n");
	assert_has(c.text, "10.0.10.5 . 10.0.20.5 . icmp comment \"r1\"");
	assert_has(
	    c.text,
	    "\tchain a.b {\n\t\tip saddr . ip daddr . meta l4proto . th dport @a.b.4px accept\n"
	    "\t\tip saddr . ip daddr . meta l4proto @a.b.4ax accept\n\t}");
	/* Only host pairs: no interval sets. */
	assert_null(strstr(c.text, "set a.b.4p {"));
	assert_null(strstr(c.text, "set a.b.4a {"));
	/* h1 has IPv6 but h2 does not: no IPv6 set. */
	assert_null(strstr(c.text, "a.b.6p"));
	assert_string_equal(c.diags, "");
	release(&c);
}

/* Exact entries go to a hash set, ranges to an interval set: the hash set
 * is looked up first, with the same statements. */
static void test_exact_and_interval_sets(void **state)
{
	struct compiled c;

	(void)state;
	compile(&c, HEAD "rules:\n  - {id: r1, from: h1, to: h2, allow: ssh}\n"
	                 "  - {id: r2, from: a, to: h2, allow: [https, tcp/8000-8010]}\n");
	assert_has(c.text,
	           "set a.b.4px {\n\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service\n"
	           "\t\tcounter\n\t\telements = {\n"
	           "\t\t\t10.0.10.5 . 10.0.20.5 . tcp . 22 comment \"r1\"\n\t\t}\n");
	assert_has(c.text,
	           "set a.b.4p {\n\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service\n"
	           "\t\tflags interval\n\t\tcounter\n\t\telements = {\n");
	assert_has(c.text, "10.0.10.0/24 . 10.0.20.5 . tcp . 443 comment \"r2\"");
	assert_has(c.text, "10.0.10.0/24 . 10.0.20.5 . tcp . 8000-8010 comment \"r2\"");
	assert_has(
	    c.text,
	    "\tchain a.b {\n\t\tip saddr . ip daddr . meta l4proto . th dport @a.b.4px accept\n"
	    "\t\tip saddr . ip daddr . meta l4proto . th dport @a.b.4p accept\n\t}");
	assert_string_equal(c.diags, "");
	release(&c);
}

static void test_counter_and_log(void **state)
{
	struct compiled c;

	(void)state;
	compile(&c, HEAD
	        "rules:\n  - {id: r1, from: a, to: h2, allow: https, counter: true, log: true}\n");
	assert_has(c.text,
	           "ip saddr . ip daddr . meta l4proto . th dport @r1.a.b.4p counter log prefix "
	           "\"fwd:t:r1 \" group 100 accept comment \"r1 t.yaml:11\"");
	release(&c);
}

static void test_isolation_bridge(void **state)
{
	struct compiled c;

	(void)state;
	compile(&c, HEAD "rules:\n  - {id: r1, from: h2, to: h3, allow: mssql}\n");
	assert_has(c.text, "table bridge fwd_t_l2 {");
	assert_has(c.text, "ip daddr 10.0.20.0/24 jump iso.b");
	assert_has(c.text, "10.0.20.5 . 10.0.20.6 . tcp . 1433 comment \"r1\"");
	assert_has(c.text, "meta l4proto tcp th dport 1024-65535 ip daddr . ip saddr . meta "
	                   "l4proto . th sport @b.4px tcp "
	                   "flags & (syn | ack) != syn accept");
	release(&c);
}

static void test_no_isolation_no_bridge_table(void **state)
{
	struct compiled c;

	(void)state;
	compile(&c, "tenant: {name: t, id: 7}\nuplink: {interface: eth0}\n"
	            "zones:\n  a: {vlan: 10, subnet: 10.0.10.0/24}\n");
	assert_null(strstr(c.text, "table bridge"));
	release(&c);
}

static void test_ipv6(void **state)
{
	struct compiled c;

	(void)state;
	compile(&c, HEAD "rules:\n  - {id: r1, from: internet, to: h1, allow: https}\n");
	assert_has(c.text, "0.0.0.0/0 . 10.0.10.5 . tcp . 443 comment \"r1\"");
	assert_has(c.text, "::/0 . 2001:db8:a::5 . tcp . 443 comment \"r1\"");
	assert_has(c.text, "ip6 saddr . ip6 daddr . meta l4proto . th dport @internet.a.6p accept");
	/* A zone with IPv6 lets neighbour discovery reach the gateway. */
	assert_has(
	    c.text,
	    "\tchain in.a {\n\t\tct state established,related accept\n\t\tct state invalid drop\n"
	    "\t\tmeta l4proto icmpv6 icmpv6 type nd-router-solicit accept\n");
	release(&c);
}

static void test_publish_port_remap(void **state)
{
	struct compiled c;

	(void)state;
	compile(
	    &c, HEAD
	    "publish:\n  - {id: p1, address: 203.0.113.5, allow: http, host: h2, port: 8080}\n");
	assert_has(c.text,
	           "iifname \"eth0\" ip daddr 203.0.113.5 meta l4proto tcp th dport 80 dnat ip to "
	           "10.0.20.5:8080 comment \"p1 t.yaml:11\"");
	assert_has(c.text, "0.0.0.0/0 . 10.0.20.5 . tcp . 8080 comment \"p1\"");
	release(&c);
}

static void test_egress_snat_and_masquerade(void **state)
{
	struct compiled c;

	(void)state;
	compile(&c, HEAD "egress:\n  - {id: e1, from: a, allow: https, snat: 203.0.113.5}\n"
	                 "  - {id: e2, from: h2}\n");
	assert_has(
	    c.text,
	    "oifname \"eth0\" ip saddr 10.0.10.0/24 meta l4proto tcp th dport 443 snat ip to "
	    "203.0.113.5 comment "
	    "\"e1 t.yaml:11\"");
	assert_has(c.text,
	           "oifname \"eth0\" ip saddr 10.0.20.5 masquerade comment \"e2 t.yaml:12\"");
	assert_has(c.text, "10.0.20.5 . 0.0.0.0/0 . 0-255 comment \"e2\"");
	release(&c);
}

static void test_groups_nested(void **state)
{
	struct compiled c;

	(void)state;
	compile(&c, HEAD "groups:\n  inner: [h2]\n  outer: [inner, h3]\n"
	                 "rules:\n  - {id: r1, from: h1, to: outer, allow: ssh}\n");
	assert_has(c.text, "10.0.10.5 . 10.0.20.5 . tcp . 22 comment \"r1\",\n");
	assert_has(c.text, "10.0.10.5 . 10.0.20.6 . tcp . 22 comment \"r1\"\n");
	release(&c);
}

static void test_vpn_auto_address(void **state)
{
	struct compiled c;

	(void)state;
	compile(&c, HEAD
	        "vpn:\n  listen_port: 51820\n  pool: 10.99.0.0/24\n  users:\n"
	        "    u1: {address: 10.99.0.2}\n    u2: {address: auto}\n    u3: {address: auto}\n"
	        "rules:\n  - {id: r1, from: vpn:u3, to: h1, allow: ssh}\n");
	/* .1 is the firewall, .2 is u1: u2 gets .3 and u3 .4. */
	assert_string_equal(c.p->tenants[0].vpn.users[1].addr.a[3] == 3 ? "ok" : "bad", "ok");
	assert_has(c.text, "10.99.0.4 . 10.0.10.5 . tcp . 22 comment \"r1\"");
	assert_has(c.text, "\"wg-t\" . \"vlan10\" : jump vpn.a");
	assert_has(c.text, "iifname \"eth0\" meta l4proto udp th dport 51820 accept");
	release(&c);
}

static void test_warnings(void **state)
{
	struct compiled c;

	(void)state;
	compile(&c, HEAD "rules:\n"
	                 "  - {id: wide, from: a, to: b, allow: any}\n"
	                 "  - {id: some, from: h1, to: h2, allow: ssh}\n"
	                 "  - {id: self, from: h2, to: h2, allow: ssh}\n");
	assert_string_equal(c.diags, "t.yaml:12:5: warning: rule 'some' is shadowed by 'wide' "
	                             "(line 11): everything it allows is already allowed\n"
	                             "t.yaml:13:5: warning: rule 'self' can never match: a host "
	                             "does not reach itself through the firewall\n");
	release(&c);
}

static void test_multi_tenant_base(void **state)
{
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	char path[4096];
	const char *paths[] = {path};

	(void)state;
	snprintf(path, sizeof(path), "%s/templates", tu_source_dir());
	assert_int_equal(policy_load_paths(paths, 1, &d, &p), 0);
	assert_int_equal(p->n_tenants, 4);
	assert_string_equal(p->tenants[0].name, "acme"); /* sorted by name */
	assert_int_equal(plan_compile(p, &d, &plan), 0);
	const struct fw_plan_table *base = plan_find_table(plan, FW_FAMILY_INET, "fwd_base");
	assert_non_null(base);
	const struct fw_plan_set *ifs = plan_find_set(base, "ifaces");
	/* 3 + 2 + 1 + 3 zones and 3 VPN interfaces */
	assert_int_equal(ifs->n_elems, 12);
	assert_non_null(plan_find_table(plan, FW_FAMILY_BRIDGE, "fwd_acme_l2"));
	plan_free(plan);
	policy_free(p);
	fw_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forward_pair),
	    cmocka_unit_test(test_exact_and_interval_sets),
	    cmocka_unit_test(test_counter_and_log),
	    cmocka_unit_test(test_isolation_bridge),
	    cmocka_unit_test(test_no_isolation_no_bridge_table),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_publish_port_remap),
	    cmocka_unit_test(test_egress_snat_and_masquerade),
	    cmocka_unit_test(test_groups_nested),
	    cmocka_unit_test(test_vpn_auto_address),
	    cmocka_unit_test(test_warnings),
	    cmocka_unit_test(test_multi_tenant_base),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
