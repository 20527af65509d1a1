// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tenants' bridges on one appliance (fwd/l2plan.h): each bridged tenant
 * has a bridge "br-NAME", its own trunk and its own access ports. A network
 * interface can be a port of one bridge only and every name is one
 * interface, so bridges, trunks and ports may not share a name with each
 * other or with any gateway, VPN or uplink interface. (Gateway and VPN
 * interfaces among themselves, and a tenant's zones against its own uplink
 * and trunk, are check.c's; a zone's ports against each other and against
 * its tenant's uplink and trunk, load_l2.c's.)
 */
#include <stdio.h>
#include <string.h>

#include "fwd/l2plan.h"
#include "load.h"
#include "util.h"

/* The kernel numbers bridge ports 1..1023 (BR_MAX_PORTS 1024, 0 unused). */
#define L2_MAX_PORTS 1023

enum ifkind { IF_UPLINK, IF_TRUNK, IF_BRIDGE, IF_GATEWAY, IF_VPN, IF_PORT };

struct ifuse {
	char name[FW_IFNAME_MAX + 1];
	enum ifkind kind;
	const struct fw_tenant *t;
	const char *zone; /* gateways and ports */
	struct fw_loc loc;
	size_t seq; /* collection order: the later of two is reported */
};

struct uses {
	struct ifuse *v;
	size_t n, cap;
	int err;
};

static void add(struct uses *u, const char *name, enum ifkind kind, const struct fw_tenant *t,
                const char *zone, const struct fw_loc *loc)
{
	struct ifuse *x;

	if (!name[0] || u->err)
		return;
	x = fw_push((void **)&u->v, &u->n, &u->cap, sizeof(*u->v));
	if (!x) {
		u->err = -ENOMEM;
		return;
	}
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->kind = kind;
	x->t = t;
	x->zone = zone;
	x->loc = *loc;
	x->seq = u->n - 1;
}

/* "the gateway interface of zone 'dmz'", "a port of zone 'dmz'", ... */
static const char *describe(const struct ifuse *x, char *buf, size_t size)
{
	switch (x->kind) {
	case IF_UPLINK:
		return "the uplink";
	case IF_TRUNK:
		return "the trunk";
	case IF_BRIDGE:
		return "the bridge";
	case IF_VPN:
		return "the VPN interface";
	case IF_GATEWAY:
		snprintf(buf, size, "the gateway interface of zone '%s'", x->zone);
		return buf;
	case IF_PORT:
		snprintf(buf, size, "a port of zone '%s'", x->zone);
		return buf;
	}
	return "?";
}

/* Is a clash of a (later) with b (earlier) this check's to report? */
static bool ours(const struct ifuse *a, const struct ifuse *b)
{
	enum ifkind x = a->kind, y = b->kind;
	bool zx = x == IF_GATEWAY || x == IF_VPN, zy = y == IF_GATEWAY || y == IF_VPN;
	bool ux = x == IF_UPLINK || x == IF_TRUNK, uy = y == IF_UPLINK || y == IF_TRUNK;

	if (x == IF_UPLINK && y == IF_UPLINK)
		return false; /* tenants share the uplink */
	if (zx && zy)
		return false; /* check.c */
	if (a->t != b->t)
		return true;
	if ((zx && uy) || (zy && ux))
		return false; /* check.c: a zone is not its tenant's uplink or trunk */
	if ((x == IF_PORT && (y == IF_PORT || uy)) || (y == IF_PORT && ux))
		return false; /* load_l2.c */
	return true;
}

static void report(struct fw_diags *d, const struct ifuse *a, const struct ifuse *b)
{
	char wa[96], wb[96], at[FW_NAME_MAX + 512];
	const char *what = describe(a, wa, sizeof(wa)), *other = describe(b, wb, sizeof(wb));
	char tb[FW_NAME_MAX + 16] = "";

	if (b->loc.file && a->loc.file && !strcmp(b->loc.file, a->loc.file))
		snprintf(at, sizeof(at), "%u:%u", b->loc.line, b->loc.col);
	else
		snprintf(at, sizeof(at), "%s:%u:%u", b->loc.file ? b->loc.file : "?", b->loc.line,
		         b->loc.col);
	if (a->t != b->t)
		snprintf(tb, sizeof(tb), " of tenant '%s'", b->t->name);
	if (a->kind == IF_TRUNK && b->kind == IF_TRUNK)
		fw_error(d, &a->loc,
		         "trunk '%s' is already the trunk of tenant '%s' (%s); an interface is a "
		         "port of one bridge only: give each tenant its own trunk",
		         a->name, b->t->name, at);
	else if (a->kind == IF_BRIDGE && b->kind == IF_BRIDGE)
		fw_error(d, &a->loc,
		         "the tenant's bridge '%s' is already the bridge of tenant '%s' (%s); "
		         "bridge names are 'br-' and the first %d characters of the tenant name",
		         a->name, b->t->name, at, FW_IFNAME_MAX - 3);
	else
		fw_error(d, &a->loc, "interface '%s' (%s) is already %s%s (%s)", a->name, what,
		         other, tb, at);
}

static void collect(const struct fw_tenant *t, struct uses *u)
{
	bool bridged = fw_l2_tenant_bridged(t);
	char br[FW_IFNAME_MAX + 1];

	add(u, t->uplink_if, IF_UPLINK, t, NULL, &t->uplink_loc);
	add(u, t->trunk_if, IF_TRUNK, t, NULL, &t->trunk_loc);
	if (bridged) {
		fw_l2_bridge_name(t->name, br);
		add(u, br, IF_BRIDGE, t, NULL, &t->loc);
	}
	for (size_t z = 0; z < t->n_zones; z++)
		add(u, t->zones[z].ifname, IF_GATEWAY, t, t->zones[z].name, &t->zones[z].loc);
	if (t->vpn.present)
		add(u, t->vpn.ifname, IF_VPN, t, NULL, &t->vpn.loc);
	for (size_t z = 0; z < t->n_zones; z++)
		for (size_t i = 0; i < t->zones[z].n_ports; i++)
			add(u, t->zones[z].ports[i], IF_PORT, t, t->zones[z].name,
			    &t->zones[z].port_locs[i]);
}

static int cmp_use(const void *a, const void *b)
{
	const struct ifuse *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static void check_ports_limit(const struct fw_tenant *t, struct fw_diags *d)
{
	size_t n = t->trunk_if[0] ? 1 : 0;

	for (size_t z = 0; z < t->n_zones; z++) {
		n += t->zones[z].n_ports;
		if (n > L2_MAX_PORTS) {
			fw_error(d, &t->zones[z].port_locs[0],
			         "ports: the tenant's bridge would have more than %d ports (the "
			         "kernel's limit)",
			         L2_MAX_PORTS);
			return;
		}
	}
}

void policy_check_l2(struct fw_policy *p, struct fw_diags *d)
{
	struct uses u = {0};

	for (size_t i = 0; i < p->n_tenants; i++) {
		if (!p->tenants[i].name)
			continue;
		collect(&p->tenants[i], &u);
		check_ports_limit(&p->tenants[i], d);
	}
	if (u.err) {
		free(u.v);
		return;
	}
	/* Sorted by name (n log n for thousands of ports), then each use
	 * against the first earlier use of the same name it clashes with. */
	qsort(u.v, u.n, sizeof(*u.v), cmp_use);
	for (size_t i = 1; i < u.n; i++) {
		size_t first = i;

		while (first > 0 && !strcmp(u.v[first - 1].name, u.v[i].name))
			first--;
		for (size_t j = first; j < i; j++)
			if (ours(&u.v[i], &u.v[j])) {
				report(d, &u.v[i], &u.v[j]);
				break;
			}
	}
	free(u.v);
}
