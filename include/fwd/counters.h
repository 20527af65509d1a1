/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hit counters of the live ruleset: how many packets each policy item and
 * each tenant's default drop matched (`fwctl counters`).
 *
 * Every allowlist set counts per element (fw_plan_set.counter) and every
 * element is commented with its policy item's id; the default drops are rules
 * with a `counter` and the origin FW_ORIGIN_DEFAULT_DENY. A reader (the
 * daemon plugs in the nftables one, fwd/nft_counters.h) sums what the kernel
 * counted into fw_counter rows; fw_counters_report() turns them, with the
 * policy, into the answer of the `counters` command. Neither needs the other:
 * this header names no netlink type, so the daemon core stays without one.
 *
 * What an element counts: every packet looked up in its set. In the inet
 * tables that is the first packet of each connection (the established ones
 * are accepted before the lookup); the bridge tables of isolated zones have
 * no connection tracking, so there every packet of an allowed flow counts,
 * replies included.
 */
#ifndef FWD_COUNTERS_H
#define FWD_COUNTERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/diag.h"
#include "fwd/plan.h"
#include "fwd/policy.h"

/* One sum. Strings point into the plan (and its policy): valid while the
 * plan lives. */
struct fw_counter {
	const char *tenant;
	const char *id; /* policy item id, or FW_ORIGIN_DEFAULT_DENY */
	/* Rows summed from rules (the default drops): the table and chain of
	 * those rules. NULL for rows summed from set elements, which add up a
	 * policy item's elements across all of the tenant's sets and tables. */
	const char *table;
	const char *chain;
	uint64_t packets;
	uint64_t bytes;
	size_t elements; /* set elements summed */
	size_t rules;    /* rules summed */
};

/*
 * Read the counters of the plan's tables, of one tenant (NULL: all). Returns
 * 0 and a new array in *ret (free() it; NULL when *ret_n is 0), or a negative
 * errno with the reason recorded in diags (*ret untouched).
 */
typedef int (*fw_counters_fn)(void *ctx, const struct fw_plan *plan, const char *tenant,
                              struct fw_counter **ret, size_t *ret_n, struct fw_diags *diags);

/*
 * The `counters` result: {"counters": [{"tenant", "rule", "chain" (default
 * drops only), "file", "line", "packets", "bytes", "elements"}, ...]}. Per
 * tenant (the policy's order) every rule, publish, egress and management
 * entry in the order of its file (those without hits with 0), then the
 * default drop of each chain that has one (the plan's order). tenant NULL:
 * all tenants. Returns a new object or NULL (out of memory).
 */
json_t *fw_counters_report(const struct fw_policy *policy, const struct fw_plan *plan,
                           const char *tenant, const struct fw_counter *v, size_t n);

#endif
