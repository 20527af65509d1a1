/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fwd's state directory: what was applied, when, by whom, and what is live.
 *
 * Layout (default /var/lib/fwd; the directory is 0700 and owned by root):
 *
 *   current -> history/000042   the live generation (a symlink, swapped atomically)
 *   history/000042/             one directory per generation, never changed once written
 *       meta.json               {generation, time, who, uid, source, parent, comment}
 *       policy/NAME.yaml        the policy files as they were applied
 *       ruleset.nft             the ruleset that was loaded, as text (for diffs)
 *       diff.txt                what it changed against its parent: the access diff
 *                               and the ruleset diff (fwd/change.h), as fwctl diff
 *                               prints them; absent in generations written before
 *   audit.log                   one JSON object per line: every change, every refusal
 *
 * A generation is written into a temporary directory, fsync'ed, then renamed
 * into history/: a crash leaves either no generation or a complete one. The
 * live pointer moves only by rename(2) of a new symlink over `current`, so a
 * reader sees the old or the new generation, never neither.
 *
 * Generations and commit-confirm (the daemon drives these, see fwd(8)):
 *   - apply:    record generation N (parent = current), load it, point
 *               `current` at N. With --confirm the previous generation stays
 *               the rollback target until `confirm` arrives.
 *   - confirm:  N becomes last-known-good (nothing moves on disk: `current`
 *               already points at it; the audit log records the confirmation).
 *   - rollback: load generation M (by default N's parent) and point `current`
 *               at M; history is never rewritten, so a rollback is itself
 *               auditable and reversible.
 *   - boot:     load `current` before any interface forwards.
 *
 * Library code: returns 0 or a negative errno, never prints, never exits.
 */
#ifndef FWD_STATE_H
#define FWD_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define FW_STATE_MAX_FILES      256        /* policy files per generation */
#define FW_STATE_MAX_FILE       (4u << 20) /* bytes per stored file */
#define FW_STATE_MAX_GENERATION 999999u    /* history/NNNNNN */

struct fw_state;

struct fw_state_file {
	const char *name; /* a plain file name: no '/', not "." or ".." */
	const char *data;
	size_t len;
};

struct fw_state_meta {
	const char *who; /* user name of the peer, or "boot", "gitops" */
	uint32_t uid;
	const char *source;  /* "fwctl", "git:SHA" (gitops), "boot", "rollback" */
	const char *comment; /* may be NULL */
};

struct fw_generation {
	uint64_t generation;
	uint64_t parent; /* 0: none */
	time_t time;
	uint32_t uid;
	char who[64];
	char source[48]; /* "fwctl", ..., "git:" and a 40-digit commit id */
	char comment[256];
};

/* Open (creating if needed, mode 0700) the state directory. Refuses a
 * directory that others can read or write (-EPERM). */
int fw_state_open(const char *dir, struct fw_state **ret);
void fw_state_close(struct fw_state *st);

/* Record a new generation (parent: the current one) and return its number.
 * Does not move `current`. */
int fw_state_record(struct fw_state *st, const struct fw_state_meta *meta,
                    const struct fw_state_file *files, size_t n_files, const char *ruleset,
                    uint64_t *ret_generation);

/* The same, storing `diff` (the change against the parent, text, at most
 * FW_STATE_MAX_FILE bytes; NULL: none) as diff.txt with the generation. */
int fw_state_record_diff(struct fw_state *st, const struct fw_state_meta *meta,
                         const struct fw_state_file *files, size_t n_files, const char *ruleset,
                         const char *diff, uint64_t *ret_generation);

/* The live generation: -ENOENT when nothing was ever applied. */
int fw_state_current(struct fw_state *st, uint64_t *ret_generation);
/* Point `current` at an existing generation, atomically. */
int fw_state_set_current(struct fw_state *st, uint64_t generation);

/* One generation's metadata. */
int fw_state_get(struct fw_state *st, uint64_t generation, struct fw_generation *ret);
/* All generations, oldest first; free(*ret) when done. */
int fw_state_list(struct fw_state *st, struct fw_generation **ret, size_t *ret_n);
/* A stored file of a generation ("ruleset.nft", "diff.txt" or "policy/NAME"). */
int fw_state_read(struct fw_state *st, uint64_t generation, const char *name, char **ret,
                  size_t *ret_len);
/* The generation's policy directory, for policy_load_paths(). */
int fw_state_policy_dir(struct fw_state *st, uint64_t generation, char **ret);

/* Append one audit record: {"time", "event", "who", "uid", "generation", "detail"}.
 * One write(2) of one line with O_APPEND, then fsync. */
int fw_state_audit(struct fw_state *st, const char *event, const struct fw_state_meta *meta,
                   uint64_t generation, const char *detail);

/* The same with "summary" (NULL: none), what a change did in a few words:
 * "access +1 -0" (fwd/change.h). */
int fw_state_audit_summary(struct fw_state *st, const char *event, const struct fw_state_meta *meta,
                           uint64_t generation, const char *detail, const char *summary);

/* Delete the oldest generations beyond `keep`, never the current one. */
int fw_state_prune(struct fw_state *st, size_t keep);

#endif
