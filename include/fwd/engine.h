/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine: which policy generation is live, which one waits for a
 * confirmation, and how to get from one to the other safely.
 *
 * States (for the appliance's whole policy):
 *   live      the generation loaded in the kernel; `current` in the state
 *             directory points at it.
 *   pending   a generation applied with a confirm window: it is live, but
 *             when the deadline passes without confirm() the engine loads
 *             `previous` again — an engineer who cut himself off is let back
 *             in by the firewall itself.
 *   previous  the rollback target of a pending generation.
 *
 * Transitions:
 *   apply(files, confirm S)  check + compile first; a policy with errors is
 *                            refused and nothing changes (audit "refused").
 *                            Then record the generation, load it in one
 *                            backend transaction (failure: the kernel keeps
 *                            the old ruleset, `current` does not move, audit
 *                            "failed"), point `current` at it, audit "apply".
 *                            With S > 0 it becomes pending for S seconds.
 *   confirm()                pending -> live for good (audit "confirm").
 *   tick(now)                a pending generation past its deadline is rolled
 *                            back to previous (audit "rollback").
 *   rollback(G)              load generation G (0: the parent of the live
 *                            one) as a new transaction (audit "rollback").
 *   boot()                   load `current`, before anything forwards.
 *
 * The backend is an interface so this logic is tested without a kernel; the
 * daemon plugs in the nftables backend.
 */
#ifndef FWD_ENGINE_H
#define FWD_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "fwd/diag.h"
#include "fwd/plan.h"
#include "fwd/policy.h"
#include "fwd/state.h"

struct fw_backend {
	/* Make `plan` the ruleset, in one transaction; on error nothing changed. */
	int (*apply)(void *ctx, const struct fw_plan *plan, struct fw_diags *diags);
	void *ctx;
};

struct fw_engine;

struct fw_engine_status {
	uint64_t live;     /* 0: nothing applied yet */
	uint64_t pending;  /* 0: none */
	uint64_t previous; /* rollback target while pending */
	time_t deadline;   /* while pending */
	size_t tenants;
};

int fw_engine_new(struct fw_state *state, const struct fw_backend *backend, struct fw_engine **ret);
void fw_engine_free(struct fw_engine *e);

int fw_engine_boot(struct fw_engine *e, struct fw_diags *diags);
int fw_engine_apply(struct fw_engine *e, const struct fw_policy_source *files, size_t n_files,
                    const struct fw_state_meta *who, uint32_t confirm_seconds,
                    struct fw_diags *diags, uint64_t *ret_generation);
int fw_engine_confirm(struct fw_engine *e, const struct fw_state_meta *who);
int fw_engine_rollback(struct fw_engine *e, uint64_t generation, const struct fw_state_meta *who,
                       struct fw_diags *diags, uint64_t *ret_generation);
/* Call periodically; returns 1 when it rolled a pending generation back. */
int fw_engine_tick(struct fw_engine *e, time_t now, struct fw_diags *diags);

void fw_engine_status(const struct fw_engine *e, struct fw_engine_status *ret);
/* The live policy and plan (NULL before the first apply). */
const struct fw_policy *fw_engine_policy(const struct fw_engine *e);
const struct fw_plan *fw_engine_plan(const struct fw_engine *e);

#endif
