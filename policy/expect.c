// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Proving `expect:` entries against the compiled plan (see fwd/expect.h).
 *
 * Every packet an entry stands for (expect_points.c) is followed through
 * the plan the way `fwctl explain` follows one (policy/path.c): prerouting
 * and DNAT, then input, forward or the bridge of an isolated zone. The
 * first packet whose fate differs from the entry is the counter-example,
 * named with the rule or default that decided it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile.h"
#include "expect_int.h"
#include "path.h"
#include "util.h"

/* What the check of one entry needs. */
struct xcheck {
	const struct fw_plan *plan;
	const struct xspace *s;
	const struct fw_expect *e;
	struct fw_diags *diags;
	size_t *budget; /* packets left for the whole appliance */
};

/* A packet tried: as it arrived, and what became of it. */
struct xtry {
	const struct xpoint *src, *dst;
	struct fw_prefix to; /* the address it was sent to */
	struct fw_port_spec port;
	struct path_ends ends;
	struct fw_packet pk; /* after the plan: DNAT applied */
	struct fw_eval ev;
	char path[160];
	bool allowed;
};

static void addr_text(uint8_t family, const uint8_t *a, char *buf, size_t size)
{
	struct fw_prefix p = {.family = family, .len = family == 4 ? 32 : 128};

	memcpy(p.a, a, 16);
	if (fw_addr_format(&p, buf, size) < 0)
		snprintf(buf, size, "?");
}

static void port_text(uint8_t proto, uint16_t port, char *buf, size_t size)
{
	if (proto == 6 || proto == 17)
		snprintf(buf, size, "%s/%u", fw_proto_name(proto), port);
	else if (proto == 1 || proto == 58)
		snprintf(buf, size, "%s", fw_proto_name(proto));
	else
		snprintf(buf, size, "ip protocol %u", proto);
}

/* Where the decision was made, in the policy's words. */
static void where_text(const struct fw_tenant *t, const struct xtry *x, char *buf, size_t size)
{
	struct fw_prefix a = {.family = x->pk.family, .len = x->pk.family == 4 ? 32 : 128};
	size_t src = x->ends.src_side;
	struct path_addr pa = {.side = SIDE_INTERNET};

	memcpy(a.a, x->pk.daddr, 16);
	if (path_classify(t, &a, &pa) < 0)
		pa.side = x->ends.dst_side;
	if (x->ends.to_firewall || (x->ends.dst_public && !x->ev.nat))
		snprintf(buf, size, "%s → firewall", side_name(t, src));
	else if (src == pa.side && src >= 1 && src <= t->n_zones)
		snprintf(buf, size, "zone %s %s", t->zones[src - 1].name,
		         t->zones[src - 1].isolate ? "isolated" : "is not isolated");
	else
		snprintf(buf, size, "%s → %s", side_name(t, src), side_name(t, pa.side));
}

/* "dropped by default.deny (zone servers isolated)" and the like. */
static void verdict_text(const struct fw_tenant *t, const struct xtry *x, char *buf, size_t size)
{
	const struct fw_eval *ev = &x->ev;
	const char *what = x->allowed ? "allowed" : "dropped";
	char where[160], nat[128] = "", to[64], pt[32];

	where_text(t, x, where, sizeof(where));
	if (ev->nat && x->allowed) {
		addr_text(x->pk.family, x->pk.daddr, to, sizeof(to));
		port_text(x->pk.proto, x->pk.dport, pt, sizeof(pt));
		snprintf(nat, sizeof(nat), "DNAT to %s %s, ", to, pt);
	}
	if (!strcmp(x->path, "prerouting"))
		snprintf(buf, size, "dropped in prerouting by %s %s", ev->table, ev->chain);
	else if (x->allowed && !ev->table[0])
		snprintf(buf, size, "allowed (%s)", where);
	else if (ev->origin.id && !strcmp(ev->origin.id, FW_ORIGIN_DEFAULT_DENY))
		snprintf(buf, size, "%s by %s (%s)", what, FW_ORIGIN_DEFAULT_DENY, where);
	else if (ev->origin.id)
		snprintf(buf, size, "%s by '%s' at %u:%u (%s%s)", what, ev->origin.id,
		         ev->origin.loc.line, ev->origin.loc.col, nat, where);
	else if (ev->by_policy)
		snprintf(buf, size, "%s by the policy of %s %s (%s%s)", what, ev->table, ev->chain,
		         nat, where);
	else
		snprintf(buf, size, "%s by %s %s (%s%s)", what, ev->table, ev->chain, nat, where);
}

static int fail(const struct xcheck *c, const struct xtry *x)
{
	const struct fw_tenant *t = c->s->t;
	char from[64], to[64], pt[32], why[512];

	addr_text(x->src->family, x->src->a, from, sizeof(from));
	addr_text(x->to.family, x->to.a, to, sizeof(to));
	port_text(x->port.proto, x->port.lo, pt, sizeof(pt));
	verdict_text(t, x, why, sizeof(why));
	if (fw_error(c->diags, &c->e->loc,
	             "expectation failed: %s: expected %s, but %s → %s %s is %s", c->e->text,
	             c->e->allow ? "allow" : "deny", from, to, pt, why) < 0)
		return -ENOMEM;
	return -EINVAL;
}

/* The first packet of a connection, as explain builds it. */
static void first_packet(struct xtry *x)
{
	struct fw_packet *pk = &x->pk;

	memset(pk, 0, sizeof(*pk));
	pk->family = x->src->family;
	memcpy(pk->saddr, x->src->a, 16);
	memcpy(pk->daddr, x->to.a, 16);
	pk->proto = x->port.proto;
	pk->sport = 40000;
	pk->dport = x->port.lo;
	pk->icmp_type = x->port.proto == 58 ? 128 : 8; /* echo request */
	pk->tcp_flags = FW_TCP_SYN;
	pk->ct_state = FW_CT_NEW;
}

/* Where the pair goes; false when it is not this tenant's traffic to try:
 * the firewall's own, an address to itself, the internet to the internet. */
static bool pair_ends(const struct xcheck *c, const struct xpoint *s, const struct xpoint *d,
                      struct xtry *x)
{
	const struct fw_tenant *t = c->s->t;

	memset(x, 0, sizeof(*x));
	x->src = s;
	x->dst = d;
	if (s->firewall)
		return false;
	x->ends.src_side = s->side;
	if (c->e->to_firewall) {
		path_firewall_addr(t, s->side, s->family, &x->to);
		x->ends.dst_side = s->side;
		x->ends.to_firewall = true;
		return x->to.family == s->family;
	}
	if (d->family != s->family || !memcmp(d->a, s->a, 16))
		return false;
	if (s->side == SIDE_INTERNET && d->side == SIDE_INTERNET && !d->firewall)
		return false;
	x->to = (struct fw_prefix){.family = d->family, .len = d->family == 4 ? 32 : 128};
	memcpy(x->to.a, d->a, 16);
	x->ends.dst_side = d->side;
	x->ends.to_firewall = d->firewall && !d->is_public;
	x->ends.dst_public = d->is_public;
	return true;
}

static bool port_fits(uint8_t family, const struct fw_port_spec *p)
{
	return !((p->proto == 1 && family != 4) || (p->proto == 58 && family != 6));
}

/* How many packets the entry takes. */
static size_t count_packets(const struct xcheck *c, const struct xpoints *src,
                            const struct xpoints *dst, const struct xports *ports)
{
	size_t n = 0;

	for (uint8_t f = 4; f <= 6; f += 2) {
		size_t ns = 0, nd = 0, np = 0;
		for (size_t i = 0; i < src->n; i++)
			ns += src->v[i].family == f;
		for (size_t i = 0; i < dst->n; i++)
			nd += dst->v[i].family == f;
		for (size_t i = 0; i < ports->n; i++)
			np += port_fits(f, &ports->v[i]);
		if (c->e->to_firewall)
			nd = 1;
		if (nd && np && ns > SIZE_MAX / nd / np)
			return SIZE_MAX;
		n += ns * nd * np;
	}
	return n;
}

/* Returns 0 (holds), -EINVAL (recorded) or -ENOMEM. */
static int try_all(const struct xcheck *c, const struct xpoints *src, const struct xpoints *dst,
                   const struct xports *ports)
{
	static const struct xpoint none;
	size_t tried = 0;

	for (size_t i = 0; i < src->n; i++)
		for (size_t j = 0; j < (c->e->to_firewall ? 1 : dst->n); j++) {
			struct xtry x;
			const struct xpoint *d = c->e->to_firewall ? &none : &dst->v[j];

			if (!pair_ends(c, &src->v[i], d, &x))
				continue;
			for (size_t k = 0; k < ports->n; k++) {
				int r;

				if (!port_fits(x.src->family, &ports->v[k]))
					continue;
				x.port = ports->v[k];
				first_packet(&x);
				r = path_follow(c->plan, c->s->t, &x.ends, &x.pk, &x.ev, x.path,
				                sizeof(x.path));
				if (r < 0)
					return r;
				tried++;
				x.allowed = r > 0;
				if (x.allowed != c->e->allow)
					return fail(c, &x);
			}
		}
	if (tried == 0 && fw_error(c->diags, &c->e->loc,
	                           "expectation failed: %s: no packet to try (the two sides have "
	                           "no address family in common, or are the firewall's own)",
	                           c->e->text) < 0)
		return -ENOMEM;
	return tried ? 0 : -EINVAL;
}

static int check_one(const struct xcheck *c)
{
	struct xpoints src = {0}, dst = {0};
	struct xports ports = {0};
	size_t n;
	int r;

	r = xspace_ref_points(c->s, &c->e->from, &src);
	if (r == 0 && !c->e->to_firewall)
		r = xspace_ref_points(c->s, &c->e->to, &dst);
	if (r == 0)
		r = xspace_svc_ports(c->s, c->e->svc, c->e->n_svc, &ports);
	if (r < 0)
		goto out;
	n = count_packets(c, &src, &dst, &ports);
	if (n > FW_EXPECT_MAX_PACKETS || n > *c->budget) {
		if (n > FW_EXPECT_MAX_PACKETS)
			r = fw_error(
			    c->diags, &c->e->loc,
			    "expectation cannot be checked: %s: it stands for %zu packets, "
			    "more than %d; name fewer hosts or services",
			    c->e->text, n, FW_EXPECT_MAX_PACKETS);
		else
			r = fw_error(
			    c->diags, &c->e->loc,
			    "expectation cannot be checked: %s: the expectations of this "
			    "appliance stand for more than %d packets; name fewer hosts or "
			    "services",
			    c->e->text, FW_EXPECT_MAX_TOTAL_PACKETS);
		r = r < 0 ? r : -EINVAL;
		goto out;
	}
	*c->budget -= n;
	r = try_all(c, &src, &dst, &ports);
out:
	free(src.v);
	free(dst.v);
	free(ports.v);
	return r;
}

int policy_check_expectations(const struct fw_policy *p, const struct fw_plan *plan,
                              struct fw_diags *diags)
{
	size_t budget = FW_EXPECT_MAX_TOTAL_PACKETS;
	bool failed = false;
	int r = 0;

	for (size_t i = 0; i < p->n_tenants && r != -ENOMEM; i++) {
		const struct fw_tenant *t = &p->tenants[i];
		struct xspace s;

		if (t->n_expects == 0)
			continue;
		r = xspace_build(t, &s);
		for (size_t k = 0; r != -ENOMEM && k < t->n_expects; k++) {
			struct xcheck c = {plan, &s, &t->expects[k], diags, &budget};
			r = check_one(&c);
			failed |= r == -EINVAL;
		}
		xspace_free(&s);
	}
	fw_diags_sort(diags);
	if (r == -ENOMEM)
		return r;
	return failed ? -EINVAL : 0;
}
