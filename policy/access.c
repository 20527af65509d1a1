// SPDX-License-Identifier: GPL-2.0-or-later
/* Effective access of a policy by name, and the difference of two (fwd/access.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/access.h"
#include "strpool.h"
#include "util.h"

#define MAX_DEPTH 64 /* group nesting; the checker refuses cycles */

struct names {
	const char **v;
	size_t n, cap;
};

struct actx {
	struct fw_access_set *s;
	const struct fw_tenant *t;
	const char *tenant;
	int err;
};

static const char *intern(struct actx *c, const char *s)
{
	const char *r = strpool_get(c->s->pool, s);

	if (!r)
		c->err = -ENOMEM;
	return r;
}

/* Add a name once (interned: pointers compare). */
static void names_add(struct actx *c, struct names *l, const char *raw)
{
	const char *s = intern(c, raw);

	if (!s)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == s)
			return;
	const char **slot = fw_push((void **)&l->v, &l->n, &l->cap, sizeof(*l->v));
	if (!slot)
		c->err = -ENOMEM;
	else
		*slot = s;
}

static void prefix_text(const struct fw_prefix *p, char *buf, size_t size)
{
	if (p->len == (p->family == 4 ? 32 : 128))
		fw_addr_format(p, buf, size);
	else
		fw_prefix_format(p, buf, size);
}

static void ref_names(struct actx *c, const struct fw_ref *r, struct names *out, unsigned depth)
{
	const struct fw_tenant *t = c->t;
	char buf[FW_NAME_MAX + 64];

	if (c->err || depth > MAX_DEPTH)
		return;
	switch (r->kind) {
	case FW_REF_HOST:
		names_add(c, out, t->hosts[r->index].name);
		return;
	case FW_REF_ZONE:
		names_add(c, out, t->zones[r->index].name);
		return;
	case FW_REF_GROUP:
		for (size_t i = 0; i < t->groups[r->index].n_members; i++)
			ref_names(c, &t->groups[r->index].members[i], out, depth + 1);
		return;
	case FW_REF_INTERNET:
		names_add(c, out, "internet");
		return;
	case FW_REF_CIDR:
		prefix_text(&r->cidr, buf, sizeof(buf));
		names_add(c, out, buf);
		return;
	case FW_REF_VPN_USER:
		snprintf(buf, sizeof(buf), "vpn:%s", t->vpn.users[r->index].name);
		names_add(c, out, buf);
		return;
	case FW_REF_VPN_GROUP:
		/* A group means its users: the diff names who gains access. */
		for (size_t u = 0; u < t->vpn.n_users; u++)
			for (size_t g = 0; g < t->vpn.users[u].n_groups; g++)
				if (t->vpn.users[u].groups[g] == r->index) {
					snprintf(buf, sizeof(buf), "vpn:%s", t->vpn.users[u].name);
					names_add(c, out, buf);
					break;
				}
		return;
	case FW_REF_VPN_ALL:
		names_add(c, out, "vpn:all");
		return;
	case FW_REF_SITE:
		snprintf(buf, sizeof(buf), "site:%s", t->vpn.sites[r->index].name);
		names_add(c, out, buf);
		return;
	}
}

static void refs_names(struct actx *c, const struct fw_ref *r, size_t n, struct names *out)
{
	for (size_t i = 0; i < n; i++)
		ref_names(c, &r[i], out, 0);
}

static void add(struct actx *c, const char *from, const char *to, const struct fw_port_spec *ps,
                const char *note)
{
	struct fw_access_set *s = c->s;
	struct fw_access *a;

	if (c->err || s->too_many)
		return;
	if (s->n >= FW_ACCESS_MAX) {
		s->too_many = true;
		return;
	}
	a = fw_push((void **)&s->v, &s->n, &s->cap, sizeof(*s->v));
	if (!a) {
		c->err = -ENOMEM;
		return;
	}
	*a = (struct fw_access){.tenant = c->tenant,
	                        .from = from,
	                        .to = to,
	                        .note = note,
	                        .proto = ps->proto,
	                        .lo = ps->lo,
	                        .hi = ps->hi};
}

/* Every source x destination x port of one item. */
static void item(struct actx *c, const struct names *from, const struct names *to,
                 const struct fw_svc_ref *svc, size_t n_svc, const char *note)
{
	for (size_t i = 0; i < from->n; i++)
		for (size_t j = 0; j < to->n; j++)
			for (size_t k = 0; k < n_svc; k++)
				for (size_t m = 0; m < svc[k].n_ports; m++)
					add(c, from->v[i], to->v[j], &svc[k].ports[m], note);
}

static void names_reset(struct names *l)
{
	l->n = 0;
}

static void tenant_accesses(struct actx *c)
{
	const struct fw_tenant *t = c->t;
	struct names from = {0}, to = {0};
	char buf[FW_NAME_MAX + 96], addr[64];

	for (size_t i = 0; !c->err && i < t->n_rules; i++) {
		const struct fw_rule *r = &t->rules[i];
		names_reset(&from);
		names_reset(&to);
		refs_names(c, r->from, r->n_from, &from);
		refs_names(c, r->to, r->n_to, &to);
		item(c, &from, &to, r->allow, r->n_allow, NULL);
	}
	for (size_t i = 0; !c->err && i < t->n_publish; i++) {
		const struct fw_publish *p = &t->publish[i];
		names_reset(&from);
		names_reset(&to);
		if (p->n_from)
			refs_names(c, p->from, p->n_from, &from);
		else
			names_add(c, &from, "internet");
		names_add(c, &to, t->hosts[p->host].name);
		fw_addr_format(&p->public_addr, addr, sizeof(addr));
		if (p->to_port)
			snprintf(buf, sizeof(buf), "published %s, to port %u", addr,
			         (unsigned)p->to_port);
		else
			snprintf(buf, sizeof(buf), "published %s", addr);
		item(c, &from, &to, p->allow, p->n_allow, intern(c, buf));
	}
	for (size_t i = 0; !c->err && i < t->n_egress; i++) {
		const struct fw_egress *e = &t->egress[i];
		names_reset(&from);
		names_reset(&to);
		refs_names(c, e->from, e->n_from, &from);
		names_add(c, &to, "internet");
		if (e->has_snat) {
			fw_addr_format(&e->snat, addr, sizeof(addr));
			snprintf(buf, sizeof(buf), "snat %s", addr);
		} else {
			snprintf(buf, sizeof(buf), "masquerade");
		}
		item(c, &from, &to, e->allow, e->n_allow, intern(c, buf));
	}
	for (size_t i = 0; !c->err && i < t->n_mgmt; i++) {
		const struct fw_mgmt *m = &t->mgmt[i];
		names_reset(&from);
		names_reset(&to);
		refs_names(c, m->from, m->n_from, &from);
		names_add(c, &to, "firewall");
		item(c, &from, &to, m->allow, m->n_allow, NULL);
	}
	free(from.v);
	free(to.v);
}

static int cmp_str(const char *a, const char *b)
{
	if (a == b)
		return 0;
	if (!a || !b)
		return a ? 1 : -1;
	return strcmp(a, b);
}

static int cmp_access(const struct fw_access *a, const struct fw_access *b)
{
	int r;

	if ((r = cmp_str(a->tenant, b->tenant)) || (r = cmp_str(a->from, b->from)) ||
	    (r = cmp_str(a->to, b->to)) ||
	    (r = strcmp(fw_proto_name(a->proto), fw_proto_name(b->proto))))
		return r;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return cmp_str(a->note, b->note);
}

static int cmp_access_q(const void *a, const void *b)
{
	return cmp_access(a, b);
}

int fw_access_compute(const struct fw_policy *p, struct fw_access_set **ret)
{
	struct fw_access_set *s = calloc(1, sizeof(*s));
	struct actx c = {.s = s};
	size_t w = 0;

	if (!s)
		return -ENOMEM;
	if (strpool_new(&s->pool) < 0) {
		free(s);
		return -ENOMEM;
	}
	s->n_tenants = p ? p->n_tenants : 0;
	if (s->n_tenants)
		s->first_tenant = intern(&c, p->tenants[0].name);
	for (size_t i = 0; p && !c.err && !s->too_many && i < p->n_tenants; i++) {
		c.t = &p->tenants[i];
		c.tenant = intern(&c, c.t->name);
		tenant_accesses(&c);
	}
	if (c.err) {
		fw_access_set_free(s);
		return c.err;
	}
	if (s->too_many) {
		/* Nothing useful to list: give the memory back at once. */
		free(s->v);
		s->v = NULL;
		s->n = s->cap = 0;
	}
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_access_q);
	for (size_t i = 0; i < s->n; i++)
		if (w == 0 || cmp_access(&s->v[w - 1], &s->v[i]))
			s->v[w++] = s->v[i];
	s->n = w;
	*ret = s;
	return 0;
}

void fw_access_set_free(struct fw_access_set *s)
{
	if (!s)
		return;
	free(s->v);
	strpool_free(s->pool);
	free(s);
}

static void svc_text(const struct fw_access *a, char *buf, size_t size)
{
	const char *name = fw_proto_name(a->proto);
	bool ports = a->proto == 6 || a->proto == 17;

	if (!strcmp(name, "?"))
		snprintf(buf, size, "proto %u", (unsigned)a->proto);
	else if (!ports || (a->lo == 0 && a->hi == 65535))
		snprintf(buf, size, "%s", name);
	else if (a->lo == a->hi)
		snprintf(buf, size, "%s/%u", name, (unsigned)a->lo);
	else
		snprintf(buf, size, "%s/%u-%u", name, (unsigned)a->lo, (unsigned)a->hi);
}

size_t fw_access_format(const struct fw_access *a, bool with_tenant, char *buf, size_t size)
{
	char svc[32];
	int n;

	svc_text(a, svc, sizeof(svc));
	n = snprintf(buf, size, "%s%s%s \u2192 %s %s%s%s%s", with_tenant ? a->tenant : "",
	             with_tenant ? ": " : "", a->from, a->to, svc, a->note ? " (" : "",
	             a->note ? a->note : "", a->note ? ")" : "");
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size ? size - 1 : 0;
}

static int push_change(struct fw_access_diff *d, size_t *cap, char sign, const struct fw_access *a)
{
	struct fw_access_change *c = fw_push((void **)&d->v, &d->n, cap, sizeof(*d->v));

	if (!c)
		return -ENOMEM;
	c->sign = sign;
	c->a = a;
	if (sign == '+')
		d->n_added++;
	else
		d->n_removed++;
	return 0;
}

int fw_access_diff(const struct fw_access_set *old_set, const struct fw_access_set *new_set,
                   struct fw_access_diff *ret)
{
	struct fw_access_diff d = {0};
	size_t i = 0, j = 0, cap = 0;
	int r = 0;

	d.multi_tenant = old_set->n_tenants > 1 || new_set->n_tenants > 1 ||
	                 (old_set->first_tenant && new_set->first_tenant &&
	                  strcmp(old_set->first_tenant, new_set->first_tenant));
	if (old_set->too_many || new_set->too_many) {
		d.too_many = true;
		*ret = d;
		return 0;
	}
	while (!r && (i < old_set->n || j < new_set->n)) {
		int c = i == old_set->n   ? 1
		        : j == new_set->n ? -1
		                          : cmp_access(&old_set->v[i], &new_set->v[j]);
		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			r = push_change(&d, &cap, '-', &old_set->v[i++]);
		} else {
			r = push_change(&d, &cap, '+', &new_set->v[j++]);
		}
	}
	if (r < 0) {
		free(d.v);
		return r;
	}
	*ret = d;
	return 0;
}

void fw_access_diff_free(struct fw_access_diff *d)
{
	if (!d)
		return;
	free(d->v);
	memset(d, 0, sizeof(*d));
}

char *fw_access_diff_text(const struct fw_access_diff *d)
{
	char *buf = NULL, line[FW_ACCESS_TEXT_MAX];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (d->too_many)
		fprintf(f, "access diff too large: a policy allows more than %u accesses\n",
		        FW_ACCESS_MAX);
	for (size_t i = 0; i < d->n; i++) {
		if (ftell(f) >= (long)FW_ACCESS_DIFF_TEXT_MAX) {
			fprintf(f, "(%zu more access changes not shown)\n", d->n - i);
			break;
		}
		fw_access_format(d->v[i].a, d->multi_tenant, line, sizeof(line));
		fprintf(f, "%c %s\n", d->v[i].sign, line);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
