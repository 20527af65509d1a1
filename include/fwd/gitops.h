/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GitOps: fwd applies the policy of a git repository's branch.
 *
 * Two ways in, one path:
 *   follow  --git-url URL: a bare mirror in STATE/gitops/mirror.git is
 *           fetched every --git-interval seconds and at once on `fwctl sync`;
 *   receive --git-receive PATH: a bare repository engineers push to over
 *           ssh; its post-receive hook (installed by fwd at start) runs
 *           `fwctl sync --commit SHA`.
 * The branch's tip is then, in this order:
 *   1. verified: with --git-trusted-signers FILE only a commit signed (ssh,
 *      ed25519) by a key of FILE is applied, with --git-trusted-gpg-keys
 *      FILE one signed with gpg by a key of that FILE (both: either); a
 *      commit that does not descend from the live one is refused unless
 *      --git-allow-rewind;
 *   2. read from the object database (no checkout): the *.yaml / *.yml
 *      files of the top directory or --git-path DIR, with limits (4 MiB a
 *      file, 16 MiB, 256 files) and no symbolic links, submodules or binary
 *      data among them;
 *   3. applied through the engine like `fwctl apply` (same checks; the
 *      generation's source is "git:SHA", its comment the commit's subject);
 *   4. health-checked with commit-confirm semantics: the management path
 *      (--git-mgmt-from: the lockout guard's question) at once, the probes
 *      (--git-probe tcp:HOST:PORT, connected from the firewall) until they
 *      all succeed; when they have not within --git-confirm seconds, the
 *      previous generation is restored and the commit is "rolled-back".
 * A commit that arrives while another is being checked waits (queued); a
 * newer one replaces it (the older is "superseded").
 *
 * Every commit's outcome is kept (applied / refused / rolled-back /
 * superseded, with the reason), written to STATE/gitops/status.json after
 * each change, audited ("git-applied", "git-refused", ...) and shown by
 * `fwctl status` with the live commit and the drift between the branch's
 * HEAD and the live generation.
 *
 * Daemon code: runs inside fwd's single-threaded loop, which nothing here
 * blocks: a fetch runs in a child process (stopped after
 * --git-fetch-timeout seconds or --git-fetch-max-mib MiB received) and
 * `fwctl sync` in follow mode answers "fetching" at once, then watches the
 * status until its fetch is decided; probes connect in the background.
 */
#ifndef FWD_GITOPS_H
#define FWD_GITOPS_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fwd/engine.h"
#include "fwd/flowcheck.h"
#include "fwd/handlers.h"
#include "fwd/proto.h"
#include "fwd/state.h"

#define FW_GIT_MAX_PROBES        16
#define FW_GIT_MAX_CONFIRM       3600 /* seconds */
#define FW_GIT_MAX_INTERVAL      86400
#define FW_GIT_KEEP              50   /* commit records kept in the status */
#define FW_GIT_MAX_FETCH_TIMEOUT 3600 /* seconds */
#define FW_GIT_MAX_FETCH_MIB     4096

/* fwd's command-line options: FW_GIT_LONG_OPTIONS in its option table, and
 * the values FW_GIT_OPT_FIRST ... FW_GIT_OPT_LAST handed to fw_git_option. */
enum {
	FW_GIT_OPT_FIRST = 0x1000,
	FW_GIT_OPT_URL = FW_GIT_OPT_FIRST,
	FW_GIT_OPT_RECEIVE,
	FW_GIT_OPT_BRANCH,
	FW_GIT_OPT_PATH,
	FW_GIT_OPT_INTERVAL,
	FW_GIT_OPT_SIGNERS,
	FW_GIT_OPT_GPG_KEYS,
	FW_GIT_OPT_REWIND,
	FW_GIT_OPT_CONFIRM,
	FW_GIT_OPT_PROBE,
	FW_GIT_OPT_MGMT,
	FW_GIT_OPT_SSH_KEY,
	FW_GIT_OPT_FETCH_TIMEOUT,
	FW_GIT_OPT_FETCH_MAX,
	FW_GIT_OPT_LAST = FW_GIT_OPT_FETCH_MAX,
};

// clang-format off
#define FW_GIT_LONG_OPTIONS \
	{"git-url", required_argument, NULL, FW_GIT_OPT_URL}, \
	{"git-receive", required_argument, NULL, FW_GIT_OPT_RECEIVE}, \
	{"git-branch", required_argument, NULL, FW_GIT_OPT_BRANCH}, \
	{"git-path", required_argument, NULL, FW_GIT_OPT_PATH}, \
	{"git-interval", required_argument, NULL, FW_GIT_OPT_INTERVAL}, \
	{"git-trusted-signers", required_argument, NULL, FW_GIT_OPT_SIGNERS}, \
	{"git-trusted-gpg-keys", required_argument, NULL, FW_GIT_OPT_GPG_KEYS}, \
	{"git-allow-rewind", no_argument, NULL, FW_GIT_OPT_REWIND}, \
	{"git-confirm", required_argument, NULL, FW_GIT_OPT_CONFIRM}, \
	{"git-probe", required_argument, NULL, FW_GIT_OPT_PROBE}, \
	{"git-mgmt-from", required_argument, NULL, FW_GIT_OPT_MGMT}, \
	{"git-ssh-key", required_argument, NULL, FW_GIT_OPT_SSH_KEY}, \
	{"git-fetch-timeout", required_argument, NULL, FW_GIT_OPT_FETCH_TIMEOUT}, \
	{"git-fetch-max-mib", required_argument, NULL, FW_GIT_OPT_FETCH_MAX}

#define FW_GIT_USAGE \
	"  --git-url URL     follow the branch of this repository (a bare mirror in the\n" \
	"                    state directory, fetched every --git-interval seconds)\n" \
	"  --git-receive PATH  or: a bare repository engineers push to (hook installed)\n" \
	"  --git-branch B    the branch (default main)\n" \
	"  --git-path DIR    the policy's directory in the repository (default: the top)\n" \
	"  --git-interval S  seconds between fetches (default 60; 0: only on fwctl sync)\n" \
	"  --git-trusted-signers FILE  apply only commits signed by these ssh keys\n" \
	"  --git-trusted-gpg-keys FILE  ... or by these gpg keys (gpg --export)\n" \
	"  --git-allow-rewind  apply commits that do not descend from the live one\n" \
	"  --git-confirm S   health-check window after a commit is applied (default 60)\n" \
	"  --git-probe tcp:HOST:PORT  must connect from the firewall within the window\n" \
	"  --git-mgmt-from ADDR[,TO[:PORT]]  management access a commit must keep\n" \
	"  --git-ssh-key FILE  private key for ssh:// repositories (default: ssh-agent)\n" \
	"  --git-fetch-timeout S  a fetch that has not ended by then is stopped (default 300)\n" \
	"  --git-fetch-max-mib N  a fetch that receives more is stopped (default 256)\n"
// clang-format on

struct fw_git_probe_spec {
	char text[80];  /* as given: "tcp:10.10.120.30:1433" */
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
};

struct fw_git_config {
	const char *url;     /* follow mode */
	const char *receive; /* receive mode: the bare repository */
	const char *branch;  /* NULL: "main" */
	const char *path;    /* NULL: the top directory */
	unsigned interval;   /* seconds; 0: fetch only on sync */
	bool has_interval;
	const char *signers;  /* NULL: commits are not verified */
	const char *gpg_keys; /* OpenPGP keys; NULL: none (signers NULL too: not verified) */
	bool allow_rewind;
	unsigned confirm; /* seconds */
	bool has_confirm;
	struct fw_git_probe_spec probes[FW_GIT_MAX_PROBES];
	size_t n_probes;
	bool has_mgmt;
	struct fw_mgmt_origin mgmt;
	const char *ssh_key;
	unsigned fetch_timeout; /* seconds */
	bool has_fetch_timeout;
	unsigned fetch_max_mib;
	bool has_fetch_max;
	/* set by fwd: its state directory (STATE/gitops), and for the hook how
	 * it reaches fwd */
	const char *state_dir;
	const char *socket;
	const char *fwctl; /* NULL: next to fwd's own executable, else "fwctl" */
};

/* One fwd option (opt in FW_GIT_OPT_FIRST..LAST): 0, or -EINVAL with a
 * message for the command line in err. */
int fw_git_option(struct fw_git_config *c, int opt, const char *arg, char *err, size_t err_size);
/* The options together: 0, or -EINVAL and a message (e.g. --git-path
 * without a repository, both --git-url and --git-receive). */
int fw_git_config_check(const struct fw_git_config *c, char *err, size_t err_size);
static inline bool fw_git_enabled(const struct fw_git_config *c)
{
	return c->url || c->receive;
}

struct fw_gitops;

/* What gitops tells the daemon's log (one line, no newline). */
typedef void (*fw_git_log_fn)(void *ctx, const char *line);

/* Open (creating) the repository, install the hook, read the status kept
 * in the state directory; nothing is fetched or applied yet (the first
 * tick does it). 0, or -errno with a message in err. */
int fw_gitops_new(const struct fw_git_config *c, struct fw_state *state, struct fw_engine *engine,
                  fw_git_log_fn log, void *log_ctx, struct fw_gitops **ret, char *err,
                  size_t err_size);
void fw_gitops_free(struct fw_gitops *g);

/* From the daemon's loop: fetch when the interval is up, drive the health
 * checks of a pending commit, apply a queued one. */
void fw_gitops_tick(struct fw_gitops *g);
/* How long the loop may sleep before the next tick is due (ms, at most
 * max_ms): short while probes are connecting. */
int fw_gitops_timeout_ms(const struct fw_gitops *g, int max_ms);

/* `fwctl sync [--commit SHA]`: fetch (follow mode), then apply the tip of
 * the branch now. The result (a new reference): the commit's record. Errors
 * are -errno with a message (no repository, unknown commit, fetch failed). */
int fw_gitops_sync(struct fw_gitops *g, const char *commit, const char *who, json_t **ret,
                   char *err, size_t err_size);
/* The "git" object of `fwctl status`: branch, HEAD, live commit, drift,
 * the last records (new reference). */
json_t *fw_gitops_status_json(struct fw_gitops *g, size_t max_records);

/* The two above for the control handlers: dm->git, with dm->git_ctx = g. */
extern const struct fw_daemon_git fw_gitops_daemon_ops;

#endif
