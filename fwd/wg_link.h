/* SPDX-License-Identifier: GPL-2.0-or-later */
/* WireGuard interfaces: creation (kernel or wireguard-go), address, routes. */
#ifndef FWD_WG_LINK_H
#define FWD_WG_LINK_H

#include "wg.h"

enum wg_mode {
	WG_MODE_AUTO,      /* the kernel's module if it works, else wireguard-go */
	WG_MODE_KERNEL,    /* the kernel's module only */
	WG_MODE_USERSPACE, /* wireguard-go only */
};

/* wireguard-go children (fwd/wg_child.c). */
#define WG_MAX_CHILDREN 256
struct wg_child {
	pid_t pid;
	char ifname[FW_IFNAME_MAX + 1];
	char path[WG_UAPI_PATH_MAX]; /* where its UAPI socket answers */
};
struct wg_children {
	struct wg_child v[WG_MAX_CHILDREN];
	size_t n;
};
/* Start `PROGRAM -f IFNAME` and wait (5 s at most) until its socket
 * answers; msg says why not. */
int wg_children_start(struct wg_children *c, const char *program, const char *ifname, char *msg,
                      size_t size);
/* Collect children that ended. */
void wg_children_reap(struct wg_children *c);
/* The UAPI socket of ifname: our child's, else WG_UAPI_DIR's. */
void wg_children_uapi_path(const struct wg_children *c, const char *ifname,
                           char path[WG_UAPI_PATH_MAX]);

struct wg_link;
/* wireguard_go: the program to start (NULL: "wireguard-go" from PATH). */
int wg_link_open(enum wg_mode mode, const char *wireguard_go, struct wg_link **ret);
void wg_link_close(struct wg_link *l);
/* The interface exists (created as the mode says), is up, has x->address
 * (old's address removed if it changed) and a route to each of x->routes
 * (old's others removed). *ret_userspace: served by a UAPI socket. On
 * error msg says what failed. */
int wg_link_ensure(struct wg_link *l, const struct fw_vpn_iface *x, const struct fw_vpn_iface *old,
                   bool *ret_userspace, char *msg, size_t size);
int wg_link_delete(struct wg_link *l, const char *ifname);
/* Collect wireguard-go children that ended. */
void wg_link_reap(struct wg_link *l);
/* The UAPI socket that serves ifname (fwd's child's, or the shared one). */
void wg_link_uapi_path(const struct wg_link *l, const char *ifname, char path[WG_UAPI_PATH_MAX]);

#endif
