/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VPN backend: makes the plan's WireGuard interfaces true (link,
 * address, routes, key, listen port, peers by difference) through the
 * kernel's API or wireguard-go's UAPI socket, and keeps the users' VPN
 * addresses (the pins) in STATE_DIR/vpn-addresses so `address: auto` never
 * moves a user. Composed after the nftables backend: the rules are in place
 * before a peer can send.
 */
#ifndef FWD_VPN_BACKEND_H
#define FWD_VPN_BACKEND_H

#include "fwd/engine.h"
#include "fwd/vpnstatus.h"
#include "wg_link.h"

#define VPN_PINS_FILE FW_VPN_PINS_FILE

struct vpn_backend_opts {
	enum wg_mode mode;
	const char *state_dir;
	const char *wireguard_go; /* NULL: "wireguard-go" from PATH */
};

struct vpn_backend;
/* Opens netlink sockets and reads the pins; msg says what failed. */
int vpn_backend_new(const struct vpn_backend_opts *o, struct vpn_backend **ret, char *msg,
                    size_t size);
void vpn_backend_free(struct vpn_backend *b);

/* fw_backend callbacks (ctx: the vpn_backend). */
int vpn_backend_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                      struct fw_diags *diags);
int vpn_backend_check(void *ctx, const struct fw_plan *plan, struct fw_drift *ret,
                      struct fw_diags *diags);
/* How to reach one interface: its UAPI socket (fwd's wireguard-go child's
 * or another's; path is filled and must outlive the api), else the kernel's
 * generic netlink API. userspace: the socket, whether it answers or not. */
int vpn_backend_api(struct vpn_backend *b, const char *ifname, bool userspace, struct wg_api *ret,
                    char path[WG_UAPI_PATH_MAX], char *msg, size_t size);
/* fw_vpn_status_fn (fwd/vpn_status.c; ctx: the vpn_backend): each interface
 * through the API that serves it. */
int vpn_status_read(void *ctx, const struct fw_vpn_plan *plan, const char *tenant,
                    struct fw_vpn_status *ret);
/* What the engine's policy loads get: the pins, kept up to date. */
const struct fw_load_opts *vpn_backend_load_opts(const struct vpn_backend *b);

#endif
