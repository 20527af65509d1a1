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
 *   check_drift(now)         the kernel against the live plan; what others
 *                            changed is restored (audit "drift").
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

/* What a drift check found: the kernel is compared with the live plan;
 * tables somebody else changed are named and restored. */
#define FW_DRIFT_DETAIL 512
struct fw_drift {
	bool read_back;  /* the ruleset had changed: the kernel's tables were read */
	size_t tables;   /* tables not as planned (0: none) */
	bool repaired;   /* ... replaced by the planned ones, in one transaction */
	size_t l2_steps; /* L2: steps it took to restore bridges, VLANs, gateways (0: none) */
	/* "fwd_acme: chain dmz.servers has 0 rules, expected 1; ..."
	 * "l2: vlan110 on br-acme: add 802.1Q device (VLAN 110); ..." */
	char detail[FW_DRIFT_DETAIL];
};

struct fw_backend {
	/* Make `plan` the ruleset, in one transaction; on error nothing changed.
	 * `old` is the plan loaded before (NULL: none); the backend may change
	 * only what differs from it. */
	int (*apply)(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
	             struct fw_diags *diags);
	void *ctx;
	/* Optional (NULL: no drift checks): compare the kernel with `plan` and
	 * restore what differs. 0 (ret says what) or -errno. */
	int (*check)(void *ctx, const struct fw_plan *plan, struct fw_drift *ret,
	             struct fw_diags *diags);
};

struct fw_engine;

struct fw_engine_status {
	uint64_t live;     /* 0: nothing applied yet */
	uint64_t pending;  /* 0: none */
	uint64_t previous; /* rollback target while pending */
	time_t deadline;   /* while pending */
	size_t tenants;
	time_t drift_checked;     /* last drift check (0: none yet) */
	uint64_t drift_repairs;   /* drift checks that restored something */
	time_t drift_found;       /* when drift was last found (0: never) */
	const char *drift_detail; /* what it was ("" never); valid until the next check */
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

/*
 * The lockout guard and revocation.
 *
 * With an origin (where the engineer is, struct fw_mgmt_origin in
 * fwd/flowcheck.h), apply and rollback first ask whether the live plan lets
 * a new tcp connection from there reach the firewall and the candidate does
 * not. If so they are refused with -EPERM, the reason as an error in diags
 * and the audit log ("refused"), and nothing changes — unless `force` is
 * set (the audit record says "forced: ...") or the apply has a confirm
 * window, which lets the engineer back in by itself.
 *
 * After a change whose plan differs from the one it replaced, the revoke
 * hook (if set) cuts the tracked connections the old plan accepted and the
 * new one does not; the apply and rollback results and the audit detail say
 * how many.
 */
struct fw_mgmt_origin;

struct fw_apply_opts {
	uint32_t confirm_seconds;            /* apply only; 0: none */
	const struct fw_mgmt_origin *origin; /* NULL: unknown, no guard */
	bool force;                          /* apply even if it cuts origin off */
};

struct fw_revoke_result {
	size_t examined; /* tracked connections looked at */
	size_t revoked;  /* deleted */
	size_t failed;   /* the kernel refused to delete them */
	bool capped;     /* stopped at the limit: the rest was not looked at */
};

struct fw_apply_result {
	uint64_t generation;
	struct fw_revoke_result revoke;
	int revoke_error; /* 0, or -errno: the change is live, cutting failed */
	bool revoke_ran;  /* the plan changed and the revoke hook looked */
	bool forced;      /* the guard would have refused: `reason` says why */
	char reason[256];
	char access[48]; /* apply: "access +1 -0" against the parent (fwd/change.h) */
};

int fw_engine_apply_opts(struct fw_engine *e, const struct fw_policy_source *files, size_t n_files,
                         const struct fw_state_meta *who, const struct fw_apply_opts *opts,
                         struct fw_diags *diags, struct fw_apply_result *ret);
int fw_engine_rollback_opts(struct fw_engine *e, uint64_t generation,
                            const struct fw_state_meta *who, const struct fw_apply_opts *opts,
                            struct fw_diags *diags, struct fw_apply_result *ret);

/* Cut what old accepted and new does not; 0 or -errno (the change stays). */
typedef int (*fw_revoke_fn)(void *ctx, const struct fw_policy *old_policy,
                            const struct fw_plan *old_plan, const struct fw_policy *new_policy,
                            const struct fw_plan *new_plan, struct fw_revoke_result *ret);
void fw_engine_set_revoke(struct fw_engine *e, fw_revoke_fn fn, void *ctx);
/* Keep at most `keep` generations in the state directory (0: all); older
 * ones are pruned after an apply or confirm, never the live one and never
 * while a change waits for confirm. */
void fw_engine_set_history_limit(struct fw_engine *e, size_t keep);
/* What every policy load of the engine gets (the daemon's VPN address pins,
 * which it keeps up to date; NULL: none). Not copied: must outlive e. */
void fw_engine_set_load_opts(struct fw_engine *e, const struct fw_load_opts *opts);
const struct fw_load_opts *fw_engine_load_opts(const struct fw_engine *e);
/* Call periodically; returns 1 when it rolled a pending generation back. */
int fw_engine_tick(struct fw_engine *e, time_t now, struct fw_diags *diags);
/* Compare the kernel with the live plan and restore what others changed
 * (the backend's check; nothing before the first apply). Drift is audited
 * ("drift", with what differed) and shows in the status. 0 (ret, may be
 * NULL, says what was found) or -errno (the repair failed: audited too). */
int fw_engine_check_drift(struct fw_engine *e, time_t now, struct fw_drift *ret,
                          struct fw_diags *diags);

void fw_engine_status(const struct fw_engine *e, struct fw_engine_status *ret);
/* The live policy and plan (NULL before the first apply). */
const struct fw_policy *fw_engine_policy(const struct fw_engine *e);
const struct fw_plan *fw_engine_plan(const struct fw_engine *e);

#endif
