// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The L2 side of a policy: the bridges, ports and VLANs of the plan
 * (fwd/l2plan.h) and their text, the tenant's bridge table (ports, DHCP and
 * router advertisement guard, isolated zones), routed isolation in the inet
 * table, the appliance-wide checks of bridges, trunks and ports, and the L2
 * part of a change's diff. Exact text everywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/change.h"
#include "fwd/explain.h"
#include "fwd/plan.h"
#include "fwd/policy.h"
#include "testutil.h"

/* A bridged tenant: a trunk, access ports in an isolated zone (with a DHCP
 * server and a router) and in an open one. */
static const char LAB[] =
    "tenant: {name: lab, id: 7}\n"
    "uplink: {interface: eth0, addresses: [203.0.113.5]}\n"
    "trunk: eth1\n"
    "zones:\n"
    "  a:\n"
    "    vlan: 10\n"
    "    subnet: 10.0.10.0/24\n"
    "    subnet6: 2001:db8:a::/64\n"
    "    isolate: true\n"
    "    ports: [tap-a2, tap-a1]\n"
    "    allow_dhcp_server: dhcp\n"
    "    allow_ra: dhcp\n"
    "  b: {vlan: 20, subnet: 10.0.20.0/24, ports: tap-b}\n"
    "hosts:\n"
    "  dhcp: {zone: a, address: 10.0.10.2, address6: 2001:db8:a::2, mac: 52:54:00:00:00:02}\n"
    "  h1: {zone: a, address: 10.0.10.5, address6: 2001:db8:a::5}\n"
    "  h2: {zone: a, address: 10.0.10.6, address6: 2001:db8:a::6}\n"
    "rules:\n"
    "  - {id: r1, from: h1, to: h2, allow: ssh}\n";

/* The same zones without trunk or ports: plain per-zone bridges (the
 * namespace lab), no bridge of the tenant's own. */
static const char PLAIN[] =
    "tenant: {name: lab, id: 7}\n"
    "uplink: {interface: eth0, addresses: [203.0.113.5]}\n"
    "zones:\n"
    "  a: {vlan: 10, subnet: 10.0.10.0/24, subnet6: 2001:db8:a::/64, isolate: true}\n"
    "hosts:\n"
    "  h1: {zone: a, address: 10.0.10.5, address6: 2001:db8:a::5}\n"
    "  h2: {zone: a, address: 10.0.10.6, address6: 2001:db8:a::6}\n"
    "rules:\n"
    "  - {id: r1, from: h1, to: h2, allow: ssh}\n";

struct compiled {
	struct fw_diags d;
	struct fw_policy *p;
	struct fw_plan *plan;
};

static void compile_n(struct compiled *c, const struct fw_policy_source *src, size_t n)
{
	memset(c, 0, sizeof(*c));
	int r = policy_load_buffers(src, n, &c->d, &c->p);
	if (r != 0) {
		char *t = tu_diags_text(&c->d);
		fprintf(stderr, "%s", t);
		free(t);
	}
	assert_int_equal(r, 0);
	assert_int_equal(plan_compile(c->p, &c->d, &c->plan), 0);
}

static void compile(struct compiled *c, const char *yaml)
{
	struct fw_policy_source s = {"t.yaml", yaml, strlen(yaml)};

	compile_n(c, &s, 1);
}

static void release(struct compiled *c)
{
	plan_free(c->plan);
	policy_free(c->p);
	fw_diags_free(&c->d);
}

static char *table_text(const struct compiled *c, enum fw_family fam, const char *name)
{
	const struct fw_plan_table *t = plan_find_table(c->plan, fam, name);

	assert_non_null(t);
	return plan_render_table(t);
}

/* Everything between "\tchain NAME {" and its closing "\t}". */
static char *chain_text(const char *table, const char *name)
{
	char head[160];
	const char *s, *e;

	snprintf(head, sizeof(head), "\tchain %s {\n", name);
	s = strstr(table, head);
	assert_non_null(s);
	e = strstr(s, "\n\t}\n");
	assert_non_null(e);
	return strndup(s, (size_t)(e - s) + 4);
}

#define assert_has(hay, needle)                                                                    \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("missing:\n%s\nin:\n%s", (needle), (hay));                        \
	} while (0)

static void test_plan(void **state)
{
	struct compiled c;
	const struct fw_l2_bridge *b;
	char *text;

	(void)state;
	compile(&c, LAB);
	assert_int_equal(c.plan->l2.n_bridges, 1);
	b = &c.plan->l2.bridges[0];
	assert_string_equal(b->name, "br-lab");
	assert_string_equal(b->tenant, "lab");
	assert_int_equal(b->n_ports, 4);
	/* sorted by name; the trunk has no pvid; ports of isolated zones are isolated */
	assert_string_equal(b->ports[0].ifname, "eth1");
	assert_int_equal(b->ports[0].pvid, 0);
	assert_false(b->ports[0].isolated);
	assert_int_equal(b->ports[0].loc.line, 3);
	assert_int_equal(b->ports[0].loc.col, 8);
	assert_string_equal(b->ports[1].ifname, "tap-a1");
	assert_int_equal(b->ports[1].pvid, 10);
	assert_true(b->ports[1].isolated);
	assert_int_equal(b->ports[1].loc.line, 10);
	assert_int_equal(b->ports[1].loc.col, 21);
	assert_string_equal(b->ports[3].ifname, "tap-b");
	assert_int_equal(b->ports[3].pvid, 20);
	assert_false(b->ports[3].isolated);
	assert_int_equal(b->n_vlans, 2);
	assert_int_equal(b->vlans[0].vid, 10);
	assert_string_equal(b->vlans[0].zone, "a");
	assert_string_equal(b->vlans[0].ifname, "vlan10");
	assert_true(b->vlans[0].has_gw4 && b->vlans[0].has_gw6);
	assert_int_equal(b->vlans[0].gw4.len, 24);
	assert_int_equal(b->vlans[0].gw6.len, 64);
	assert_true(b->vlans[0].proxy_arp);
	assert_false(b->vlans[1].proxy_arp);
	assert_false(b->vlans[1].has_gw6);

	text = plan_render_l2(&c.plan->l2, NULL);
	assert_string_equal(text,
	                    "bridge br-lab vlan_filtering 1\n"
	                    "\tport eth1 trunk vlans 10,20\n"
	                    "\tport tap-a1 access vlan 10 isolated\n"
	                    "\tport tap-a2 access vlan 10 isolated\n"
	                    "\tport tap-b access vlan 20\n"
	                    "\tvlan 10 a gateway vlan10 10.0.10.1/24 2001:db8:a::1/64 proxy-arp\n"
	                    "\tvlan 20 b gateway vlan20 10.0.20.1/24\n");
	free(text);
	text = plan_render_l2(&c.plan->l2, "other");
	assert_string_equal(text, "");
	free(text);
	release(&c);

	compile(&c, PLAIN);
	assert_int_equal(c.plan->l2.n_bridges, 0);
	text = plan_render_l2(&c.plan->l2, NULL);
	assert_string_equal(text, "");
	free(text);
	release(&c);
}

/* The templates: one bridge per tenant, each on its own trunk. */
static void test_templates(void **state)
{
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	char path[4096], *text;
	const char *paths[] = {path};

	(void)state;
	snprintf(path, sizeof(path), "%s/templates", tu_source_dir());
	assert_int_equal(policy_load_paths(paths, 1, &d, &p), 0);
	assert_int_equal(plan_compile(p, &d, &plan), 0);
	text = plan_render_l2(&plan->l2, "acme");
	assert_string_equal(text, "bridge br-acme vlan_filtering 1\n"
	                          "\tport eth1 trunk vlans 110,120,130\n"
	                          "\tvlan 110 dmz gateway vlan110 10.10.110.1/24 proxy-arp\n"
	                          "\tvlan 120 servers gateway vlan120 10.10.120.1/24 proxy-arp\n"
	                          "\tvlan 130 office gateway vlan130 10.10.130.1/24\n");
	free(text);
	/* gateway: 10.20.30.254, the subnet's prefix length */
	text = plan_render_l2(&plan->l2, "shop");
	assert_has(text, "\tvlan 230 ops gateway vlan230 10.20.30.254/24\n");
	assert_has(text,
	           "\tvlan 210 web gateway vlan210 10.20.10.1/24 2001:db8:20:10::1/64 proxy-arp\n");
	free(text);
	assert_int_equal(plan->l2.n_bridges, 4);
	assert_string_equal(plan->l2.bridges[0].name, "br-acme");
	assert_string_equal(plan->l2.bridges[1].name, "br-branch");
	assert_string_equal(plan->l2.bridges[2].name, "br-roam");
	assert_string_equal(plan->l2.bridges[3].name, "br-shop");
	assert_non_null(l2_plan_find(&plan->l2, "br-roam"));
	assert_null(l2_plan_find(&plan->l2, "br-none"));
	plan_free(plan);
	policy_free(p);
	fw_diags_free(&d);
}

static void test_bridge_table(void **state)
{
	struct compiled c;
	char *text;

	(void)state;
	compile(&c, LAB);
	text = table_text(&c, FW_FAMILY_BRIDGE, "fwd_lab_l2");
	assert_string_equal(
	    text,
	    "table bridge fwd_lab_l2 {\n"
	    "\tset ports {\n"
	    "\t\ttype ifname\n"
	    "\t\telements = {\n"
	    "\t\t\t\"eth1\",\n"
	    "\t\t\t\"tap-a1\",\n"
	    "\t\t\t\"tap-a2\",\n"
	    "\t\t\t\"tap-b\"\n"
	    "\t\t}\n"
	    "\t}\n"
	    "\n"
	    "\tmap iso.ports {\n"
	    "\t\ttype ifname : verdict\n"
	    "\t\telements = {\n"
	    "\t\t\t\"tap-a1\" : jump iso.a,\n"
	    "\t\t\t\"tap-a2\" : jump iso.a\n"
	    "\t\t}\n"
	    "\t}\n"
	    "\n"
	    "\tset a.4px {\n"
	    "\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service\n"
	    "\t\tcounter\n"
	    "\t\telements = {\n"
	    "\t\t\t10.0.10.5 . 10.0.10.6 . tcp . 22 comment \"r1\"\n"
	    "\t\t}\n"
	    "\t}\n"
	    "\n"
	    "\tset a.6px {\n"
	    "\t\ttype ipv6_addr . ipv6_addr . inet_proto . inet_service\n"
	    "\t\tcounter\n"
	    "\t\telements = {\n"
	    "\t\t\t2001:db8:a::5 . 2001:db8:a::6 . tcp . 22 comment \"r1\"\n"
	    "\t\t}\n"
	    "\t}\n"
	    "\n"
	    "\tchain antispoof {\n"
	    "\t\ttype filter hook prerouting priority filter; policy accept;\n"
	    "\t\tip saddr 10.0.10.2 ether saddr != 52:54:00:00:00:02 drop comment \"dhcp "
	    "t.yaml:15\"\n"
	    "\t\tether saddr 52:54:00:00:00:02 ip saddr != 10.0.10.2 ip saddr != 0.0.0.0 drop "
	    "comment \"dhcp t.yaml:15\"\n"
	    "\t\tmeta protocol arp arp saddr ip 10.0.10.2 ether saddr != 52:54:00:00:00:02 drop "
	    "comment \"dhcp "
	    "t.yaml:15\"\n"
	    "\t\tmeta protocol arp ether saddr 52:54:00:00:00:02 arp saddr ip != 10.0.10.2 arp "
	    "saddr ip != 0.0.0.0 "
	    "drop comment \"dhcp t.yaml:15\"\n"
	    "\t\tip6 saddr 2001:db8:a::2 ether saddr != 52:54:00:00:00:02 drop comment \"dhcp "
	    "t.yaml:15\"\n"
	    "\t\tether saddr 52:54:00:00:00:02 ip6 saddr != 2001:db8:a::2 ip6 saddr != :: ip6 "
	    "saddr != fe80::/10 drop comment \"dhcp t.yaml:15\"\n"
	    "\t\tiifname @ports ether saddr 52:54:00:00:00:02 meta l4proto udp th sport 67 th "
	    "dport 68 accept comment \"dhcp t.yaml:15\"\n"
	    "\t\tiifname @ports meta l4proto udp th sport 67 th dport 68 counter drop comment "
	    "\"default.deny t.yaml:1\"\n"
	    "\t\tiifname @ports ether saddr 52:54:00:00:00:02 meta l4proto udp th sport 547 th "
	    "dport 546 accept comment \"dhcp t.yaml:15\"\n"
	    "\t\tiifname @ports meta l4proto udp th sport 547 th dport 546 counter drop comment "
	    "\"default.deny t.yaml:1\"\n"
	    "\t\tiifname @ports ether saddr 52:54:00:00:00:02 meta l4proto icmpv6 icmpv6 type "
	    "nd-router-advert accept comment \"dhcp t.yaml:15\"\n"
	    "\t\tiifname @ports meta l4proto icmpv6 icmpv6 type nd-router-advert counter drop "
	    "comment \"default.deny t.yaml:1\"\n"
	    "\t}\n"
	    "\n"
	    "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter; policy accept;\n"
	    "\t\tiifname vmap @iso.ports\n"
	    "\t\toifname vmap @iso.ports\n"
	    "\t\tip daddr 10.0.10.0/24 jump iso.a\n"
	    "\t\tip6 daddr 2001:db8:a::/64 jump iso.a\n"
	    "\t}\n"
	    "\n"
	    "\tchain iso.a {\n"
	    "\t\tip saddr . ip daddr . meta l4proto . th dport @a.4px accept\n"
	    "\t\tmeta l4proto tcp th dport 1024-65535 ip daddr . ip saddr . meta l4proto . th "
	    "sport @a.4px tcp flags & (syn | ack) != syn accept\n"
	    "\t\tmeta l4proto udp th dport 1024-65535 ip daddr . ip saddr . meta l4proto . th "
	    "sport @a.4px accept\n"
	    "\t\tip6 saddr . ip6 daddr . meta l4proto . th dport @a.6px accept\n"
	    "\t\tmeta l4proto tcp th dport 1024-65535 ip6 daddr . ip6 saddr . meta l4proto . th "
	    "sport @a.6px tcp flags & (syn | ack) != syn accept\n"
	    "\t\tmeta l4proto udp th dport 1024-65535 ip6 daddr . ip6 saddr . meta l4proto . th "
	    "sport @a.6px accept\n"
	    "\t\tmeta l4proto udp th sport 68 th dport 67 accept\n"
	    "\t\tmeta l4proto udp th sport 546 th dport 547 accept\n"
	    "\t\tether saddr 52:54:00:00:00:02 meta l4proto udp th sport 67 th dport 68 accept "
	    "comment \"dhcp t.yaml:15\"\n"
	    "\t\tether saddr 52:54:00:00:00:02 meta l4proto udp th sport 547 th dport 546 accept "
	    "comment \"dhcp t.yaml:15\"\n"
	    "\t\tmeta l4proto icmpv6 icmpv6 type nd-router-solicit accept\n"
	    "\t\tether saddr 52:54:00:00:00:02 meta l4proto icmpv6 icmpv6 type nd-router-advert "
	    "accept comment \"dhcp t.yaml:15\"\n"
	    "\t\tcounter drop comment \"default.deny t.yaml:1\"\n"
	    "\t}\n"
	    "}\n");
	free(text);
	release(&c);
}

/* Without a bridge of its own (plain per-zone bridges): the zone's filter
 * by destination as before, ND between hosts allowed (they find each other
 * directly), no ports, no DHCP/RA guard. */
static void test_plain_bridges(void **state)
{
	struct compiled c;
	char *text;

	(void)state;
	compile(&c, PLAIN);
	text = table_text(&c, FW_FAMILY_BRIDGE, "fwd_lab_l2");
	assert_null(strstr(text, "ports"));
	assert_null(strstr(text, "antispoof"));
	assert_has(text, "\tchain forward {\n"
	                 "\t\ttype filter hook forward priority filter; policy accept;\n"
	                 "\t\tip daddr 10.0.10.0/24 jump iso.a\n"
	                 "\t\tip6 daddr 2001:db8:a::/64 jump iso.a\n"
	                 "\t}\n");
	assert_has(text, "\tchain iso.a {\n"
	                 "\t\tmeta l4proto icmpv6 icmpv6 type nd-router-solicit accept\n"
	                 "\t\tmeta l4proto icmpv6 icmpv6 type nd-router-advert accept\n"
	                 "\t\tmeta l4proto icmpv6 icmpv6 type nd-neighbor-solicit accept\n"
	                 "\t\tmeta l4proto icmpv6 icmpv6 type nd-neighbor-advert accept\n"
	                 "\t\tip saddr . ip daddr . meta l4proto . th dport @a.4px accept\n");
	free(text);
	release(&c);
}

/* Hosts of an isolated zone routed through its gateway (proxy ARP) meet the
 * zone's allowlist in the inet forward chain, statefully. */
static void test_routed_isolation(void **state)
{
	struct compiled c;
	struct fw_diags d = {0};
	struct fw_explain ex;
	char *text, *chain;

	(void)state;
	compile(&c, LAB);
	text = table_text(&c, FW_FAMILY_INET, "fwd_lab");
	assert_has(text, "\t\t\t\"vlan10\" . \"vlan10\" : jump a.a\n");
	chain = chain_text(text, "a.a");
	assert_string_equal(chain,
	                    "\tchain a.a {\n"
	                    "\t\tip saddr . ip daddr . meta l4proto . th dport @a.a.4px accept\n"
	                    "\t\tip6 saddr . ip6 daddr . meta l4proto . th dport @a.a.6px accept\n"
	                    "\t}\n");
	assert_has(text, "\tset a.a.4px {\n"
	                 "\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service\n"
	                 "\t\tcounter\n"
	                 "\t\telements = {\n"
	                 "\t\t\t10.0.10.5 . 10.0.10.6 . tcp . 22 comment \"r1\"\n"
	                 "\t\t}\n"
	                 "\t}\n");
	/* the open zone b has no rules inside: no pair */
	assert_null(strstr(text, "\"vlan20\" . \"vlan20\""));
	free(chain);
	free(text);

	assert_int_equal(policy_explain(c.p, c.plan, "h1", "h2", "ssh", &d, &ex), 0);
	assert_true(ex.allowed);
	assert_string_equal(ex.ports[0].path,
	                    "forward lab: inside isolated zone a, routed by its gateway");
	assert_string_equal(ex.ports[0].eval.table, "fwd_lab");
	assert_string_equal(ex.ports[0].eval.chain, "a.a");
	assert_string_equal(ex.ports[0].eval.origin.id, "r1");
	assert_int_equal(policy_explain(c.p, c.plan, "h2", "h1", "ssh", &d, &ex), 0);
	assert_false(ex.allowed);
	assert_string_equal(ex.ports[0].eval.chain, "forward");
	assert_string_equal(ex.ports[0].eval.origin.id, FW_ORIGIN_DEFAULT_DENY);
	release(&c);

	/* plain bridges: the bridge decides */
	compile(&c, PLAIN);
	assert_int_equal(policy_explain(c.p, c.plan, "h1", "h2", "ssh", &d, &ex), 0);
	assert_true(ex.allowed);
	assert_string_equal(ex.ports[0].path, "bridge lab: inside isolated zone a");
	assert_string_equal(ex.ports[0].eval.table, "fwd_lab_l2");
	release(&c);
	fw_diags_free(&d);
}

/* Load several files as one appliance; the diagnostics, exactly. */
static char *check_n(const char *a, const char *b)
{
	struct fw_policy_source src[] = {{"a.yaml", a, strlen(a)},
	                                 {"b.yaml", b, b ? strlen(b) : 0}};
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	int r = policy_load_buffers(src, b ? 2 : 1, &d, &p);
	char *text = tu_diags_text(&d);

	if (r == 0)
		assert_string_equal(text, "");
	else
		assert_null(p);
	policy_free(p);
	fw_diags_free(&d);
	return text;
}

#define TENANT(name, id, trunk, zones)                                                             \
	"tenant: {name: " name ", id: " id "}\n"                                                   \
	"uplink: {interface: eth0}\n" trunk "zones:\n" zones

static void diags_are(const char *a, const char *b, const char *want)
{
	char *got = check_n(a, b);

	assert_string_equal(got, want);
	free(got);
}

static void test_checks(void **state)
{
	(void)state;
	/* The same VLAN in two tenants, each on its own trunk: fine once the
	 * gateways have their own names. */
	diags_are(TENANT("acme", "1", "trunk: eth1\n", "  dmz: {vlan: 110, subnet: 10.1.0.0/24}\n"),
	          TENANT("shop", "2", "trunk: eth2\n",
	                 "  dmz: {vlan: 110, subnet: 10.2.0.0/24, interface: shop110}\n"),
	          "");
	/* ... the default names clash */
	diags_are(TENANT("acme", "1", "trunk: eth1\n", "  dmz: {vlan: 110, subnet: 10.1.0.0/24}\n"),
	          TENANT("shop", "2", "trunk: eth2\n", "  dmz: {vlan: 110, subnet: 10.2.0.0/24}\n"),
	          "b.yaml:5:3: error: interface 'vlan110' is already used by tenant acme "
	          "(a.yaml:5:3); give this zone's gateway another name with 'interface:'\n");
	/* one tenant, one VLAN per zone */
	diags_are(TENANT("acme", "1", "",
	                 "  dmz: {vlan: 110, subnet: 10.1.0.0/24}\n"
	                 "  lan: {vlan: 110, subnet: 10.1.1.0/24, interface: lan}\n"),
	          NULL, "a.yaml:5:3: error: VLAN 110 is already used by zone 'dmz' (4:3)\n");
	/* one trunk, one bridge */
	diags_are(TENANT("acme", "1", "trunk: eth1\n", "  dmz: {vlan: 110, subnet: 10.1.0.0/24}\n"),
	          TENANT("shop", "2", "trunk: eth1\n", "  dmz: {vlan: 210, subnet: 10.2.0.0/24}\n"),
	          "b.yaml:3:8: error: trunk 'eth1' is already the trunk of tenant 'acme' "
	          "(a.yaml:3:8); an interface is a port of one bridge only: give each tenant its "
	          "own trunk\n");
	/* bridge names from tenant names cut to 15 characters */
	diags_are(TENANT("customer-alpha1", "1", "trunk: eth1\n",
	                 "  dmz: {vlan: 110, subnet: 10.1.0.0/24}\n"),
	          TENANT("customer-alpha2", "2", "trunk: eth2\n",
	                 "  dmz: {vlan: 210, subnet: 10.2.0.0/24}\n"),
	          "b.yaml:1:16: error: the tenant's bridge 'br-customer-alp' is already the "
	          "bridge of tenant 'customer-alpha1' (a.yaml:1:16); bridge names are 'br-' and "
	          "the first 12 characters of the tenant name\n");
	/* ports against everything else of the appliance */
	diags_are(
	    TENANT("acme", "1", "trunk: eth1\n", "  dmz: {vlan: 110, subnet: 10.1.0.0/24}\n"),
	    TENANT("shop", "2", "",
	           "  dmz: {vlan: 210, subnet: 10.2.0.0/24, ports: [eth1, vlan110, br-acme]}\n"),
	    "b.yaml:4:49: error: interface 'eth1' (a port of zone 'dmz') is already the "
	    "trunk of tenant 'acme' (a.yaml:3:8)\n"
	    "b.yaml:4:55: error: interface 'vlan110' (a port of zone 'dmz') is already the "
	    "gateway interface of zone 'dmz' of tenant 'acme' (a.yaml:5:3)\n"
	    "b.yaml:4:64: error: interface 'br-acme' (a port of zone 'dmz') is already the "
	    "bridge of tenant 'acme' (a.yaml:1:16)\n");
	/* a tenant's own interfaces */
	diags_are(TENANT("acme", "1", "trunk: eth0\n",
	                 "  dmz: {vlan: 110, subnet: 10.1.0.0/24, ports: [vlan120, tap1]}\n"
	                 "  lan: {vlan: 120, subnet: 10.1.1.0/24}\n"),
	          NULL,
	          "a.yaml:3:8: error: interface 'eth0' (the trunk) is already the uplink (2:21)\n"
	          "a.yaml:5:49: error: interface 'vlan120' (a port of zone 'dmz') is already the "
	          "gateway interface of zone 'lan' (6:3)\n");
	/* the loader's: a port is in one zone, once, and not the uplink or trunk */
	diags_are(
	    TENANT("acme", "1", "trunk: eth1\n",
	           "  dmz: {vlan: 110, subnet: 10.1.0.0/24, ports: [tap1, eth0, eth1, 'tap 2']}\n"
	           "  lan: {vlan: 120, subnet: 10.1.1.0/24, ports: [tap3, tap1, tap3]}\n"),
	    NULL,
	    "a.yaml:5:55: error: ports: 'eth0' is the tenant's uplink\n"
	    "a.yaml:5:61: error: ports: 'eth1' is the tenant's trunk\n"
	    "a.yaml:5:67: error: ports: expected an interface name (1 to 15 of A-Z a-z 0-9 . - "
	    "_), found 'tap 2'\n"
	    "a.yaml:6:55: error: ports: 'tap1' is already a port of zone 'dmz' (5:49)\n"
	    "a.yaml:6:61: error: ports: 'tap3' is listed twice (first at 6:49)\n");
}

/* The kernel numbers a bridge's ports 1..1023. */
static void test_port_limit(void **state)
{
	size_t cap = 32 * 1024, len;
	char *y = malloc(cap), *got;

	(void)state;
	assert_non_null(y);
	len = (size_t)snprintf(y, cap, "%s",
	                       TENANT("acme", "1", "trunk: eth1\n",
	                              "  dmz: {vlan: 110, subnet: 10.1.0.0/24, "
	                              "ports: ["));
	for (int i = 0; i < 1023; i++)
		len += (size_t)snprintf(y + len, cap - len, "%sp%d", i ? ", " : "", i);
	snprintf(y + len, cap - len, "]}\n");
	got = check_n(y, NULL);
	assert_string_equal(got, "a.yaml:5:49: error: ports: the tenant's bridge would have more "
	                         "than 1023 ports (the kernel's limit)\n");
	free(got);
	/* 1022 and the trunk: the limit itself */
	strcpy(strstr(y, ", p1022]"), "]}\n");
	got = check_n(y, NULL);
	assert_string_equal(got, "");
	free(got);
	free(y);
}

/* fwctl diff: a bridge's text, diffed like a table. */
static void test_diff(void **state)
{
	struct compiled o, n;
	struct fw_change *c = NULL;
	char *changed = malloc(sizeof(LAB) + 16);
	const char *l2;

	(void)state;
	/* zone a gets a third port, zone b loses its own */
	assert_non_null(changed);
	strcpy(changed, LAB);
	memcpy(strstr(changed, "[tap-a2, tap-a1]"), "[tap-a3, tap-a1]", 16);
	memcpy(strstr(changed, ", ports: tap-b}"), "}              ", 15);
	compile(&o, LAB);
	compile(&n, changed);
	assert_int_equal(fw_change_compute(o.p, o.plan, n.p, n.plan, "old", "new", &c), 0);
	l2 = strstr(c->ruleset_diff, "--- br-lab (old)\n");
	assert_non_null(l2);
	assert_string_equal(l2,
	                    "--- br-lab (old)\n"
	                    "+++ br-lab (new)\n"
	                    "@@ -1,7 +1,6 @@\n"
	                    " bridge br-lab vlan_filtering 1\n"
	                    " \tport eth1 trunk vlans 10,20\n"
	                    " \tport tap-a1 access vlan 10 isolated\n"
	                    "-\tport tap-a2 access vlan 10 isolated\n"
	                    "-\tport tap-b access vlan 20\n"
	                    "+\tport tap-a3 access vlan 10 isolated\n"
	                    " \tvlan 10 a gateway vlan10 10.0.10.1/24 2001:db8:a::1/64 proxy-arp\n"
	                    " \tvlan 20 b gateway vlan20 10.0.20.1/24\n");
	assert_int_equal(c->n_tenants, 1);
	assert_string_equal(c->tenants[0], "lab");
	fw_change_free(c);
	/* the bridge goes away with the tenant */
	assert_int_equal(fw_change_compute(o.p, o.plan, NULL, NULL, "old", "new", &c), 0);
	assert_has(c->ruleset_diff, "--- br-lab (old)\n+++ br-lab (new)\n@@ -1,7 +0,0 @@\n"
	                            "-bridge br-lab vlan_filtering 1\n");
	fw_change_free(c);
	release(&o);
	release(&n);
	free(changed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan),
	    cmocka_unit_test(test_templates),
	    cmocka_unit_test(test_bridge_table),
	    cmocka_unit_test(test_plain_bridges),
	    cmocka_unit_test(test_routed_isolation),
	    cmocka_unit_test(test_checks),
	    cmocka_unit_test(test_port_limit),
	    cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
