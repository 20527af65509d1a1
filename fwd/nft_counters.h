/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nftables backend's counter reader (an fw_counters_fn, fwd/counters.h).
 *
 * For each table of the plan (one tenant's, or every tenant's) it dumps the
 * elements of every counted set (NFT_MSG_GETSETELEM) and the table's rules
 * (NFT_MSG_GETRULE), in the caller's network namespace, over a netlink socket
 * of its own, and sums:
 *  - per policy item, what its set elements counted (the element comment
 *    names the item);
 *  - per policy item and chain, what counting rules counted, unless the rule
 *    looks up a counted set: its packets are the elements' already (a rule
 *    with `counter: true` counts them twice, once in each).
 * The plan says what to expect: the rows are made from it, and a dump with
 * more elements or rules than the plan has is refused (-E2BIG). Kernel
 * objects whose comment names no item of the plan are not counted.
 *
 * Library code: 0 or a negative errno with the reason in diags, never prints.
 */
#ifndef FWD_NFT_COUNTERS_H
#define FWD_NFT_COUNTERS_H

#include "fwd/counters.h"

/* ctx: unused (NULL). */
int nft_counters_read(void *ctx, const struct fw_plan *plan, const char *tenant,
                      struct fw_counter **ret, size_t *ret_n, struct fw_diags *diags);

#endif
