// SPDX-License-Identifier: GPL-2.0-or-later
/* A VPN user's AllowedIPs and wg-quick configuration (fwd/vpnclient.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/vpnclient.h"

#define MAX_DEPTH 64 /* group nesting; the checker refuses cycles */

struct pset {
	const struct fw_tenant *t;
	uint8_t family; /* the user's */
	struct fw_prefix *v;
	size_t n, cap;
	int err;
};

static void put(struct pset *s, const struct fw_prefix *p)
{
	if (s->err || p->family != s->family)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct fw_prefix *v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			s->err = -ENOMEM;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *p;
}

static void put_any(struct pset *s)
{
	struct fw_prefix any = {.family = s->family, .len = 0};

	put(s, &any);
}

static bool in_group(const struct fw_vpn_user *u, size_t g)
{
	for (size_t i = 0; i < u->n_groups; i++)
		if (u->groups[i] == g)
			return true;
	return false;
}

/* Does `from` reference r take in user u? */
static bool takes_in(const struct fw_tenant *t, const struct fw_ref *r, size_t u, unsigned depth)
{
	if (depth > MAX_DEPTH)
		return false;
	switch (r->kind) {
	case FW_REF_VPN_USER:
		return r->index == u;
	case FW_REF_VPN_GROUP:
		return in_group(&t->vpn.users[u], r->index);
	case FW_REF_VPN_ALL:
		return true;
	case FW_REF_CIDR:
		return fw_prefix_contains(&r->cidr, &t->vpn.users[u].addr);
	case FW_REF_GROUP:
		for (size_t i = 0; i < t->groups[r->index].n_members; i++)
			if (takes_in(t, &t->groups[r->index].members[i], u, depth + 1))
				return true;
		return false;
	default:
		return false;
	}
}

static bool refs_take_in(const struct fw_tenant *t, const struct fw_ref *r, size_t n, size_t u)
{
	for (size_t i = 0; i < n; i++)
		if (takes_in(t, &r[i], u, 0))
			return true;
	return false;
}

/* The prefixes a `to` reference stands for. */
static void dest(struct pset *s, const struct fw_ref *r, unsigned depth)
{
	const struct fw_tenant *t = s->t;

	if (depth > MAX_DEPTH)
		return;
	switch (r->kind) {
	case FW_REF_HOST: {
		const struct fw_host *h = &t->hosts[r->index];
		if (h->has_addr4)
			put(s, &h->addr4);
		if (h->has_addr6)
			put(s, &h->addr6);
		return;
	}
	case FW_REF_ZONE: {
		const struct fw_zone *z = &t->zones[r->index];
		if (z->has_subnet4)
			put(s, &z->subnet4);
		if (z->has_subnet6)
			put(s, &z->subnet6);
		return;
	}
	case FW_REF_GROUP:
		for (size_t i = 0; i < t->groups[r->index].n_members; i++)
			dest(s, &t->groups[r->index].members[i], depth + 1);
		return;
	case FW_REF_INTERNET:
		put_any(s);
		return;
	case FW_REF_CIDR:
		put(s, &r->cidr);
		return;
	case FW_REF_VPN_USER:
		put(s, &t->vpn.users[r->index].addr);
		return;
	case FW_REF_VPN_GROUP:
		for (size_t u = 0; u < t->vpn.n_users; u++)
			if (in_group(&t->vpn.users[u], r->index))
				put(s, &t->vpn.users[u].addr);
		return;
	case FW_REF_VPN_ALL:
		put(s, &t->vpn.pool);
		return;
	case FW_REF_SITE:
		for (size_t i = 0; i < t->vpn.sites[r->index].n_networks; i++)
			put(s, &t->vpn.sites[r->index].networks[i]);
		return;
	}
}

static int prefix_cmp(const void *a, const void *b)
{
	const struct fw_prefix *x = a, *y = b;
	int c = memcmp(x->a, y->a, 16);

	return c ? c : (int)x->len - (int)y->len;
}

/* Sorted by address then length: a prefix's sub-prefixes follow it. */
static void minimise(struct pset *s)
{
	size_t k = 0;

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), prefix_cmp);
	for (size_t i = 0; i < s->n; i++)
		if (k == 0 || !fw_prefix_contains(&s->v[k - 1], &s->v[i]))
			s->v[k++] = s->v[i];
	s->n = k;
}

int vpn_client_allowed_ips(const struct fw_policy *p, const char *tenant, const char *user,
                           struct fw_prefix **ret, size_t *ret_n)
{
	const struct fw_tenant *t = NULL;
	struct pset s = {0};
	size_t u;

	for (size_t i = 0; p && i < p->n_tenants; i++)
		if (!strcmp(p->tenants[i].name, tenant))
			t = &p->tenants[i];
	if (!t)
		return -ENOENT;
	for (u = 0; u < t->vpn.n_users && strcmp(t->vpn.users[u].name, user); u++)
		;
	if (u == t->vpn.n_users || !t->vpn.users[u].addr.family)
		return -ENOENT;
	s.t = t;
	s.family = t->vpn.users[u].addr.family;
	for (size_t i = 0; i < t->n_rules; i++)
		if (refs_take_in(t, t->rules[i].from, t->rules[i].n_from, u))
			for (size_t j = 0; j < t->rules[i].n_to; j++)
				dest(&s, &t->rules[i].to[j], 0);
	for (size_t i = 0; i < t->n_egress; i++)
		if (refs_take_in(t, t->egress[i].from, t->egress[i].n_from, u))
			put_any(&s);
	for (size_t i = 0; i < t->n_mgmt; i++)
		if (refs_take_in(t, t->mgmt[i].from, t->mgmt[i].n_from, u))
			put(&s, &t->vpn.address);
	if (s.err) {
		free(s.v);
		return s.err;
	}
	minimise(&s);
	if (s.n == 0) {
		free(s.v);
		s.v = NULL;
	}
	*ret = s.v;
	*ret_n = s.n;
	return 0;
}

char *vpn_client_prefixes_text(const struct fw_prefix *v, size_t n)
{
	char *out = NULL, buf[64];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		fw_prefix_format(&v[i], buf, sizeof(buf));
		fprintf(f, "%s%s", i ? ", " : "", buf);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Written with snprintf into one buffer of the right size: a growing
 * buffer would leave copies of the private key in freed memory. */
static int render(char *buf, size_t size, const struct vpn_client_conf *c)
{
	bool dns = c->dns && *c->dns, ep = c->endpoint && *c->endpoint;
	bool ips = c->allowed_ips && *c->allowed_ips;
	char ka[48] = "";

	if (c->keepalive)
		snprintf(ka, sizeof(ka), "PersistentKeepalive = %u\n", c->keepalive);
	return snprintf(buf, size,
	                "[Interface]\nPrivateKey = %s\nAddress = %s\n%s%s%s\n[Peer]\n"
	                "PublicKey = %s\n%s%s%s%s%s%s%s",
	                c->private_key, c->address, dns ? "DNS = " : "", dns ? c->dns : "",
	                dns ? "\n" : "", c->server_key, ep ? "Endpoint = " : "",
	                ep ? c->endpoint : "", ep ? "\n" : "", ips ? "AllowedIPs = " : "",
	                ips ? c->allowed_ips : "", ips ? "\n" : "", ka);
}

char *vpn_client_config_render(const struct vpn_client_conf *c)
{
	char probe[1]; /* only measures: snprintf writes nothing but a NUL here */
	int n = render(probe, sizeof(probe), c);
	char *out;

	if (n < 0 || !(out = malloc((size_t)n + 1)))
		return NULL;
	render(out, (size_t)n + 1, c);
	return out;
}
