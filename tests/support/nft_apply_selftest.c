// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hand-built plans for tests/netns/nft_apply.sh, for what the templates do
 * not reach.
 *
 *   nft_apply_selftest render          the "kinds" plan as nft text
 *   nft_apply_selftest apply [--dump] [--dry-run]
 *                                      apply the "kinds" plan: every
 *                                      statement kind and selector, and the
 *                                      corners of nft's translation
 *                                      (dependencies, merged loads, prefixes,
 *                                      ranges, wildcards, register layout)
 *   nft_apply_selftest bad-jump        a rule jumps to a chain that does not
 *                                      exist: the kernel refuses the rule
 *   nft_apply_selftest bad-hook        a nat chain on the forward hook: the
 *                                      kernel refuses the chain
 *   nft_apply_selftest bad-elem        a map element jumps to a missing chain
 *   nft_apply_selftest bad-plan        a plan the backend cannot translate
 *                                      (refused before anything is sent)
 *   nft_apply_selftest delta           an element delta decided by digests
 *                                      and verified element by element, and
 *                                      a verification that must find the
 *                                      kernel differs (selftest_delta.c)
 *
 * Every apply reads back what it committed (nft_apply_opts.verify): a
 * difference from the plan is a warning on stderr, which the test refuses.
 * --stats prints what the apply did. With
 * FWD_SELFTEST_RACE=N in the environment, another "program" (a second
 * netlink socket) commits a table inet race_K right before each of the first
 * N batches is sent: the kernel must refuse the batch (the generation moved)
 * and the apply must start over, at most NFT_APPLY_ATTEMPTS times.
 *
 * The bad plans name only a table "fwd_selftest_bad", so the batch also
 * deletes every other fwd_ table: the kernel must refuse all of it.
 * Exit: 0 applied, 1 refused (diagnostics on stderr), 2 usage or no memory.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "fwd/plan.h"
#include "nft_batch.h"

#include "selftest_build.h"

static void inet_sets(struct fw_plan_table *t)
{
	struct fw_plan_set *s;
	struct fw_elem *e;

	s = set(t, "s4", false, false, KEYS(FW_KEY_IPV4));
	elem(s, "one", 10)->key[0] = ip4("192.0.2.1");
	elem(s, "two \"quoted\"", 11)->key[0] = ip4("192.0.2.2");
	elem(set(t, "s6", false, false, KEYS(FW_KEY_IPV6)), "six", 12)->key[0] = ip6("2001:db8::1");
	s = set(t, "sproto", false, false, KEYS(FW_KEY_PROTO));
	elem(s, "p", 13)->key[0] = u8(6);
	elem(s, NULL, 0)->key[0] = u8(17);
	s = set(t, "sport", false, false, KEYS(FW_KEY_PORT));
	elem(s, "ssh", 14)->key[0] = port(22);
	elem(s, "https", 15)->key[0] = port(443);
	set(t, "sif", false, false, KEYS(FW_KEY_IFNAME));
	elem(&t->sets[t->n_sets - 1], "if", 16)->key[0] = ifname("veth1");
	s = set(t, "c4", true, false, KEYS(FW_KEY_IPV4, FW_KEY_IPV4, FW_KEY_PROTO, FW_KEY_PORT));
	e = elem(s, "c4-a", 20);
	e->key[0] = prefix(ip4("10.0.0.0"), 8);
	e->key[1] = range(ip4("192.0.2.0"), ip4("192.0.2.9"));
	e->key[2] = u8(6);
	e->key[3] = range(port(1000), port(2000));
	e = elem(s, "c4-b", 21);
	e->key[0] = ip4("10.0.0.0") /* disjoint from c4-a by the protocol */;
	e->key[0] = prefix(e->key[0], 0);
	e->key[1] = ip4("198.51.100.1");
	e->key[2] = u8(17);
	e->key[3] = port(53);
	s = set(t, "c6", true, false, KEYS(FW_KEY_IPV6, FW_KEY_IPV6, FW_KEY_PROTO, FW_KEY_PORT));
	e = elem(s, "c6", 22);
	e->key[0] = prefix(ip6("2001:db8:1::"), 48);
	e->key[1] = ip6("2001:db8:2::1");
	e->key[2] = u8(6);
	e->key[3] = port(443);
	s = set(t, "c4a", true, false, KEYS(FW_KEY_IPV4, FW_KEY_PROTO));
	e = elem(s, "any", 23);
	e->key[0] = prefix(ip4("10.1.0.0"), 16);
	e->key[1] = range(u8(0), u8(255));
	s = set(t, "h2", false, false, KEYS(FW_KEY_IPV4, FW_KEY_PORT));
	e = elem(s, "h2", 24);
	e->key[0] = ip4("192.0.2.7");
	e->key[1] = port(8080);
	s = set(t, "hproto", false, false, KEYS(FW_KEY_IFNAME, FW_KEY_PROTO));
	e = elem(s, "hp", 25);
	e->key[0] = ifname("eth0");
	e->key[1] = u8(6);
	s = set(t, "m1", false, true, KEYS(FW_KEY_IFNAME, FW_KEY_IFNAME));
	e = elem(s, "m1-a", 26);
	e->key[0] = ifname("eth0");
	e->key[1] = ifname("eth1");
	e->verdict = FW_VERDICT_JUMP;
	snprintf(e->chain, sizeof(e->chain), "c_a");
	e = elem(s, "m1-b", 27);
	e->key[0] = ifname("eth1");
	e->key[1] = ifname("eth0");
	e->verdict = FW_VERDICT_GOTO;
	snprintf(e->chain, sizeof(e->chain), "c_b");
	s = set(t, "m2", false, true, KEYS(FW_KEY_IFNAME));
	e = elem(s, NULL, 0);
	e->key[0] = ifname("lo");
	e->verdict = FW_VERDICT_ACCEPT;
	e = elem(s, NULL, 0);
	e->key[0] = ifname("eth9");
	e->verdict = FW_VERDICT_DROP;
	e = elem(s, NULL, 0);
	e->key[0] = ifname("eth8");
	e->verdict = FW_VERDICT_RETURN;
}

static void inet_matches(struct fw_plan_chain *c)
{
	struct fw_plan_rule *r;

	r = rule(c, "rpf", 30);
	cmp(r, FW_SEL_FIB_RPF, false, (struct fw_val){0});
	verdict(r, FW_VERDICT_DROP, NULL);
	r = rule(c, "rpf-ok", 31);
	cmp(r, FW_SEL_FIB_RPF, true, (struct fw_val){0});
	stmt(r, FW_ST_COUNTER);
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, NULL, 0); /* icmpv6 alone: nfproto and l4proto dependencies */
	cmp(r, FW_SEL_ICMPV6_TYPE, false, u8(133));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "nd", 33);
	cmp(r, FW_SEL_NFPROTO, false, u8(10));
	cmp(r, FW_SEL_ICMPV6_TYPE, false, u8(135));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "v4", 34);
	cmp(r, FW_SEL_NFPROTO, false, u8(2));
	cmp(r, FW_SEL_IP_SADDR, false, prefix(ip4("10.0.0.0"), 8));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "syn", 35);
	cmp(r, FW_SEL_L4PROTO, false, u8(6));
	bits(r, FW_SEL_TCP_FLAGS, false, FW_TCP_SYN | FW_TCP_ACK, FW_TCP_SYN);
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "flags", 36);
	bits(r, FW_SEL_TCP_FLAGS, true, FW_TCP_FIN | FW_TCP_SYN | FW_TCP_RST | FW_TCP_ACK, 0);
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "prefix28", 37);
	cmp(r, FW_SEL_IP_SADDR, false, prefix(ip4("192.0.2.16"), 28));
	cmp(r, FW_SEL_IP_DADDR, true, ip4("198.51.100.7"));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "range", 38);
	cmp(r, FW_SEL_IP_SADDR, false, range(ip4("192.0.2.5"), ip4("192.0.2.9")));
	cmp(r, FW_SEL_IP_DADDR, true, range(ip4("192.0.2.5"), ip4("192.0.2.9")));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "six", 39);
	cmp(r, FW_SEL_IP6_SADDR, false, prefix(ip6("2001:db8::"), 32));
	cmp(r, FW_SEL_IP6_DADDR, false, ip6("::1"));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "six48", 40);
	cmp(r, FW_SEL_IP6_SADDR, true, prefix(ip6("2001:db8:1::"), 48));
	cmp(r, FW_SEL_IP6_DADDR, false, prefix(ip6("2001:db8:2::"), 63));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "pair", 41); /* adjacent, but nft keeps two 4-byte loads */
	cmp(r, FW_SEL_IP_SADDR, false, ip4("192.0.2.1"));
	cmp(r, FW_SEL_IP_DADDR, false, ip4("192.0.2.2"));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "ports", 42); /* adjacent 2-byte loads: nft merges them */
	cmp(r, FW_SEL_TH_SPORT, false, port(1));
	cmp(r, FW_SEL_TH_DPORT, false, port(2));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "notdns", 43);
	cmp(r, FW_SEL_L4PROTO, false, u8(17));
	cmp(r, FW_SEL_TH_DPORT, true, port(53));
	cmp(r, FW_SEL_TH_SPORT, false, range(port(1024), port(65535)));
	cmp(r, FW_SEL_TH_DPORT, true, range(port(1), port(19)));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "l4range", 44);
	cmp(r, FW_SEL_L4PROTO, false, range(u8(6), u8(17)));
	cmp(r, FW_SEL_L4PROTO, true, range(u8(7), u8(8)));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "ifaces", 45);
	cmp(r, FW_SEL_IIFNAME, false, ifname("eth*"));
	cmp(r, FW_SEL_OIFNAME, true, ifname("eth0"));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "any", 46);
	cmp(r, FW_SEL_IP_SADDR, false, prefix(ip4("0.0.0.0"), 0));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
}

static void inet_states(struct fw_plan_chain *c)
{
	struct fw_plan_rule *r;

	r = rule(c, NULL, 0);
	bits(r, FW_SEL_CT_STATE, true, FW_CT_ESTABLISHED | FW_CT_RELATED, 0);
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, NULL, 0);
	bits(r, FW_SEL_CT_STATE, true, FW_CT_INVALID, 0);
	verdict(r, FW_VERDICT_DROP, NULL);
	r = rule(c, "new", 50);
	bits(r, FW_SEL_CT_STATE, true, FW_CT_NEW, 0);
	bits(r, FW_SEL_CT_STATUS, true, FW_CT_STATUS_DNAT, 0);
	logs(r, "fwd:selftest:new \"q\" ");
	stmt(r, FW_ST_COUNTER);
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "nolog-prefix", 51);
	logs(r, NULL);
	verdict(r, FW_VERDICT_DROP, NULL);
}

static void inet_lookups(struct fw_plan_chain *c)
{
	struct fw_plan_rule *r;

	r = rule(c, "l1", 60);
	lookup(r, FW_ST_LOOKUP, "s4", false, SELS(FW_SEL_IP_SADDR));
	lookup(r, FW_ST_LOOKUP, "s4", true, SELS(FW_SEL_IP_DADDR));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "l2", 61);
	lookup(r, FW_ST_LOOKUP, "s6", false, SELS(FW_SEL_IP6_DADDR));
	lookup(r, FW_ST_LOOKUP, "sproto", false, SELS(FW_SEL_L4PROTO));
	lookup(r, FW_ST_LOOKUP, "sport", false, SELS(FW_SEL_TH_DPORT));
	lookup(r, FW_ST_LOOKUP, "sif", true, SELS(FW_SEL_OIFNAME));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "l3", 62);
	lookup(r, FW_ST_LOOKUP, "c4", false,
	       SELS(FW_SEL_IP_SADDR, FW_SEL_IP_DADDR, FW_SEL_L4PROTO, FW_SEL_TH_DPORT));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "l4", 63);
	lookup(r, FW_ST_LOOKUP, "c6", false,
	       SELS(FW_SEL_IP6_SADDR, FW_SEL_IP6_DADDR, FW_SEL_L4PROTO, FW_SEL_TH_DPORT));
	stmt(r, FW_ST_COUNTER);
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "l5", 64);
	lookup(r, FW_ST_LOOKUP, "c4a", false, SELS(FW_SEL_IP_DADDR, FW_SEL_L4PROTO));
	lookup(r, FW_ST_LOOKUP, "h2", false, SELS(FW_SEL_IP_SADDR, FW_SEL_TH_SPORT));
	lookup(r, FW_ST_LOOKUP, "hproto", false, SELS(FW_SEL_IIFNAME, FW_SEL_L4PROTO));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, NULL, 0);
	lookup(r, FW_ST_VMAP, "m1", false, SELS(FW_SEL_IIFNAME, FW_SEL_OIFNAME));
	r = rule(c, NULL, 0);
	lookup(r, FW_ST_VMAP, "m2", false, SELS(FW_SEL_OIFNAME));
	r = rule(c, "j", 65);
	cmp(r, FW_SEL_IIFNAME, false, ifname("eth3"));
	verdict(r, FW_VERDICT_JUMP, "c_a");
	r = rule(c, "g", 66);
	cmp(r, FW_SEL_IIFNAME, false, ifname("eth4"));
	verdict(r, FW_VERDICT_GOTO, "c_b");
}

static void inet_nat(struct fw_plan_table *t)
{
	struct fw_plan_chain *c = chain(t, "nat_pre", FW_HOOK_PREROUTING, FW_CHAIN_NAT, -100, 0);
	struct fw_plan_rule *r;

	r = rule(c, "dnat-port", 70);
	cmp(r, FW_SEL_IP_DADDR, false, ip4("203.0.113.1"));
	cmp(r, FW_SEL_L4PROTO, false, u8(6));
	cmp(r, FW_SEL_TH_DPORT, false, port(80));
	nat(r, FW_ST_DNAT, ip4("10.0.0.1"), 8080);
	r = rule(c, "dnat6-port", 71);
	cmp(r, FW_SEL_IP6_DADDR, false, ip6("2001:db8:ff::1"));
	cmp(r, FW_SEL_L4PROTO, false, u8(6));
	cmp(r, FW_SEL_TH_DPORT, false, port(443));
	nat(r, FW_ST_DNAT, ip6("2001:db8::2"), 8443);
	r = rule(c, "dnat", 72);
	cmp(r, FW_SEL_IP_DADDR, false, ip4("203.0.113.2"));
	nat(r, FW_ST_DNAT, ip4("10.0.0.2"), 0);
	c = chain(t, "nat_post", FW_HOOK_POSTROUTING, FW_CHAIN_NAT, 100, 0);
	r = rule(c, "masq", 73);
	cmp(r, FW_SEL_OIFNAME, false, ifname("eth0"));
	stmt(r, FW_ST_MASQ);
	r = rule(c, "snat", 74);
	cmp(r, FW_SEL_IP_SADDR, false, prefix(ip4("10.0.0.0"), 8));
	nat(r, FW_ST_SNAT, ip4("203.0.113.5"), 0);
	r = rule(c, "snat6", 75);
	cmp(r, FW_SEL_IP6_SADDR, false, prefix(ip6("2001:db8::"), 32));
	nat(r, FW_ST_SNAT, ip6("2001:db8:ff::5"), 0);
}

static void bridge_table(struct fw_plan *p)
{
	struct fw_plan_table *t = table(p, FW_FAMILY_BRIDGE, "fwd_selftest_l2");
	struct fw_plan_chain *c =
	    chain(t, "c_pre", FW_HOOK_PREROUTING, FW_CHAIN_FILTER, -200, FW_VERDICT_ACCEPT);
	struct fw_plan_set *s;
	struct fw_plan_rule *r;
	struct fw_elem *e;

	s = set(t, "c4", true, false, KEYS(FW_KEY_IPV4, FW_KEY_IPV4, FW_KEY_PROTO, FW_KEY_PORT));
	e = elem(s, "iso", 80);
	e->key[0] = ip4("10.2.0.1");
	e->key[1] = ip4("10.2.0.2");
	e->key[2] = u8(6);
	e->key[3] = port(1433);
	r = rule(c, "bind1", 81);
	cmp(r, FW_SEL_ETHER_SADDR, false, ether("52:54:00:00:00:01"));
	cmp(r, FW_SEL_IP_SADDR, true, ip4("10.2.0.1"));
	verdict(r, FW_VERDICT_DROP, NULL);
	r = rule(c, "bind2", 82);
	cmp(r, FW_SEL_IP_SADDR, false, ip4("10.2.0.1"));
	cmp(r, FW_SEL_ETHER_SADDR, true, ether("52:54:00:00:00:01"));
	verdict(r, FW_VERDICT_DROP, NULL);
	r = rule(c, "bind3", 83);
	cmp(r, FW_SEL_ARP_SADDR_IP, false, ip4("10.2.0.1"));
	cmp(r, FW_SEL_ETHER_SADDR, true, ether("52:54:00:00:00:01"));
	verdict(r, FW_VERDICT_DROP, NULL);
	r = rule(c, "bind4", 84); /* ether saddr and ether type: one 8-byte load */
	cmp(r, FW_SEL_ETHER_SADDR, false, ether("52:54:00:00:00:01"));
	cmp(r, FW_SEL_ARP_SADDR_IP, true, ip4("10.2.0.1"));
	verdict(r, FW_VERDICT_DROP, NULL);
	r = rule(c, "bind5", 85);
	cmp(r, FW_SEL_ETHER_SADDR, false, ether("52:54:00:00:00:02"));
	cmp(r, FW_SEL_ARP_SADDR_IP, false, prefix(ip4("10.3.0.0"), 16));
	verdict(r, FW_VERDICT_DROP, NULL);
	r = rule(c, "arp", 86);
	cmp(r, FW_SEL_PROTOCOL, false, be16(0x0806));
	cmp(r, FW_SEL_ARP_SADDR_IP, false, ip4("10.2.0.9"));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "ip6", 87);
	cmp(r, FW_SEL_PROTOCOL, false, be16(0x86dd));
	cmp(r, FW_SEL_IP6_SADDR, false, ip6("fe80::1"));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "echo6", 88); /* bridge: ether type ip6, then l4proto */
	cmp(r, FW_SEL_ICMPV6_TYPE, false, u8(128));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	c = chain(t, "forward", FW_HOOK_FORWARD, FW_CHAIN_FILTER, -200, FW_VERDICT_DROP);
	r = rule(c, "reply", 89);
	cmp(r, FW_SEL_L4PROTO, false, u8(6));
	cmp(r, FW_SEL_TH_DPORT, false, range(port(1024), port(65535)));
	lookup(r, FW_ST_LOOKUP, "c4", false,
	       SELS(FW_SEL_IP_DADDR, FW_SEL_IP_SADDR, FW_SEL_L4PROTO, FW_SEL_TH_SPORT));
	bits(r, FW_SEL_TCP_FLAGS, true, FW_TCP_SYN | FW_TCP_ACK, FW_TCP_SYN);
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	r = rule(c, "ethertype", 90);
	cmp(r, FW_SEL_PROTOCOL, true, be16(0x0800));
	stmt(r, FW_ST_COUNTER);
	verdict(r, FW_VERDICT_ACCEPT, NULL);
}

static struct fw_plan *kinds(void)
{
	struct fw_plan *p = alloc(1, sizeof(*p));
	struct fw_plan_table *t = table(p, FW_FAMILY_INET, "fwd_selftest");
	struct fw_plan_rule *r;
	struct fw_plan_chain *c;

	inet_sets(t);
	inet_matches(
	    chain(t, "c_pre", FW_HOOK_PREROUTING, FW_CHAIN_FILTER, -150, FW_VERDICT_ACCEPT));
	inet_states(chain(t, "c_fwd", FW_HOOK_FORWARD, FW_CHAIN_FILTER, 10, FW_VERDICT_DROP));
	inet_lookups(chain(t, "c_in", FW_HOOK_INPUT, FW_CHAIN_FILTER, 0, FW_VERDICT_ACCEPT));
	c = chain(t, "c_a", FW_HOOK_NONE, FW_CHAIN_FILTER, 0, 0);
	r = rule(c, "ret", 67);
	cmp(r, FW_SEL_IP_SADDR, false, ip4("1.2.3.4"));
	verdict(r, FW_VERDICT_RETURN, NULL);
	stmt(rule(c, NULL, 0), FW_ST_COUNTER);
	verdict(rule(chain(t, "c_b", FW_HOOK_NONE, FW_CHAIN_FILTER, 0, 0), NULL, 0),
	        FW_VERDICT_DROP, NULL);
	chain(t, "c_out", FW_HOOK_OUTPUT, FW_CHAIN_FILTER, 0, FW_VERDICT_ACCEPT);
	inet_nat(t);
	bridge_table(p);
	return p;
}

static struct fw_plan *bad(const char *what)
{
	struct fw_plan *p = alloc(1, sizeof(*p));
	struct fw_plan_table *t = table(p, FW_FAMILY_INET, "fwd_selftest_bad");
	struct fw_plan_chain *c =
	    chain(t, "forward", FW_HOOK_FORWARD, FW_CHAIN_FILTER, 0, FW_VERDICT_ACCEPT);
	struct fw_plan_rule *r = rule(c, "fine", 90);

	cmp(r, FW_SEL_IIFNAME, false, ifname("eth0"));
	verdict(r, FW_VERDICT_ACCEPT, NULL);
	if (!strcmp(what, "bad-jump")) {
		r = rule(c, "bad-jump", 91);
		cmp(r, FW_SEL_IIFNAME, false, ifname("eth1"));
		verdict(r, FW_VERDICT_JUMP, "nowhere");
	} else if (!strcmp(what, "bad-hook")) {
		/* nat chains have no forward hook */
		chain(t, "nat_fwd", FW_HOOK_FORWARD, FW_CHAIN_NAT, 0, 0);
	} else if (!strcmp(what, "bad-elem")) {
		struct fw_plan_set *s = set(t, "m", false, true, KEYS(FW_KEY_IFNAME));
		struct fw_elem *e = elem(s, "ok-elem", 92);

		e->key[0] = ifname("eth5");
		e->verdict = FW_VERDICT_ACCEPT;
		e = elem(s, "bad-elem", 93);
		e->key[0] = ifname("eth6");
		e->verdict = FW_VERDICT_JUMP;
		snprintf(e->chain, sizeof(e->chain), "nowhere");
		r = rule(c, NULL, 0);
		lookup(r, FW_ST_VMAP, "m", false, SELS(FW_SEL_IIFNAME));
	} else if (!strcmp(what, "bad-plan")) {
		/* refused before anything is sent: every reason is reported */
		r = rule(c, "conflict", 94);
		cmp(r, FW_SEL_IP_SADDR, false, ip4("10.0.0.1"));
		cmp(r, FW_SEL_IP6_DADDR, false, ip6("::1"));
		verdict(r, FW_VERDICT_ACCEPT, NULL);
		r = rule(c, "no-set", 95);
		lookup(r, FW_ST_LOOKUP, "missing", false, SELS(FW_SEL_IP_SADDR));
		verdict(r, FW_VERDICT_ACCEPT, NULL);
		set(t, "single", true, false, KEYS(FW_KEY_IPV4));
		elem(&t->sets[t->n_sets - 1], "single", 96)->key[0] = prefix(ip4("10.0.0.0"), 8);
	} else {
		plan_free(p);
		return NULL;
	}
	return p;
}

/* Somebody else's commit: table inet race_K, through our own socket. */
static void race(void *arg, unsigned attempt)
{
	const unsigned *races = arg;
	char buf[8192], name[32];
	struct mnl_socket *nl;
	struct mnl_nlmsg_batch *b;
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL);
	ssize_t n;

	if (attempt > *races)
		return;
	snprintf(name, sizeof(name), "race_%u", attempt);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	t = nftnl_table_alloc();
	check(nl && t && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0, "races (socket)");
	b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWTABLE, NFPROTO_INET,
	                            NLM_F_CREATE | NLM_F_ACK, seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	mnl_nlmsg_batch_next(b);
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq + 1);
	mnl_nlmsg_batch_next(b);
	check(mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) >= 0,
	      "races (send)");
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	check(n > 0 && mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), NULL, NULL) >= 0,
	      "races (the kernel refused race table)");
	mnl_nlmsg_batch_stop(b);
	nftnl_table_free(t);
	mnl_socket_close(nl);
}

int main(int argc, char **argv)
{
	struct nft_apply_stats st = {0};
	struct nft_apply_opts opts = {.verify = true};
	struct fw_diags d = {0};
	struct fw_plan *plan;
	const char *mode = argc > 1 ? argv[1] : "", *env = getenv("FWD_SELFTEST_RACE");
	unsigned races = env ? (unsigned)strtoul(env, NULL, 10) : 0;
	bool stats = false;
	int r;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--dump"))
			opts.dump = stdout;
		else if (!strcmp(argv[i], "--dry-run"))
			opts.dry_run = true;
		else if (!strcmp(argv[i], "--stats"))
			stats = true;
		else
			mode = "";
	}
	opts.stats = &st;
	if (races) {
		opts.before_send = race;
		opts.hook_arg = &races;
	}
	if (!strcmp(mode, "delta"))
		return selftest_delta(kinds(), kinds());
	if (!strcmp(mode, "render") || !strcmp(mode, "apply"))
		plan = kinds();
	else
		plan = bad(mode);
	if (!plan) {
		fprintf(stderr, "usage: nft_apply_selftest "
		                "render|apply|bad-jump|bad-hook|bad-elem|bad-plan|delta "
		                "[--dump] [--dry-run] [--stats]\n");
		return 2;
	}
	if (!strcmp(mode, "render")) {
		char *text = plan_render(plan);

		r = text ? 0 : -1;
		if (text)
			fputs(text, stdout);
		free(text);
	} else {
		r = nft_apply_plan(plan, &opts, &d);
		if (stats)
			printf("tables: %zu replaced, %zu unchanged, %zu deleted; attempts %u\n",
			       st.replaced, st.unchanged, st.deleted, st.attempts);
		for (size_t i = 0; i < d.n; i++) {
			char *s = fw_diag_format(&d.v[i]);
			fprintf(stderr, "%s\n", s ? s : "out of memory");
			free(s);
		}
	}
	plan_free(plan);
	fw_diags_free(&d);
	return r == 0 ? 0 : 1;
}
