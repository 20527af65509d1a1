/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Following a packet through one tenant's part of the plan: prerouting
 * (reverse path, DNAT), then input, forward or the bridge of an isolated
 * zone, the way the kernel routes it. Shared by explain (packets built for
 * a question) and flowcheck (tracked connections, management access), so
 * both answer the same way.
 */
#ifndef FWD_PATH_H
#define FWD_PATH_H

#include "fwd/explain.h"

/* What an address is to a tenant. */
struct path_addr {
	size_t side;    /* where it is routed: a zone, the VPN, else the internet */
	bool firewall;  /* the firewall's own: a zone gateway, the VPN or a public address */
	bool is_public; /* one of the tenant's public addresses */
};

/* Returns 0, or -ENOMEM. */
int path_classify(const struct fw_tenant *t, const struct fw_prefix *a, struct path_addr *ret);

/* The firewall's own address on a side (zone gateway, VPN address, first
 * public address of the family); family 0 in *out when it has none. */
void path_firewall_addr(const struct fw_tenant *t, size_t side, uint8_t family,
                        struct fw_prefix *out);

/* Where a packet enters and where it is addressed. */
struct path_ends {
	size_t src_side;
	size_t dst_side;  /* before any DNAT */
	bool to_firewall; /* addressed to the firewall itself: input */
	bool dst_public;  /* a public address: the plan's prerouting NAT may rewrite it */
	/* A DNAT that already happened (a tracked connection): the real
	 * destination replaces the plan's prerouting NAT. */
	bool nat_given;
	uint8_t nat_daddr[16];
	uint16_t nat_dport; /* host order */
};

/*
 * Run pk (the first packet, daddr as it arrives; iif is set here) through
 * the plan: prerouting, NAT, then input, forward or the bridge. Fills *ev
 * with the verdict and what decided, path with a description ("forward t:
 * a -> b"). Returns 1 when the packet is accepted, 0 when dropped, or
 * -ENOMEM.
 */
int path_follow(const struct fw_plan *plan, const struct fw_tenant *t, const struct path_ends *e,
                struct fw_packet *pk, struct fw_eval *ev, char *path, size_t path_size);

#endif
