// SPDX-License-Identifier: GPL-2.0-or-later
/* The L2 plan (fwd/l2plan.h): per bridged tenant its bridge, ports and VLANs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwd/l2plan.h"
#include "util.h"

bool fw_l2_tenant_bridged(const struct fw_tenant *t)
{
	if (t->trunk_if[0])
		return true;
	for (size_t z = 0; z < t->n_zones; z++)
		if (t->zones[z].n_ports)
			return true;
	return false;
}

void fw_l2_bridge_name(const char *tenant, char out[FW_IFNAME_MAX + 1])
{
	snprintf(out, FW_IFNAME_MAX + 1, "br-%s", tenant);
}

static int cmp_port(const void *a, const void *b)
{
	return strcmp(((const struct fw_l2_port *)a)->ifname,
	              ((const struct fw_l2_port *)b)->ifname);
}

static int cmp_vlan(const void *a, const void *b)
{
	const struct fw_l2_vlan *x = a, *y = b;

	return (x->vid > y->vid) - (x->vid < y->vid);
}

static int cmp_bridge(const void *a, const void *b)
{
	return strcmp(((const struct fw_l2_bridge *)a)->name,
	              ((const struct fw_l2_bridge *)b)->name);
}

static void bridge_free(struct fw_l2_bridge *b)
{
	free(b->ports);
	free(b->vlans);
}

static int bridge_build(const struct fw_tenant *t, struct fw_l2_bridge *b)
{
	size_t n_ports = t->trunk_if[0] ? 1 : 0;

	memset(b, 0, sizeof(*b));
	for (size_t z = 0; z < t->n_zones; z++)
		n_ports += t->zones[z].n_ports;
	b->tenant = t->name;
	b->loc = t->loc;
	fw_l2_bridge_name(t->name, b->name);
	b->ports = calloc(n_ports ? n_ports : 1, sizeof(*b->ports));
	b->vlans = calloc(t->n_zones ? t->n_zones : 1, sizeof(*b->vlans));
	if (!b->ports || !b->vlans) {
		bridge_free(b);
		return -ENOMEM;
	}
	if (t->trunk_if[0]) {
		struct fw_l2_port *p = &b->ports[b->n_ports++];

		memcpy(p->ifname, t->trunk_if, sizeof(p->ifname));
		p->loc = t->trunk_loc;
	}
	for (size_t i = 0; i < t->n_zones; i++) {
		const struct fw_zone *z = &t->zones[i];
		struct fw_l2_vlan *v = &b->vlans[b->n_vlans++];

		for (size_t j = 0; j < z->n_ports; j++) {
			struct fw_l2_port *p = &b->ports[b->n_ports++];

			memcpy(p->ifname, z->ports[j], sizeof(p->ifname));
			p->pvid = z->vlan;
			p->isolated = z->isolate;
			p->loc = z->port_locs[j];
		}
		v->vid = z->vlan;
		v->zone = z->name;
		memcpy(v->ifname, z->ifname, sizeof(v->ifname));
		/* The gateway carries the subnet's prefix length: the route to
		 * the zone comes with the address. */
		if ((v->has_gw4 = z->has_subnet4)) {
			v->gw4 = z->gw4;
			v->gw4.len = z->subnet4.len;
		}
		if ((v->has_gw6 = z->has_subnet6)) {
			v->gw6 = z->gw6;
			v->gw6.len = z->subnet6.len;
		}
		v->proxy_arp = z->isolate;
		v->loc = z->vlan_loc;
	}
	qsort(b->ports, b->n_ports, sizeof(*b->ports), cmp_port);
	qsort(b->vlans, b->n_vlans, sizeof(*b->vlans), cmp_vlan);
	return 0;
}

int l2_plan_build(const struct fw_policy *p, struct fw_l2_plan *ret)
{
	struct fw_l2_plan lp = {0};
	size_t n = 0;

	for (size_t i = 0; i < p->n_tenants; i++)
		n += fw_l2_tenant_bridged(&p->tenants[i]);
	if (n == 0) {
		*ret = lp;
		return 0;
	}
	lp.bridges = calloc(n, sizeof(*lp.bridges));
	if (!lp.bridges)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_tenants; i++) {
		if (!fw_l2_tenant_bridged(&p->tenants[i]))
			continue;
		if (bridge_build(&p->tenants[i], &lp.bridges[lp.n_bridges]) < 0) {
			l2_plan_clear(&lp);
			return -ENOMEM;
		}
		lp.n_bridges++;
	}
	qsort(lp.bridges, lp.n_bridges, sizeof(*lp.bridges), cmp_bridge);
	*ret = lp;
	return 0;
}

void l2_plan_clear(struct fw_l2_plan *lp)
{
	if (!lp)
		return;
	for (size_t i = 0; i < lp->n_bridges; i++)
		bridge_free(&lp->bridges[i]);
	free(lp->bridges);
	memset(lp, 0, sizeof(*lp));
}

const struct fw_l2_bridge *l2_plan_find(const struct fw_l2_plan *lp, const char *name)
{
	for (size_t i = 0; i < lp->n_bridges; i++)
		if (!strcmp(lp->bridges[i].name, name))
			return &lp->bridges[i];
	return NULL;
}
