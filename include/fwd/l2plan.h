/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The L2 part of the plan: what the l2 backend (fwd/l2_*.c, libnl-route-3)
 * makes true in the kernel. Pure data, like the nftables part; the policy
 * layer fills it, the backend never sees YAML.
 *
 * Per tenant that has a trunk or local access ports: one VLAN-aware bridge
 * (vlan_filtering 1, the bridge itself a tagged member of every VLAN of the
 * tenant so that its 802.1Q upper devices receive), with
 *   - the trunk interface as a port that is a tagged member of exactly the
 *     tenant's VLANs (no untagged VLAN, pvid none);
 *   - local access ports (tap/veth of hosts attached to the appliance):
 *     untagged members of one VLAN, pvid that VLAN;
 *   - per zone a gateway interface: an 802.1Q device on the bridge with the
 *     zone's VLAN id, carrying the zone's gateway addresses.
 * Ports of isolated zones are isolated bridge ports (BR_ISOLATED), and the
 * gateway of an isolated zone answers ARP for the zone's other addresses
 * (proxy_arp + proxy_arp_pvlan, no redirects): hosts of the zone then reach
 * each other only through the firewall's forward path, where the policy
 * decides (private-VLAN style east-west isolation).
 *
 * Everything is sorted: bridges by name, ports by ifname, VLANs by vid, so
 * that backends can diff two plans by walking them side by side.
 */
#ifndef FWD_L2PLAN_H
#define FWD_L2PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/diag.h"
#include "fwd/policy.h"

struct fw_l2_port {
	char ifname[FW_IFNAME_MAX + 1];
	uint16_t pvid;     /* 0: the trunk (tagged in every VLAN of the bridge);
	                 * else an access port, untagged member of this VLAN */
	bool isolated;     /* bridge port isolation (access port of an isolated zone) */
	struct fw_loc loc; /* where the policy names the port */
};

struct fw_l2_vlan {
	uint16_t vid;
	const char *zone;               /* the zone's name, points into the policy */
	char ifname[FW_IFNAME_MAX + 1]; /* gateway: 802.1Q upper device of the bridge */
	bool has_gw4, has_gw6;
	struct fw_prefix gw4, gw6; /* the firewall's address, len = the subnet's */
	bool proxy_arp;            /* isolated zone: private-VLAN proxy ARP */
	struct fw_loc loc;         /* the zone's vlan: key */
};

struct fw_l2_bridge {
	const char *tenant;           /* points into the policy */
	char name[FW_IFNAME_MAX + 1]; /* "br-" + tenant name, cut to fit */
	struct fw_l2_port *ports;     /* sorted by ifname */
	size_t n_ports;
	struct fw_l2_vlan *vlans; /* sorted by vid */
	size_t n_vlans;
	struct fw_loc loc; /* the tenant */
};

struct fw_l2_plan {
	struct fw_l2_bridge *bridges; /* sorted by name */
	size_t n_bridges;
};

/* A tenant gets a bridge when it has a trunk or a zone with ports. */
bool fw_l2_tenant_bridged(const struct fw_tenant *t);
/* "br-" + the tenant name, cut to FW_IFNAME_MAX characters. */
void fw_l2_bridge_name(const char *tenant, char out[FW_IFNAME_MAX + 1]);

/* Fill *ret from a checked policy (plan_compile does). Returns 0, or
 * -ENOMEM with *ret untouched. The policy must outlive the plan. */
int l2_plan_build(const struct fw_policy *p, struct fw_l2_plan *ret);
void l2_plan_clear(struct fw_l2_plan *lp);
const struct fw_l2_bridge *l2_plan_find(const struct fw_l2_plan *lp, const char *name);

/* For humans (fwctl show, fwctl diff): one bridge, or every bridge of a
 * tenant (NULL: all), as lines like
 *   bridge br-acme vlan_filtering 1
 *   \tport eth1 trunk vlans 110,120,130
 *   \tport tap-web access vlan 110 isolated
 *   \tvlan 110 dmz gateway vlan110 10.10.110.1/24 proxy-arp
 * A new string ("" for no bridge), NULL on allocation failure. */
char *plan_render_l2_bridge(const struct fw_l2_bridge *b);
char *plan_render_l2(const struct fw_l2_plan *lp, const char *tenant);

#endif
