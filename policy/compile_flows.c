// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * From policy items to flows: every rule, publish, egress and management
 * entry is expanded into (side, prefix) endpoints and inserted as boxes
 * into the covers of its side pair. Shadowed and never-matching rules are
 * found here and reported as warnings.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile.h"
#include "util.h"

size_t side_count(const struct fw_tenant *t)
{
	return t->n_zones + 2;
}

const char *side_name(const struct fw_tenant *t, size_t side)
{
	if (side == SIDE_INTERNET)
		return "internet";
	if (side <= t->n_zones)
		return t->zones[side - 1].name;
	return "vpn";
}

const char *side_ifname(const struct fw_tenant *t, size_t side)
{
	if (side == SIDE_INTERNET)
		return t->uplink_if;
	if (side <= t->n_zones)
		return t->zones[side - 1].ifname;
	return t->vpn.ifname;
}

static int ep_push(struct eplist *l, size_t side, const struct fw_prefix *p)
{
	struct ep *e = fw_push((void **)&l->v, &l->n, &l->cap, sizeof(*l->v));

	if (!e)
		return -ENOMEM;
	e->side = side;
	e->p = *p;
	return 0;
}

static size_t cidr_side(const struct fw_tenant *t, const struct fw_prefix *p)
{
	for (size_t i = 0; i < t->n_zones; i++) {
		const struct fw_zone *z = &t->zones[i];
		if ((z->has_subnet4 && fw_prefix_contains(&z->subnet4, p)) ||
		    (z->has_subnet6 && fw_prefix_contains(&z->subnet6, p)))
			return SIDE_ZONE(i);
	}
	if (t->vpn.present) {
		if (fw_prefix_contains(&t->vpn.pool, p))
			return side_count(t) - 1;
		for (size_t s = 0; s < t->vpn.n_sites; s++)
			for (size_t i = 0; i < t->vpn.sites[s].n_networks; i++)
				if (fw_prefix_contains(&t->vpn.sites[s].networks[i], p))
					return side_count(t) - 1;
	}
	return SIDE_INTERNET;
}

static int expand_depth(const struct fw_tenant *t, const struct fw_ref *r, struct eplist *out,
                        unsigned depth)
{
	size_t vpn = side_count(t) - 1;
	struct fw_prefix any4 = {.family = 4}, any6 = {.family = 6};
	int e = 0;

	if (depth > 64)
		return -ELOOP; /* the checker refuses cycles; belt and braces */
	switch (r->kind) {
	case FW_REF_HOST: {
		const struct fw_host *h = &t->hosts[r->index];
		if (h->has_addr4)
			e = ep_push(out, SIDE_ZONE(h->zone), &h->addr4);
		if (!e && h->has_addr6)
			e = ep_push(out, SIDE_ZONE(h->zone), &h->addr6);
		return e;
	}
	case FW_REF_ZONE: {
		const struct fw_zone *z = &t->zones[r->index];
		if (z->has_subnet4)
			e = ep_push(out, SIDE_ZONE(r->index), &z->subnet4);
		if (!e && z->has_subnet6)
			e = ep_push(out, SIDE_ZONE(r->index), &z->subnet6);
		return e;
	}
	case FW_REF_GROUP:
		for (size_t i = 0; !e && i < t->groups[r->index].n_members; i++)
			e = expand_depth(t, &t->groups[r->index].members[i], out, depth + 1);
		return e;
	case FW_REF_INTERNET:
		e = ep_push(out, SIDE_INTERNET, &any4);
		return e ? e : ep_push(out, SIDE_INTERNET, &any6);
	case FW_REF_CIDR:
		return ep_push(out, cidr_side(t, &r->cidr), &r->cidr);
	case FW_REF_VPN_USER:
		return ep_push(out, vpn, &t->vpn.users[r->index].addr);
	case FW_REF_VPN_GROUP:
		for (size_t u = 0; !e && u < t->vpn.n_users; u++)
			for (size_t g = 0; g < t->vpn.users[u].n_groups; g++)
				if (t->vpn.users[u].groups[g] == r->index) {
					e = ep_push(out, vpn, &t->vpn.users[u].addr);
					break;
				}
		return e;
	case FW_REF_VPN_ALL:
		return ep_push(out, vpn, &t->vpn.pool);
	case FW_REF_SITE:
		for (size_t i = 0; !e && i < t->vpn.sites[r->index].n_networks; i++)
			e = ep_push(out, vpn, &t->vpn.sites[r->index].networks[i]);
		return e;
	}
	return 0;
}

int expand_ref(const struct fw_tenant *t, const struct fw_ref *r, struct eplist *out)
{
	return expand_depth(t, r, out, 0);
}

static int expand_refs(const struct fw_tenant *t, const struct fw_ref *r, size_t n,
                       struct eplist *out)
{
	int e = 0;

	for (size_t i = 0; !e && i < n; i++)
		e = expand_ref(t, &r[i], out);
	return e;
}

static void flows_init(struct flows *f)
{
	cover_init(&f->p[0], 4, true);
	cover_init(&f->a[0], 4, false);
	cover_init(&f->p[1], 16, true);
	cover_init(&f->a[1], 16, false);
}

static void flows_fini(struct flows *f)
{
	for (int i = 0; i < 2; i++) {
		cover_free(&f->p[i]);
		cover_free(&f->a[i]);
	}
}

/* What one item did, for its warnings. */
struct item_stats {
	size_t boxes, added;
	bool covered;
	struct fw_origin covered_by;
	bool several;
	bool intra_open; /* hit a non-isolated zone to itself */
	const char *open_zone;
	bool self; /* a host to itself */
};

static int insert(struct flows *f, const struct ep *s, const struct ep *d,
                  const struct fw_port_spec *ps, const struct fw_origin *o, struct item_stats *st)
{
	struct box b = {.origin = *o};
	struct cover_result res;
	int fam = s->p.family == 6;
	bool ports = (ps->proto == 6 || ps->proto == 17) && !(ps->lo == 0 && ps->hi == 65535);
	int r;

	box_from_prefixes(&b, &s->p, &d->p);
	b.p_lo = ps->proto;
	b.p_hi = ps->proto ? ps->proto : 255;
	b.port_lo = ports ? ps->lo : 0;
	b.port_hi = ports ? ps->hi : 65535;
	if (ports)
		r = cover_insert(&f->p[fam], &b, &f->a[fam], &res);
	else
		r = cover_insert(&f->a[fam], &b, NULL, &res);
	if (r < 0)
		return r;
	if (!st)
		return 0;
	st->boxes++;
	st->added += res.added;
	if (res.covered) {
		if (st->covered && st->covered_by.id != res.covered_by.id)
			st->several = true;
		if (!st->covered) {
			st->covered = true;
			st->covered_by = res.covered_by;
		}
		st->several |= res.several;
	}
	return 0;
}

static struct counted *counted_get(struct tenant_flows *tf, const struct fw_origin *o, bool log,
                                   size_t src, size_t dst)
{
	struct counted *c;

	for (size_t i = 0; i < tf->n_counted; i++)
		if (tf->counted[i].origin == o && tf->counted[i].src == src &&
		    tf->counted[i].dst == dst)
			return &tf->counted[i];
	c = fw_push((void **)&tf->counted, &tf->n_counted, &tf->cap_counted, sizeof(*c));
	if (!c)
		return NULL;
	c->origin = o;
	c->log = log;
	c->src = src;
	c->dst = dst;
	flows_init(&c->f);
	return c;
}

/* Forward flows of one item: every source x destination x service. */
static int item_forward(struct tenant_flows *tf, const struct fw_origin *o,
                        const struct eplist *src, const struct eplist *dst,
                        const struct fw_svc_ref *svc, size_t n_svc, uint16_t to_port, bool counted,
                        bool log, struct item_stats *st)
{
	/* A publish entry's flows are allowed only to packets its DNAT
	 * rewrote: the host's own address stays closed from the internet. */
	bool pub = o >= tf->origins + tf->t->n_rules &&
	           o < tf->origins + tf->t->n_rules + tf->t->n_publish;
	const struct fw_tenant *t = tf->t;
	size_t ns = tf->n_sides;
	int r = 0;

	for (size_t i = 0; i < src->n; i++)
		for (size_t j = 0; j < dst->n; j++) {
			const struct ep *s = &src->v[i], *d = &dst->v[j];
			struct flows *f;

			if (s->p.family != d->p.family)
				continue;
			if (s->side == d->side && s->side != SIDE_INTERNET && s->side < ns - 1) {
				const struct fw_zone *z = &t->zones[s->side - 1];
				if (!memcmp(&s->p, &d->p, sizeof(s->p)) &&
				    s->p.len == (s->p.family == 4 ? 32 : 128)) {
					st->self = true;
					continue;
				}
				if (!z->isolate) {
					st->intra_open = true;
					st->open_zone = z->name;
					continue;
				}
				f = &tf->iso[s->side - 1];
			} else {
				f = &(pub ? tf->pub : tf->fwd)[s->side * ns + d->side];
			}
			for (size_t k = 0; k < n_svc; k++)
				for (size_t m = 0; m < svc[k].n_ports; m++) {
					struct fw_port_spec ps = svc[k].ports[m];
					if (to_port)
						ps.lo = ps.hi = to_port;
					if ((r = insert(f, s, d, &ps, o, st)) < 0)
						return r;
					if (counted) {
						struct counted *c =
						    counted_get(tf, o, log, s->side, d->side);
						if (!c)
							return -ENOMEM;
						if ((r = insert(&c->f, s, d, &ps, o, NULL)) < 0)
							return r;
					}
				}
		}
	return 0;
}

static void item_warnings(struct fw_diags *d, const struct fw_origin *o, const char *what,
                          const struct item_stats *st)
{
	if (st->self)
		fw_warning(
		    d, &o->loc,
		    "%s '%s' can never match: a host does not reach itself through the firewall",
		    what, o->id);
	if (st->intra_open)
		fw_warning(d, &o->loc,
		           "%s '%s' can never match inside zone '%s': traffic between its hosts is "
		           "not filtered (isolate: false)",
		           what, o->id, st->open_zone);
	if (st->boxes == 0 && !st->self && !st->intra_open)
		fw_warning(d, &o->loc,
		           "%s '%s' can never match: its sources and destinations have no address "
		           "family in common",
		           what, o->id);
	if (st->boxes > 0 && st->added == 0 && st->covered) {
		if (st->several || !st->covered_by.id)
			fw_warning(
			    d, &o->loc,
			    "%s '%s' is shadowed: everything it allows is already allowed by "
			    "earlier rules",
			    what, o->id);
		else
			fw_warning(d, &o->loc,
			           "%s '%s' is shadowed by '%s' (line %u): everything it allows is "
			           "already allowed",
			           what, o->id, st->covered_by.id, st->covered_by.loc.line);
	}
}

static struct fw_origin *origin_new(struct tenant_flows *tf, const char *id, struct fw_loc loc)
{
	struct fw_origin *o = &tf->origins[tf->n_origins++];

	o->id = id;
	o->loc = loc;
	return o;
}

static int build_rules(struct tenant_flows *tf, struct fw_diags *d)
{
	const struct fw_tenant *t = tf->t;
	int r = 0;

	for (size_t i = 0; !r && i < t->n_rules; i++) {
		const struct fw_rule *ru = &t->rules[i];
		struct fw_origin *o = origin_new(tf, ru->id, ru->loc);
		struct eplist src = {0}, dst = {0};
		struct item_stats st = {0};

		r = expand_refs(t, ru->from, ru->n_from, &src);
		if (!r)
			r = expand_refs(t, ru->to, ru->n_to, &dst);
		if (!r)
			r = item_forward(tf, o, &src, &dst, ru->allow, ru->n_allow, 0,
			                 ru->counter || ru->log, ru->log, &st);
		if (!r)
			item_warnings(d, o, "rule", &st);
		free(src.v);
		free(dst.v);
	}
	return r;
}

static int build_publish(struct tenant_flows *tf, struct fw_diags *d)
{
	const struct fw_tenant *t = tf->t;
	int r = 0;

	for (size_t i = 0; !r && i < t->n_publish; i++) {
		const struct fw_publish *p = &t->publish[i];
		struct fw_origin *o = origin_new(tf, p->id, p->loc);
		struct eplist src = {0}, dst = {0};
		struct item_stats st = {0};
		struct fw_ref host = {.kind = FW_REF_HOST, .index = p->host};
		struct fw_ref inet = {.kind = FW_REF_INTERNET};

		r = p->n_from ? expand_refs(t, p->from, p->n_from, &src)
		              : expand_ref(t, &inet, &src);
		if (!r)
			r = expand_ref(t, &host, &dst);
		/* Only the published address family reaches the host. */
		for (size_t k = 0; k < dst.n; k++)
			if (dst.v[k].p.family != p->public_addr.family)
				dst.v[k].p.family = 0;
		if (!r)
			r = item_forward(tf, o, &src, &dst, p->allow, p->n_allow, p->to_port,
			                 p->log, p->log, &st);
		if (!r)
			item_warnings(d, o, "publish entry", &st);
		free(src.v);
		free(dst.v);
	}
	return r;
}

static int build_egress(struct tenant_flows *tf, struct fw_diags *d)
{
	const struct fw_tenant *t = tf->t;
	int r = 0;

	for (size_t i = 0; !r && i < t->n_egress; i++) {
		const struct fw_egress *e = &t->egress[i];
		struct fw_origin *o = origin_new(tf, e->id, e->loc);
		struct eplist src = {0}, dst = {0};
		struct item_stats st = {0};
		struct fw_ref inet = {.kind = FW_REF_INTERNET};

		r = expand_refs(t, e->from, e->n_from, &src);
		if (!r)
			r = expand_ref(t, &inet, &dst);
		if (!r)
			r = item_forward(tf, o, &src, &dst, e->allow, e->n_allow, 0, e->log, e->log,
			                 &st);
		if (!r)
			item_warnings(d, o, "egress entry", &st);
		free(src.v);
		free(dst.v);
	}
	return r;
}

/* Management: input flows keyed by source, protocol and port. */
static int build_management(struct tenant_flows *tf, struct fw_diags *d)
{
	const struct fw_tenant *t = tf->t;
	int r = 0;

	for (size_t i = 0; !r && i < t->n_mgmt; i++) {
		const struct fw_mgmt *m = &t->mgmt[i];
		struct fw_origin *o = origin_new(tf, m->id, m->loc);
		struct eplist src = {0};
		struct item_stats st = {0};

		r = expand_refs(t, m->from, m->n_from, &src);
		for (size_t s = 0; !r && s < src.n; s++) {
			struct ep any = {.side = 0, .p = {.family = src.v[s].p.family}};
			for (size_t k = 0; !r && k < m->n_allow; k++)
				for (size_t p = 0; !r && p < m->allow[k].n_ports; p++)
					r = insert(&tf->in[src.v[s].side], &src.v[s], &any,
					           &m->allow[k].ports[p], o, &st);
		}
		if (!r)
			item_warnings(d, o, "management entry", &st);
		free(src.v);
	}
	return r;
}

int flows_build(const struct fw_tenant *t, struct fw_diags *diags, struct tenant_flows *tf)
{
	size_t ns = side_count(t);
	int r;

	memset(tf, 0, sizeof(*tf));
	tf->t = t;
	tf->n_sides = ns;
	tf->fwd = calloc(ns * ns, sizeof(*tf->fwd));
	tf->pub = calloc(ns * ns, sizeof(*tf->pub));
	tf->iso = calloc(t->n_zones ? t->n_zones : 1, sizeof(*tf->iso));
	tf->in = calloc(ns, sizeof(*tf->in));
	tf->origins =
	    calloc(t->n_rules + t->n_publish + t->n_egress + t->n_mgmt + 1, sizeof(*tf->origins));
	if (!tf->fwd || !tf->pub || !tf->iso || !tf->in || !tf->origins) {
		flows_free(tf);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ns * ns; i++)
		flows_init(&tf->fwd[i]);
	for (size_t i = 0; i < ns * ns; i++)
		flows_init(&tf->pub[i]);
	for (size_t i = 0; i < t->n_zones; i++)
		flows_init(&tf->iso[i]);
	for (size_t i = 0; i < ns; i++)
		flows_init(&tf->in[i]);
	r = build_rules(tf, diags);
	if (!r)
		r = build_publish(tf, diags);
	if (!r)
		r = build_egress(tf, diags);
	if (!r)
		r = build_management(tf, diags);
	if (r < 0)
		flows_free(tf);
	return r;
}

void flows_free(struct tenant_flows *tf)
{
	const struct fw_tenant *t = tf->t;

	if (tf->fwd)
		for (size_t i = 0; i < tf->n_sides * tf->n_sides; i++)
			flows_fini(&tf->fwd[i]);
	if (tf->pub)
		for (size_t i = 0; i < tf->n_sides * tf->n_sides; i++)
			flows_fini(&tf->pub[i]);
	if (tf->iso)
		for (size_t i = 0; t && i < t->n_zones; i++)
			flows_fini(&tf->iso[i]);
	if (tf->in)
		for (size_t i = 0; i < tf->n_sides; i++)
			flows_fini(&tf->in[i]);
	for (size_t i = 0; i < tf->n_counted; i++)
		flows_fini(&tf->counted[i].f);
	free(tf->fwd);
	free(tf->pub);
	free(tf->iso);
	free(tf->in);
	free(tf->counted);
	free(tf->origins);
	memset(tf, 0, sizeof(*tf));
}
