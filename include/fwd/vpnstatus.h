/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the WireGuard interfaces report (`fwctl vpn status`): per peer the
 * latest handshake, bytes each way and the endpoint it was last seen at,
 * named by the live plan (user or site). Public keys only. The daemon core
 * sees only the reader's callback; the backend (fwd/vpn_backend.c) fills it.
 */
#ifndef FWD_VPNSTATUS_H
#define FWD_VPNSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/vpnplan.h"

struct fw_vpn_peer_status {
	char key_b64[FW_WG_KEY_B64_SIZE];
	char name[FW_NAME_MAX + 1]; /* the plan's user or site; "" when not planned */
	const char *kind;           /* "user", "site", "unplanned" */
	char allowed[160];          /* "10.41.99.10/32, ..." */
	char endpoint[64];          /* "198.51.100.7:40123", "" none yet */
	int64_t handshake;          /* seconds since the epoch, 0 never */
	uint64_t rx_bytes, tx_bytes;
};

struct fw_vpn_iface_status {
	char ifname[FW_IFNAME_MAX + 1];
	char tenant[FW_NAME_MAX + 1];
	const char *impl; /* "kernel", "userspace", NULL: not reachable */
	char public_key[FW_WG_KEY_B64_SIZE];
	uint16_t listen_port;
	char error[160]; /* why it could not be read, "" when it was */
	struct fw_vpn_peer_status *peers;
	size_t n_peers;
};

struct fw_vpn_status {
	struct fw_vpn_iface_status *ifaces;
	size_t n_ifaces;
};

/* Read the interfaces of `plan` (tenant NULL: all). 0 or -errno. */
typedef int (*fw_vpn_status_fn)(void *ctx, const struct fw_vpn_plan *plan, const char *tenant,
                                struct fw_vpn_status *ret);
void fw_vpn_status_clear(struct fw_vpn_status *s);

#endif
