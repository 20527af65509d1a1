// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The zone keys of the tenant's bridge: `ports` (local access ports) and
 * `allow_dhcp_server` / `allow_ra` (hosts whose DHCP replies and router
 * advertisements the bridge lets through). Conflicts with other tenants'
 * interfaces are found later, by the whole-appliance check (check_l2.c).
 */
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "util.h"

struct port_ctx {
	size_t zone;
};

static void one_port(struct sctx *c, const struct ynode *v, void *obj)
{
	struct port_ctx *pc = obj;
	struct fw_tenant *t = c->t;
	struct fw_zone *z = &t->zones[pc->zone];
	char name[FW_IFNAME_MAX + 1];

	if (!s_ifname(c, v, "ports", name))
		return;
	if (!strcmp(name, t->uplink_if)) {
		s_err(c, v, "ports: '%s' is the tenant's uplink", name);
		return;
	}
	if (!strcmp(name, t->trunk_if)) {
		s_err(c, v, "ports: '%s' is the tenant's trunk", name);
		return;
	}
	/* One zone per port: it is an untagged member of one VLAN. */
	for (size_t i = 0; i <= pc->zone; i++) {
		const struct fw_zone *o = &t->zones[i];

		for (size_t j = 0; j < o->n_ports; j++) {
			if (strcmp(o->ports[j], name))
				continue;
			if (o == z)
				s_err(c, v, "ports: '%s' is listed twice (first at %u:%u)", name,
				      o->port_locs[j].line, o->port_locs[j].col);
			else
				s_err(c, v, "ports: '%s' is already a port of zone '%s' (%u:%u)",
				      name, o->name, o->port_locs[j].line, o->port_locs[j].col);
			return;
		}
	}
	memcpy(z->ports[z->n_ports], name, sizeof(name));
	z->port_locs[z->n_ports++] = s_loc(c, v);
}

void load_zone_ports(struct load_state *ls, size_t zone, const struct ynode *v)
{
	struct fw_zone *z = &ls->c.t->zones[zone];
	size_t n = v->kind == YN_SEQ ? v->n : 1;
	struct port_ctx pc = {zone};

	z->ports = calloc(n ? n : 1, sizeof(*z->ports));
	z->port_locs = calloc(n ? n : 1, sizeof(*z->port_locs));
	if (!z->ports || !z->port_locs) {
		ls->c.oom = -ENOMEM;
		return;
	}
	s_each_scalar(&ls->c, v, "ports", one_port, &pc);
}

struct host_list_ctx {
	const char *key;
	const struct fw_zone *z;
	size_t zone;
	size_t *v;
	size_t n;
};

static void one_host(struct sctx *c, const struct ynode *v, void *obj)
{
	struct host_list_ctx *hc = obj;
	const struct fw_tenant *t = c->t;
	ssize_t h = tenant_find_host(t, v->str);

	if (h < 0) {
		s_err(c, v, "%s: no host named '%.64s'", hc->key, v->str);
		return;
	}
	if (t->hosts[h].zone != hc->zone) {
		s_err(c, v, "%s: host '%s' is in zone '%s', not in '%s'", hc->key, t->hosts[h].name,
		      t->zones[t->hosts[h].zone].name, hc->z->name);
		return;
	}
	/* Router advertisements come from link-local addresses and DHCPv6
	 * replies often do: the MAC is what identifies the sender. */
	if (!t->hosts[h].has_mac) {
		s_err(c, v,
		      "%s: host '%s' has no 'mac'; the bridge recognises the host's packets by its "
		      "MAC address",
		      hc->key, t->hosts[h].name);
		return;
	}
	for (size_t i = 0; i < hc->n; i++)
		if (hc->v[i] == (size_t)h) {
			s_err(c, v, "%s: host '%s' is listed twice", hc->key, t->hosts[h].name);
			return;
		}
	hc->v[hc->n++] = (size_t)h;
}

static void host_list(struct load_state *ls, size_t zone, const struct ynode *v, const char *key,
                      size_t **ret, size_t *ret_n)
{
	struct host_list_ctx hc = {key, &ls->c.t->zones[zone], zone, NULL, 0};
	size_t n = v->kind == YN_SEQ ? v->n : 1;

	hc.v = calloc(n ? n : 1, sizeof(*hc.v));
	if (!hc.v) {
		ls->c.oom = -ENOMEM;
		return;
	}
	s_each_scalar(&ls->c, v, key, one_host, &hc);
	*ret = hc.v;
	*ret_n = hc.n;
}

void load_zone_hosts_l2(struct load_state *ls)
{
	struct fw_tenant *t = ls->c.t;

	for (size_t i = 0; ls->zone_l2_hosts && i < t->n_zones; i++) {
		struct fw_zone *z = &t->zones[i];
		const struct zone_l2_nodes *n = &ls->zone_l2_hosts[i];

		if (n->dhcp)
			host_list(ls, i, n->dhcp, "allow_dhcp_server", &z->dhcp_servers,
			          &z->n_dhcp_servers);
		if (n->ra)
			host_list(ls, i, n->ra, "allow_ra", &z->ra_senders, &z->n_ra_senders);
	}
}
