// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Plan emission: per tenant an `inet fwd_<tenant>` table (zone dispatch by
 * verdict map, allowlists as concatenated sets: hash sets for exact entries,
 * interval sets for ranges; management input,
 * NAT), a `bridge fwd_<tenant>_l2` table for isolated zones, and one
 * appliance-wide `inet fwd_base` table that drops whatever no tenant owns.
 * See docs/architecture.md for the packet path.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile.h"
#include "planbuild.h"
#include "util.h"

#define PRIO_FILTER 0
#define PRIO_BASE   10 /* after every tenant's chains */

#define PRIO_RPF (-150)

const enum fw_sel SEL_FWD4P[4] = {FW_SEL_IP_SADDR, FW_SEL_IP_DADDR, FW_SEL_L4PROTO,
                                  FW_SEL_TH_DPORT};
const enum fw_sel SEL_FWD6P[4] = {FW_SEL_IP6_SADDR, FW_SEL_IP6_DADDR, FW_SEL_L4PROTO,
                                  FW_SEL_TH_DPORT};
const enum fw_sel SEL_REV4P[4] = {FW_SEL_IP_DADDR, FW_SEL_IP_SADDR, FW_SEL_L4PROTO,
                                  FW_SEL_TH_SPORT};
const enum fw_sel SEL_REV6P[4] = {FW_SEL_IP6_DADDR, FW_SEL_IP6_SADDR, FW_SEL_L4PROTO,
                                  FW_SEL_TH_SPORT};
static const enum fw_sel SEL_IN4P[] = {FW_SEL_IP_SADDR, FW_SEL_L4PROTO, FW_SEL_TH_DPORT};
static const enum fw_sel SEL_IN6P[] = {FW_SEL_IP6_SADDR, FW_SEL_L4PROTO, FW_SEL_TH_DPORT};

static const uint8_t nd_types[] = {133, 134, 135, 136};

/* --- sets from covers --- */

/* Numeric order: source, destination, protocol, port. */
static int cmp_box(const void *a, const void *b)
{
	const struct box *x = a, *y = b;
	int c = memcmp(x->s_lo, y->s_lo, 16);

	if (!c)
		c = memcmp(x->d_lo, y->d_lo, 16);
	if (!c)
		c = (x->p_lo > y->p_lo) - (x->p_lo < y->p_lo);
	if (!c)
		c = (x->port_lo > y->port_lo) - (x->port_lo < y->port_lo);
	return c;
}

/* Is every field of the box one value? (in: input sets have no
 * destination; without ports the set has no port field.) */
static bool box_exact(const struct cover *c, const struct box *x, bool in)
{
	return !memcmp(x->s_lo, x->s_hi, c->alen) && (in || !memcmp(x->d_lo, x->d_hi, c->alen)) &&
	       x->p_lo == x->p_hi && (!c->ports || x->port_lo == x->port_hi);
}

/* One of a cover's sets: its exact boxes (a hash set) or the others (an
 * interval set), in the cover's sorted order. Returns whether it was made. */
static bool emit_part(struct pb *b, const struct cover *c, const char *name, bool in, bool exact)
{
	enum fw_key k[FW_MAX_CONCAT];
	uint8_t n = 0;
	enum fw_key ak = c->alen == 4 ? FW_KEY_IPV4 : FW_KEY_IPV6;
	size_t set, count = 0;

	for (size_t i = 0; i < c->n; i++)
		count += box_exact(c, &c->v[i], in) == exact;
	if (count == 0)
		return false;
	k[n++] = ak;
	if (!in)
		k[n++] = ak;
	k[n++] = FW_KEY_PROTO;
	if (c->ports)
		k[n++] = FW_KEY_PORT;
	set = pb_set(b, name, k, n, !exact, false);
	/* Every allowlist element counts its hits: `fwctl counters` sums them
	 * per policy rule, and element deltas keep the others counting. */
	if (!b->err)
		b->plan->tables[b->t].sets[set].counter = true;
	for (size_t i = 0; i < c->n && !b->err; i++) {
		const struct box *x = &c->v[i];
		struct fw_elem *e;
		uint8_t m = 0;

		if (box_exact(c, x, in) != exact)
			continue;
		e = pb_elem(b, set);
		if (!e)
			break;
		e->key[m++] = val_addr_range(c->alen, x->s_lo, x->s_hi);
		if (!in)
			e->key[m++] = val_addr_range(c->alen, x->d_lo, x->d_hi);
		e->key[m++] = val_u8_range(x->p_lo, x->p_hi);
		if (c->ports)
			e->key[m++] = val_port_range(x->port_lo, x->port_hi);
		e->origin = x->origin;
	}
	return true;
}

/* Emit a cover as up to two sets: its single-value boxes in a hash set
 * NAME COVER_SUFFIX(COVER_EXACT) and the others in an interval set NAME.
 * The kernel's concatenated interval sets (pipapo) cost more per packet
 * the more entries they hold, a hash set does not; the cover is already
 * disjoint, so a packet matches in at most one of them. in: input sets
 * have no destination key. Returns the COVER_* parts made (an empty cover
 * makes none). */
unsigned emit_cover(struct pb *b, struct cover *c, const char *name, bool in)
{
	char xname[FW_OBJ_NAME_MAX];
	unsigned made = 0;

	if (c->n == 0)
		return 0;
	qsort(c->v, c->n, sizeof(*c->v), cmp_box);
	/* The index no longer matches the sorted order; covers are done. */
	snprintf(xname, sizeof(xname), "%s%s", name, COVER_SUFFIX(COVER_EXACT));
	if (emit_part(b, c, xname, in, true))
		made |= COVER_EXACT;
	if (emit_part(b, c, name, in, false))
		made |= COVER_INTERVAL;
	return made;
}

/* "ct state established,related accept" / "ct state invalid drop" */
/* "ct state established,related accept" */
static void accept_established(struct pb *b)
{
	struct fw_plan_rule *r = pb_rule(b, NULL);

	pb_bits(b, r, FW_SEL_CT_STATE, true, FW_CT_ESTABLISHED | FW_CT_RELATED, 0);
	pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
}

/* "SEL @set accept" */
static void accept_in_set(struct pb *b, const enum fw_sel *sel, const char *set)
{
	struct fw_plan_rule *r = pb_rule(b, NULL);

	pb_lookup(b, r, sel, 1, false, false, set);
	pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
}

void ct_rules(struct pb *b)
{
	struct fw_plan_rule *r;

	accept_established(b);
	r = pb_rule(b, NULL);
	pb_bits(b, r, FW_SEL_CT_STATE, true, FW_CT_INVALID, 0);
	pb_verdict(b, r, FW_VERDICT_DROP, NULL);
}

void nd_rules(struct pb *b)
{
	for (size_t i = 0; i < ARRAY_SIZE(nd_types); i++) {
		struct fw_plan_rule *r = pb_rule(b, NULL);
		struct fw_val l4 = val_u8(58), ty = val_u8(nd_types[i]);

		pb_cmp(b, r, FW_SEL_L4PROTO, false, &l4);
		pb_cmp(b, r, FW_SEL_ICMPV6_TYPE, false, &ty);
		pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
	}
}

/* "counter [log] drop": the tenant's default policy, counted per chain
 * (`fwctl counters` shows how much each chain dropped). */
void deny_rule(struct pb *b, const struct fw_tenant *t, const char *where)
{
	struct fw_origin o = {.id = FW_ORIGIN_DEFAULT_DENY, .loc = t->loc};
	struct fw_plan_rule *r = pb_rule(b, &o);

	pb_counter(b, r);
	if (t->log_denied) {
		char prefix[128];
		snprintf(prefix, sizeof(prefix), "fwd:%s:deny:%s ", t->name, where);
		pb_log(b, r, prefix);
	}
	pb_verdict(b, r, FW_VERDICT_DROP, NULL);
}

/* Lookup rules for a flows bundle (created sets only). */
void lookup_rules(struct pb *b, struct flows *f, const char *prefix, bool in,
                  const struct fw_origin *origin, bool count, bool log, const char *logp, bool dnat)
{
	char name[2 * FW_OBJ_NAME_MAX + 8];

	for (int fam = 0; fam < 2; fam++) {
		for (int ports = 1; ports >= 0; ports--) {
			struct cover *c = ports ? &f->p[fam] : &f->a[fam];
			const enum fw_sel *sel;
			uint8_t n;

			unsigned made;

			snprintf(name, sizeof(name), "%s.%d%s", prefix, fam ? 6 : 4,
			         ports ? "p" : "a");
			made = emit_cover(b, c, name, in);
			if (in) {
				sel = fam ? SEL_IN6P : SEL_IN4P;
				n = ports ? 3 : 2;
			} else {
				sel = fam ? SEL_FWD6P : SEL_FWD4P;
				n = ports ? 4 : 3;
			}
			/* The hash set first: most entries are host pairs. */
			for (unsigned part = COVER_EXACT; part <= COVER_INTERVAL; part <<= 1) {
				char set[sizeof(name) + 1];

				if (!(made & part))
					continue;
				snprintf(set, sizeof(set), "%s%s", name, COVER_SUFFIX(part));
				struct fw_plan_rule *r = pb_rule(b, origin);
				if (dnat)
					pb_bits(b, r, FW_SEL_CT_STATUS, true, FW_CT_STATUS_DNAT, 0);
				pb_lookup(b, r, sel, n, false, false, set);
				if (count)
					pb_counter(b, r);
				if (log)
					pb_log(b, r, logp);
				pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
			}
		}
	}
}

/* --- the tenant's inet table --- */

/* Is this origin a publish entry? Its flows need the DNAT to have happened. */
static bool is_publish(const struct fw_tenant *t, const struct fw_origin *o)
{
	for (size_t i = 0; i < t->n_publish; i++)
		if (o->id == t->publish[i].id)
			return true;
	return false;
}

static void emit_forward(struct pb *b, struct tenant_flows *tf)
{
	const struct fw_tenant *t = tf->t;
	size_t ns = tf->n_sides;
	static const enum fw_key kif[] = {FW_KEY_IFNAME};
	static const enum fw_key kpair[] = {FW_KEY_IFNAME, FW_KEY_IFNAME};
	static const enum fw_sel sif[] = {FW_SEL_IIFNAME}, sof[] = {FW_SEL_OIFNAME};
	static const enum fw_sel spair[] = {FW_SEL_IIFNAME, FW_SEL_OIFNAME};
	char name[FW_OBJ_NAME_MAX], logp[128];
	size_t ifaces, pairs, base;
	struct fw_plan_rule *r;

	ifaces = pb_set(b, "ifaces", kif, 1, false, false);
	for (size_t s = 1; s < ns; s++) {
		if (s == ns - 1 && !t->vpn.present)
			break;
		struct fw_elem *e = pb_elem(b, ifaces);
		if (e)
			e->key[0] = val_ifname(side_ifname(t, s));
	}
	pairs = pb_set(b, "pairs", kpair, 2, false, true);
	base = pb_chain(b, "forward", FW_HOOK_FORWARD, FW_CHAIN_FILTER, PRIO_FILTER,
	                FW_VERDICT_ACCEPT);
	/* Packets that touch none of our interfaces belong to another tenant. */
	r = pb_rule(b, NULL);
	pb_lookup(b, r, sif, 1, true, false, "ifaces");
	pb_lookup(b, r, sof, 1, true, false, "ifaces");
	pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
	ct_rules(b);
	r = pb_rule(b, NULL);
	pb_lookup(b, r, spair, 2, false, true, "pairs");
	deny_rule(b, t, "forward");

	for (size_t s = 0; s < ns; s++)
		for (size_t d = 0; d < ns; d++) {
			struct flows *f = &tf->fwd[s * ns + d], *pf = &tf->pub[s * ns + d];
			char pname[FW_OBJ_NAME_MAX + 8];
			bool any = false;

			/* Hosts of an isolated zone reach each other through the
			 * gateway (proxy ARP on the tenant's bridge): in and out of
			 * the zone's interface, allowed by the zone's allowlist
			 * exactly as on the bridge. */
			if (s == d && s >= 1 && s <= t->n_zones && t->zones[s - 1].isolate)
				f = &tf->iso[s - 1];

			for (int fam = 0; fam < 2; fam++)
				any |= f->p[fam].n || f->a[fam].n || pf->p[fam].n || pf->a[fam].n;
			if (!any)
				continue;
			snprintf(name, sizeof(name), "%s.%s", side_name(t, s), side_name(t, d));
			struct fw_elem *e = pb_elem(b, pairs);
			if (e) {
				e->key[0] = val_ifname(side_ifname(t, s));
				e->key[1] = val_ifname(side_ifname(t, d));
				e->verdict = FW_VERDICT_JUMP;
				snprintf(e->chain, sizeof(e->chain), "%s", name);
			}
			pb_chain(b, name, FW_HOOK_NONE, FW_CHAIN_FILTER, 0, FW_VERDICT_NONE);
			for (size_t c = 0; c < tf->n_counted; c++) {
				struct counted *k = &tf->counted[c];
				char cname[2 * FW_OBJ_NAME_MAX + 2];

				if (k->src != s || k->dst != d)
					continue;
				snprintf(cname, sizeof(cname), "%s.%s", k->origin->id, name);
				snprintf(logp, sizeof(logp), "fwd:%s:%s ", t->name, k->origin->id);
				lookup_rules(b, &k->f, cname, false, k->origin, true, k->log, logp,
				             is_publish(t, k->origin));
			}
			snprintf(pname, sizeof(pname), "%s.pub", name);
			lookup_rules(b, pf, pname, false, NULL, false, false, NULL, true);
			lookup_rules(b, f, name, false, NULL, false, false, NULL, false);
		}
	(void)base;
}

static void emit_input(struct pb *b, struct tenant_flows *tf)
{
	const struct fw_tenant *t = tf->t;
	size_t ns = tf->n_sides;
	static const enum fw_key kside[] = {FW_KEY_IFNAME};
	static const enum fw_key k4[] = {FW_KEY_IPV4}, k6[] = {FW_KEY_IPV6};
	static const enum fw_sel sif[] = {FW_SEL_IIFNAME};
	static const enum fw_sel s4[] = {FW_SEL_IP_DADDR}, s6[] = {FW_SEL_IP6_DADDR};
	char name[FW_OBJ_NAME_MAX];
	size_t sides, pub4 = 0, pub6 = 0;
	bool has4 = false, has6 = false;
	struct fw_plan_rule *r;
	struct fw_val up = val_ifname(t->uplink_if);

	sides = pb_set(b, "in.sides", kside, 1, false, true);
	for (size_t i = 0; i < t->n_public; i++) {
		if (t->public_addrs[i].family == 4 && !has4) {
			pub4 = pb_set(b, "public4", k4, 1, false, false);
			has4 = true;
		}
		if (t->public_addrs[i].family == 6 && !has6) {
			pub6 = pb_set(b, "public6", k6, 1, false, false);
			has6 = true;
		}
	}
	for (size_t i = 0; i < t->n_public; i++) {
		struct fw_elem *e = pb_elem(b, t->public_addrs[i].family == 4 ? pub4 : pub6);
		if (e)
			e->key[0] = val_prefix(&t->public_addrs[i]);
	}
	pb_chain(b, "input", FW_HOOK_INPUT, FW_CHAIN_FILTER, PRIO_FILTER, FW_VERDICT_ACCEPT);
	r = pb_rule(b, NULL);
	pb_lookup(b, r, sif, 1, false, true, "in.sides");
	if (t->vpn.present) {
		struct fw_val udp = val_u8(17), port = val_be16(t->vpn.listen_port);
		struct fw_origin o = {.id = "vpn", .loc = t->vpn.loc};
		r = pb_rule(b, &o);
		pb_cmp(b, r, FW_SEL_IIFNAME, false, &up);
		pb_cmp(b, r, FW_SEL_L4PROTO, false, &udp);
		pb_cmp(b, r, FW_SEL_TH_DPORT, false, &port);
		pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
	}
	if (has4) {
		r = pb_rule(b, NULL);
		pb_cmp(b, r, FW_SEL_IIFNAME, false, &up);
		pb_lookup(b, r, s4, 1, false, false, "public4");
		pb_verdict(b, r, FW_VERDICT_JUMP, "in.internet");
	}
	if (has6) {
		r = pb_rule(b, NULL);
		pb_cmp(b, r, FW_SEL_IIFNAME, false, &up);
		pb_lookup(b, r, s6, 1, false, false, "public6");
		pb_verdict(b, r, FW_VERDICT_JUMP, "in.internet");
	}
	for (size_t s = 0; s < ns; s++) {
		bool v6 = s > 0 && s <= t->n_zones && t->zones[s - 1].has_subnet6;

		if (s == SIDE_INTERNET && !has4 && !has6)
			continue;
		if (s == ns - 1 && !t->vpn.present)
			continue;
		snprintf(name, sizeof(name), "in.%s", side_name(t, s));
		if (s != SIDE_INTERNET) {
			struct fw_elem *e = pb_elem(b, sides);
			if (e) {
				e->key[0] = val_ifname(side_ifname(t, s));
				e->verdict = FW_VERDICT_JUMP;
				snprintf(e->chain, sizeof(e->chain), "%s", name);
			}
		}
		pb_chain(b, name, FW_HOOK_NONE, FW_CHAIN_FILTER, 0, FW_VERDICT_NONE);
		ct_rules(b);
		if (v6)
			nd_rules(b);
		lookup_rules(b, &tf->in[s], name, true, NULL, false, false, NULL, false);
		deny_rule(b, t, name);
	}
}

/* --- isolated zones and MAC bindings: the tenant's bridge table --- */

/* --- the appliance-wide base table --- */

static void emit_base(struct pb *b, const struct fw_policy *p)
{
	static const enum fw_key kif[] = {FW_KEY_IFNAME}, k4[] = {FW_KEY_IPV4},
	                         k6[] = {FW_KEY_IPV6}, kport[] = {FW_KEY_PORT};
	static const enum fw_sel sif[] = {FW_SEL_IIFNAME}, sof[] = {FW_SEL_OIFNAME},
	                         s4[] = {FW_SEL_IP_DADDR}, s6[] = {FW_SEL_IP6_DADDR},
	                         sport[] = {FW_SEL_TH_DPORT};
	size_t ifaces, pub4, pub6, ports;
	bool has4 = false, has6 = false, hasport = false;
	struct fw_plan_rule *r;
	struct fw_val lo = val_ifname("lo"), zero = {.len = 4}, udp = val_u8(17);

	pb_table(b, FW_FAMILY_INET, "fwd_base", NULL);
	ifaces = pb_set(b, "ifaces", kif, 1, false, false);
	pub4 = pb_set(b, "public4", k4, 1, false, false);
	pub6 = pb_set(b, "public6", k6, 1, false, false);
	ports = pb_set(b, "vpn_ports", kport, 1, false, false);
	for (size_t i = 0; i < p->n_tenants; i++) {
		const struct fw_tenant *t = &p->tenants[i];

		for (size_t z = 0; z < t->n_zones; z++) {
			struct fw_elem *e = pb_elem(b, ifaces);
			if (e)
				e->key[0] = val_ifname(t->zones[z].ifname);
		}
		if (t->vpn.present) {
			struct fw_elem *e = pb_elem(b, ifaces);
			if (e)
				e->key[0] = val_ifname(t->vpn.ifname);
			e = pb_elem(b, ports);
			if (e)
				e->key[0] = val_be16(t->vpn.listen_port);
			hasport = true;
		}
		for (size_t a = 0; a < t->n_public; a++) {
			bool v4 = t->public_addrs[a].family == 4;
			struct fw_elem *e = pb_elem(b, v4 ? pub4 : pub6);
			if (e)
				e->key[0] = val_prefix(&t->public_addrs[a]);
			has4 |= v4;
			has6 |= !v4;
		}
	}

	/* Reverse-path filter: a source must be routed back where it came from. */
	pb_chain(b, "prerouting", FW_HOOK_PREROUTING, FW_CHAIN_FILTER, PRIO_RPF, FW_VERDICT_ACCEPT);
	r = pb_rule(b, NULL);
	pb_cmp(b, r, FW_SEL_IIFNAME, false, &lo);
	pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
	nd_rules(b);
	r = pb_rule(b, NULL);
	pb_cmp(b, r, FW_SEL_FIB_RPF, false, &zero);
	pb_verdict(b, r, FW_VERDICT_DROP, NULL);

	pb_chain(b, "forward", FW_HOOK_FORWARD, FW_CHAIN_FILTER, PRIO_BASE, FW_VERDICT_DROP);
	accept_established(b);
	/* A tenant's own chains already decided for its interfaces. */
	accept_in_set(b, sif, "ifaces");
	accept_in_set(b, sof, "ifaces");

	pb_chain(b, "input", FW_HOOK_INPUT, FW_CHAIN_FILTER, PRIO_BASE, FW_VERDICT_DROP);
	r = pb_rule(b, NULL);
	pb_cmp(b, r, FW_SEL_IIFNAME, false, &lo);
	pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
	accept_established(b);
	accept_in_set(b, sif, "ifaces");
	if (has4)
		accept_in_set(b, s4, "public4");
	if (has6)
		accept_in_set(b, s6, "public6");
	if (hasport) {
		r = pb_rule(b, NULL);
		pb_cmp(b, r, FW_SEL_L4PROTO, false, &udp);
		pb_lookup(b, r, sport, 1, false, false, "vpn_ports");
		pb_verdict(b, r, FW_VERDICT_ACCEPT, NULL);
	}
	nd_rules(b);
}

static int compile_tenant(struct pb *b, const struct fw_tenant *t, struct fw_diags *diags)
{
	struct tenant_flows tf;
	char name[FW_OBJ_NAME_MAX];
	int r = flows_build(t, diags, &tf);

	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "fwd_%s", t->name);
	pb_table(b, FW_FAMILY_INET, name, t->name);
	emit_forward(b, &tf);
	emit_input(b, &tf);
	emit_nat(b, &tf);
	emit_l2(b, &tf);
	flows_free(&tf);
	return b->err;
}

int plan_compile(const struct fw_policy *policy, struct fw_diags *diags, struct fw_plan **ret)
{
	struct pb b = {0};
	int r = 0;

	b.plan = calloc(1, sizeof(*b.plan));
	if (!b.plan)
		return -ENOMEM;
	emit_base(&b, policy);
	for (size_t i = 0; !r && !b.err && i < policy->n_tenants; i++)
		r = compile_tenant(&b, &policy->tenants[i], diags);
	if (!r)
		r = b.err;
	if (!r)
		r = vpn_plan_build(policy, diags, &b.plan->vpn);
	if (!r)
		r = l2_plan_build(policy, &b.plan->l2);
	if (r < 0) {
		plan_free(b.plan);
		return r;
	}
	fw_diags_sort(diags);
	/* last: the digests cover the finished plan */
	plan_digest(b.plan);
	*ret = b.plan;
	return 0;
}
