/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of the policy loader, shared by its section parsers. */
#ifndef FWD_LOAD_H
#define FWD_LOAD_H

#include <errno.h>
#include <sys/types.h>

#include "schema.h"
#include "util.h"

/* The top-level sections of one tenant file, found before any is parsed so
 * sections can be processed in dependency order whatever the file's order. */
struct sections {
	const struct ynode *tenant, *uplink, *trunk, *zones, *hosts, *groups, *services, *rules,
	    *publish, *egress, *management, *vpn, *expect;
};

/* A zone's keys that name hosts, kept until the hosts are loaded. */
struct zone_l2_nodes {
	const struct ynode *dhcp, *ra;
};

/* Per-file scratch state that only lives while the file loads. */
struct load_state {
	struct sctx c;
	struct sections s;
	const struct fw_load_opts *opts; /* may be NULL */
	/* services: raw definitions, expanded lazily (nested names, cycles) */
	const struct ynode **svc_nodes;
	unsigned char *svc_state; /* 0 new, 1 expanding, 2 done */
	/* groups: raw member nodes, resolved after all names are known */
	const struct ynode **group_nodes;
	/* zones whose subnet was written but refused: no follow-on errors */
	bool *zone_bad_subnet;
	/* per zone: its allow_dhcp_server and allow_ra nodes, resolved once
	 * the hosts are known (load_zone_hosts_l2) */
	struct zone_l2_nodes *zone_l2_hosts;
	/* name look-ups of references, which are many in large tenants */
	struct name_index host_ix, group_ix, zone_ix;
};

void load_tenant_header(struct load_state *ls);
void load_zones(struct load_state *ls);
void load_hosts(struct load_state *ls);
/* A zone's `ports` (load_l2.c); the zone is ls->c.t->zones[zone]. */
void load_zone_ports(struct load_state *ls, size_t zone, const struct ynode *v);
void load_zone_hosts_l2(struct load_state *ls);
void load_vpn(struct load_state *ls);
void load_services(struct load_state *ls);
void load_groups(struct load_state *ls);
void load_rules(struct load_state *ls);
void load_publish(struct load_state *ls);
void load_egress(struct load_state *ls);
void load_management(struct load_state *ls);
void load_assign_vpn_addresses(struct load_state *ls);
void load_expect(struct load_state *ls); /* expect_load.c: after every other section */

/* Resolve one endpoint; `key` names the field in messages. */
bool load_ref(struct load_state *ls, const struct ynode *n, const char *key, struct fw_ref *ret);
/* Resolve a list (or one) of endpoints into a new array. */
void load_refs(struct load_state *ls, const struct ynode *n, const char *key, struct fw_ref **ret,
               size_t *ret_n);
/* Resolve services ("any", specs, names) into a new array. */
void load_svc_refs(struct load_state *ls, const struct ynode *n, const char *key,
                   struct fw_svc_ref **ret, size_t *ret_n);

ssize_t tenant_find_zone(const struct fw_tenant *t, const char *name);
ssize_t tenant_find_host(const struct fw_tenant *t, const char *name);
ssize_t tenant_find_group(const struct fw_tenant *t, const char *name);
ssize_t tenant_find_service(const struct fw_tenant *t, const char *name);
ssize_t tenant_find_vpn_user(const struct fw_tenant *t, const char *name);
ssize_t tenant_find_vpn_group(const struct fw_tenant *t, const char *name);
ssize_t tenant_find_site(const struct fw_tenant *t, const char *name);

void fw_refs_free(struct fw_ref *refs, size_t n);
void fw_svc_refs_free(struct fw_svc_ref *refs, size_t n);
void tenant_free_contents(struct fw_tenant *t);

/* Cross-tenant and whole-tenant checks after every file loaded. */
void policy_check(struct fw_policy *p, struct fw_diags *diags);
/* The tenants' bridges: names, trunks, ports (check_l2.c). */
void policy_check_l2(struct fw_policy *p, struct fw_diags *diags);

#endif
