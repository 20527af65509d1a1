// SPDX-License-Identifier: GPL-2.0-or-later
/* Which addresses and ports prove an expectation (see expect_int.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile.h"
#include "expect_int.h"
#include "path.h"
#include "util.h"

/* Stands for the rest of the internet, as `fwctl explain` does. */
#define REP4 "198.51.100.200"
#define REP6 "2001:db8:ffff::200"

static unsigned alen(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

static int fam_ix(uint8_t family)
{
	return family == 4 ? 0 : 1;
}

static int add_bound(struct xspace *s, uint8_t family, const uint8_t *a)
{
	int f = fam_ix(family);
	struct xbound *b = fw_push((void **)&s->b[f], &s->n_b[f], &s->cap_b[f], sizeof(*b));

	if (!b)
		return -ENOMEM;
	memcpy(b->a, a, alen(family));
	return 0;
}

/* A prefix's first address and the one after its last are boundaries. */
static int add_prefix(struct xspace *s, const struct fw_prefix *p)
{
	struct fw_prefix end = *p;

	if (p->family != 4 && p->family != 6)
		return 0;
	if (add_bound(s, p->family, p->a) < 0)
		return -ENOMEM;
	fw_prefix_last(p, end.a);
	if (fw_addr_add(&end, 1) && add_bound(s, p->family, end.a) < 0)
		return -ENOMEM;
	return 0;
}

static int add_special(struct xspace *s, const struct fw_prefix *p)
{
	struct fw_prefix *v;

	if (add_prefix(s, p) < 0)
		return -ENOMEM;
	v = fw_push((void **)&s->special, &s->n_special, &s->cap_special, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*v = *p;
	return 0;
}

static int add_special_text(struct xspace *s, const char *text)
{
	struct fw_prefix p;

	if (fw_prefix_parse(text, false, &p) < 0)
		return -EINVAL;
	return add_special(s, &p);
}

static int add_special_addr(struct xspace *s, uint8_t family, const uint8_t *a)
{
	struct fw_prefix p = {.family = family, .len = family == 4 ? 32 : 128};

	memcpy(p.a, a, alen(family));
	return add_special(s, &p);
}

/* A subnet's network address and (IPv4) broadcast address. */
static int add_subnet(struct xspace *s, const struct fw_prefix *p)
{
	uint8_t last[16];

	if (add_prefix(s, p) < 0)
		return -ENOMEM;
	if (p->len >= (p->family == 4 ? 31 : 127))
		return 0;
	if (add_special_addr(s, p->family, p->a) < 0)
		return -ENOMEM;
	fw_prefix_last(p, last);
	return p->family == 4 ? add_special_addr(s, 4, last) : 0;
}

static int add_refs(struct xspace *s, const struct fw_ref *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == FW_REF_CIDR && add_prefix(s, &r[i].cidr) < 0)
			return -ENOMEM;
	return 0;
}

static int add_ports(struct xspace *s, const struct fw_port_spec *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int f = p[i].proto == 6 ? 0 : p[i].proto == 17 ? 1 : -1;
		uint16_t *v;

		if (f < 0)
			continue;
		v = fw_push((void **)&s->ports[f], &s->n_ports[f], &s->cap_ports[f], sizeof(*v));
		if (!v)
			return -ENOMEM;
		*v = p[i].lo;
		if (p[i].hi < 65535) {
			v = fw_push((void **)&s->ports[f], &s->n_ports[f], &s->cap_ports[f],
			            sizeof(*v));
			if (!v)
				return -ENOMEM;
			*v = (uint16_t)(p[i].hi + 1);
		}
	}
	return 0;
}

static int add_svcs(struct xspace *s, const struct fw_svc_ref *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (add_ports(s, v[i].ports, v[i].n_ports) < 0)
			return -ENOMEM;
	return 0;
}

static int cmp_bound4(const void *a, const void *b)
{
	return memcmp(a, b, 4);
}

static int cmp_bound6(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static int cmp_port(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return (x > y) - (x < y);
}

static size_t uniq(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char *c = v;
	size_t o = 0;

	if (n == 0)
		return 0;
	qsort(v, n, size, cmp);
	for (size_t i = 1; i < n; i++)
		if (cmp(c + o * size, c + i * size) != 0) {
			o++;
			memmove(c + o * size, c + i * size, size);
		}
	return o + 1;
}

static int collect_zones(const struct fw_tenant *t, struct xspace *s)
{
	int e = 0;

	for (size_t i = 0; !e && i < t->n_zones; i++) {
		const struct fw_zone *z = &t->zones[i];
		if (z->has_subnet4 && (e = add_subnet(s, &z->subnet4)) == 0)
			e = add_special(s, &z->gw4);
		if (!e && z->has_subnet6 && (e = add_subnet(s, &z->subnet6)) == 0)
			e = add_special(s, &z->gw6);
	}
	for (size_t i = 0; !e && i < t->n_hosts; i++) {
		if (t->hosts[i].has_addr4)
			e = add_prefix(s, &t->hosts[i].addr4);
		if (!e && t->hosts[i].has_addr6)
			e = add_prefix(s, &t->hosts[i].addr6);
	}
	for (size_t i = 0; !e && i < t->n_public; i++)
		e = add_special(s, &t->public_addrs[i]);
	for (size_t i = 0; !e && i < t->n_groups; i++)
		e = add_refs(s, t->groups[i].members, t->groups[i].n_members);
	return e;
}

/* Every item's prefixes and port ranges. */
static int collect_items(const struct fw_tenant *t, struct xspace *s)
{
	int e = 0;

	for (size_t i = 0; !e && i < t->n_rules; i++) {
		const struct fw_rule *r = &t->rules[i];
		if ((e = add_refs(s, r->from, r->n_from)) == 0 &&
		    (e = add_refs(s, r->to, r->n_to)) == 0)
			e = add_svcs(s, r->allow, r->n_allow);
	}
	for (size_t i = 0; !e && i < t->n_publish; i++) {
		const struct fw_publish *pb = &t->publish[i];
		if ((e = add_refs(s, pb->from, pb->n_from)) == 0 &&
		    (e = add_special(s, &pb->public_addr)) == 0)
			e = add_svcs(s, pb->allow, pb->n_allow);
	}
	for (size_t i = 0; !e && i < t->n_egress; i++)
		if ((e = add_refs(s, t->egress[i].from, t->egress[i].n_from)) == 0)
			e = add_svcs(s, t->egress[i].allow, t->egress[i].n_allow);
	for (size_t i = 0; !e && i < t->n_mgmt; i++)
		if ((e = add_refs(s, t->mgmt[i].from, t->mgmt[i].n_from)) == 0)
			e = add_svcs(s, t->mgmt[i].allow, t->mgmt[i].n_allow);
	return e;
}

static int collect_vpn(const struct fw_vpn *vpn, struct xspace *s)
{
	struct fw_port_spec wg = {.proto = 17, .lo = vpn->listen_port, .hi = vpn->listen_port};
	int e;

	if (!vpn->present)
		return 0;
	if ((e = add_subnet(s, &vpn->pool)) < 0 || (e = add_special(s, &vpn->address)) < 0 ||
	    (e = add_ports(s, &wg, 1)) < 0)
		return e;
	for (size_t i = 0; !e && i < vpn->n_users; i++)
		e = add_prefix(s, &vpn->users[i].addr);
	for (size_t i = 0; !e && i < vpn->n_sites; i++)
		for (size_t k = 0; !e && k < vpn->sites[i].n_networks; k++)
			e = add_subnet(s, &vpn->sites[i].networks[k]);
	return e;
}

static int collect(const struct fw_tenant *t, struct xspace *s)
{
	static const char *const never[] = {"0.0.0.0/8", "127.0.0.0/8", "224.0.0.0/3",
	                                    "::/8",      "fe80::/10",   "ff00::/8"};
	int e = 0;

	for (size_t i = 0; !e && i < ARRAY_SIZE(never); i++)
		e = add_special_text(s, never[i]);
	if (!e)
		e = collect_zones(t, s);
	if (!e)
		e = collect_items(t, s);
	if (!e)
		e = collect_vpn(&t->vpn, s);
	return e;
}

int xspace_build(const struct fw_tenant *t, struct xspace *s)
{
	int e;

	memset(s, 0, sizeof(*s));
	s->t = t;
	if ((e = collect(t, s)) < 0)
		return e;
	s->n_b[0] = uniq(s->b[0], s->n_b[0], sizeof(*s->b[0]), cmp_bound4);
	s->n_b[1] = uniq(s->b[1], s->n_b[1], sizeof(*s->b[1]), cmp_bound6);
	for (int f = 0; f < 2; f++)
		s->n_ports[f] = uniq(s->ports[f], s->n_ports[f], sizeof(uint16_t), cmp_port);
	return 0;
}

void xspace_free(struct xspace *s)
{
	for (int f = 0; f < 2; f++) {
		free(s->b[f]);
		free(s->ports[f]);
	}
	free(s->special);
	memset(s, 0, sizeof(*s));
}

static bool is_special(const struct xspace *s, const struct fw_prefix *a)
{
	for (size_t i = 0; i < s->n_special; i++)
		if (fw_prefix_contains(&s->special[i], a))
			return true;
	return false;
}

/* Index of the first boundary greater than a. */
static size_t first_above(const struct xspace *s, int f, const uint8_t *a, unsigned len)
{
	size_t lo = 0, hi = s->n_b[f];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(s->b[f][mid].a, a, len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int push_point(const struct xspace *s, const struct fw_prefix *a, struct xpoints *out,
                      size_t want_side, bool alone, bool shown)
{
	struct path_addr pa;
	struct xpoint *x;

	if (path_classify(s->t, a, &pa) < 0)
		return -ENOMEM;
	if (!alone && (pa.side != want_side || is_special(s, a)))
		return 0;
	x = fw_push((void **)&out->v, &out->n, &out->cap, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->family = a->family;
	memcpy(x->a, a->a, 16);
	x->side = pa.side;
	x->firewall = pa.firewall;
	x->is_public = pa.is_public;
	x->shown = shown;
	return 0;
}

/* One point per stretch of ep's prefix. The internet's stretch that holds
 * the documentation address explain uses is tried with it, first: a
 * counter-example from "the internet" then reads as one. */
static int ep_points(const struct xspace *s, const struct ep *ep, struct xpoints *out)
{
	const struct fw_prefix *p = &ep->p;
	unsigned len = alen(p->family);
	int f = fam_ix(p->family);
	struct fw_prefix cand = *p, rep;
	uint8_t last[16];
	size_t i;

	cand.len = p->family == 4 ? 32 : 128;
	if (p->len == cand.len)
		return push_point(s, &cand, out, ep->side, true, false);
	fw_prefix_parse(p->family == 4 ? REP4 : REP6, false, &rep);
	fw_prefix_last(p, last);
	i = first_above(s, f, p->a, len);
	for (;;) {
		const uint8_t *next = i < s->n_b[f] ? s->b[f][i].a : NULL;
		bool shown = ep->side == SIDE_INTERNET && memcmp(rep.a, cand.a, len) >= 0 &&
		             (!next || memcmp(rep.a, next, len) < 0) &&
		             memcmp(rep.a, last, len) <= 0 && !is_special(s, &rep);

		if (push_point(s, shown ? &rep : &cand, out, ep->side, false, shown) < 0)
			return -ENOMEM;
		if (!next || memcmp(next, last, len) > 0)
			return 0;
		memcpy(cand.a, next, len);
		i++;
	}
}

static int cmp_point(const void *a, const void *b)
{
	const struct xpoint *x = a, *y = b;

	if (x->shown != y->shown)
		return x->shown ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, alen(x->family));
}

int xspace_ref_points(const struct xspace *s, const struct fw_ref *r, struct xpoints *out)
{
	struct eplist l = {0};
	int e = expand_ref(s->t, r, &l);

	for (size_t i = 0; !e && i < l.n; i++)
		e = ep_points(s, &l.v[i], out);
	free(l.v);
	if (e < 0)
		return e;
	out->n = uniq(out->v, out->n, sizeof(*out->v), cmp_point);
	return 0;
}

static int push_port(struct xports *out, uint8_t proto, uint16_t port)
{
	struct fw_port_spec *p = fw_push((void **)&out->v, &out->n, &out->cap, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->proto = proto;
	p->lo = p->hi = port;
	return 0;
}

/* One port of every stretch of lo..hi that the tenant's ranges make. */
static int port_points(const struct xspace *s, uint8_t proto, uint16_t lo, uint16_t hi,
                       struct xports *out)
{
	int f = proto == 6 ? 0 : 1;

	if (lo == 0)
		lo = 1; /* port 0 is never a service's */
	if (lo > hi)
		return 0;
	if (push_port(out, proto, lo) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_ports[f]; i++)
		if (s->ports[f][i] > lo && s->ports[f][i] <= hi &&
		    push_port(out, proto, s->ports[f][i]) < 0)
			return -ENOMEM;
	return 0;
}

static int cmp_spec(const void *a, const void *b)
{
	const struct fw_port_spec *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Protocols other than tcp, udp, icmp and icmpv6 are one stretch: a policy
 * allows all of them (`any`) or none. GRE stands for them. */
#define OTHER_PROTO 47

int xspace_svc_ports(const struct xspace *s, const struct fw_svc_ref *svc, size_t n,
                     struct xports *out)
{
	int e = 0;

	for (size_t i = 0; !e && i < n; i++)
		for (size_t k = 0; !e && k < svc[i].n_ports; k++) {
			const struct fw_port_spec *p = &svc[i].ports[k];

			if (p->proto == 6 || p->proto == 17)
				e = port_points(s, p->proto, p->lo, p->hi, out);
			else if (p->proto != 0)
				e = push_port(out, p->proto, 0);
			else if ((e = port_points(s, 6, 1, 65535, out)) == 0 &&
			         (e = port_points(s, 17, 1, 65535, out)) == 0 &&
			         (e = push_port(out, 1, 0)) == 0 &&
			         (e = push_port(out, 58, 0)) == 0)
				e = push_port(out, OTHER_PROTO, 0);
		}
	if (e < 0)
		return e;
	out->n = uniq(out->v, out->n, sizeof(*out->v), cmp_spec);
	return 0;
}
