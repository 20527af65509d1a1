// SPDX-License-Identifier: GPL-2.0-or-later
/* The tenant's bridge table: MAC bindings and isolated zones. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "fwd/l2plan.h"
#include "planbuild.h"
#include "util.h"

/* "SEL != ADDR SEL != (unspecified) [SEL != fe80::/10]": the host's own
 * address, and the ones a host uses before it has one or on the link only:
 * DHCP and ARP probes from 0.0.0.0, DAD from ::, ND and router
 * solicitations from its link-local address. None is routed. */
static void not_own(struct pb *b, struct fw_plan_rule *r, enum fw_sel sel, int fam,
                    const struct fw_val *a)
{
	struct fw_prefix unspec = {.family = fam ? 6 : 4, .len = fam ? 128 : 32};
	struct fw_prefix ll = {.family = 6, .len = 10, .a = {0xfe, 0x80}};
	struct fw_val u = val_prefix(&unspec), l = val_prefix(&ll);

	pb_cmp(b, r, sel, true, a);
	pb_cmp(b, r, sel, true, &u);
	if (fam)
		pb_cmp(b, r, sel, true, &l);
}

/* A host with a MAC in the policy sends only from that MAC, and that MAC
 * only from the host's addresses (IP and ARP), on any bridge port (in the
 * antispoof chain). */
static void emit_mac_binding(struct pb *b, const struct fw_tenant *t)
{
	struct fw_plan_rule *r;

	for (size_t i = 0; i < t->n_hosts; i++) {
		const struct fw_host *h = &t->hosts[i];
		struct fw_val mac = {.len = 6};
		struct fw_origin o = {.id = h->name, .loc = h->loc};

		if (!h->has_mac)
			continue;
		memcpy(mac.lo, h->mac, 6);
		memcpy(mac.hi, h->mac, 6);
		for (int fam = 0; fam < 2; fam++) {
			if (fam ? !h->has_addr6 : !h->has_addr4)
				continue;
			struct fw_val a = val_prefix(fam ? &h->addr6 : &h->addr4);
			enum fw_sel sa = fam ? FW_SEL_IP6_SADDR : FW_SEL_IP_SADDR;

			r = pb_rule(b, &o);
			pb_cmp(b, r, sa, false, &a);
			pb_cmp(b, r, FW_SEL_ETHER_SADDR, true, &mac);
			pb_verdict(b, r, FW_VERDICT_DROP, NULL);
			r = pb_rule(b, &o);
			pb_cmp(b, r, FW_SEL_ETHER_SADDR, false, &mac);
			not_own(b, r, sa, fam, &a);
			pb_verdict(b, r, FW_VERDICT_DROP, NULL);
			if (fam == 0) {
				/* `arp saddr ip` alone tests the ethertype at
				 * link offset 12, which holds 0x8100 on a frame
				 * from an 802.1Q trunk: match it by meta
				 * protocol, which sees through the tag. */
				struct fw_val arp = val_be16(0x0806);

				r = pb_rule(b, &o);
				pb_cmp(b, r, FW_SEL_PROTOCOL, false, &arp);
				pb_cmp(b, r, FW_SEL_ARP_SADDR_IP, false, &a);
				pb_cmp(b, r, FW_SEL_ETHER_SADDR, true, &mac);
				pb_verdict(b, r, FW_VERDICT_DROP, NULL);
				r = pb_rule(b, &o);
				pb_cmp(b, r, FW_SEL_PROTOCOL, false, &arp);
				pb_cmp(b, r, FW_SEL_ETHER_SADDR, false, &mac);
				not_own(b, r, FW_SEL_ARP_SADDR_IP, 0, &a);
				pb_verdict(b, r, FW_VERDICT_DROP, NULL);
			}
		}
	}
}

/* An isolated zone's lookups in one ports set NAME SUFFIX: the flow, and
 * its replies, but never a new TCP connection (SYN without ACK) from the
 * server side. */
static void iso_ports_rules(struct pb *b, int fam, const char *name, const char *suffix)
{
	/* Clients use ephemeral ports: a reply to a low port is not one. */
	struct fw_val tcp = val_u8(6), udp = val_u8(17), ephemeral = val_port_range(1024, 65535);
	char set[FW_OBJ_NAME_MAX + 1];
	struct fw_plan_rule *r;

	snprintf(set, sizeof(set), "%s%s", name, suffix);
	r = pb_rule(b, NULL);
	pb_lookup(b, r, fam ? SEL_FWD6P : SEL_FWD4P, 4, false, false, set);
	pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
	r = pb_rule(b, NULL);
	pb_cmp(b, r, FW_SEL_L4PROTO, false, &tcp);
	pb_cmp(b, r, FW_SEL_TH_DPORT, false, &ephemeral);
	pb_lookup(b, r, fam ? SEL_REV6P : SEL_REV4P, 4, false, false, set);
	pb_bits(b, r, FW_SEL_TCP_FLAGS, true, FW_TCP_SYN | FW_TCP_ACK, FW_TCP_SYN);
	pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
	r = pb_rule(b, NULL);
	pb_cmp(b, r, FW_SEL_L4PROTO, false, &udp);
	pb_cmp(b, r, FW_SEL_TH_DPORT, false, &ephemeral);
	pb_lookup(b, r, fam ? SEL_REV6P : SEL_REV4P, 4, false, false, set);
	pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
}

/* The same for a set without ports: the flow and its reversed tuple. */
static void iso_any_rules(struct pb *b, int fam, const char *name, const char *suffix)
{
	char set[FW_OBJ_NAME_MAX + 1];
	struct fw_plan_rule *r;

	snprintf(set, sizeof(set), "%s%s", name, suffix);
	r = pb_rule(b, NULL);
	pb_lookup(b, r, fam ? SEL_FWD6P : SEL_FWD4P, 3, false, false, set);
	pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
	r = pb_rule(b, NULL);
	pb_lookup(b, r, fam ? SEL_REV6P : SEL_REV4P, 3, false, false, set);
	pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
}

/* The messages of DHCP (v4, v6) and router discovery, by protocol and
 * ports or ICMPv6 type. */
struct l4msg {
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t icmp_type; /* proto 58 */
};
static const struct l4msg DHCP4_REPLY = {17, 67, 68, 0}, DHCP6_REPLY = {17, 547, 546, 0},
                          DHCP4_REQUEST = {17, 68, 67, 0}, DHCP6_REQUEST = {17, 546, 547, 0},
                          ROUTER_ADVERT = {58, 0, 0, 134}, ROUTER_SOLICIT = {58, 0, 0, 133};

/* "[iifname @ports] [ether saddr MAC] meta l4proto P th sport S th dport D"
 * (or "icmpv6 type T"), verdict to be added. */
static struct fw_plan_rule *msg_rule(struct pb *b, const struct fw_origin *o, bool on_ports,
                                     const uint8_t *mac, const struct l4msg *m)
{
	static const enum fw_sel sif[] = {FW_SEL_IIFNAME};
	struct fw_plan_rule *r = pb_rule(b, o);
	struct fw_val l4 = val_u8(m->proto);

	if (on_ports)
		pb_lookup(b, r, sif, 1, false, false, "ports");
	if (mac) {
		struct fw_val v = {.len = 6};

		memcpy(v.lo, mac, 6);
		memcpy(v.hi, mac, 6);
		pb_cmp(b, r, FW_SEL_ETHER_SADDR, false, &v);
	}
	pb_cmp(b, r, FW_SEL_L4PROTO, false, &l4);
	if (m->proto == 58) {
		struct fw_val ty = val_u8(m->icmp_type);
		pb_cmp(b, r, FW_SEL_ICMPV6_TYPE, false, &ty);
	} else {
		struct fw_val sp = val_be16(m->sport), dp = val_be16(m->dport);
		pb_cmp(b, r, FW_SEL_TH_SPORT, false, &sp);
		pb_cmp(b, r, FW_SEL_TH_DPORT, false, &dp);
	}
	return r;
}

/* "... ether saddr MAC ... accept" for each host a zone names. */
static void allowed_senders(struct pb *b, const struct fw_tenant *t, const struct fw_zone *zn,
                            bool on_ports, bool ra, const struct l4msg *m)
{
	const size_t *hs = ra ? zn->ra_senders : zn->dhcp_servers;
	size_t n = ra ? zn->n_ra_senders : zn->n_dhcp_servers;

	for (size_t i = 0; i < n; i++) {
		const struct fw_host *h = &t->hosts[hs[i]];
		struct fw_origin o = {.id = h->name, .loc = h->loc};

		pb_verdict(b, msg_rule(b, &o, on_ports, h->mac, m), FW_VERDICT_ACCEPT, NULL);
	}
}

/* The allowed senders' messages first (accept ends only this chain: the
 * MAC bindings above already ran), then everyone else's, counted and
 * logged like a default drop. */
static void guard_one(struct pb *b, const struct fw_tenant *t, bool ra, const struct l4msg *m,
                      const char *where)
{
	struct fw_origin deny = {.id = FW_ORIGIN_DEFAULT_DENY, .loc = t->loc};
	struct fw_plan_rule *r;

	for (size_t z = 0; z < t->n_zones; z++)
		allowed_senders(b, t, &t->zones[z], true, ra, m);
	r = msg_rule(b, &deny, true, NULL, m);
	pb_counter(b, r);
	if (t->log_denied) {
		char prefix[128];
		snprintf(prefix, sizeof(prefix), "fwd:%s:deny:%s ", t->name, where);
		pb_log(b, r, prefix);
	}
	pb_verdict(b, r, FW_VERDICT_DROP, NULL);
}

/* Hosts are clients: DHCP (v4 and v6) replies and router advertisements
 * that enter the tenant's bridge from a port are dropped, except from the
 * hosts the zone names (allow_dhcp_server, allow_ra) by their MAC. */
static void emit_guard(struct pb *b, const struct fw_tenant *t)
{
	guard_one(b, t, false, &DHCP4_REPLY, "dhcp-reply");
	guard_one(b, t, false, &DHCP6_REPLY, "dhcp6-reply");
	guard_one(b, t, true, &ROUTER_ADVERT, "router-advertisement");
}

/* An isolated zone on the tenant's bridge: its hosts ask (broadcast,
 * multicast) and its named servers answer, across the bridge. */
static void iso_services(struct pb *b, const struct fw_tenant *t, const struct fw_zone *zn)
{
	if (zn->n_dhcp_servers) {
		pb_verdict(b, msg_rule(b, NULL, false, NULL, &DHCP4_REQUEST), FW_VERDICT_ACCEPT,
		           NULL);
		pb_verdict(b, msg_rule(b, NULL, false, NULL, &DHCP6_REQUEST), FW_VERDICT_ACCEPT,
		           NULL);
		allowed_senders(b, t, zn, false, false, &DHCP4_REPLY);
		allowed_senders(b, t, zn, false, false, &DHCP6_REPLY);
	}
	if (zn->n_ra_senders) {
		pb_verdict(b, msg_rule(b, NULL, false, NULL, &ROUTER_SOLICIT), FW_VERDICT_ACCEPT,
		           NULL);
		allowed_senders(b, t, zn, false, true, &ROUTER_ADVERT);
	}
}

static int cmp_ifname_elem(const void *a, const void *b)
{
	return memcmp(((const struct fw_elem *)a)->key[0].lo,
	              ((const struct fw_elem *)b)->key[0].lo, 16);
}

/* The tenant's bridge ports (trunk and access ports), and the access ports
 * of isolated zones mapped to their zone's chain. Returns whether the
 * latter map was made. */
static bool emit_port_sets(struct pb *b, const struct fw_tenant *t)
{
	static const enum fw_key kif[] = {FW_KEY_IFNAME};
	const struct fw_plan_set *st;
	size_t ports, iso = 0;
	bool any_iso = false;

	ports = pb_set(b, "ports", kif, 1, false, false);
	for (size_t z = 0; z < t->n_zones; z++)
		any_iso |= t->zones[z].isolate && t->zones[z].n_ports;
	if (any_iso)
		iso = pb_set(b, "iso.ports", kif, 1, false, true);
	if (t->trunk_if[0]) {
		struct fw_elem *e = pb_elem(b, ports);
		if (e)
			e->key[0] = val_ifname(t->trunk_if);
	}
	for (size_t z = 0; z < t->n_zones; z++) {
		const struct fw_zone *zn = &t->zones[z];

		for (size_t i = 0; i < zn->n_ports; i++) {
			struct fw_elem *e = pb_elem(b, ports);
			if (e)
				e->key[0] = val_ifname(zn->ports[i]);
			if (!zn->isolate || !(e = pb_elem(b, iso)))
				continue;
			e->key[0] = val_ifname(zn->ports[i]);
			e->verdict = FW_VERDICT_JUMP;
			snprintf(e->chain, sizeof(e->chain), "iso.%s", zn->name);
		}
	}
	/* Elements in name order, as every set of the plan. */
	if (!b->err) {
		st = &b->plan->tables[b->t].sets[ports];
		qsort(st->elems, st->n_elems, sizeof(*st->elems), cmp_ifname_elem);
		if (any_iso) {
			st = &b->plan->tables[b->t].sets[iso];
			qsort(st->elems, st->n_elems, sizeof(*st->elems), cmp_ifname_elem);
		}
	}
	return any_iso;
}

void emit_l2(struct pb *b, struct tenant_flows *tf)
{
	static const enum fw_sel sif[] = {FW_SEL_IIFNAME}, sof[] = {FW_SEL_OIFNAME};
	const struct fw_tenant *t = tf->t;
	char tname[FW_OBJ_NAME_MAX], name[FW_OBJ_NAME_MAX], set[FW_OBJ_NAME_MAX];
	bool any = false, macs = false, iso_ports = false;
	bool bridged = fw_l2_tenant_bridged(t);
	struct fw_plan_rule *r;

	for (size_t z = 0; z < t->n_zones; z++)
		any |= t->zones[z].isolate;
	for (size_t h = 0; h < t->n_hosts; h++)
		macs |= t->hosts[h].has_mac;
	if (!any && !macs && !bridged)
		return;
	snprintf(tname, sizeof(tname), "fwd_%s_l2", t->name);
	pb_table(b, FW_FAMILY_BRIDGE, tname, t->name);
	if (bridged)
		iso_ports = emit_port_sets(b, t);
	if (macs || bridged)
		pb_chain(b, "antispoof", FW_HOOK_PREROUTING, FW_CHAIN_FILTER, PRIO_BRIDGE_FILTER,
		         FW_VERDICT_ACCEPT);
	if (macs)
		emit_mac_binding(b, t);
	if (bridged)
		emit_guard(b, t);
	if (!any)
		return;
	pb_chain(b, "forward", FW_HOOK_FORWARD, FW_CHAIN_FILTER, PRIO_BRIDGE_FILTER,
	         FW_VERDICT_ACCEPT);
	/* The tenant's bridge knows each access port's zone: every frame it
	 * forwards has one at an end (the trunk never sends a frame back where
	 * it came from), so ARP, link-local and multicast between hosts of an
	 * isolated zone meet the zone's filter too, not only frames to its
	 * subnet. Replies and requests to the gateway are the bridge's own
	 * (input/output), never forwarded. */
	if (iso_ports) {
		r = pb_rule(b, NULL);
		pb_lookup(b, r, sif, 1, false, true, "iso.ports");
		r = pb_rule(b, NULL);
		pb_lookup(b, r, sof, 1, false, true, "iso.ports");
	}
	for (size_t z = 0; z < t->n_zones; z++) {
		const struct fw_zone *zn = &t->zones[z];

		if (!zn->isolate)
			continue;
		snprintf(name, sizeof(name), "iso.%s", zn->name);
		for (int fam = 0; fam < 2; fam++) {
			if (fam ? !zn->has_subnet6 : !zn->has_subnet4)
				continue;
			struct fw_val sn = val_prefix(fam ? &zn->subnet6 : &zn->subnet4);
			/* On the destination alone: a frame with a forged source
			 * must not skip the zone's filter. Subnets belong to one
			 * tenant, so this also holds on plain per-zone bridges. */
			r = pb_rule(b, NULL);
			pb_cmp(b, r, fam ? FW_SEL_IP6_DADDR : FW_SEL_IP_DADDR, false, &sn);
			pb_verdict(b, r, FW_VERDICT_JUMP, name);
		}
	}
	for (size_t z = 0; z < t->n_zones; z++) {
		const struct fw_zone *zn = &t->zones[z];
		struct flows *f = &tf->iso[z];

		if (!zn->isolate)
			continue;
		snprintf(name, sizeof(name), "iso.%s", zn->name);
		pb_chain(b, name, FW_HOOK_NONE, FW_CHAIN_FILTER, 0, FW_VERDICT_NONE);
		/* Plain per-zone bridges (no proxy ARP): the zone's hosts find
		 * each other by ND. On the tenant's bridge they reach each other
		 * through the gateway, and ND between hosts is dropped. */
		if (zn->has_subnet6 && !bridged)
			nd_rules(b);
		for (size_t c = 0; c < tf->n_counted; c++) {
			struct counted *k = &tf->counted[c];
			char cname[2 * FW_OBJ_NAME_MAX + 2], logp[128];

			if (k->src != z + 1 || k->dst != z + 1)
				continue;
			snprintf(cname, sizeof(cname), "%s.%s", k->origin->id, zn->name);
			snprintf(logp, sizeof(logp), "fwd:%s:%s ", t->name, k->origin->id);
			lookup_rules(b, &k->f, cname, false, k->origin, true, k->log, logp, false);
		}
		/* No conntrack on bridges everywhere: allow a flow's replies by
		 * looking the reversed tuple up in the same sets. */
		for (int fam = 0; fam < 2; fam++) {
			unsigned made;

			snprintf(set, sizeof(set), "%s.%dp", zn->name, fam ? 6 : 4);
			made = emit_cover(b, &f->p[fam], set, false);
			for (unsigned part = COVER_EXACT; part <= COVER_INTERVAL; part <<= 1)
				if (made & part)
					iso_ports_rules(b, fam, set, COVER_SUFFIX(part));
			snprintf(set, sizeof(set), "%s.%da", zn->name, fam ? 6 : 4);
			made = emit_cover(b, &f->a[fam], set, false);
			for (unsigned part = COVER_EXACT; part <= COVER_INTERVAL; part <<= 1)
				if (made & part)
					iso_any_rules(b, fam, set, COVER_SUFFIX(part));
		}
		if (bridged)
			iso_services(b, t, zn);
		deny_rule(b, t, name);
	}
}
