// SPDX-License-Identifier: GPL-2.0-or-later
/* vpn section: WireGuard interface, client users and site-to-site peers. */
#include <stdio.h>
#include <string.h>

#include "fwd/vpnplan.h"
#include "load.h"
#include "util.h"

struct vpn_ctx {
	struct load_state *ls;
	const struct ynode *address, *pool, *users, *sites, *port;
	bool ifname_set;
};

static bool valid_wg_key(const char *s)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	if (strlen(s) != 44 || s[43] != '=')
		return false;
	for (int i = 0; i < 43; i++)
		if (!strchr(b64, s[i]) || !s[i])
			return false;
	/* 32 bytes leave the last two bits of the 43rd character unused. */
	return (strchr(b64, s[42]) - b64) % 4 == 0;
}

static void s_wg_key(struct sctx *c, const struct ynode *v, const char *key, char **ret)
{
	char fb[64];
	const char *s;

	if (!s_str(c, v, key, &s))
		return;
	if (!valid_wg_key(s)) {
		s_err(c, v,
		      "%s: expected a WireGuard public key (44 characters of base64), found %s",
		      key, s_found(v, fb, sizeof(fb)));
		return;
	}
	s_strdup(c, v, key, ret);
}

static void k_vpn_if(struct sctx *c, const struct ynode *v, void *obj)
{
	struct vpn_ctx *vc = obj;

	vc->ifname_set = s_ifname(c, v, "interface", c->t->vpn.ifname);
}

static void k_vpn_port(struct sctx *c, const struct ynode *v, void *obj)
{
	unsigned long port;

	if (s_uint(c, v, "listen_port", 1, 65535, "a UDP port", &port)) {
		c->t->vpn.listen_port = (uint16_t)port;
		((struct vpn_ctx *)obj)->port = v;
	}
}

static void k_vpn_pool(struct sctx *c, const struct ynode *v, void *obj)
{
	if (s_subnet(c, v, "pool", 0, &c->t->vpn.pool))
		((struct vpn_ctx *)obj)->pool = v;
}

static void k_vpn_address(struct sctx *c, const struct ynode *v, void *obj)
{
	if (s_addr(c, v, "address", 0, &c->t->vpn.address))
		((struct vpn_ctx *)obj)->address = v;
}

static void k_vpn_dns(struct sctx *c, const struct ynode *v, void *obj)
{
	struct fw_vpn *vpn = &c->t->vpn;

	(void)obj;
	if (!s_is_seq(c, v, "dns"))
		return;
	vpn->dns = calloc(v->n ? v->n : 1, sizeof(*vpn->dns));
	if (!vpn->dns) {
		c->oom = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < v->n; i++)
		if (s_addr(c, v->vals[i], "dns", 0, &vpn->dns[vpn->n_dns]))
			vpn->n_dns++;
}

static void k_vpn_users(struct sctx *c, const struct ynode *v, void *obj)
{
	(void)c;
	((struct vpn_ctx *)obj)->users = v;
}

static void k_vpn_sites(struct sctx *c, const struct ynode *v, void *obj)
{
	(void)c;
	((struct vpn_ctx *)obj)->sites = v;
}

/* --- users --- */

struct user_ctx {
	struct fw_vpn_user *u;
	const struct ynode *address;
};

static void k_user_address(struct sctx *c, const struct ynode *v, void *obj)
{
	struct user_ctx *uc = obj;

	if (v && v->kind == YN_SCALAR && v->plain && !strcmp(v->str, "auto")) {
		uc->u->auto_addr = true;
		uc->u->addr_loc = s_loc(c, v);
		return;
	}
	if (s_addr(c, v, "address", 0, &uc->u->addr)) {
		uc->address = v;
		uc->u->addr_loc = s_loc(c, v);
	}
}

static void k_user_key(struct sctx *c, const struct ynode *v, void *obj)
{
	s_wg_key(c, v, "public_key", &((struct user_ctx *)obj)->u->public_key);
}

static void user_group(struct sctx *c, const struct ynode *item, void *obj)
{
	struct fw_vpn_user *u = ((struct user_ctx *)obj)->u;
	struct fw_vpn *vpn = &c->t->vpn;
	const char *name;
	ssize_t g;
	size_t *ng;

	if (!s_name(c, item, "groups", &name))
		return;
	g = tenant_find_vpn_group(c->t, name);
	if (g < 0) {
		struct fw_vpn_group *ngr =
		    realloc(vpn->groups, (vpn->n_groups + 1) * sizeof(*vpn->groups));
		if (!ngr) {
			c->oom = -ENOMEM;
			return;
		}
		vpn->groups = ngr;
		ngr[vpn->n_groups].name = strdup(name);
		ngr[vpn->n_groups].loc = s_loc(c, item);
		if (!ngr[vpn->n_groups].name) {
			c->oom = -ENOMEM;
			return;
		}
		g = (ssize_t)vpn->n_groups++;
	}
	for (size_t i = 0; i < u->n_groups; i++)
		if (u->groups[i] == (size_t)g) {
			s_err(c, item, "groups: '%s' is listed twice", name);
			return;
		}
	ng = realloc(u->groups, (u->n_groups + 1) * sizeof(*u->groups));
	if (!ng) {
		c->oom = -ENOMEM;
		return;
	}
	u->groups = ng;
	u->groups[u->n_groups++] = (size_t)g;
}

static void k_user_groups(struct sctx *c, const struct ynode *v, void *obj)
{
	s_each_scalar(c, v, "groups", user_group, obj);
}

static void load_users(struct load_state *ls, const struct vpn_ctx *vc)
{
	static const struct s_key keys[] = {
	    {"address", true, k_user_address},
	    {"public_key", false, k_user_key},
	    {"groups", false, k_user_groups},
	};
	struct sctx *c = &ls->c;
	struct fw_vpn *vpn = &c->t->vpn;
	const struct ynode *us = vc->users;
	char pool[64];

	if (!s_is_map(c, us, "users"))
		return;
	vpn->users = calloc(us->n ? us->n : 1, sizeof(*vpn->users));
	if (!vpn->users) {
		c->oom = -ENOMEM;
		return;
	}
	fw_prefix_format(&vpn->pool, pool, sizeof(pool));
	for (size_t i = 0; i < us->n; i++) {
		struct fw_vpn_user *u = &vpn->users[vpn->n_users];
		struct user_ctx uc = {.u = u};
		char what[80];
		const char *name;

		if (!s_name(c, us->keys[i], "user name", &name))
			continue;
		u->name = strdup(name);
		if (!u->name) {
			c->oom = -ENOMEM;
			return;
		}
		u->loc = s_loc(c, us->keys[i]);
		vpn->n_users++;
		snprintf(what, sizeof(what), "VPN user '%s'", name);
		s_walk(c, us->vals[i], what, keys, ARRAY_SIZE(keys), &uc);
		if (!uc.address || !vc->pool)
			continue;
		if (!fw_prefix_contains(&vpn->pool, &u->addr)) {
			s_err(c, uc.address, "address: %s is outside the VPN pool %s",
			      uc.address->str, pool);
			continue;
		}
		if (!memcmp(&u->addr, &vpn->address, sizeof(u->addr)))
			s_err(c, uc.address, "address: %s is the firewall's own VPN address",
			      uc.address->str);
		for (size_t j = 0; j + 1 < vpn->n_users; j++)
			if (!vpn->users[j].auto_addr && vpn->users[j].addr.family &&
			    !memcmp(&vpn->users[j].addr, &u->addr, sizeof(u->addr)))
				s_err(c, uc.address,
				      "address: %s is already used by VPN user '%s' (%u:%u)",
				      uc.address->str, vpn->users[j].name,
				      vpn->users[j].addr_loc.line, vpn->users[j].addr_loc.col);
	}
}

/* --- sites --- */

struct site_ctx {
	struct fw_vpn_site *s;
};

static void k_site_endpoint(struct sctx *c, const struct ynode *v, void *obj)
{
	struct fw_vpn_site *s = ((struct site_ctx *)obj)->s;
	char fb[64], host[64];
	const char *str, *colon;
	unsigned long port;

	if (!s_str(c, v, "endpoint", &str))
		return;
	colon = strrchr(str, ':');
	if (!colon || colon == str || (size_t)(colon - str) >= sizeof(host) ||
	    fw_parse_ulong(colon + 1, 65535, &port) < 0 || port == 0) {
		s_err(c, v, "endpoint: expected HOST:PORT like 198.51.100.20:51820, found %s",
		      s_found(v, fb, sizeof(fb)));
		return;
	}
	memcpy(host, str, (size_t)(colon - str));
	host[colon - str] = '\0';
	s_strdup(c, v, "endpoint", &s->endpoint);
}

static void k_site_key(struct sctx *c, const struct ynode *v, void *obj)
{
	s_wg_key(c, v, "public_key", &((struct site_ctx *)obj)->s->public_key);
}

static void k_site_networks(struct sctx *c, const struct ynode *v, void *obj)
{
	struct fw_vpn_site *s = ((struct site_ctx *)obj)->s;

	if (!s_is_seq(c, v, "networks"))
		return;
	if (v->n == 0) {
		s_err(c, v, "networks: expected at least one prefix, found an empty list");
		return;
	}
	s->networks = calloc(v->n, sizeof(*s->networks));
	s->network_locs = calloc(v->n, sizeof(*s->network_locs));
	if (!s->networks || !s->network_locs) {
		c->oom = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < v->n; i++)
		if (s_subnet(c, v->vals[i], "networks", 0, &s->networks[s->n_networks]))
			s->network_locs[s->n_networks++] = s_loc(c, v->vals[i]);
}

static void k_site_keepalive(struct sctx *c, const struct ynode *v, void *obj)
{
	unsigned long k;

	if (s_uint(c, v, "keepalive", 0, 65535, "seconds", &k))
		((struct site_ctx *)obj)->s->keepalive = (uint16_t)k;
}

static void load_sites(struct load_state *ls, const struct ynode *ss)
{
	static const struct s_key keys[] = {
	    {"endpoint", false, k_site_endpoint},
	    {"public_key", true, k_site_key},
	    {"networks", true, k_site_networks},
	    {"keepalive", false, k_site_keepalive},
	};
	struct sctx *c = &ls->c;
	struct fw_vpn *vpn = &c->t->vpn;

	if (!s_is_map(c, ss, "sites"))
		return;
	vpn->sites = calloc(ss->n ? ss->n : 1, sizeof(*vpn->sites));
	if (!vpn->sites) {
		c->oom = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < ss->n; i++) {
		struct fw_vpn_site *s = &vpn->sites[vpn->n_sites];
		struct site_ctx sc = {.s = s};
		char what[80];
		const char *name;

		if (!s_name(c, ss->keys[i], "site name", &name))
			continue;
		s->name = strdup(name);
		if (!s->name) {
			c->oom = -ENOMEM;
			return;
		}
		s->loc = s_loc(c, ss->keys[i]);
		vpn->n_sites++;
		snprintf(what, sizeof(what), "VPN site '%s'", name);
		s_walk(c, ss->vals[i], what, keys, ARRAY_SIZE(keys), &sc);
	}
}

void load_vpn(struct load_state *ls)
{
	static const struct s_key keys[] = {
	    {"interface", false, k_vpn_if}, {"listen_port", true, k_vpn_port},
	    {"pool", true, k_vpn_pool},     {"address", false, k_vpn_address},
	    {"dns", false, k_vpn_dns},      {"users", false, k_vpn_users},
	    {"sites", false, k_vpn_sites},
	};
	struct sctx *c = &ls->c;
	struct fw_tenant *t = c->t;
	struct fw_vpn *vpn = &t->vpn;
	struct vpn_ctx vc = {.ls = ls};

	if (!ls->s.vpn)
		return;
	vpn->present = true;
	vpn->loc = s_loc(c, ls->s.vpn);
	s_walk(c, ls->s.vpn, "vpn", keys, ARRAY_SIZE(keys), &vc);
	if (!vc.ifname_set && t->name)
		snprintf(vpn->ifname, sizeof(vpn->ifname), "wg-%.12s", t->name);
	if (vc.pool) {
		char pool[64];
		uint8_t last[16];

		fw_prefix_format(&vpn->pool, pool, sizeof(pool));
		fw_prefix_last(&vpn->pool, last);
		if (vpn->pool.len > (vpn->pool.family == 4 ? 30 : 126))
			s_err(c, vc.pool, "pool: %s is too small for a VPN pool", pool);
		if (!vc.address) {
			vpn->address = vpn->pool;
			vpn->address.len = vpn->pool.family == 4 ? 32 : 128;
			fw_addr_add(&vpn->address, 1);
		} else if (!fw_prefix_contains(&vpn->pool, &vpn->address) ||
		           !memcmp(vpn->address.a, vpn->pool.a, 16) ||
		           (vpn->pool.family == 4 && !memcmp(vpn->address.a, last, 4))) {
			s_err(c, vc.address, "address: %s is not a host address of the VPN pool %s",
			      vc.address->str, pool);
		}
	}
	if (vc.users)
		load_users(ls, &vc);
	if (vc.sites)
		load_sites(ls, vc.sites);
}

/* A pinned address the user may have again: a host address of the pool,
 * not the firewall's, and nobody with a fixed address or an earlier pin
 * took it meanwhile (a fixed address wins: the user is told it moves). */
static bool pin_usable(struct load_state *ls, size_t i, const struct fw_prefix *pin,
                       const uint8_t last[16])
{
	struct fw_vpn *vpn = &ls->c.t->vpn;
	char a[64];

	if (pin->family != vpn->pool.family || !fw_prefix_contains(&vpn->pool, pin) ||
	    !memcmp(pin->a, vpn->pool.a, 16) || !memcmp(pin->a, vpn->address.a, 16) ||
	    (pin->family == 4 && !memcmp(pin->a, last, 4)))
		return false;
	for (size_t j = 0; j < vpn->n_users; j++) {
		const struct fw_vpn_user *o = &vpn->users[j];

		if (j == i || !o->addr.family || memcmp(o->addr.a, pin->a, 16))
			continue;
		if (!o->auto_addr) {
			fw_addr_format(pin, a, sizeof(a));
			fw_warning(ls->c.diags, &vpn->users[i].addr_loc,
			           "address: VPN user '%s' had %s, which VPN user '%s' now has: "
			           "'%s' gets a new address",
			           vpn->users[i].name, a, o->name, vpn->users[i].name);
		}
		return false;
	}
	return true;
}

/* `address: auto`: the address the user had (the daemon's pins), else the
 * lowest free host address of the pool, in file order. */
void load_assign_vpn_addresses(struct load_state *ls)
{
	const struct fw_vpn_pins *pins = ls->opts ? ls->opts->vpn_pins : NULL;
	struct fw_vpn *vpn = &ls->c.t->vpn;
	uint8_t last[16];

	if (!vpn->present || !vpn->pool.family)
		return;
	fw_prefix_last(&vpn->pool, last);
	for (size_t i = 0; pins && ls->c.t->name && i < vpn->n_users; i++) {
		struct fw_vpn_user *u = &vpn->users[i];
		const struct fw_vpn_pin *pin =
		    u->auto_addr ? vpn_pins_find(pins, ls->c.t->name, u->name) : NULL;

		if (pin && pin_usable(ls, i, &pin->addr, last))
			u->addr = pin->addr;
	}
	for (size_t i = 0; i < vpn->n_users; i++) {
		struct fw_vpn_user *u = &vpn->users[i];
		struct fw_prefix cand = vpn->pool;
		bool found = false;

		if (!u->auto_addr || u->addr.family)
			continue;
		cand.len = cand.family == 4 ? 32 : 128;
		while (fw_addr_add(&cand, 1) && fw_prefix_contains(&vpn->pool, &cand)) {
			bool used = !memcmp(cand.a, vpn->address.a, 16) ||
			            (cand.family == 4 && !memcmp(cand.a, last, 4));
			for (size_t j = 0; !used && j < vpn->n_users; j++)
				used = j != i && vpn->users[j].addr.family &&
				       !memcmp(vpn->users[j].addr.a, cand.a, 16);
			if (!used) {
				found = true;
				break;
			}
		}
		if (!found) {
			s_err_at(&ls->c, &u->addr_loc,
			         "address: the VPN pool has no free address left");
			continue;
		}
		u->addr = cand;
	}
}
