// SPDX-License-Identifier: GPL-2.0-or-later
/* Tracked connections and management access against a plan (see fwd/flowcheck.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile.h"
#include "fwd/flowcheck.h"
#include "path.h"

static void prefix_of(uint8_t family, const uint8_t *a, struct fw_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->len = family == 4 ? 32 : 128;
	memcpy(p->a, a, family == 4 ? 4 : 16);
}

/* The firewall's own connections (from one of its addresses) go through
 * output, which no tenant filters: whichever tenant the address is of. */
static int from_firewall(const struct fw_policy *p, const struct fw_prefix *src, bool *ret)
{
	struct path_addr pa;

	*ret = false;
	for (size_t i = 0; i < p->n_tenants && !*ret; i++) {
		if (path_classify(&p->tenants[i], src, &pa) < 0)
			return -ENOMEM;
		*ret = pa.firewall;
	}
	return 0;
}

static void first_packet(const struct fw_flow *f, struct fw_packet *pk)
{
	memset(pk, 0, sizeof(*pk));
	pk->family = f->family;
	memcpy(pk->saddr, f->saddr, 16);
	memcpy(pk->daddr, f->daddr, 16);
	pk->proto = f->proto;
	pk->sport = f->sport;
	pk->dport = f->dport;
	pk->icmp_type = f->icmp_type;
	pk->tcp_flags = FW_TCP_SYN;
	pk->ct_state = FW_CT_NEW;
}

/* The path of f through tenant t; *claimed false when neither end is t's. */
static int tenant_ends(const struct fw_tenant *t, const struct fw_flow *f, struct path_ends *e,
                       bool *claimed)
{
	struct fw_prefix src, dst, real;
	struct path_addr s, d, rd = {.side = SIDE_INTERNET};
	bool dnat = f->dnat && !f->plan_nat;

	prefix_of(f->family, f->saddr, &src);
	prefix_of(f->family, f->daddr, &dst);
	if (path_classify(t, &src, &s) < 0 || path_classify(t, &dst, &d) < 0)
		return -ENOMEM;
	if (dnat) {
		prefix_of(f->family, f->real_daddr, &real);
		if (path_classify(t, &real, &rd) < 0)
			return -ENOMEM;
	}
	*claimed = s.side != SIDE_INTERNET || d.side != SIDE_INTERNET || d.firewall ||
	           rd.side != SIDE_INTERNET;
	memset(e, 0, sizeof(*e));
	e->src_side = s.side;
	e->dst_side = d.side;
	if (dnat) {
		/* conntrack knows where it went: no guessing from the plan */
		e->nat_given = true;
		memcpy(e->nat_daddr, f->real_daddr, 16);
		e->nat_dport = f->real_dport;
	} else if (f->plan_nat) {
		e->dst_public = d.is_public;
		e->to_firewall = d.firewall && !d.is_public;
	} else {
		/* tracked without DNAT: a public address was the firewall's */
		e->to_firewall = d.firewall;
	}
	return 0;
}

int policy_flow_check(const struct fw_policy *p, const struct fw_plan *plan,
                      const struct fw_flow *f, struct fw_flow_check *ret)
{
	struct fw_flow_check res = {.verdict = FW_FLOW_UNDECIDED};
	struct fw_prefix src;
	bool own;
	int r;

	prefix_of(f->family, f->saddr, &src);
	if ((r = from_firewall(p, &src, &own)) < 0)
		return r;
	for (size_t i = 0; i < p->n_tenants && !own; i++) {
		const struct fw_tenant *t = &p->tenants[i];
		struct path_ends e;
		struct fw_packet pk;
		bool claimed;

		if ((r = tenant_ends(t, f, &e, &claimed)) < 0)
			return r;
		if (!claimed)
			continue;
		first_packet(f, &pk);
		r = path_follow(plan, t, &e, &pk, &res.eval, res.path, sizeof(res.path));
		if (r < 0)
			return r;
		res.verdict = r ? FW_FLOW_ACCEPT : FW_FLOW_DROP;
		res.tenant = t;
		break;
	}
	*ret = res;
	return 0;
}

int policy_flow_revoked(const struct fw_policy *old_p, const struct fw_plan *old_plan,
                        const struct fw_policy *new_p, const struct fw_plan *new_plan,
                        const struct fw_flow *f)
{
	struct fw_flow_check c;
	int r;

	if ((r = policy_flow_check(old_p, old_plan, f, &c)) < 0)
		return r;
	if (c.verdict != FW_FLOW_ACCEPT)
		return 0; /* the old rules did not let it in: not ours to cut */
	/* A VPN peer removed (or its address taken away) ends its connections
	 * even where a rule still covers the address (vpn:all, the pool). */
	if (vpn_plan_peer_gone(&old_plan->vpn, &new_plan->vpn, f->family, f->saddr) ||
	    vpn_plan_peer_gone(&old_plan->vpn, &new_plan->vpn, f->family, f->daddr))
		return 1;
	if ((r = policy_flow_check(new_p, new_plan, f, &c)) < 0)
		return r;
	return c.verdict != FW_FLOW_ACCEPT;
}

/* One origin -> firewall address: lost when live accepts and cand does not. */
static int mgmt_one(const struct fw_policy *live_p, const struct fw_plan *live,
                    const struct fw_policy *cand_p, const struct fw_plan *cand,
                    const struct fw_flow *f, char *msg, size_t msg_size)
{
	struct fw_flow_check c;
	char from[64], to[64];
	struct fw_prefix a;
	int r;

	if ((r = policy_flow_check(live_p, live, f, &c)) < 0)
		return r;
	if (c.verdict != FW_FLOW_ACCEPT)
		return 0;
	if ((r = policy_flow_check(cand_p, cand, f, &c)) < 0)
		return r;
	if (c.verdict == FW_FLOW_ACCEPT)
		return 0;
	prefix_of(f->family, f->saddr, &a);
	fw_addr_format(&a, from, sizeof(from));
	prefix_of(f->family, f->daddr, &a);
	fw_addr_format(&a, to, sizeof(to));
	snprintf(msg, msg_size, "it would cut management access from %s to the firewall %s tcp/%u",
	         from, to, f->dport);
	return 1;
}

int policy_mgmt_lost(const struct fw_policy *live_p, const struct fw_plan *live,
                     const struct fw_policy *cand_p, const struct fw_plan *cand,
                     const struct fw_mgmt_origin *a, char *msg, size_t msg_size)
{
	struct fw_flow f = {.family = a->family, .proto = 6, .sport = 40000, .plan_nat = true};
	struct fw_prefix from, fw;
	struct path_addr pa;
	bool inside = false;
	int r;

	f.dport = a->port ? a->port : FW_MGMT_DEFAULT_PORT;
	memcpy(f.saddr, a->from, 16);
	if (a->has_to) {
		memcpy(f.daddr, a->to, 16);
		return mgmt_one(live_p, live, cand_p, cand, &f, msg, msg_size);
	}
	/* Not told which address: the one the engineer reaches from where he
	 * is. Inside a tenant's zone or VPN that is its gateway there; from
	 * the internet, any tenant's public address may be the way in. */
	prefix_of(a->family, a->from, &from);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < live_p->n_tenants; i++) {
			const struct fw_tenant *t = &live_p->tenants[i];

			if (path_classify(t, &from, &pa) < 0)
				return -ENOMEM;
			if (pa.firewall || (pass == 0) != (pa.side != SIDE_INTERNET))
				continue;
			inside |= pass == 0;
			path_firewall_addr(t, pa.side, a->family, &fw);
			if (fw.family != a->family)
				continue;
			memcpy(f.daddr, fw.a, 16);
			r = mgmt_one(live_p, live, cand_p, cand, &f, msg, msg_size);
			if (r != 0)
				return r;
		}
		if (inside)
			break;
	}
	return 0;
}
