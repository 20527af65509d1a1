/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPN plan: per tenant with a `vpn` section, the WireGuard interface fwd
 * keeps (name, listen port, the firewall's tunnel address, routes to the
 * sites' networks) and its peers. Part of struct fw_plan, so the same
 * contract drives the kernel (generic netlink) and the userspace (UAPI)
 * implementation.
 *
 * Peers: a user with a public key gets exactly its own address as
 * allowed-ips (a /32 or /128: WireGuard drops any other source from it, so
 * nobody borrows another user's rules); a site gets its networks, its
 * endpoint and keepalive. Peers are sorted by public key (the raw bytes), so
 * a sync walks plan and device side by side.
 *
 * No secret is ever in the plan: the interface's private key lives in the
 * state directory (`key_file`, relative to it) and only the backend reads it.
 * Pure: built from a checked policy, no root, no netlink.
 */
#ifndef FWD_VPNPLAN_H
#define FWD_VPNPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/diag.h"
#include "fwd/policy.h"

#define FW_WG_KEY_LEN      32
#define FW_WG_KEY_B64_SIZE 45 /* 44 characters + NUL */
#define FW_VPN_KEY_DIR     "keys"
#define FW_VPN_MAX_PEERS   65536 /* per interface */

enum fw_vpn_peer_kind {
	FW_VPN_PEER_USER,
	FW_VPN_PEER_SITE,
};

/* Where a site's router is: a numeric address and port, or (host not
 * numeric) the name the backend resolves. */
struct fw_vpn_endpoint {
	uint8_t family; /* 4, 6, or 0: `host` is a name */
	uint8_t addr[16];
	uint16_t port; /* host order */
	char host[64];
};

struct fw_vpn_peer {
	enum fw_vpn_peer_kind kind;
	const char *name; /* the user or site; points into the policy */
	struct fw_loc loc;
	uint8_t key[FW_WG_KEY_LEN];
	char key_b64[FW_WG_KEY_B64_SIZE];
	bool has_endpoint;
	struct fw_vpn_endpoint endpoint;
	uint16_t keepalive;        /* seconds, 0: off */
	struct fw_prefix *allowed; /* sorted (family, address, length) */
	size_t n_allowed;
	bool auto_addr; /* a user whose address fwd chose (`address: auto`) */
};

/* Every user's address (with or without a key yet): what fwd pins. */
struct fw_vpn_user_addr {
	const char *user; /* points into the policy */
	struct fw_prefix addr;
};

struct fw_vpn_iface {
	const char *tenant; /* points into the policy */
	char ifname[FW_IFNAME_MAX + 1];
	uint16_t listen_port;
	struct fw_prefix address;          /* the firewall's tunnel address, len = the pool's */
	char key_file[FW_IFNAME_MAX + 16]; /* "keys/IFNAME.key" in the state directory */
	struct fw_prefix *routes;          /* the sites' networks, through this interface */
	size_t n_routes;
	struct fw_vpn_peer *peers; /* sorted by key */
	size_t n_peers;
	struct fw_vpn_user_addr *users; /* in file order */
	size_t n_users;
};

struct fw_vpn_plan {
	struct fw_vpn_iface *ifaces; /* sorted by interface name */
	size_t n_ifaces;
};

/* Build the VPN part of a plan. Two peers of one interface with the same
 * public key are an error (WireGuard knows a peer only by its key). Users
 * without a public key have no peer yet. Returns 0 (*ret filled), -EINVAL
 * (recorded in diags) or -ENOMEM; *ret untouched on failure. */
int vpn_plan_build(const struct fw_policy *p, struct fw_diags *diags, struct fw_vpn_plan *ret);
void vpn_plan_clear(struct fw_vpn_plan *vp);

const struct fw_vpn_iface *vpn_plan_find(const struct fw_vpn_plan *vp, const char *ifname);
const struct fw_vpn_peer *vpn_iface_find_peer(const struct fw_vpn_iface *iface,
                                              const uint8_t key[FW_WG_KEY_LEN]);
/* The order of allowed-ips and routes in the plan (family, address,
 * length): a qsort comparator of struct fw_prefix. */
int vpn_prefix_cmp(const void *a, const void *b);
/* Compare peers' keys, for sorting and merging (memcmp order). */
int vpn_key_cmp(const uint8_t a[FW_WG_KEY_LEN], const uint8_t b[FW_WG_KEY_LEN]);
bool vpn_peer_equal(const struct fw_vpn_peer *a, const struct fw_vpn_peer *b);
bool vpn_iface_equal(const struct fw_vpn_iface *a, const struct fw_vpn_iface *b);
bool vpn_plan_equal(const struct fw_vpn_plan *a, const struct fw_vpn_plan *b);

/* The plan as text, for `fwctl show` and diffs (deterministic, public keys
 * only). One interface, or (iface NULL) all of the tenant's (tenant NULL:
 * every tenant's). A new string or NULL on allocation failure. */
char *vpn_plan_render(const struct fw_vpn_plan *vp, const char *tenant);

/* Is address `a` (family 4/6, 16 bytes network order) inside a peer's
 * allowed-ips in `old` whose key no longer has it in `new`? Then the peer
 * that sent or received this connection's packets is gone (or lost that
 * address), and the connection must end with it. Returns the peer or NULL. */
const struct fw_vpn_peer *vpn_plan_peer_gone(const struct fw_vpn_plan *old,
                                             const struct fw_vpn_plan *new_plan, uint8_t family,
                                             const uint8_t a[16]);

/* WireGuard keys as text: 44 characters of standard base64 (with '=').
 * Returns 0 or -EINVAL (not a key). */
int vpn_key_from_b64(const char *s, uint8_t ret[FW_WG_KEY_LEN]);
void vpn_key_to_b64(const uint8_t key[FW_WG_KEY_LEN], char ret[FW_WG_KEY_B64_SIZE]);

/*
 * Addresses chosen for `address: auto` are kept for good: the daemon
 * remembers every user's address (fwd/vpn_pins.c) and hands them back to
 * the loader (struct fw_load_opts), which gives a pinned user its address
 * again while the pool and the fixed users leave it free, and the others
 * the lowest free address not pinned by anybody.
 */
struct fw_vpn_pin {
	char tenant[FW_NAME_MAX + 1];
	char user[FW_NAME_MAX + 1];
	struct fw_prefix addr;
};

struct fw_vpn_pins {
	struct fw_vpn_pin *v; /* sorted by tenant, user */
	size_t n;
};

#define FW_VPN_MAX_PINS (FW_MAX_TENANTS * 4096)

const struct fw_vpn_pin *vpn_pins_find(const struct fw_vpn_pins *pins, const char *tenant,
                                       const char *user);
/* The pins a plan implies: every user's address. Replaces *ret's contents
 * on success; 0 or -ENOMEM. */
int vpn_pins_from_plan(const struct fw_vpn_plan *vp, struct fw_vpn_pins *ret);
bool vpn_pins_equal(const struct fw_vpn_pins *a, const struct fw_vpn_pins *b);
/* Text form, one "TENANT USER ADDRESS" per line (the state file). Parse:
 * 0, or -EINVAL with the 1-based line in *bad_line; *ret untouched then. */
char *vpn_pins_format(const struct fw_vpn_pins *pins);
int vpn_pins_parse(const char *text, size_t len, struct fw_vpn_pins *ret, unsigned *bad_line);
/* The pins file of a state directory, FW_VPN_PINS_FILE in it (fwd writes
 * it; fwctl's offline commands read it to give `address: auto` users their
 * live addresses). 0 with *ret as parsed, or untouched when there is no
 * file; else a negative errno and msg says what is wrong. */
#define FW_VPN_PINS_FILE "vpn-addresses"
int vpn_pins_read(const char *path, struct fw_vpn_pins *ret, char *msg, size_t size);
void vpn_pins_clear(struct fw_vpn_pins *pins);

#endif
