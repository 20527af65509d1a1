// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Whole-policy checks that need every file loaded: uniqueness across the
 * appliance (tenants, VLANs, interfaces, subnets, public addresses, VPN
 * ports) and consistency inside a tenant (overlaps, cycles, conflicts).
 */
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "util.h"

struct net {
	struct fw_prefix p;
	const struct fw_tenant *t;
	struct fw_loc loc;
	char what[64];
};

/* "(first at 12:5)" in the same file, "(first at other.yaml:12:5)" elsewhere. */
static const char *where(const struct fw_loc *first, const struct fw_loc *here, char *buf,
                         size_t size)
{
	if (first->file && here->file && !strcmp(first->file, here->file))
		snprintf(buf, size, "%u:%u", first->line, first->col);
	else
		snprintf(buf, size, "%s:%u:%u", first->file ? first->file : "?", first->line,
		         first->col);
	return buf;
}

static int push_net(struct net **v, size_t *n, size_t *cap, const struct fw_prefix *p,
                    const struct fw_tenant *t, struct fw_loc loc, const char *kind, const char *a)
{
	struct net *x = fw_push((void **)v, n, cap, sizeof(**v));

	if (!x)
		return -ENOMEM;
	x->p = *p;
	x->t = t;
	x->loc = loc;
	if (a)
		snprintf(x->what, sizeof(x->what), "%s '%s'", kind, a);
	else
		snprintf(x->what, sizeof(x->what), "%s", kind);
	return 0;
}

/* Every internal network of the appliance must be disjoint from every other:
 * they share one routing table. */
static void check_networks(struct fw_policy *p, struct fw_diags *d)
{
	struct net *v = NULL;
	size_t n = 0, cap = 0;
	char wb[128], a[64], b[64];

	for (size_t ti = 0; ti < p->n_tenants; ti++) {
		const struct fw_tenant *t = &p->tenants[ti];

		for (size_t i = 0; i < t->n_zones; i++) {
			const struct fw_zone *z = &t->zones[i];
			if (z->has_subnet4)
				push_net(&v, &n, &cap, &z->subnet4, t, z->subnet4_loc, "zone",
				         z->name);
			if (z->has_subnet6)
				push_net(&v, &n, &cap, &z->subnet6, t, z->subnet6_loc, "zone",
				         z->name);
		}
		if (t->vpn.present && t->vpn.pool.family)
			push_net(&v, &n, &cap, &t->vpn.pool, t, t->vpn.loc, "the VPN pool", NULL);
		for (size_t i = 0; i < t->vpn.n_sites; i++)
			for (size_t j = 0; j < t->vpn.sites[i].n_networks; j++)
				push_net(&v, &n, &cap, &t->vpn.sites[i].networks[j], t,
				         t->vpn.sites[i].network_locs[j], "VPN site",
				         t->vpn.sites[i].name);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++) {
			if (!fw_prefix_overlaps(&v[i].p, &v[j].p))
				continue;
			fw_prefix_format(&v[i].p, a, sizeof(a));
			fw_prefix_format(&v[j].p, b, sizeof(b));
			if (v[i].t == v[j].t)
				fw_error(d, &v[i].loc, "%s of %s overlaps %s of %s (%s)", a,
				         v[i].what, b, v[j].what,
				         where(&v[j].loc, &v[i].loc, wb, sizeof(wb)));
			else
				fw_error(
				    d, &v[i].loc,
				    "%s of %s overlaps %s of %s in tenant '%s' (%s); tenants of "
				    "one appliance share its routing table",
				    a, v[i].what, b, v[j].what, v[j].t->name,
				    where(&v[j].loc, &v[i].loc, wb, sizeof(wb)));
			break;
		}
	free(v);
}

static void check_appliance_unique(struct fw_policy *p, struct fw_diags *d)
{
	char wb[128];

	for (size_t ti = 0; ti < p->n_tenants; ti++) {
		const struct fw_tenant *t = &p->tenants[ti];

		for (size_t tj = 0; tj < ti; tj++) {
			const struct fw_tenant *u = &p->tenants[tj];

			if (t->name && u->name && !strcmp(t->name, u->name))
				fw_error(d, &t->loc, "tenant name '%s' is already used (%s)",
				         t->name, where(&u->loc, &t->loc, wb, sizeof(wb)));
			if (t->id && t->id == u->id)
				fw_error(d, &t->loc,
				         "tenant id %u is already used by tenant '%s' (%s)", t->id,
				         u->name, where(&u->loc, &t->loc, wb, sizeof(wb)));
			if (t->vpn.present && u->vpn.present && t->vpn.listen_port &&
			    t->vpn.listen_port == u->vpn.listen_port)
				fw_error(d, &t->vpn.loc,
				         "vpn listen_port %u is already used by tenant '%s' (%s)",
				         t->vpn.listen_port, u->name,
				         where(&u->vpn.loc, &t->vpn.loc, wb, sizeof(wb)));
			for (size_t i = 0; i < t->n_public; i++)
				for (size_t j = 0; j < u->n_public; j++)
					if (!memcmp(&t->public_addrs[i], &u->public_addrs[j],
					            sizeof(struct fw_prefix))) {
						char a[64];
						fw_addr_format(&t->public_addrs[i], a, sizeof(a));
						fw_error(d, &t->public_locs[i],
						         "public address %s is already used by "
						         "tenant '%s' (%s)",
						         a, u->name,
						         where(&u->public_locs[j],
						               &t->public_locs[i], wb, sizeof(wb)));
					}
		}
	}
}

/* Interface names: one owner each on the appliance. VLANs: one zone each
 * per tenant; each tenant has its own bridge and trunk (check_l2.c), so two
 * tenants may use the same VLAN id, but their gateway interfaces need
 * distinct names. */
static void check_interfaces(struct fw_policy *p, struct fw_diags *d)
{
	struct ifn {
		const char *name;
		const struct fw_tenant *t;
		struct fw_loc loc;
		uint16_t vlan;
		const char *zone;
	} *v = NULL;
	size_t n = 0, cap = 0;
	char wb[128];

	for (size_t ti = 0; ti < p->n_tenants; ti++) {
		const struct fw_tenant *t = &p->tenants[ti];

		for (size_t i = 0; i < t->n_zones; i++) {
			struct ifn *x = fw_push((void **)&v, &n, &cap, sizeof(*v));
			if (!x)
				goto out;
			*x = (struct ifn){t->zones[i].ifname, t, t->zones[i].loc, t->zones[i].vlan,
			                  t->zones[i].name};
		}
		if (t->vpn.present) {
			struct ifn *x = fw_push((void **)&v, &n, &cap, sizeof(*v));
			if (!x)
				goto out;
			*x = (struct ifn){t->vpn.ifname, t, t->vpn.loc, 0, NULL};
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct fw_tenant *t = v[i].t;

		if (v[i].name[0] && (!strcmp(v[i].name, t->uplink_if) ||
		                     (t->trunk_if[0] && !strcmp(v[i].name, t->trunk_if))))
			fw_error(d, &v[i].loc, "interface '%s' is the tenant's uplink or trunk",
			         v[i].name);
		for (size_t j = 0; j < i; j++) {
			const char *oname = v[j].t == t ? "" : v[j].t->name;
			char dflt[FW_IFNAME_MAX + 8];

			if (v[i].vlan && v[i].vlan == v[j].vlan && v[j].t == t) {
				fw_error(d, &v[i].loc, "VLAN %u is already used by zone '%s' (%s)",
				         v[i].vlan, v[j].zone,
				         where(&v[j].loc, &v[i].loc, wb, sizeof(wb)));
				continue;
			}
			if (!v[i].name[0] || strcmp(v[i].name, v[j].name))
				continue;
			/* The same VLAN id in two tenants: the default names clash. */
			snprintf(dflt, sizeof(dflt), "vlan%u", v[i].vlan);
			fw_error(d, &v[i].loc, "interface '%s' is already used%s%s (%s)%s",
			         v[i].name, v[j].t == t ? "" : " by tenant ", oname,
			         where(&v[j].loc, &v[i].loc, wb, sizeof(wb)),
			         v[i].vlan && v[j].t != t && !strcmp(v[i].name, dflt)
			             ? "; give this zone's gateway another name with 'interface:'"
			             : "");
		}
	}
out:
	free(v);
}

static void check_hosts(const struct fw_tenant *t, struct fw_diags *d)
{
	char wb[128], a[64];

	for (size_t i = 0; i < t->n_hosts; i++) {
		const struct fw_host *h = &t->hosts[i];

		for (size_t j = 0; j < i; j++) {
			const struct fw_host *o = &t->hosts[j];

			if (h->has_addr4 && o->has_addr4 &&
			    !memcmp(&h->addr4, &o->addr4, sizeof(h->addr4))) {
				fw_addr_format(&h->addr4, a, sizeof(a));
				fw_error(d, &h->addr4_loc,
				         "address %s is already used by host '%s' (%s)", a, o->name,
				         where(&o->addr4_loc, &h->addr4_loc, wb, sizeof(wb)));
			}
			if (h->has_addr6 && o->has_addr6 &&
			    !memcmp(&h->addr6, &o->addr6, sizeof(h->addr6))) {
				fw_addr_format(&h->addr6, a, sizeof(a));
				fw_error(d, &h->addr6_loc,
				         "address %s is already used by host '%s' (%s)", a, o->name,
				         where(&o->addr6_loc, &h->addr6_loc, wb, sizeof(wb)));
			}
			if (h->has_mac && o->has_mac && !memcmp(h->mac, o->mac, 6))
				fw_error(d, &h->loc,
				         "host '%s' has the MAC address of host '%s' (%s)", h->name,
				         o->name, where(&o->loc, &h->loc, wb, sizeof(wb)));
		}
	}
}

/* Nested groups must not contain themselves. */
static bool group_cycle(const struct fw_tenant *t, size_t g, unsigned char *state)
{
	if (state[g] == 1)
		return true;
	if (state[g] == 2)
		return false;
	state[g] = 1;
	for (size_t i = 0; i < t->groups[g].n_members; i++)
		if (t->groups[g].members[i].kind == FW_REF_GROUP &&
		    group_cycle(t, t->groups[g].members[i].index, state))
			return true;
	state[g] = 2;
	return false;
}

static void check_groups(const struct fw_tenant *t, struct fw_diags *d)
{
	for (size_t g = 0; g < t->n_groups; g++) {
		unsigned char *state = calloc(t->n_groups, 1);

		if (!state)
			return;
		if (group_cycle(t, g, state))
			fw_error(d, &t->groups[g].loc, "group '%s' contains itself",
			         t->groups[g].name);
		free(state);
	}
}

/* A literal prefix must sit inside one internal network or outside all. */
static void check_cidr(const struct fw_tenant *t, const struct fw_ref *r, struct fw_diags *d)
{
	char a[64], b[64];

	if (r->kind != FW_REF_CIDR)
		return;
	fw_prefix_format(&r->cidr, a, sizeof(a));
	for (size_t i = 0; i < t->n_zones; i++) {
		const struct fw_zone *z = &t->zones[i];
		const struct fw_prefix *sn = r->cidr.family == 4 ? &z->subnet4 : &z->subnet6;
		bool has = r->cidr.family == 4 ? z->has_subnet4 : z->has_subnet6;

		if (has && fw_prefix_overlaps(sn, &r->cidr) && !fw_prefix_contains(sn, &r->cidr)) {
			fw_prefix_format(sn, b, sizeof(b));
			fw_error(
			    d, &r->loc,
			    "%s is larger than zone '%s' (%s); name the zone, or a prefix inside "
			    "one zone",
			    a, z->name, b);
			return;
		}
	}
	if (t->vpn.present && fw_prefix_overlaps(&t->vpn.pool, &r->cidr) &&
	    !fw_prefix_contains(&t->vpn.pool, &r->cidr)) {
		fw_prefix_format(&t->vpn.pool, b, sizeof(b));
		fw_error(d, &r->loc, "%s is larger than the VPN pool %s; use vpn:all", a, b);
		return;
	}
	for (size_t s = 0; s < t->vpn.n_sites; s++)
		for (size_t i = 0; i < t->vpn.sites[s].n_networks; i++) {
			const struct fw_prefix *sn = &t->vpn.sites[s].networks[i];
			if (fw_prefix_overlaps(sn, &r->cidr) && !fw_prefix_contains(sn, &r->cidr)) {
				fw_prefix_format(sn, b, sizeof(b));
				fw_error(d, &r->loc, "%s is larger than site '%s''s network %s", a,
				         t->vpn.sites[s].name, b);
				return;
			}
		}
}

static void check_refs(const struct fw_tenant *t, struct fw_diags *d)
{
#define EACH(arr, cnt, field, nfield)                                                              \
	for (size_t i = 0; i < t->cnt; i++)                                                        \
		for (size_t j = 0; j < t->arr[i].nfield; j++)                                      \
			check_cidr(t, &t->arr[i].field[j], d);
	EACH(rules, n_rules, from, n_from)
	EACH(rules, n_rules, to, n_to)
	EACH(publish, n_publish, from, n_from)
	EACH(egress, n_egress, from, n_from)
	EACH(mgmt, n_mgmt, from, n_from)
	EACH(groups, n_groups, members, n_members)
#undef EACH
}

static void check_publish(const struct fw_tenant *t, struct fw_diags *d)
{
	char wb[128];

	/* One public address:port may lead to one host only. */
	for (size_t i = 0; i < t->n_publish; i++)
		for (size_t j = 0; j < i; j++) {
			const struct fw_publish *a = &t->publish[i], *b = &t->publish[j];

			if (memcmp(&a->public_addr, &b->public_addr, sizeof(a->public_addr)))
				continue;
			for (size_t x = 0; x < a->n_allow; x++)
				for (size_t y = 0; y < b->n_allow; y++)
					for (size_t pa = 0; pa < a->allow[x].n_ports; pa++)
						for (size_t pb = 0; pb < b->allow[y].n_ports;
						     pb++) {
							const struct fw_port_spec *p =
							    &a->allow[x].ports[pa];
							const struct fw_port_spec *q =
							    &b->allow[y].ports[pb];
							if (p->proto == q->proto &&
							    p->lo <= q->hi && q->lo <= p->hi) {
								fw_error(d, &a->allow[x].loc,
								         "%s/%u-%u on this address "
								         "is already "
								         "published by '%s' (%s)",
								         fw_proto_name(p->proto),
								         p->lo, p->hi, b->id,
								         where(&b->loc, &a->loc, wb,
								               sizeof(wb)));
								goto next;
							}
						}
		next:;
		}
}

void policy_check(struct fw_policy *p, struct fw_diags *d)
{
	check_appliance_unique(p, d);
	check_interfaces(p, d);
	policy_check_l2(p, d);
	check_networks(p, d);
	for (size_t i = 0; i < p->n_tenants; i++) {
		check_hosts(&p->tenants[i], d);
		check_groups(&p->tenants[i], d);
		check_refs(&p->tenants[i], d);
		check_publish(&p->tenants[i], d);
	}
}
