/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nftables backend: a plan becomes one netlink transaction.
 *
 * nft_apply_plan() builds a single batch (NFNL_MSG_BATCH_BEGIN ... END) of
 * libnftnl objects and sends it with libmnl. For every table of the plan the
 * batch adds, deletes and adds the table again (so the delete never fails on
 * absence), then creates its chains, sets with their elements, and rules;
 * tables whose name starts with opts->prefix that exist in the kernel but
 * not in the plan are deleted in the same batch. The kernel applies all of it
 * or nothing.
 *
 * Every message carries NLM_F_ACK and every acknowledgement is read. A
 * refused message is reported in diags with the object it created (family,
 * table, chain or set), for rules and set elements the policy rule it came
 * from (id and file:line, the diagnostic's location), strerror and the
 * kernel's extended-ack text and attribute when it sent them.
 *
 * Rules are translated exactly as nft(8) 1.0.x translates the text that
 * plan_render() prints, including the implicit protocol dependencies, the
 * merging of adjacent payload matches and the byte order conversions, so
 * `nft list ruleset` shows the same ruleset whichever way it was loaded.
 *
 * Library code: returns 0 or a negative errno, never prints (except to
 * opts->dump), no global state.
 */
#ifndef FWD_NFT_BATCH_H
#define FWD_NFT_BATCH_H

#include <stdbool.h>
#include <stdio.h>

#include "fwd/diag.h"
#include "fwd/plan.h"

#define NFT_APPLY_DEFAULT_PREFIX "fwd_"

struct nft_apply_opts {
	const char *prefix; /* tables we own; NULL means NFT_APPLY_DEFAULT_PREFIX */
	FILE *dump;         /* if set, every message of the batch (libmnl's format) */
	bool dry_run;       /* build (and dump) the batch, send nothing */
};

/*
 * Make `plan` the kernel's ruleset for our tables, in one transaction, in the
 * caller's network namespace. opts may be NULL. Returns 0, or a negative
 * errno with the reasons recorded in diags (-EINVAL: the plan cannot be
 * translated; the kernel's errno when it refused the batch). On any error
 * the kernel's ruleset is unchanged.
 */
int nft_apply_plan(const struct fw_plan *plan, const struct nft_apply_opts *opts,
                   struct fw_diags *diags);

/* The same with the signature of struct fw_backend's apply (fwd/engine.h);
 * ctx is a const struct nft_apply_opts * or NULL. */
int nft_backend_apply(void *ctx, const struct fw_plan *plan, struct fw_diags *diags);

#endif
