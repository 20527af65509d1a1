/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The checked policy of one appliance: one tenant per YAML file.
 *
 * policy_load_paths() parses every file, resolves every reference and runs
 * every check; it hands back a policy only when there was no error, so
 * nothing downstream ever sees a half-accepted policy. Every object keeps the
 * file:line:column it came from. Pure: no root, no netlink, no globals.
 */
#ifndef FWD_POLICY_H
#define FWD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/diag.h"

#define FW_NAME_MAX      32 /* zone, host, group, service, rule, user, site names */
#define FW_IFNAME_MAX    15 /* IFNAMSIZ - 1 */
#define FW_MAX_TENANTS   256
#define FW_MAX_TENANT_ID 4095

/* An IPv4 or IPv6 prefix; a single address has len 32 or 128. Bytes are in
 * network order, host bits zero except for addresses (len == full). */
struct fw_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t len;
	uint8_t a[16];
};

/* proto 0 means any protocol (ports then unused). ICMP entries match the
 * whole protocol. lo..hi inclusive; for tcp/udp without a port, 0..65535. */
struct fw_port_spec {
	uint8_t proto;
	uint16_t lo;
	uint16_t hi;
	struct fw_loc loc;
};

struct fw_service {
	char *name;
	struct fw_port_spec *ports;
	size_t n_ports;
	struct fw_loc loc;
	bool builtin;
};

/* A service named in a rule: a catalogue/file service or an inline spec. */
struct fw_svc_ref {
	char *text; /* as written: "mssql", "tcp/1433", "any" */
	struct fw_port_spec *ports;
	size_t n_ports;
	struct fw_loc loc;
};

enum fw_ref_kind {
	FW_REF_HOST,
	FW_REF_GROUP,
	FW_REF_ZONE,
	FW_REF_INTERNET,
	FW_REF_CIDR,      /* a literal address or prefix */
	FW_REF_VPN_USER,  /* vpn:NAME */
	FW_REF_VPN_GROUP, /* vpn:group:NAME */
	FW_REF_VPN_ALL,   /* vpn:all */
	FW_REF_SITE,      /* site:NAME */
};

struct fw_ref {
	enum fw_ref_kind kind;
	size_t index; /* into hosts/groups/zones/vpn users/vpn groups/sites */
	struct fw_prefix cidr;
	char *text;
	struct fw_loc loc;
};

struct fw_zone {
	char *name;
	struct fw_loc loc;
	uint16_t vlan;
	struct fw_loc vlan_loc;
	char ifname[FW_IFNAME_MAX + 1]; /* gateway interface, default "vlanID" */
	bool has_subnet4, has_subnet6;
	struct fw_prefix subnet4, subnet6;
	struct fw_loc subnet4_loc, subnet6_loc;
	struct fw_prefix gw4, gw6; /* set when the subnet is */
	bool isolate;
	/* `ports`: interfaces of hosts attached to the appliance itself (tap,
	 * veth), untagged members of the zone's VLAN on the tenant's bridge. */
	char (*ports)[FW_IFNAME_MAX + 1];
	struct fw_loc *port_locs;
	size_t n_ports;
	/* `allow_dhcp_server`, `allow_ra`: hosts (indexes into the tenant's
	 * hosts, each with a MAC) whose DHCP replies or router advertisements
	 * the tenant's bridge lets through; everyone else's are dropped. */
	size_t *dhcp_servers;
	size_t n_dhcp_servers;
	size_t *ra_senders;
	size_t n_ra_senders;
};

struct fw_host {
	char *name;
	struct fw_loc loc;
	size_t zone;
	bool has_addr4, has_addr6;
	struct fw_prefix addr4, addr6;
	struct fw_loc addr4_loc, addr6_loc;
	bool has_mac;
	uint8_t mac[6];
};

struct fw_group {
	char *name;
	struct fw_loc loc;
	struct fw_ref *members; /* hosts, zones, groups, vpn users, cidrs */
	size_t n_members;
};

struct fw_rule {
	char *id; /* `id:` or "rule-N" (1-based position in `rules`) */
	struct fw_loc loc;
	struct fw_ref *from, *to;
	size_t n_from, n_to;
	struct fw_svc_ref *allow;
	size_t n_allow;
	bool log;
	bool counter;
	char *comment;
};

/* DNAT: public address + the service's ports -> host (optionally another
 * port). Implies the forward allow from `from` (default: internet). */
struct fw_publish {
	char *id; /* "publish-N" unless given */
	struct fw_loc loc;
	struct fw_prefix public_addr;
	struct fw_svc_ref *allow;
	size_t n_allow;
	size_t host;
	uint16_t to_port; /* 0: same port */
	struct fw_ref *from;
	size_t n_from;
	bool log;
	char *comment;
};

/* Internet access for `from` with SNAT to `snat` (or masquerade). */
struct fw_egress {
	char *id; /* "egress-N" unless given */
	struct fw_loc loc;
	struct fw_ref *from;
	size_t n_from;
	struct fw_svc_ref *allow; /* "any" unless given */
	size_t n_allow;
	bool has_snat;
	struct fw_prefix snat;
	bool log;
	char *comment;
};

/* Who may reach the firewall itself. */
struct fw_mgmt {
	char *id; /* "management-N" unless given */
	struct fw_loc loc;
	struct fw_ref *from;
	size_t n_from;
	struct fw_svc_ref *allow;
	size_t n_allow;
	bool log;
	char *comment;
};

struct fw_vpn_user {
	char *name;
	struct fw_loc loc;
	bool auto_addr; /* `address: auto`: addr was assigned by the compiler */
	struct fw_prefix addr;
	struct fw_loc addr_loc;
	char *public_key; /* base64, 44 characters; may be NULL until issued */
	size_t *groups;   /* indexes into fw_vpn.groups */
	size_t n_groups;
};

struct fw_vpn_group {
	char *name;
	struct fw_loc loc; /* first mention */
};

struct fw_vpn_site {
	char *name;
	struct fw_loc loc;
	char *endpoint; /* host:port, may be NULL (the branch dials in) */
	char *public_key;
	struct fw_prefix *networks;
	struct fw_loc *network_locs;
	size_t n_networks;
	uint16_t keepalive;
};

struct fw_vpn {
	bool present;
	struct fw_loc loc;
	char ifname[FW_IFNAME_MAX + 1]; /* default "wg-" + tenant name (cut) */
	uint16_t listen_port;
	struct fw_prefix pool;
	struct fw_prefix address; /* the firewall's tunnel address */
	struct fw_prefix *dns;
	size_t n_dns;
	struct fw_vpn_user *users;
	size_t n_users;
	struct fw_vpn_group *groups;
	size_t n_groups;
	struct fw_vpn_site *sites;
	size_t n_sites;
};

struct fw_expect;

struct fw_tenant {
	char *file; /* owned; every loc.file of this tenant points here */
	char *name;
	struct fw_loc loc;
	uint32_t id;
	bool log_denied; /* tenant.log_denied: log default drops (NFLOG) */
	char uplink_if[FW_IFNAME_MAX + 1];
	struct fw_loc uplink_loc;
	struct fw_prefix *public_addrs;
	struct fw_loc *public_locs;
	size_t n_public;
	char trunk_if[FW_IFNAME_MAX + 1]; /* may be empty */
	struct fw_loc trunk_loc;
	struct fw_zone *zones;
	size_t n_zones;
	struct fw_host *hosts;
	size_t n_hosts;
	struct fw_group *groups;
	size_t n_groups;
	struct fw_service *services; /* the file's own (built-ins: fw_catalogue_find) */
	size_t n_services;
	struct fw_rule *rules;
	size_t n_rules;
	struct fw_publish *publish;
	size_t n_publish;
	struct fw_egress *egress;
	size_t n_egress;
	struct fw_mgmt *mgmt;
	size_t n_mgmt;
	struct fw_vpn vpn;
	struct fw_expect *expects; /* `expect:` assertions (fwd/expect.h) */
	size_t n_expects;
};

struct fw_policy {
	struct fw_tenant *tenants; /* sorted by tenant name */
	size_t n_tenants;
};

/*
 * Load every file in `paths` (a directory contributes its *.yaml and *.yml
 * files, sorted by name, not recursive) and check the whole appliance.
 * Errors and warnings go to `diags`. Returns 0 and *ret when there was no
 * error; -EINVAL when the policy has errors (*ret untouched); -errno when a
 * path cannot be read (also recorded in diags).
 */
int policy_load_paths(const char *const *paths, size_t n_paths, struct fw_diags *diags,
                      struct fw_policy **ret);

/* Same for one in-memory file (tests, fuzzing, policies from git). */
int policy_load_buffer(const char *name, const char *buf, size_t len, struct fw_diags *diags,
                       struct fw_policy **ret);

/* Several in-memory files as one appliance (a policy sent over the control
 * socket, a git commit). */
struct fw_policy_source {
	const char *name; /* used in locations */
	const char *data;
	size_t len;
};
int policy_load_buffers(const struct fw_policy_source *src, size_t n, struct fw_diags *diags,
                        struct fw_policy **ret);

/* Loading with inputs from the daemon's state: the addresses VPN users had
 * (struct fw_vpn_pins, fwd/vpnplan.h), so `address: auto` never moves a
 * user. NULL opts or pins: addresses are assigned in file order. */
struct fw_vpn_pins;
struct fw_load_opts {
	const struct fw_vpn_pins *vpn_pins;
};
int policy_load_paths_opts(const char *const *paths, size_t n_paths,
                           const struct fw_load_opts *opts, struct fw_diags *diags,
                           struct fw_policy **ret);
int policy_load_buffers_opts(const struct fw_policy_source *src, size_t n,
                             const struct fw_load_opts *opts, struct fw_diags *diags,
                             struct fw_policy **ret);

void policy_free(struct fw_policy *p);

/* Helpers shared by the loader, checker, compiler and tools. */
int fw_prefix_parse(const char *s, bool allow_host_bits, struct fw_prefix *ret);
int fw_prefix_format(const struct fw_prefix *p, char *buf, size_t size); /* "10.0.0.0/24" */
int fw_addr_format(const struct fw_prefix *p, char *buf, size_t size);   /* no "/len" */
bool fw_prefix_contains(const struct fw_prefix *outer, const struct fw_prefix *inner);
bool fw_prefix_overlaps(const struct fw_prefix *a, const struct fw_prefix *b);
int fw_port_spec_parse(const char *s, struct fw_port_spec *ret); /* "tcp/80", "udp/1-2", "icmp" */
const char *fw_proto_name(uint8_t proto); /* "tcp", "udp", "icmp", "icmpv6", "any" */

/* The built-in service catalogue (read-only, sorted by name). */
const struct fw_service *fw_catalogue_find(const char *name);
size_t fw_catalogue_size(void);
const struct fw_service *fw_catalogue_at(size_t i);

#endif
