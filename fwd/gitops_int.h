/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The parts of gitops (include/fwd/gitops.h), one file each. */
#ifndef FWD_GITOPS_INT_H
#define FWD_GITOPS_INT_H

#include <git2.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "fwd/diag.h"
#include "fwd/gitops.h"
#include "fwd/policy.h"
#include "fwd/state.h"

#define FW_GIT_SHA_LEN 40 /* hex digits of a (SHA-1) commit id */

/* --- fwd/gitops_tree.c: the policy files of a commit, from the object
 * database. Limits: */
#define FW_GIT_MAX_FILE    FW_STATE_MAX_FILE  /* bytes of one file (4 MiB) */
#define FW_GIT_MAX_TOTAL   (16u << 20)        /* bytes of all of them */
#define FW_GIT_MAX_FILES   FW_STATE_MAX_FILES /* policy files (256) */
#define FW_GIT_MAX_ENTRIES 10000              /* entries of the directory */
#define FW_GIT_MAX_TREE    (4u << 20)         /* bytes of a directory's tree object */
#define FW_GIT_MAX_COMMIT  (1u << 20)         /* bytes of the commit object */

struct fw_git_files {
	struct fw_policy_source *v; /* names and data owned */
	size_t n;
};

/* Every *.yaml / *.yml entry of the commit's top directory (or subdir):
 * 0 and *ret, or -EINVAL with each problem in d (the message names the
 * file); -ENOMEM; -EIO (the repository is broken, message in d). */
int fw_git_tree_read(git_repository *repo, const git_oid *commit, const char *subdir,
                     struct fw_diags *d, struct fw_git_files *ret);
void fw_git_files_free(struct fw_git_files *f);
/* The size of an object of that type from its header (nothing inflated):
 * 0, -ENOENT, -EINVAL (another type), -EIO. */
int fw_git_object_size(git_repository *repo, const git_oid *id, git_object_t type, size_t *ret);
/* 0 when buf is UTF-8 without NUL bytes; else the offset of the first bad
 * byte plus one, and *nul tells which. */
size_t fw_git_text_check(const char *buf, size_t len, bool *nul);

/* --- fwd/gitops_repo.c: the repository itself. */
/* Open the bare repository at path, creating it when missing. */
int fw_git_repo_open(const char *path, git_repository **ret, char *err, size_t err_size);
/* Fetch `branch` of url into refs/heads/BRANCH (forced: a force-push shows
 * as such, and the verification decides); -E2BIG when the remote sends
 * more than max_bytes, -EIO for the rest. Blocks: see gitops_fetch.c. */
int fw_git_fetch(git_repository *repo, const char *url, const char *branch, const char *ssh_key,
                 size_t max_bytes, char *err, size_t err_size);
/* The commit refs/heads/BRANCH points at: 0, -ENOENT (no such branch). */
int fw_git_tip(git_repository *repo, const char *branch, git_oid *ret);
/* The post-receive hook that hands pushes of `branch` to fwd. */
int fw_git_hook_install(git_repository *repo, const char *branch, const char *fwctl,
                        const char *socket, char *err, size_t err_size);
/* The message of the last libgit2 error (never NULL). */
const char *fw_git_errmsg(void);

/* --- fwd/gitops_fetch.c: a fetch in a child process, so that fwd's loop
 * goes on while a remote is slow or silent, and a deadline can stop it. */
struct fw_git_fetch_spec {
	const char *repo_path; /* the bare mirror */
	const char *url, *branch, *ssh_key;
	size_t max_bytes;
	unsigned timeout_s;
};
struct fw_git_fetch_job {
	pid_t pid; /* 0: none runs */
	int fd;    /* the child's message */
	uint64_t deadline_ms;
	unsigned timeout_s;
	char msg[512];
	size_t n;
};
/* 0: the child runs; -errno and why (no process could be made). */
int fw_git_fetch_start(const struct fw_git_fetch_spec *spec, uint64_t now_ms,
                       struct fw_git_fetch_job *job, char *err, size_t err_size);
/* 0 while it runs; 1 once it ended, *result 0 or -errno (-E2BIG, -EIO,
 * -ETIMEDOUT: killed at the deadline) with why in err. */
int fw_git_fetch_poll(struct fw_git_fetch_job *job, uint64_t now_ms, const char *what, int *result,
                      char *err, size_t err_size);
/* Kill and reap a running one (fwd stops). */
void fw_git_fetch_stop(struct fw_git_fetch_job *job);

/* --- fwd/gitops_verify.c */
/* Whom commits must be signed by: ssh keys, gpg keys or both. */
struct fw_git_trust {
	const char *signers;  /* allowed-signers file (ssh keys); NULL: none */
	const char *gpg_keys; /* OpenPGP public keys (gpg --export); NULL: none */
	const char *work_dir; /* where gpg's temporary homes are made */
};
/* Signed by a trusted key? 0 and the signer (ssh: the principals; gpg:
 * "EMAIL gpg:FINGERPRINT"); -EPERM and why (unsigned, untrusted key, bad
 * signature, a kind of signature no option trusts); -errno with why (a
 * keys file cannot be read or has errors, gpg does not run). */
int fw_git_verify_signature(git_repository *repo, const git_oid *commit,
                            const struct fw_git_trust *trust, char *signer, size_t signer_size,
                            char *why, size_t why_size);
/* fwd/gitops_gpg.c: a detached OpenPGP signature over data by a key of the
 * file `keys` (checked in a fresh gpg home under work_dir); returns like
 * fw_git_verify_signature. */
#define FW_GIT_GPG_MAX_FILE (1u << 20) /* bytes of the keys file */
int fw_git_gpg_verify(const char *keys, const char *work_dir, const char *sig, size_t sig_size,
                      const char *data, size_t data_size, char *signer, size_t signer_size,
                      char *why, size_t why_size);
/* At start: gpgme set up, gpg runs, the keys file imports (homes left by
 * a stopped fwd removed): 0 and its number of keys, or -errno and why. */
int fw_git_gpg_start(const char *keys, const char *work_dir, size_t *n_keys, char *why,
                     size_t why_size);
/* The allowed-signers file: 0 and its keys (warnings, e.g. lines
 * ignored, into `warnings` if not NULL); -errno and why. */
struct fw_signers;
int fw_git_signers_read(const char *path, struct fw_signers *ret, struct fw_diags *warnings,
                        char *why, size_t why_size);
/* May `commit` replace `live`? 0 when it descends from it; -EPERM and why
 * when it does not (a force-push, a rewind) or live is unknown here. */
int fw_git_verify_descendant(git_repository *repo, const git_oid *commit, const git_oid *live,
                             char *why, size_t why_size);

/* --- fwd/gitops_probe.c: tcp connects from the firewall, non-blocking. */
struct fw_git_probe {
	const struct fw_git_probe_spec *spec;
	int fd;          /* -1: not running */
	uint64_t due_ms; /* running: when it times out; else: when to start again */
	int result;      /* 1 connected, 0 not yet tried, -errno: the last failure */
};
#define FW_GIT_PROBE_TIMEOUT_MS 2000
#define FW_GIT_PROBE_RETRY_MS   500
int fw_git_probe_parse(const char *text, struct fw_git_probe_spec *ret);
/* Start, continue or retry one probe at now_ms: 1 once it connected, else
 * 0 (p->result: 0 while the first try runs, then the last failure). */
int fw_git_probe_step(struct fw_git_probe *p, uint64_t now_ms);
void fw_git_probe_stop(struct fw_git_probe *p);
/* "Connection refused", "no answer within 2 s", ... */
const char *fw_git_probe_error(int result, char *buf, size_t size);

/* --- fwd/gitops_status.c: one record per commit, and status.json. */
enum fw_git_state {
	FW_GIT_QUEUED,      /* waits for the pending one */
	FW_GIT_PENDING,     /* applied, health checks running */
	FW_GIT_APPLIED,     /* live (or was, until a later commit) */
	FW_GIT_REFUSED,     /* never applied: reason */
	FW_GIT_ROLLED_BACK, /* applied, failed its checks, previous restored */
	FW_GIT_SUPERSEDED,  /* a newer commit came before it was applied */
	FW_GIT_FAILED,      /* the apply failed (kernel, disk): reason */
};

struct fw_git_record {
	char commit[FW_GIT_SHA_LEN + 1];
	enum fw_git_state state;
	time_t time;         /* of the last change of state */
	uint64_t generation; /* applied, pending, rolled back: its generation */
	char subject[128];
	char signer[128];
	char reason[512];
};

struct fw_git_status {
	struct fw_git_record rec[FW_GIT_KEEP]; /* oldest first */
	size_t n;
	char head[FW_GIT_SHA_LEN + 1];         /* the branch's tip as last seen ("": none) */
	char last_applied[FW_GIT_SHA_LEN + 1]; /* the base of the descendant check */
	time_t fetched;                        /* last successful fetch */
	char fetch_error[512];                 /* "" after a good fetch */
};

const char *fw_git_state_name(enum fw_git_state s);
/* The record of commit (NULL: none). */
struct fw_git_record *fw_git_status_find(struct fw_git_status *s, const char *commit);
/* A new record for commit, the oldest dropped when full. */
struct fw_git_record *fw_git_status_add(struct fw_git_status *s, const char *commit);
json_t *fw_git_record_json(const struct fw_git_record *r);
/* The records (newest first, at most max) and the fields above. */
json_t *fw_git_status_to_json(const struct fw_git_status *s, size_t max);
/* STATE/gitops/status.json: written whole (temporary file, fsync, rename),
 * read back at start (a missing file is an empty status). */
int fw_git_status_save(const struct fw_git_status *s, json_t *extra, const char *path);
int fw_git_status_load(const char *path, struct fw_git_status *ret);

/* --- the controller: fwd/gitops.c (life, ticks, sync, status) and
 * fwd/gitops_apply.c (one commit through verification, apply, checks). */
struct fw_gitops {
	struct fw_git_config cfg; /* its strings outlive g (fwd's argv) */
	struct fw_state *state;
	struct fw_engine *engine;
	fw_git_log_fn log;
	void *log_ctx;
	git_repository *repo;
	char dir[4096];         /* STATE/gitops */
	char status_path[4200]; /* STATE/gitops/status.json */
	char fwctl[4096];       /* for the hook */
	char socket[4096];      /* the control socket, absolute: for the hook */
	struct fw_git_status st;
	/* the commit under health checks ("": none) */
	char pending[FW_GIT_SHA_LEN + 1];
	uint64_t pending_gen, pending_prev;
	uint64_t deadline_ms; /* CLOCK_MONOTONIC */
	bool engine_window;   /* the engine holds it pending (not after a restart) */
	struct fw_git_probe probes[FW_GIT_MAX_PROBES];
	/* the newest commit that waits for it ("": none) */
	char queued[FW_GIT_SHA_LEN + 1];
	uint64_t next_poll_ms;
	bool started;
	/* follow mode: the mirror, and the fetch running in a child */
	char mirror[4300];
	struct fw_git_fetch_job fetch;
	uint64_t fetch_sync; /* the `fwctl sync` it serves (0: a poll) */
	/* syncs: numbered as asked; the outcome of the last one decided */
	uint64_t sync_asked, sync_done;
	char sync_commit[FW_GIT_SHA_LEN + 1]; /* --commit of the last one asked */
	json_t *sync_result;                  /* {"record": ...} or {"error": {code, message}} */
};

uint64_t fw_git_now_ms(void);
void fw_git_logf(struct fw_gitops *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* status.json again, with the live commit and the drift */
void fw_git_save(struct fw_gitops *g);
/* The live generation's commit ("" when it is not from git) and number. */
void fw_git_live(struct fw_gitops *g, char out[FW_GIT_SHA_LEN + 1], uint64_t *gen);
/* Make `commit` (the branch's tip) live if it may be: applied, refused,
 * queued behind a pending one... `again`: decide anew even when it was
 * decided before (fwctl sync). Returns its record (NULL: out of memory). */
struct fw_git_record *fw_git_consider(struct fw_gitops *g, const git_oid *commit, bool again);
/* Drive the pending commit's health checks (gitops_apply.c). */
void fw_git_check_pending(struct fw_gitops *g);
/* Start them for r, live as r->generation; `previous` is restored when they
 * fail; engine_window: the engine holds r pending (a confirm window). */
void fw_git_start_checks(struct fw_gitops *g, struct fw_git_record *r, uint64_t previous,
                         bool engine_window);

#endif
