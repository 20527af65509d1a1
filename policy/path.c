// SPDX-License-Identifier: GPL-2.0-or-later
/* A packet's way through one tenant's part of the plan (see path.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "fwd/l2plan.h"
#include "path.h"

static bool same_addr(const struct fw_prefix *a, const struct fw_prefix *b)
{
	return a->family == b->family && !memcmp(a->a, b->a, a->family == 4 ? 4 : 16);
}

int path_classify(const struct fw_tenant *t, const struct fw_prefix *a, struct path_addr *ret)
{
	struct fw_ref ref = {.kind = FW_REF_CIDR, .cidr = *a};
	struct eplist l = {0};
	struct path_addr pa = {0};

	ref.cidr.len = a->family == 4 ? 32 : 128;
	/* The compiler's own expansion decides the side, so a connection is
	 * placed exactly where the rules that allow it were compiled. */
	if (expand_ref(t, &ref, &l) < 0 || l.n == 0) {
		free(l.v);
		return -ENOMEM;
	}
	pa.side = l.v[0].side;
	free(l.v);
	for (size_t i = 0; i < t->n_public; i++)
		if (same_addr(&t->public_addrs[i], a))
			pa.is_public = pa.firewall = true;
	for (size_t i = 0; i < t->n_zones; i++)
		if ((t->zones[i].has_subnet4 && same_addr(&t->zones[i].gw4, a)) ||
		    (t->zones[i].has_subnet6 && same_addr(&t->zones[i].gw6, a)))
			pa.firewall = true;
	if (t->vpn.present && same_addr(&t->vpn.address, a))
		pa.firewall = true;
	*ret = pa;
	return 0;
}

void path_firewall_addr(const struct fw_tenant *t, size_t side, uint8_t family,
                        struct fw_prefix *out)
{
	memset(out, 0, sizeof(*out));
	if (side >= 1 && side <= t->n_zones) {
		const struct fw_zone *z = &t->zones[side - 1];
		if (family == 4 ? z->has_subnet4 : z->has_subnet6)
			*out = family == 4 ? z->gw4 : z->gw6;
	} else if (side == SIDE_INTERNET) {
		for (size_t i = 0; i < t->n_public; i++)
			if (t->public_addrs[i].family == family) {
				*out = t->public_addrs[i];
				break;
			}
	} else if (t->vpn.present && t->vpn.address.family == family) {
		*out = t->vpn.address;
	}
}

/* prerouting NAT: the plan's DNAT, or the one conntrack already did.
 * Returns 1 when the destination was rewritten. */
static int follow_nat(const struct fw_plan *plan, const struct fw_tenant *t,
                      const struct path_ends *e, struct fw_packet *pk, struct fw_eval *ev,
                      size_t *dst_side)
{
	struct fw_eval nat = {.verdict = FW_VERDICT_ACCEPT, .nat = true};
	struct fw_prefix a = {.family = pk->family, .len = pk->family == 4 ? 32 : 128};
	struct path_addr pa;

	if (e->nat_given) {
		memcpy(pk->daddr, e->nat_daddr, 16);
		pk->dport = e->nat_dport;
		pk->ct_status |= FW_CT_STATUS_DNAT;
	} else if (plan_eval(plan, FW_FAMILY_INET, FW_HOOK_PREROUTING, FW_CHAIN_NAT, pk, &nat) <
	           0) {
		return -ENOMEM;
	}
	if (!nat.nat)
		return 0;
	memcpy(a.a, pk->daddr, 16);
	if (path_classify(t, &a, &pa) < 0)
		return -ENOMEM;
	*dst_side = pa.side;
	*ev = nat;
	return 1;
}

int path_follow(const struct fw_plan *plan, const struct fw_tenant *t, const struct path_ends *e,
                struct fw_packet *pk, struct fw_eval *ev, char *path, size_t path_size)
{
	size_t dst_side = e->dst_side;
	bool to_fw = e->to_firewall;
	int r;

	snprintf(pk->iif, sizeof(pk->iif), "%s", side_ifname(t, e->src_side));
	/* prerouting: reverse-path filter, then DNAT of published services */
	if (plan_eval(plan, FW_FAMILY_INET, FW_HOOK_PREROUTING, FW_CHAIN_FILTER, pk, ev) < 0)
		return -ENOMEM;
	if (ev->verdict == FW_VERDICT_DROP) {
		snprintf(path, path_size, "prerouting");
		return 0;
	}
	if (!to_fw && (e->dst_public || e->nat_given)) {
		if ((r = follow_nat(plan, t, e, pk, ev, &dst_side)) < 0)
			return r;
		/* A public address nothing is published on is the firewall's. */
		to_fw = r == 0 && e->dst_public;
	}
	if (to_fw) {
		snprintf(path, path_size, "input %s: from %s to the firewall", t->name,
		         side_name(t, e->src_side));
		if (plan_eval(plan, FW_FAMILY_INET, FW_HOOK_INPUT, FW_CHAIN_FILTER, pk, ev) < 0)
			return -ENOMEM;
		return ev->verdict == FW_VERDICT_ACCEPT;
	}
	if (e->src_side == dst_side && e->src_side >= 1 && e->src_side <= t->n_zones) {
		const struct fw_zone *z = &t->zones[e->src_side - 1];
		if (!z->isolate) {
			snprintf(path, path_size,
			         "bridge %s: inside zone %s, which is not isolated", t->name,
			         z->name);
			memset(ev, 0, sizeof(*ev));
			ev->verdict = FW_VERDICT_ACCEPT;
			return 1;
		}
		/* Plain per-zone bridges: the zone's hosts are bridged. On the
		 * tenant's own bridge the gateway answers ARP for the zone's
		 * other hosts (proxy ARP): they are routed, in and out of the
		 * zone's interface, through the forward chain. */
		if (!fw_l2_tenant_bridged(t)) {
			snprintf(path, path_size, "bridge %s: inside isolated zone %s", t->name,
			         z->name);
			pk->iif[0] = pk->oif[0] = '\0';
			if (plan_eval(plan, FW_FAMILY_BRIDGE, FW_HOOK_FORWARD, FW_CHAIN_FILTER, pk,
			              ev) < 0)
				return -ENOMEM;
			return ev->verdict == FW_VERDICT_ACCEPT;
		}
	}
	snprintf(pk->oif, sizeof(pk->oif), "%s", side_ifname(t, dst_side));
	if (e->src_side == dst_side && e->src_side >= 1 && e->src_side <= t->n_zones)
		snprintf(path, path_size,
		         "forward %s: inside isolated zone %s, routed by its gateway", t->name,
		         side_name(t, dst_side));
	else
		snprintf(path, path_size, "forward %s: %s -> %s", t->name,
		         side_name(t, e->src_side), side_name(t, dst_side));
	bool nat = ev->nat;
	struct fw_origin nat_origin = ev->origin;
	if (plan_eval(plan, FW_FAMILY_INET, FW_HOOK_FORWARD, FW_CHAIN_FILTER, pk, ev) < 0)
		return -ENOMEM;
	if (nat && ev->verdict == FW_VERDICT_ACCEPT && !ev->origin.id)
		ev->origin = nat_origin;
	ev->nat = nat;
	return ev->verdict == FW_VERDICT_ACCEPT;
}
