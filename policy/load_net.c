// SPDX-License-Identifier: GPL-2.0-or-later
/* tenant, uplink, trunk, zones and hosts sections. */
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "util.h"

/* --- tenant: {name, id} --- */

static void k_tenant_name(struct sctx *c, const struct ynode *v, void *obj)
{
	struct fw_tenant *t = obj;
	char fb[64];
	const char *s;

	if (!s_str(c, v, "name", &s))
		return;
	/* Tenant names end up in nft table names ("fwd_NAME_l2") and in
	 * interface names ("wg-NAME"): keep them short and plain. */
	bool ok = strlen(s) <= 20 && s[0] >= 'a' && s[0] <= 'z';
	for (const char *p = s; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
	if (!ok) {
		s_err(c, v,
		      "name: expected a tenant name (a lowercase letter, then up to 19 of a-z 0-9 "
		      "-), "
		      "found %s",
		      s_found(v, fb, sizeof(fb)));
		return;
	}
	t->name = strdup(s);
	if (!t->name)
		c->oom = -ENOMEM;
	t->loc = s_loc(c, v);
}

static void k_tenant_id(struct sctx *c, const struct ynode *v, void *obj)
{
	struct fw_tenant *t = obj;
	unsigned long id;

	if (s_uint(c, v, "id", 1, FW_MAX_TENANT_ID, "a tenant id", &id))
		t->id = (uint32_t)id;
}

static void k_tenant_log(struct sctx *c, const struct ynode *v, void *obj)
{
	s_bool(c, v, "log_denied", &((struct fw_tenant *)obj)->log_denied);
}

static void k_uplink_if(struct sctx *c, const struct ynode *v, void *obj)
{
	struct fw_tenant *t = obj;

	if (s_ifname(c, v, "interface", t->uplink_if))
		t->uplink_loc = s_loc(c, v);
}

static void k_uplink_addrs(struct sctx *c, const struct ynode *v, void *obj)
{
	struct fw_tenant *t = obj;

	if (!s_is_seq(c, v, "addresses"))
		return;
	t->public_addrs = calloc(v->n ? v->n : 1, sizeof(*t->public_addrs));
	t->public_locs = calloc(v->n ? v->n : 1, sizeof(*t->public_locs));
	if (!t->public_addrs || !t->public_locs) {
		c->oom = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		struct fw_prefix p;

		if (!s_addr(c, v->vals[i], "addresses", 0, &p))
			continue;
		for (size_t j = 0; j < t->n_public; j++)
			if (!memcmp(&t->public_addrs[j], &p, sizeof(p)))
				s_err(
				    c, v->vals[i], "addresses: %s is listed twice (first at %u:%u)",
				    v->vals[i]->str, t->public_locs[j].line, t->public_locs[j].col);
		t->public_locs[t->n_public] = s_loc(c, v->vals[i]);
		t->public_addrs[t->n_public++] = p;
	}
}

void load_tenant_header(struct load_state *ls)
{
	static const struct s_key tenant_keys[] = {
	    {"name", true, k_tenant_name},
	    {"id", true, k_tenant_id},
	    {"log_denied", false, k_tenant_log},
	};
	static const struct s_key uplink_keys[] = {
	    {"interface", true, k_uplink_if},
	    {"addresses", false, k_uplink_addrs},
	};
	struct fw_tenant *t = ls->c.t;

	if (ls->s.tenant)
		s_walk(&ls->c, ls->s.tenant, "tenant", tenant_keys, ARRAY_SIZE(tenant_keys), t);
	if (ls->s.uplink)
		s_walk(&ls->c, ls->s.uplink, "uplink", uplink_keys, ARRAY_SIZE(uplink_keys), t);
	if (ls->s.trunk && s_ifname(&ls->c, ls->s.trunk, "trunk", t->trunk_if))
		t->trunk_loc = s_loc(&ls->c, ls->s.trunk);
}

/* --- zones: name -> {vlan, subnet, subnet6, gateway, gateway6, isolate, interface,
 *                     ports, allow_dhcp_server, allow_ra} --- */

struct zone_ctx {
	struct fw_zone *z;
	const struct ynode *gw4, *gw6, *ifname, *ports;
	struct zone_l2_nodes l2;
};

static void k_zone_vlan(struct sctx *c, const struct ynode *v, void *obj)
{
	struct zone_ctx *zc = obj;
	unsigned long vlan;

	if (s_uint(c, v, "vlan", 1, 4094, "a VLAN id", &vlan)) {
		zc->z->vlan = (uint16_t)vlan;
		zc->z->vlan_loc = s_loc(c, v);
	}
}

static void k_zone_subnet(struct sctx *c, const struct ynode *v, void *obj)
{
	struct zone_ctx *zc = obj;

	if (s_subnet(c, v, "subnet", 4, &zc->z->subnet4)) {
		zc->z->has_subnet4 = true;
		zc->z->subnet4_loc = s_loc(c, v);
	}
}

static void k_zone_subnet6(struct sctx *c, const struct ynode *v, void *obj)
{
	struct zone_ctx *zc = obj;

	if (s_subnet(c, v, "subnet6", 6, &zc->z->subnet6)) {
		zc->z->has_subnet6 = true;
		zc->z->subnet6_loc = s_loc(c, v);
	}
}

static void k_zone_gw4(struct sctx *c, const struct ynode *v, void *obj)
{
	(void)c;
	((struct zone_ctx *)obj)->gw4 = v;
}

static void k_zone_gw6(struct sctx *c, const struct ynode *v, void *obj)
{
	(void)c;
	((struct zone_ctx *)obj)->gw6 = v;
}

static void k_zone_isolate(struct sctx *c, const struct ynode *v, void *obj)
{
	s_bool(c, v, "isolate", &((struct zone_ctx *)obj)->z->isolate);
}

/* The L2 keys are checked in load_l2.c: ports once the zone is known,
 * hosts once they are loaded. */
static void k_zone_ports(struct sctx *c, const struct ynode *v, void *obj)
{
	(void)c;
	((struct zone_ctx *)obj)->ports = v;
}

static void k_zone_dhcp(struct sctx *c, const struct ynode *v, void *obj)
{
	(void)c;
	((struct zone_ctx *)obj)->l2.dhcp = v;
}

static void k_zone_ra(struct sctx *c, const struct ynode *v, void *obj)
{
	(void)c;
	((struct zone_ctx *)obj)->l2.ra = v;
}

static void k_zone_ifname(struct sctx *c, const struct ynode *v, void *obj)
{
	struct zone_ctx *zc = obj;

	if (s_ifname(c, v, "interface", zc->z->ifname))
		zc->ifname = v;
}

/* Gateway: given (must be a usable address of the subnet) or the first one. */
static void zone_gateway(struct sctx *c, const struct ynode *v, const char *key,
                         const struct fw_prefix *subnet, struct fw_prefix *gw)
{
	char sn[64];
	uint8_t last[16];

	if (!v) {
		*gw = *subnet;
		gw->len = subnet->family == 4 ? 32 : 128;
		fw_addr_add(gw, 1);
		return;
	}
	if (!s_addr(c, v, key, subnet->family, gw))
		return;
	fw_prefix_format(subnet, sn, sizeof(sn));
	fw_prefix_last(subnet, last);
	if (!fw_prefix_contains(subnet, gw))
		s_err(c, v, "%s: %s is outside the zone's subnet %s", key, v->str, sn);
	else if (!memcmp(gw->a, subnet->a, 16) ||
	         (subnet->family == 4 && subnet->len < 31 && !memcmp(gw->a, last, 4)))
		s_err(c, v, "%s: %s is the %s address of %s, expected a host address", key, v->str,
		      memcmp(gw->a, subnet->a, 16) ? "broadcast" : "network", sn);
}

void load_zones(struct load_state *ls)
{
	static const struct s_key keys[] = {
	    {"vlan", true, k_zone_vlan},
	    {"subnet", false, k_zone_subnet},
	    {"subnet6", false, k_zone_subnet6},
	    {"gateway", false, k_zone_gw4},
	    {"gateway6", false, k_zone_gw6},
	    {"isolate", false, k_zone_isolate},
	    {"interface", false, k_zone_ifname},
	    {"ports", false, k_zone_ports},
	    {"allow_dhcp_server", false, k_zone_dhcp},
	    {"allow_ra", false, k_zone_ra},
	};
	struct sctx *c = &ls->c;
	struct fw_tenant *t = c->t;
	const struct ynode *zs = ls->s.zones;

	if (!zs || !s_is_map(c, zs, "zones"))
		return;
	t->zones = calloc(zs->n ? zs->n : 1, sizeof(*t->zones));
	ls->zone_bad_subnet = calloc(zs->n ? zs->n : 1, sizeof(bool));
	ls->zone_l2_hosts = calloc(zs->n ? zs->n : 1, sizeof(*ls->zone_l2_hosts));
	if (!t->zones || !ls->zone_bad_subnet || !ls->zone_l2_hosts) {
		c->oom = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < zs->n; i++) {
		struct fw_zone *z = &t->zones[t->n_zones];
		struct zone_ctx zc = {.z = z};
		char what[80];
		const char *name;

		if (!s_name(c, zs->keys[i], "zone name", &name))
			continue;
		if (!strcmp(name, "vpn") || !strcmp(name, "in")) {
			/* "vpn" names the tunnel side, "in" the input chains */
			s_err(c, zs->keys[i], "zone name: '%s' is reserved, choose another", name);
			continue;
		}
		z->name = strdup(name);
		if (!z->name) {
			c->oom = -ENOMEM;
			return;
		}
		z->loc = s_loc(c, zs->keys[i]);
		t->n_zones++;
		snprintf(what, sizeof(what), "zone '%s'", name);
		s_walk(c, zs->vals[i], what, keys, ARRAY_SIZE(keys), &zc);
		if (zs->vals[i]->kind != YN_MAP)
			continue;
		if (!z->has_subnet4 && !z->has_subnet6 && !ymap_get(zs->vals[i], "subnet") &&
		    !ymap_get(zs->vals[i], "subnet6"))
			s_err(c, zs->vals[i], "%s: missing required key 'subnet' (or 'subnet6')",
			      what);
		ls->zone_bad_subnet[t->n_zones - 1] =
		    (!z->has_subnet4 && ymap_get(zs->vals[i], "subnet")) ||
		    (!z->has_subnet6 && ymap_get(zs->vals[i], "subnet6")) ||
		    (!z->has_subnet4 && !z->has_subnet6);
		if (z->has_subnet4)
			zone_gateway(c, zc.gw4, "gateway", &z->subnet4, &z->gw4);
		else if (zc.gw4)
			s_err(c, zc.gw4, "gateway: the zone has no IPv4 'subnet'");
		if (z->has_subnet6)
			zone_gateway(c, zc.gw6, "gateway6", &z->subnet6, &z->gw6);
		else if (zc.gw6)
			s_err(c, zc.gw6, "gateway6: the zone has no 'subnet6'");
		if (!zc.ifname && z->vlan)
			snprintf(z->ifname, sizeof(z->ifname), "vlan%u", z->vlan);
		if (zc.ports)
			load_zone_ports(ls, t->n_zones - 1, zc.ports);
		ls->zone_l2_hosts[t->n_zones - 1] = zc.l2;
	}
}

/* --- hosts: name -> {zone, address, address6, mac} --- */

struct host_ctx {
	struct fw_host *h;
	bool zone_ok;
	const struct ynode *a4, *a6;
};

static void k_host_zone(struct sctx *c, const struct ynode *v, void *obj)
{
	struct host_ctx *hc = obj;
	const char *name;
	ssize_t z;

	if (!s_str(c, v, "zone", &name))
		return;
	z = tenant_find_zone(c->t, name);
	if (z < 0) {
		s_err(c, v, "zone: no zone named '%.64s'", name);
		return;
	}
	hc->h->zone = (size_t)z;
	hc->zone_ok = true;
}

static void k_host_a4(struct sctx *c, const struct ynode *v, void *obj)
{
	struct host_ctx *hc = obj;

	if (s_addr(c, v, "address", 4, &hc->h->addr4)) {
		hc->h->has_addr4 = true;
		hc->h->addr4_loc = s_loc(c, v);
		hc->a4 = v;
	}
}

static void k_host_a6(struct sctx *c, const struct ynode *v, void *obj)
{
	struct host_ctx *hc = obj;

	if (s_addr(c, v, "address6", 6, &hc->h->addr6)) {
		hc->h->has_addr6 = true;
		hc->h->addr6_loc = s_loc(c, v);
		hc->a6 = v;
	}
}

static void k_host_mac(struct sctx *c, const struct ynode *v, void *obj)
{
	struct host_ctx *hc = obj;
	char fb[64];
	const char *s;
	unsigned m[6];
	int end = 0;

	if (!s_str(c, v, "mac", &s))
		return;
	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
	           &end) != 6 ||
	    end != 17 || (m[0] & 1)) {
		s_err(c, v, "mac: expected a unicast MAC address like 52:54:00:12:34:56, found %s",
		      s_found(v, fb, sizeof(fb)));
		return;
	}
	for (int i = 0; i < 6; i++)
		hc->h->mac[i] = (uint8_t)m[i];
	hc->h->has_mac = true;
}

static void host_addr_in_zone(struct sctx *c, const struct ynode *v, const char *key,
                              const struct fw_prefix *a, bool has_subnet,
                              const struct fw_prefix *sn, const struct fw_prefix *gw,
                              const char *zname)
{
	char sbuf[64];
	uint8_t last[16];

	if (!has_subnet) {
		s_err(c, v, "%s: zone '%s' has no %s subnet", key, zname,
		      a->family == 4 ? "IPv4" : "IPv6");
		return;
	}
	fw_prefix_format(sn, sbuf, sizeof(sbuf));
	fw_prefix_last(sn, last);
	if (!fw_prefix_contains(sn, a))
		s_err(c, v, "%s: %s is outside zone '%s' (%s)", key, v->str, zname, sbuf);
	else if (!memcmp(a->a, gw->a, 16))
		s_err(c, v, "%s: %s is the gateway address of zone '%s'", key, v->str, zname);
	else if (!memcmp(a->a, sn->a, 16) ||
	         (sn->family == 4 && sn->len < 31 && !memcmp(a->a, last, 4)))
		s_err(c, v, "%s: %s is the %s address of %s, expected a host address", key, v->str,
		      memcmp(a->a, sn->a, 16) ? "broadcast" : "network", sbuf);
}

void load_hosts(struct load_state *ls)
{
	static const struct s_key keys[] = {
	    {"zone", true, k_host_zone},
	    {"address", false, k_host_a4},
	    {"address6", false, k_host_a6},
	    {"mac", false, k_host_mac},
	};
	struct sctx *c = &ls->c;
	struct fw_tenant *t = c->t;
	const struct ynode *hs = ls->s.hosts;

	if (!hs || !s_is_map(c, hs, "hosts"))
		return;
	t->hosts = calloc(hs->n ? hs->n : 1, sizeof(*t->hosts));
	if (!t->hosts) {
		c->oom = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < hs->n; i++) {
		struct fw_host *h = &t->hosts[t->n_hosts];
		struct host_ctx hc = {.h = h};
		char what[80];
		const char *name;

		if (!s_name(c, hs->keys[i], "host name", &name))
			continue;
		h->name = strdup(name);
		if (!h->name) {
			c->oom = -ENOMEM;
			return;
		}
		h->loc = s_loc(c, hs->keys[i]);
		t->n_hosts++;
		snprintf(what, sizeof(what), "host '%s'", name);
		s_walk(c, hs->vals[i], what, keys, ARRAY_SIZE(keys), &hc);
		if (hs->vals[i]->kind != YN_MAP)
			continue;
		if (!hc.a4 && !hc.a6 && !ymap_get(hs->vals[i], "address") &&
		    !ymap_get(hs->vals[i], "address6"))
			s_err(c, hs->vals[i], "%s: missing required key 'address' (or 'address6')",
			      what);
		if (!hc.zone_ok || ls->zone_bad_subnet[h->zone])
			continue;
		const struct fw_zone *z = &t->zones[h->zone];
		if (hc.a4)
			host_addr_in_zone(c, hc.a4, "address", &h->addr4, z->has_subnet4,
			                  &z->subnet4, &z->gw4, z->name);
		if (hc.a6)
			host_addr_in_zone(c, hc.a6, "address6", &h->addr6, z->has_subnet6,
			                  &z->subnet6, &z->gw6, z->name);
	}
}
