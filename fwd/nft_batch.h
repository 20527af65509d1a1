/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nftables backend: a plan becomes one netlink transaction, changing
 * only what changed, guarded against concurrent changes, checked against
 * what the kernel then holds.
 *
 * Each tenant owns its tables. An apply compares the plan loaded last
 * (`old`) with the new one table by table (nft_delta.c): an identical table
 * is not in the batch at all (its counters go on counting, its handles
 * stay); a table whose chains, rules and set declarations are the same gets
 * NEWSETELEM/DELSETELEM of exactly the elements that differ (the others
 * keep their counters); any other table is added, deleted and added again
 * (so the delete never fails on absence) with its chains, sets, elements
 * and rules; our tables (name starting with opts->prefix) that the plan no
 * longer has are deleted. All of it is ONE batch (NFNL_MSG_BATCH_BEGIN ...
 * END): the kernel applies all of it or nothing.
 *
 * Generation guard: the ruleset's generation id is read first and put in
 * BATCH_BEGIN (NFNL_BATCH_GENID); if anybody changed the ruleset meanwhile
 * the kernel refuses the batch (ERESTART) and the apply starts over, a
 * bounded number of times. `old` is trusted only if the generation is the
 * one recorded right after fwd's own last commit; otherwise our tables are
 * read back first (nft_readback.c) and a table that is not as `old` says
 * (drift) is replaced; without `old` a table equal to the new plan's is
 * left alone.
 *
 * Drift check: what the kernel holds is read back (chains, rules, sets,
 * elements; counter values and handles left out) and compared with the
 * plan in a canonical form (nft_canon.c) built from the very messages the
 * batch would send. Unchanged generation: nothing was read, nothing can
 * have changed (a few microseconds). Changed: the tables that differ are
 * named ("fwd_acme: chain dmz.servers has 0 rules, expected 1") and
 * replaced in one guarded transaction. With opts->verify, an apply reads
 * back what it changed right after its commit (the tables it replaced, the
 * sets it changed) and reports differences as warnings.
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
 * opts->dump), no global state: what the backend remembers between applies
 * is in struct nft_backend.
 */
#ifndef FWD_NFT_BATCH_H
#define FWD_NFT_BATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fwd/diag.h"
#include "fwd/engine.h"
#include "fwd/plan.h"

#define NFT_APPLY_DEFAULT_PREFIX "fwd_"
#define NFT_APPLY_ATTEMPTS       5 /* transactions tried while others change the ruleset */

/* What an apply did (for tools, tests and benchmarks). */
struct nft_apply_stats {
	unsigned attempts; /* 1 + batches the kernel refused because the ruleset moved */
	bool read_back;    /* our tables were read first (`old` was not trusted) */
	bool sent;         /* a batch was sent (false: nothing to change) */
	size_t replaced;   /* tables added, deleted and added again */
	size_t unchanged;  /* tables not in the batch */
	size_t delta;      /* tables changed by element deletes and adds */
	size_t elems_deleted, elems_added;
	size_t deleted;   /* our tables that the plan no longer has */
	size_t drifted;   /* read back: tables not as `old` (or the plan) said */
	size_t msgs;      /* objects in the batch */
	uint32_t genid;   /* the generation after the commit */
	double kernel_ms; /* sending the batch and reading its acks */
};

struct nft_apply_opts {
	const char *prefix;            /* tables we own; NULL means NFT_APPLY_DEFAULT_PREFIX */
	FILE *dump;                    /* if set, every message of the batch (libmnl's format) */
	bool dry_run;                  /* build (and dump) a full batch, touch nothing */
	bool verify;                   /* after a commit, read back what it changed */
	struct nft_apply_stats *stats; /* if set, filled in by every apply */
	/* Tests: called right before a batch is sent (after the generation it
	 * is guarded with was read), attempt 1, 2, ... */
	void (*before_send)(void *arg, unsigned attempt);
	void *hook_arg;
};

/*
 * Make `plan` the kernel's ruleset for our tables, in one transaction, in the
 * caller's network namespace, without a memory of earlier applies: our
 * tables are read back and only those that differ from the plan are
 * replaced. opts may be NULL. Returns 0, or a negative errno with the
 * reasons recorded in diags (-EINVAL: the plan cannot be translated; the
 * kernel's errno when it refused the batch; -EAGAIN: the ruleset kept
 * changing). On any error the kernel's ruleset is unchanged.
 */
int nft_apply_plan(const struct fw_plan *plan, const struct nft_apply_opts *opts,
                   struct fw_diags *diags);

/* The backend with a memory: the plan it committed last, the generation
 * right after, canonical forms of its tables. opts (copied; prefix must
 * outlive the backend) may be NULL. */
struct nft_backend;
int nft_backend_new(const struct nft_apply_opts *opts, struct nft_backend **ret);
void nft_backend_free(struct nft_backend *nb);

/* struct fw_backend's apply (ctx: a struct nft_backend). `old` is the plan
 * loaded last, NULL if none; it must stay alive as long as the engine
 * keeps it (the backend recognises it by address). */
int nft_backend_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                      struct fw_diags *diags);
/* struct fw_backend's check: compare the kernel with `plan` (the live plan)
 * and replace the tables that differ. 0 (ret says what was found and
 * whether it was repaired) or a negative errno. */
int nft_backend_check(void *ctx, const struct fw_plan *plan, struct fw_drift *ret,
                      struct fw_diags *diags);

/*
 * Ruleset change events (nft_monitor.c): a netlink socket subscribed to
 * NFNLGRP_NFTABLES. Every commit ends with NFT_MSG_NEWGEN naming the
 * committing process: fwd's own are ignored, others schedule a drift check
 * after a quiet moment (debounce), and a periodic check runs every
 * interval_s seconds (0: none).
 */
struct nft_monitor;
int nft_monitor_open(unsigned interval_s, struct nft_monitor **ret);
void nft_monitor_close(struct nft_monitor *m);
/* For the daemon's loop: readable when events wait. */
int nft_monitor_fd(const struct nft_monitor *m);
/* Read what is queued, at now_ms (CLOCK_MONOTONIC). */
void nft_monitor_read(struct nft_monitor *m, uint64_t now_ms);
/* Milliseconds until a check is due (0: now), at most max_ms. */
int nft_monitor_timeout(const struct nft_monitor *m, uint64_t now_ms, int max_ms);
/* A check ran from start_ms to now_ms: the next periodic one is interval_s
 * later, the next one for events no sooner than 4 times its duration. */
void nft_monitor_checked(struct nft_monitor *m, uint64_t start_ms, uint64_t now_ms);
/* Events seen from other processes, and lost (the socket overflowed). */
uint64_t nft_monitor_foreign(const struct nft_monitor *m);

#endif
