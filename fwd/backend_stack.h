/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The backend stack: one struct fw_backend made of layers applied in
 * order, the nftables backend first. Its protection is in place before a
 * later layer (L2: bridges and VLANs) lets a packet through: a new VLAN
 * forwards nothing the new ruleset does not allow, and a removed one is
 * already refused by it.
 *
 * Each layer leaves what it owns as it was when its apply fails (nft: one
 * transaction; L2: its steps undone). When layer i fails, the layers
 * before it apply the old plan again (nft: the previous ruleset), so the
 * previous state is fully in place and the engine's promise holds: on
 * error nothing changed. Without an old plan (the first apply, the boot)
 * there is nothing to go back to: the layers before keep the new plan, the
 * firewall fails closed.
 *
 * The drift check runs every layer's check and adds up what they found.
 */
#ifndef FWD_BACKEND_STACK_H
#define FWD_BACKEND_STACK_H

#include <stddef.h>

#include "fwd/engine.h"

#define BACKEND_STACK_MAX 4

struct backend_stack {
	struct fw_backend layer[BACKEND_STACK_MAX];
	const char *name[BACKEND_STACK_MAX]; /* "nft", "l2": in error messages */
	size_t n;
};

/* Add a layer on top (the name must outlive the stack); -ENOSPC when full. */
int backend_stack_push(struct backend_stack *s, const char *name, const struct fw_backend *b);

/* struct fw_backend's apply and check (ctx: the backend_stack). */
int backend_stack_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                        struct fw_diags *diags);
int backend_stack_check(void *ctx, const struct fw_plan *plan, struct fw_drift *ret,
                        struct fw_diags *diags);

#endif
