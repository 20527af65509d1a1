// SPDX-License-Identifier: GPL-2.0-or-later
/* The VPN plan: WireGuard interfaces and peers of a checked policy. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwd/vpnplan.h"
#include "util.h"

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int vpn_key_from_b64(const char *s, uint8_t ret[FW_WG_KEY_LEN])
{
	uint8_t out[FW_WG_KEY_LEN + 1];
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;

	if (strlen(s) != 44 || s[43] != '=')
		return -EINVAL;
	for (size_t i = 0; i < 43; i++) {
		const char *p = s[i] ? strchr(b64_chars, s[i]) : NULL;

		if (!p)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)(p - b64_chars);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* 43 characters carry 258 bits: the last two must be zero. */
	if (o != FW_WG_KEY_LEN || (acc & ((1u << bits) - 1)))
		return -EINVAL;
	memcpy(ret, out, FW_WG_KEY_LEN);
	return 0;
}

void vpn_key_to_b64(const uint8_t key[FW_WG_KEY_LEN], char ret[FW_WG_KEY_B64_SIZE])
{
	size_t o = 0;

	for (size_t i = 0; i < FW_WG_KEY_LEN; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16;
		size_t n = FW_WG_KEY_LEN - i < 3 ? FW_WG_KEY_LEN - i : 3;

		if (n > 1)
			v |= (uint32_t)key[i + 1] << 8;
		if (n > 2)
			v |= key[i + 2];
		ret[o++] = b64_chars[(v >> 18) & 63];
		ret[o++] = b64_chars[(v >> 12) & 63];
		ret[o++] = n > 1 ? b64_chars[(v >> 6) & 63] : '=';
		ret[o++] = n > 2 ? b64_chars[v & 63] : '=';
	}
	ret[o] = '\0';
}

int vpn_key_cmp(const uint8_t a[FW_WG_KEY_LEN], const uint8_t b[FW_WG_KEY_LEN])
{
	return memcmp(a, b, FW_WG_KEY_LEN);
}

int vpn_prefix_cmp(const void *a, const void *b)
{
	const struct fw_prefix *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if ((c = memcmp(x->a, y->a, 16)))
		return c;
	return (int)x->len - (int)y->len;
}

static int cmp_peer(const void *a, const void *b)
{
	return vpn_key_cmp(((const struct fw_vpn_peer *)a)->key,
	                   ((const struct fw_vpn_peer *)b)->key);
}

static int cmp_iface(const void *a, const void *b)
{
	return strcmp(((const struct fw_vpn_iface *)a)->ifname,
	              ((const struct fw_vpn_iface *)b)->ifname);
}

/* "198.51.100.20:51820", "[2001:db8::1]:51820" or "vpn.example.com:51820". */
static void parse_endpoint(const char *s, struct fw_vpn_endpoint *ep)
{
	const char *colon = strrchr(s, ':');
	unsigned long port = 0;
	size_t hl;

	memset(ep, 0, sizeof(*ep));
	if (!colon)
		return;
	(void)fw_parse_ulong(colon + 1, 65535, &port);
	ep->port = (uint16_t)port;
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(ep->host))
		hl = sizeof(ep->host) - 1;
	memcpy(ep->host, s, hl);
	ep->host[hl] = '\0';
	if (inet_pton(AF_INET, ep->host, ep->addr) == 1)
		ep->family = 4;
	else if (inet_pton(AF_INET6, ep->host, ep->addr) == 1)
		ep->family = 6;
}

static void peer_free(struct fw_vpn_peer *p)
{
	free(p->allowed);
}

static int add_user(struct fw_vpn_iface *f, const struct fw_vpn_user *u)
{
	struct fw_vpn_peer *p = &f->peers[f->n_peers];

	memset(p, 0, sizeof(*p));
	if (vpn_key_from_b64(u->public_key, p->key) < 0)
		return -EINVAL; /* the loader checked it */
	snprintf(p->key_b64, sizeof(p->key_b64), "%s", u->public_key);
	p->kind = FW_VPN_PEER_USER;
	p->name = u->name;
	p->loc = u->loc;
	p->auto_addr = u->auto_addr;
	p->allowed = malloc(sizeof(*p->allowed));
	if (!p->allowed)
		return -ENOMEM;
	p->allowed[0] = u->addr;
	p->allowed[0].len = u->addr.family == 4 ? 32 : 128;
	p->n_allowed = 1;
	f->n_peers++;
	return 0;
}

static int add_site(struct fw_vpn_iface *f, const struct fw_vpn_site *s)
{
	struct fw_vpn_peer *p = &f->peers[f->n_peers];

	memset(p, 0, sizeof(*p));
	if (vpn_key_from_b64(s->public_key, p->key) < 0)
		return -EINVAL;
	snprintf(p->key_b64, sizeof(p->key_b64), "%s", s->public_key);
	p->kind = FW_VPN_PEER_SITE;
	p->name = s->name;
	p->loc = s->loc;
	p->keepalive = s->keepalive;
	if (s->endpoint) {
		parse_endpoint(s->endpoint, &p->endpoint);
		p->has_endpoint = p->endpoint.port != 0;
	}
	p->allowed = calloc(s->n_networks ? s->n_networks : 1, sizeof(*p->allowed));
	if (!p->allowed)
		return -ENOMEM;
	memcpy(p->allowed, s->networks, s->n_networks * sizeof(*p->allowed));
	p->n_allowed = s->n_networks;
	qsort(p->allowed, p->n_allowed, sizeof(*p->allowed), vpn_prefix_cmp);
	f->n_peers++;
	return 0;
}

static void iface_clear(struct fw_vpn_iface *f)
{
	for (size_t i = 0; i < f->n_peers; i++)
		peer_free(&f->peers[i]);
	free(f->peers);
	free(f->routes);
	free(f->users);
}

static int build_iface(const struct fw_tenant *t, struct fw_diags *d, struct fw_vpn_iface *f)
{
	const struct fw_vpn *vpn = &t->vpn;
	size_t n_routes = 0;
	int r = 0;

	f->tenant = t->name;
	snprintf(f->ifname, sizeof(f->ifname), "%s", vpn->ifname);
	f->listen_port = vpn->listen_port;
	f->address = vpn->address;
	f->address.len = vpn->pool.len;
	snprintf(f->key_file, sizeof(f->key_file), FW_VPN_KEY_DIR "/%s.key", vpn->ifname);
	for (size_t i = 0; i < vpn->n_sites; i++)
		n_routes += vpn->sites[i].n_networks;
	f->routes = calloc(n_routes ? n_routes : 1, sizeof(*f->routes));
	f->peers = calloc(vpn->n_users + vpn->n_sites + 1, sizeof(*f->peers));
	f->users = calloc(vpn->n_users + 1, sizeof(*f->users));
	if (!f->routes || !f->peers || !f->users)
		return -ENOMEM;
	for (size_t i = 0; i < vpn->n_users; i++)
		if (vpn->users[i].addr.family) {
			f->users[f->n_users].user = vpn->users[i].name;
			f->users[f->n_users++].addr = vpn->users[i].addr;
		}
	for (size_t i = 0; i < vpn->n_sites; i++)
		for (size_t j = 0; j < vpn->sites[i].n_networks; j++)
			f->routes[f->n_routes++] = vpn->sites[i].networks[j];
	qsort(f->routes, f->n_routes, sizeof(*f->routes), vpn_prefix_cmp);
	for (size_t i = 0; r == 0 && i < vpn->n_users; i++)
		if (vpn->users[i].public_key)
			r = add_user(f, &vpn->users[i]);
	for (size_t i = 0; r == 0 && i < vpn->n_sites; i++)
		if (vpn->sites[i].public_key)
			r = add_site(f, &vpn->sites[i]);
	if (r < 0)
		return r;
	if (f->n_peers > FW_VPN_MAX_PEERS) {
		fw_error(d, &vpn->loc, "vpn: %zu peers, at most %d per interface", f->n_peers,
		         FW_VPN_MAX_PEERS);
		return -EINVAL;
	}
	qsort(f->peers, f->n_peers, sizeof(*f->peers), cmp_peer);
	for (size_t i = 1; i < f->n_peers; i++)
		if (!vpn_key_cmp(f->peers[i - 1].key, f->peers[i].key)) {
			const struct fw_vpn_peer *a = &f->peers[i - 1], *b = &f->peers[i];
			/* Report at the later of the two, naming the earlier. */
			if (a->loc.line > b->loc.line) {
				const struct fw_vpn_peer *x = a;
				a = b;
				b = x;
			}
			fw_error(d, &b->loc,
			         "public_key: %s '%s' has the same public key as %s '%s' (%u:%u)",
			         b->kind == FW_VPN_PEER_USER ? "VPN user" : "VPN site", b->name,
			         a->kind == FW_VPN_PEER_USER ? "VPN user" : "VPN site", a->name,
			         a->loc.line, a->loc.col);
			r = -EINVAL;
		}
	return r;
}

void vpn_plan_clear(struct fw_vpn_plan *vp)
{
	if (!vp)
		return;
	for (size_t i = 0; i < vp->n_ifaces; i++)
		iface_clear(&vp->ifaces[i]);
	free(vp->ifaces);
	memset(vp, 0, sizeof(*vp));
}

int vpn_plan_build(const struct fw_policy *p, struct fw_diags *diags, struct fw_vpn_plan *ret)
{
	struct fw_vpn_plan vp = {0};
	int r = 0, err = 0;

	vp.ifaces = calloc(p->n_tenants ? p->n_tenants : 1, sizeof(*vp.ifaces));
	if (!vp.ifaces)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_tenants && r != -ENOMEM; i++) {
		if (!p->tenants[i].vpn.present)
			continue;
		r = build_iface(&p->tenants[i], diags, &vp.ifaces[vp.n_ifaces++]);
		if (r < 0 && !err)
			err = r;
	}
	if (r == -ENOMEM)
		err = r;
	if (err < 0) {
		vpn_plan_clear(&vp);
		return err;
	}
	qsort(vp.ifaces, vp.n_ifaces, sizeof(*vp.ifaces), cmp_iface);
	*ret = vp;
	return 0;
}

const struct fw_vpn_iface *vpn_plan_find(const struct fw_vpn_plan *vp, const char *ifname)
{
	for (size_t i = 0; vp && i < vp->n_ifaces; i++)
		if (!strcmp(vp->ifaces[i].ifname, ifname))
			return &vp->ifaces[i];
	return NULL;
}

const struct fw_vpn_peer *vpn_iface_find_peer(const struct fw_vpn_iface *f,
                                              const uint8_t key[FW_WG_KEY_LEN])
{
	size_t lo = 0, hi = f->n_peers;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = vpn_key_cmp(f->peers[mid].key, key);

		if (c == 0)
			return &f->peers[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool vpn_peer_equal(const struct fw_vpn_peer *a, const struct fw_vpn_peer *b)
{
	if (vpn_key_cmp(a->key, b->key) || a->kind != b->kind || strcmp(a->name, b->name) ||
	    a->keepalive != b->keepalive || a->has_endpoint != b->has_endpoint ||
	    a->n_allowed != b->n_allowed)
		return false;
	if (a->has_endpoint && memcmp(&a->endpoint, &b->endpoint, sizeof(a->endpoint)))
		return false;
	for (size_t i = 0; i < a->n_allowed; i++)
		if (vpn_prefix_cmp(&a->allowed[i], &b->allowed[i]))
			return false;
	return true;
}

bool vpn_iface_equal(const struct fw_vpn_iface *a, const struct fw_vpn_iface *b)
{
	if (strcmp(a->ifname, b->ifname) || strcmp(a->tenant, b->tenant) ||
	    a->listen_port != b->listen_port || vpn_prefix_cmp(&a->address, &b->address) ||
	    a->address.len != b->address.len || a->n_routes != b->n_routes ||
	    a->n_peers != b->n_peers)
		return false;
	for (size_t i = 0; i < a->n_routes; i++)
		if (vpn_prefix_cmp(&a->routes[i], &b->routes[i]))
			return false;
	for (size_t i = 0; i < a->n_peers; i++)
		if (!vpn_peer_equal(&a->peers[i], &b->peers[i]))
			return false;
	return true;
}

bool vpn_plan_equal(const struct fw_vpn_plan *a, const struct fw_vpn_plan *b)
{
	if (a->n_ifaces != b->n_ifaces)
		return false;
	for (size_t i = 0; i < a->n_ifaces; i++)
		if (!vpn_iface_equal(&a->ifaces[i], &b->ifaces[i]))
			return false;
	return true;
}

static void render_iface(FILE *f, const struct fw_vpn_iface *x)
{
	char a[64];

	fw_prefix_format(&x->address, a, sizeof(a));
	fprintf(f, "interface %s (tenant %s)\n\tlisten-port %u\n\taddress %s\n", x->ifname,
	        x->tenant, x->listen_port, a);
	fprintf(f, "\tprivate-key %s (in the state directory)\n", x->key_file);
	for (size_t i = 0; i < x->n_routes; i++) {
		fw_prefix_format(&x->routes[i], a, sizeof(a));
		fprintf(f, "\troute %s\n", a);
	}
	for (size_t i = 0; i < x->n_peers; i++) {
		const struct fw_vpn_peer *p = &x->peers[i];

		fprintf(f, "\tpeer %s (%s %s)\n", p->key_b64,
		        p->kind == FW_VPN_PEER_USER ? "user" : "site", p->name);
		fputs("\t\tallowed-ips ", f);
		for (size_t j = 0; j < p->n_allowed; j++) {
			fw_prefix_format(&p->allowed[j], a, sizeof(a));
			fprintf(f, "%s%s", j ? ", " : "", a);
		}
		fputc('\n', f);
		if (p->has_endpoint)
			fprintf(f,
			        p->endpoint.family == 6 ? "\t\tendpoint [%s]:%u\n"
			                                : "\t\tendpoint %s:%u\n",
			        p->endpoint.host, p->endpoint.port);
		if (p->keepalive)
			fprintf(f, "\t\tpersistent-keepalive %u\n", p->keepalive);
	}
}

char *vpn_plan_render(const struct fw_vpn_plan *vp, const char *tenant)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < vp->n_ifaces; i++)
		if (!tenant || !strcmp(vp->ifaces[i].tenant, tenant))
			render_iface(f, &vp->ifaces[i]);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static bool in_allowed(const struct fw_vpn_peer *p, const struct fw_prefix *a)
{
	for (size_t i = 0; i < p->n_allowed; i++)
		if (fw_prefix_contains(&p->allowed[i], a))
			return true;
	return false;
}

const struct fw_vpn_peer *vpn_plan_peer_gone(const struct fw_vpn_plan *old,
                                             const struct fw_vpn_plan *new_plan, uint8_t family,
                                             const uint8_t a[16])
{
	struct fw_prefix addr = {.family = family, .len = family == 4 ? 32 : 128};

	memcpy(addr.a, a, family == 4 ? 4 : 16);
	for (size_t i = 0; i < old->n_ifaces; i++) {
		const struct fw_vpn_iface *of = &old->ifaces[i];
		const struct fw_vpn_iface *nf;
		bool behind = fw_prefix_contains(&of->address, &addr);

		/* Most tracked connections have no end behind a tunnel: only
		 * those inside the pool or a site's networks look at the peers. */
		for (size_t j = 0; !behind && j < of->n_routes; j++)
			behind = fw_prefix_contains(&of->routes[j], &addr);
		if (!behind)
			continue;
		nf = vpn_plan_find(new_plan, of->ifname);

		for (size_t j = 0; j < of->n_peers; j++) {
			const struct fw_vpn_peer *op = &of->peers[j], *np;

			if (!in_allowed(op, &addr))
				continue;
			np = nf ? vpn_iface_find_peer(nf, op->key) : NULL;
			if (!np || !in_allowed(np, &addr))
				return op;
		}
	}
	return NULL;
}
