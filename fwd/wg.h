/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * WireGuard devices as fwd sees them, and the two ways to talk to one: the
 * kernel's generic netlink API (wg_genl.c) and the UAPI socket of a
 * userspace implementation such as wireguard-go (wg_uapi.c). Both read a
 * device into a struct wg_device and apply a change described by one: peers
 * not named in a change are not touched, so their sessions stay.
 *
 * Secrets: a device read back may carry its private key; wg_device_clear()
 * wipes it (sodium_memzero). Nothing here prints.
 */
#ifndef FWD_WG_H
#define FWD_WG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "fwd/vpnplan.h"

#ifndef WG_KEY_LEN /* linux/wireguard.h has it too: 32 */
#define WG_KEY_LEN FW_WG_KEY_LEN
#endif
#define WG_UAPI_DIR      "/var/run/wireguard"
#define WG_MAX_ALLOWED   4096 /* allowed-ips per peer read back */
#define WG_MAX_DEV_PEERS (FW_VPN_MAX_PEERS + 1024)

union wg_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct wg_peer {
	uint8_t key[WG_KEY_LEN];
	bool has_endpoint;
	union wg_sockaddr endpoint;
	uint16_t keepalive;
	struct fw_prefix *allowed;
	size_t n_allowed, cap_allowed;
	/* read back only */
	int64_t handshake_sec; /* latest handshake, seconds since the epoch; 0 never */
	uint64_t rx_bytes, tx_bytes;
	/* a change: what to do with this peer */
	bool remove;
	bool update_only;     /* the peer must exist already (never creates one) */
	bool set_endpoint;    /* has_endpoint + endpoint */
	bool set_keepalive;   /* keepalive */
	bool replace_allowed; /* allowed becomes the whole list */
};

struct wg_device {
	char ifname[FW_IFNAME_MAX + 1];
	bool has_private_key;
	uint8_t private_key[WG_KEY_LEN];
	bool has_public_key;
	uint8_t public_key[WG_KEY_LEN];
	bool set_listen_port; /* read back: always set */
	uint16_t listen_port;
	struct wg_peer *peers;
	size_t n_peers, cap_peers;
};

/* A new zeroed peer at the end (NULL: no memory or past WG_MAX_DEV_PEERS). */
struct wg_peer *wg_device_add_peer(struct wg_device *d);
int wg_peer_add_allowed(struct wg_peer *p, const struct fw_prefix *a);
/* Sort peers by key and each peer's allowed-ips, as the plan is sorted. */
void wg_device_sort(struct wg_device *d);
/* Frees the peers and wipes the private key. */
void wg_device_clear(struct wg_device *d);

/* One way to reach devices. get: 0 and *ret (cleared first by the caller),
 * -ENODEV when there is no such device, -errno. set: 0 or -errno. */
struct wg_api {
	const char *name; /* "kernel" or "userspace" */
	int (*get)(void *ctx, const char *ifname, struct wg_device *ret);
	int (*set)(void *ctx, const struct wg_device *change);
	void *ctx;
};

/* The kernel's generic netlink API (libmnl). */
struct wg_genl;
int wg_genl_open(struct wg_genl **ret); /* -ENOENT: the kernel has no wireguard family */
void wg_genl_close(struct wg_genl *g);
struct wg_api wg_genl_api(struct wg_genl *g);

/* The UAPI socket of one interface: WG_UAPI_DIR/IFNAME.sock, or where fwd's
 * own wireguard-go child has it (wg_link_uapi_path). path must outlive the
 * api. present: a process answers there; its pid in *ret_pid (may be NULL). */
#define WG_UAPI_PATH_MAX 108
struct wg_api wg_uapi_api(const char *path);
bool wg_uapi_present(const char *path, pid_t *ret_pid);
int wg_uapi_default_path(const char *ifname, char path[WG_UAPI_PATH_MAX]);

/* Keys (wg_keys.c, libsodium). */
int wg_keys_init(void);
/* The interface's private key from STATE_DIR/KEY_FILE (plan: key_file),
 * generated and stored 0600 in a 0700 directory on first use. Refuses a
 * key file readable by group or others, or a directory not 0700, with the
 * reason in msg (-EPERM). Wipe *priv with wg_key_wipe after use. */
int wg_key_load_or_create(const char *state_dir, const char *key_file, uint8_t priv[WG_KEY_LEN],
                          char *msg, size_t msg_size);
int wg_key_public(const uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN]);
void wg_key_generate(uint8_t priv[WG_KEY_LEN]); /* clamped */
void wg_key_wipe(void *p, size_t len);

/* The difference between a device and the plan (wg_sync.c, no I/O): the
 * listen port, peers to add, peers whose endpoint, keepalive or allowed-ips
 * differ (only those attributes), peers to remove. Peers that are as
 * planned are not in the change. dev must be sorted (wg_device_sort). */
struct wg_sync_stats {
	size_t added, updated, removed, kept;
};
/* A site's endpoint given by name: 0 and *ret, or -errno (not set then).
 * NULL: names are not resolved. */
typedef int (*wg_resolve_fn)(const struct fw_vpn_endpoint *e, union wg_sockaddr *ret);
int wg_sync_diff(const struct wg_device *dev, const struct fw_vpn_iface *want,
                 wg_resolve_fn resolve, struct wg_device *ret_change,
                 struct wg_sync_stats *ret_stats);
/* getaddrinfo (blocking: the name service is asked at each apply and
 * drift check, so an endpoint whose address moves follows it). */
int wg_resolve(const struct fw_vpn_endpoint *e, union wg_sockaddr *ret);
/* The change has nothing to do. */
bool wg_change_empty(const struct wg_device *change);

#endif
