// SPDX-License-Identifier: GPL-2.0-or-later
/* The tenant's bridge table: MAC bindings and isolated zones. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "planbuild.h"
#include "util.h"

/* A host with a MAC in the policy sends only from that MAC, and that MAC
 * only from the host's addresses (IP and ARP), on any bridge port. */
static void emit_mac_binding(struct pb *b, const struct fw_tenant *t)
{
	struct fw_plan_rule *r;

	pb_chain(b, "antispoof", FW_HOOK_PREROUTING, FW_CHAIN_FILTER, PRIO_BRIDGE_FILTER,
	         FW_VERDICT_ACCEPT);
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
			pb_cmp(b, r, sa, true, &a);
			pb_verdict(b, r, FW_VERDICT_DROP, NULL);
			if (fam == 0) {
				r = pb_rule(b, &o);
				pb_cmp(b, r, FW_SEL_ARP_SADDR_IP, false, &a);
				pb_cmp(b, r, FW_SEL_ETHER_SADDR, true, &mac);
				pb_verdict(b, r, FW_VERDICT_DROP, NULL);
				r = pb_rule(b, &o);
				pb_cmp(b, r, FW_SEL_ETHER_SADDR, false, &mac);
				pb_cmp(b, r, FW_SEL_ARP_SADDR_IP, true, &a);
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

void emit_l2(struct pb *b, struct tenant_flows *tf)
{
	const struct fw_tenant *t = tf->t;
	char tname[FW_OBJ_NAME_MAX], name[FW_OBJ_NAME_MAX], set[FW_OBJ_NAME_MAX];
	bool any = false;
	struct fw_plan_rule *r;

	bool macs = false;

	for (size_t z = 0; z < t->n_zones; z++)
		any |= t->zones[z].isolate;
	for (size_t h = 0; h < t->n_hosts; h++)
		macs |= t->hosts[h].has_mac;
	if (!any && !macs)
		return;
	snprintf(tname, sizeof(tname), "fwd_%s_l2", t->name);
	pb_table(b, FW_FAMILY_BRIDGE, tname, t->name);
	if (macs)
		emit_mac_binding(b, t);
	if (!any)
		return;
	pb_chain(b, "forward", FW_HOOK_FORWARD, FW_CHAIN_FILTER, PRIO_BRIDGE_FILTER,
	         FW_VERDICT_ACCEPT);
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
			 * must not skip the zone's filter. */
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
		if (zn->has_subnet6)
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
		deny_rule(b, t, name);
	}
}
