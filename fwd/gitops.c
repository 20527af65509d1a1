// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GitOps in the daemon (include/fwd/gitops.h): the repository, the ticks of
 * the loop (polls, health checks, the queue), `fwctl sync` and the status.
 * One commit's way through verification and apply: fwd/gitops_apply.c.
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fwd/signers.h"
#include "gitops_int.h"

uint64_t fw_git_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void fw_git_logf(struct fw_gitops *g, const char *fmt, ...)
{
	char line[768];
	va_list ap;

	if (!g->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	g->log(g->log_ctx, line);
}

void fw_git_live(struct fw_gitops *g, char out[FW_GIT_SHA_LEN + 1], uint64_t *gen)
{
	struct fw_engine_status s;
	struct fw_generation meta;

	out[0] = '\0';
	fw_engine_status(g->engine, &s);
	*gen = s.live;
	if (s.live && fw_state_get(g->state, s.live, &meta) == 0 &&
	    !strncmp(meta.source, "git:", 4) && strlen(meta.source) == 4 + FW_GIT_SHA_LEN)
		memcpy(out, meta.source + 4, FW_GIT_SHA_LEN + 1);
}

/* HEAD against the live generation, in words; "" when they agree. */
static void drift(struct fw_gitops *g, const char *live, char *buf, size_t size)
{
	const struct fw_git_record *r;

	buf[0] = '\0';
	if (!g->st.head[0] || !strcmp(g->st.head, live))
		return;
	r = fw_git_status_find(&g->st, g->st.head);
	if (!r)
		snprintf(buf, size, "HEAD %.12s not applied yet", g->st.head);
	else if (r->state == FW_GIT_QUEUED || r->state == FW_GIT_PENDING)
		snprintf(buf, size, "HEAD %.12s not applied yet: %s (%s)", g->st.head,
		         fw_git_state_name(r->state), r->reason);
	else if (r->state == FW_GIT_APPLIED)
		snprintf(buf, size, "HEAD %.12s was applied, but the live generation is %s",
		         g->st.head, live[0] ? "another commit" : "not from git");
	else
		snprintf(buf, size, "HEAD %.12s not applied: %s (%s)", g->st.head,
		         fw_git_state_name(r->state), r->reason);
}

/* What the status shows besides the records. */
static json_t *extras(struct fw_gitops *g)
{
	char live[FW_GIT_SHA_LEN + 1], dr[700];
	uint64_t gen;

	fw_git_live(g, live, &gen);
	drift(g, live, dr, sizeof(dr));
	return json_pack("{s:s, s:s, s:s, s:s?, s:o, s:I, s:o, s:o, s:o, s:O?, s:b}", "mode",
	                 g->cfg.url ? "follow" : "receive", "repository",
	                 g->cfg.url ? g->cfg.url : g->cfg.receive, "branch", g->cfg.branch, "path",
	                 g->cfg.path, "live_commit", live[0] ? json_string(live) : json_null(),
	                 "live_generation", (json_int_t)gen, "drift",
	                 dr[0] ? json_string(dr) : json_null(), "pending",
	                 g->pending[0] ? json_string(g->pending) : json_null(), "queued",
	                 g->queued[0] ? json_string(g->queued) : json_null(), "sync",
	                 g->sync_result, "fetching", g->fetch.pid != 0);
}

void fw_git_save(struct fw_gitops *g)
{
	json_t *x = extras(g);
	int r = fw_git_status_save(&g->st, x, g->status_path);

	json_decref(x);
	if (r < 0)
		fw_git_logf(g, "%s: %s", g->status_path, strerror(-r));
}

json_t *fw_gitops_status_json(struct fw_gitops *g, size_t max_records)
{
	json_t *o = fw_git_status_to_json(&g->st, max_records), *x = extras(g);

	if (o && x)
		json_object_update(o, x);
	json_decref(x);
	return o;
}

/* Where fwctl is, for the hook: next to fwd, else on $PATH. */
static void find_fwctl(struct fw_gitops *g)
{
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (g->cfg.fwctl) {
		snprintf(g->fwctl, sizeof(g->fwctl), "%s", g->cfg.fwctl);
		return;
	}
	snprintf(g->fwctl, sizeof(g->fwctl), "fwctl");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	if (!(slash = strrchr(self, '/')))
		return;
	snprintf(slash + 1, sizeof(self) - (size_t)(slash + 1 - self), "fwctl");
	if (access(self, X_OK) == 0)
		snprintf(g->fwctl, sizeof(g->fwctl), "%s", self);
}

/* At start: a broken signers file stops fwd rather than every commit. */
static int check_signers(struct fw_gitops *g, char *err, size_t err_size)
{
	struct fw_signers s = {0};
	struct fw_diags w = {0};
	int r = fw_git_signers_read(g->cfg.signers, &s, &w, err, err_size);

	for (size_t i = 0; i < w.n; i++) {
		char *line = fw_diag_format(&w.v[i]);
		fw_git_logf(g, "%s", line ? line : w.v[i].msg);
		free(line);
	}
	if (r == 0 && s.n == 0) {
		snprintf(err, err_size,
		         "trusted signers %s: no ssh-ed25519 key: no commit could "
		         "ever be applied",
		         g->cfg.signers);
		r = -EINVAL;
	} else if (r == 0) {
		fw_git_logf(g, "%zu trusted signer key%s in %s", s.n, s.n == 1 ? "" : "s",
		            g->cfg.signers);
	}
	fw_signers_free(&s);
	fw_diags_free(&w);
	return r;
}

/* At start too: a gpg keys file that trusts nobody stops fwd. */
static int check_gpg_keys(struct fw_gitops *g, char *err, size_t err_size)
{
	size_t n = 0;
	int r = fw_git_gpg_start(g->cfg.gpg_keys, g->dir, &n, err, err_size);

	if (r == 0)
		fw_git_logf(g, "%zu trusted gpg key%s in %s", n, n == 1 ? "" : "s",
		            g->cfg.gpg_keys);
	return r;
}

/* fwd stopped while a commit was checked or waited. The engine booted the
 * checked commit's generation (live, unconfirmed): its checks start again,
 * with its parent generation as the rollback target. What waited is
 * decided again from the branch's tip. */
static void resume(struct fw_gitops *g)
{
	char live[FW_GIT_SHA_LEN + 1];
	struct fw_generation meta;
	uint64_t gen;

	fw_git_live(g, live, &gen);
	for (size_t i = 0; i < g->st.n; i++) {
		struct fw_git_record *r = &g->st.rec[i];
		if (r->state == FW_GIT_QUEUED) {
			r->state = FW_GIT_SUPERSEDED;
			snprintf(r->reason, sizeof(r->reason), "fwd stopped before it was applied");
		} else if (r->state != FW_GIT_PENDING) {
			continue;
		} else if (!g->pending[0] && !strcmp(r->commit, live) && r->generation == gen &&
		           fw_state_get(g->state, gen, &meta) == 0) {
			fw_git_logf(g, "%.12s: health checks start again (fwd restarted)",
			            r->commit);
			fw_git_start_checks(g, r, meta.parent, false);
		} else {
			r->state = FW_GIT_FAILED;
			snprintf(r->reason, sizeof(r->reason),
			         "fwd stopped during its health checks, and it is no longer live");
		}
	}
}

/* A probe that cannot even open its socket (a sandbox without AF_INET)
 * would roll back every commit: say so at start instead. */
static int check_probes(const struct fw_gitops *g, char *err, size_t err_size)
{
	for (size_t i = 0; i < g->cfg.n_probes; i++) {
		int fd = socket(g->cfg.probes[i].family == 4 ? AF_INET : AF_INET6,
		                SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			int e = errno;
			snprintf(
			    err, err_size,
			    "--git-probe %s: cannot open a tcp socket (%s): does the service's "
			    "RestrictAddressFamilies= allow AF_INET and AF_INET6?",
			    g->cfg.probes[i].text, strerror(e));
			return -e;
		}
		close(fd);
	}
	return 0;
}

int fw_gitops_new(const struct fw_git_config *c, struct fw_state *state, struct fw_engine *engine,
                  fw_git_log_fn log, void *log_ctx, struct fw_gitops **ret, char *err,
                  size_t err_size)
{
	struct fw_gitops *g = calloc(1, sizeof(*g));
	int r;

	if (!g)
		return -ENOMEM;
	git_libgit2_init();
	if (sodium_init() < 0) {
		snprintf(err, err_size, "libsodium cannot be initialised");
		r = -EIO;
		goto fail;
	}
	g->cfg = *c;
	if (!g->cfg.branch)
		g->cfg.branch = "main";
	if (!g->cfg.has_interval)
		g->cfg.interval = 60;
	if (!g->cfg.has_confirm)
		g->cfg.confirm = 60;
	if (!g->cfg.has_fetch_timeout)
		g->cfg.fetch_timeout = 300;
	if (!g->cfg.has_fetch_max)
		g->cfg.fetch_max_mib = 256;
	g->fetch.fd = -1;
	g->state = state;
	g->engine = engine;
	g->log = log;
	g->log_ctx = log_ctx;
	snprintf(g->dir, sizeof(g->dir), "%s/gitops", c->state_dir);
	snprintf(g->status_path, sizeof(g->status_path), "%s/status.json", g->dir);
	if (mkdir(g->dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(err, err_size, "%s: %s", g->dir, strerror(-r));
		goto fail;
	}
	if ((r = fw_git_status_load(g->status_path, &g->st)) < 0) {
		snprintf(err, err_size, "%s: %s", g->status_path, strerror(-r));
		goto fail;
	}
	if ((c->signers && (r = check_signers(g, err, err_size)) < 0) ||
	    (c->gpg_keys && (r = check_gpg_keys(g, err, err_size)) < 0) ||
	    (r = check_probes(g, err, err_size)) < 0)
		goto fail;
	snprintf(g->mirror, sizeof(g->mirror), "%s/mirror.git", g->dir);
	if ((r = fw_git_repo_open(c->url ? g->mirror : c->receive, &g->repo, err, err_size)) < 0)
		goto fail;
	find_fwctl(g);
	/* The hook runs in the repository's directory: an absolute path. */
	if (!c->socket || !realpath(c->socket, g->socket))
		snprintf(g->socket, sizeof(g->socket), "%s", c->socket ? c->socket : "");
	if (c->receive && (r = fw_git_hook_install(g->repo, g->cfg.branch, g->fwctl, g->socket, err,
	                                           err_size)) < 0)
		goto fail;
	resume(g);
	*ret = g;
	return 0;
fail:
	fw_gitops_free(g);
	return r;
}

void fw_gitops_free(struct fw_gitops *g)
{
	if (!g)
		return;
	for (size_t i = 0; g->pending[0] && i < g->cfg.n_probes; i++)
		fw_git_probe_stop(&g->probes[i]);
	fw_git_fetch_stop(&g->fetch);
	json_decref(g->sync_result);
	git_repository_free(g->repo);
	free(g);
	git_libgit2_shutdown();
}

/* Follow mode: the remote branch into the mirror, in a child process;
 * `sync` is the `fwctl sync` it serves (0: a poll). */
static int fetch_start(struct fw_gitops *g, uint64_t sync, char *err, size_t err_size)
{
	const struct fw_git_fetch_spec spec = {
	    .repo_path = g->mirror,
	    .url = g->cfg.url,
	    .branch = g->cfg.branch,
	    .ssh_key = g->cfg.ssh_key,
	    .max_bytes = (size_t)g->cfg.fetch_max_mib << 20,
	    .timeout_s = g->cfg.fetch_timeout,
	};
	int r = fw_git_fetch_start(&spec, fw_git_now_ms(), &g->fetch, err, err_size);

	if (r < 0) {
		snprintf(g->st.fetch_error, sizeof(g->st.fetch_error), "%s", err);
		fw_git_logf(g, "%s", err);
		return r;
	}
	g->fetch_sync = sync;
	return 0;
}

/* The branch's tip, remembered as HEAD. */
static int tip(struct fw_gitops *g, git_oid *ret, char *err, size_t err_size)
{
	int r = fw_git_tip(g->repo, g->cfg.branch, ret);

	if (r < 0) {
		snprintf(err, err_size, "branch %s not found in %s", g->cfg.branch,
		         g->cfg.url ? g->cfg.url : g->cfg.receive);
		return r;
	}
	git_oid_tostr(g->st.head, sizeof(g->st.head), ret);
	return 0;
}

static int named_commit(struct fw_gitops *g, const char *commit, const git_oid *head, char *err,
                        size_t err_size);

/* The tip goes its way; for a sync, decided anew and --commit checked.
 * 0 and the record (NULL when there is no tip: nothing pushed yet), or
 * -errno and why. */
static int take_tip(struct fw_gitops *g, bool sync, const char *commit, struct fw_git_record **ret,
                    char *err, size_t err_size)
{
	git_oid id;
	int r = tip(g, &id, err, err_size);

	*ret = NULL;
	if (r < 0)
		return sync ? r : 0; /* a poll of an empty repository: nothing to do */
	if (commit && (r = named_commit(g, commit, &id, err, err_size)) < 0)
		return r;
	*ret = fw_git_consider(g, &id, sync);
	return *ret ? 0 : -ENOMEM;
}

/* The outcome of sync number `id`, for the fwctl that waits for it. */
static void sync_decided(struct fw_gitops *g, uint64_t id, int r, const struct fw_git_record *rec,
                         const char *err)
{
	json_t *o;

	if (r < 0 || !rec)
		o = json_pack("{s:I, s:{s:s, s:s}}", "id", (json_int_t)id, "error", "code",
		              fwp_errno_name(r < 0 ? r : -ENOMEM), "message", r < 0 ? err : "");
	else
		o = json_pack("{s:I, s:o}", "id", (json_int_t)id, "record",
		              fw_git_record_json(rec));
	if (!o)
		return; /* out of memory: fwctl sees no decision and says so */
	json_decref(g->sync_result);
	g->sync_result = o;
	g->sync_done = id;
}

/* The child's fetch ended: the tip goes its way (a failed fetch is the
 * sync's answer), then a sync asked meanwhile gets a fetch of its own. */
static void fetched(struct fw_gitops *g, int result, const char *fetch_err)
{
	uint64_t sync = g->fetch_sync;
	struct fw_git_record *rec = NULL;
	char err[512];
	int r = result;

	g->fetch_sync = 0;
	if (result < 0) {
		snprintf(g->st.fetch_error, sizeof(g->st.fetch_error), "%s", fetch_err);
		fw_git_logf(g, "%s", fetch_err);
		snprintf(err, sizeof(err), "%s", fetch_err);
	} else {
		g->st.fetched = time(NULL);
		g->st.fetch_error[0] = '\0';
		r = take_tip(g, sync != 0, sync && g->sync_commit[0] ? g->sync_commit : NULL, &rec,
		             err, sizeof(err));
	}
	if (sync)
		sync_decided(g, sync, r, rec, err);
	if (g->sync_asked > g->sync_done && !g->fetch.pid &&
	    fetch_start(g, g->sync_asked, err, sizeof(err)) < 0)
		sync_decided(g, g->sync_asked, -EIO, NULL, err);
	fw_git_save(g);
}

/* A poll: follow mode fetches (the tip goes its way when the fetch has
 * ended), receive mode looks at the tip at once. */
static void poll_tip(struct fw_gitops *g)
{
	struct fw_git_record *rec;
	char err[512];

	if (g->cfg.url) {
		if (!g->fetch.pid && fetch_start(g, 0, err, sizeof(err)) < 0)
			fw_git_save(g);
		return;
	}
	(void)take_tip(g, false, NULL, &rec, err, sizeof(err));
	fw_git_save(g);
}

void fw_gitops_tick(struct fw_gitops *g)
{
	uint64_t now = fw_git_now_ms();
	struct fw_engine_status s;
	char err[512];
	int result;

	if (g->fetch.pid &&
	    fw_git_fetch_poll(&g->fetch, now, g->cfg.url, &result, err, sizeof(err)) == 1)
		fetched(g, result, err);
	if (g->pending[0])
		fw_git_check_pending(g);
	fw_engine_status(g->engine, &s);
	if (!g->pending[0] && !s.pending && g->queued[0]) {
		git_oid id;
		int r = git_oid_fromstr(&id, g->queued);
		g->queued[0] = '\0';
		if (r == 0)
			(void)fw_git_consider(g, &id, true);
	}
	if (!g->started || (g->cfg.interval && now >= g->next_poll_ms)) {
		g->started = true;
		poll_tip(g);
		g->next_poll_ms = fw_git_now_ms() + (uint64_t)g->cfg.interval * 1000u;
	}
}

int fw_gitops_timeout_ms(const struct fw_gitops *g, int max_ms)
{
	/* Probes connect in the background and a fetch ends in its child:
	 * look at them often. */
	if ((g->pending[0] || g->fetch.pid) && max_ms > 50)
		return 50;
	return max_ms;
}

/* `--commit SHA`: the pushed commit. Normally the tip; when another push
 * came after it, the tip wins and SHA is superseded. */
static int named_commit(struct fw_gitops *g, const char *commit, const git_oid *head, char *err,
                        size_t err_size)
{
	struct fw_git_record *r;
	git_commit *c = NULL;
	git_oid id;
	char h[FW_GIT_SHA_LEN + 1];

	if (strlen(commit) != FW_GIT_SHA_LEN || git_oid_fromstr(&id, commit) < 0 ||
	    git_commit_lookup(&c, g->repo, &id) < 0) {
		snprintf(err, err_size, "commit %.40s is not in the repository", commit);
		return -ENOENT;
	}
	git_commit_free(c);
	if (git_oid_equal(&id, head))
		return 0;
	git_oid_tostr(h, sizeof(h), head);
	if (git_graph_descendant_of(g->repo, head, &id) == 1) {
		r = fw_git_status_find(&g->st, commit);
		if (!r) {
			r = fw_git_status_add(&g->st, commit);
			r->state = FW_GIT_QUEUED;
		}
		/* a decided commit keeps its outcome */
		if (r->state == FW_GIT_QUEUED) {
			r->state = FW_GIT_SUPERSEDED;
			snprintf(r->reason, sizeof(r->reason),
			         "superseded by %.12s (pushed after it)", h);
		}
		return 0;
	}
	snprintf(err, err_size, "commit %.12s is not on branch %s (its tip is %.12s)", commit,
	         g->cfg.branch, h);
	return -EINVAL;
}

int fw_gitops_sync(struct fw_gitops *g, const char *commit, const char *who, json_t **ret,
                   char *err, size_t err_size)
{
	struct fw_git_record *r;
	json_t *o, *x;
	int e;

	fw_git_logf(g, "sync%s%s by %s", commit ? " of " : "", commit ? commit : "", who);
	if (g->cfg.url) {
		/* follow mode: the answer is the sync's number; fwctl watches
		 * the status until it is decided (a fetch takes its time) */
		if (commit && strlen(commit) != FW_GIT_SHA_LEN) {
			snprintf(err, err_size, "commit %.40s is not in the repository", commit);
			return -ENOENT;
		}
		snprintf(g->sync_commit, sizeof(g->sync_commit), "%s", commit ? commit : "");
		g->sync_asked++;
		/* a running fetch may have started before the push: the sync
		 * gets a fetch of its own once that one has ended */
		if (!g->fetch.pid && (e = fetch_start(g, g->sync_asked, err, err_size)) < 0) {
			g->sync_asked--;
			fw_git_save(g);
			return e;
		}
		o = json_pack("{s:s, s:I}", "state", "fetching", "sync", (json_int_t)g->sync_asked);
		if (!o)
			return -ENOMEM;
		*ret = o;
		return 0;
	}
	if ((e = take_tip(g, true, commit, &r, err, err_size)) < 0) {
		fw_git_save(g);
		return e;
	}
	fw_git_save(g);
	o = fw_git_record_json(r);
	x = extras(g);
	if (o && x)
		json_object_update(o, x);
	json_decref(x);
	if (!o)
		return -ENOMEM;
	*ret = o;
	return 0;
}

/* The handlers' view (fwd/handlers_gitops.c). */
static int daemon_sync(void *ctx, const char *commit, const char *who, json_t **ret, char *err,
                       size_t err_size)
{
	return fw_gitops_sync(ctx, commit, who, ret, err, err_size);
}

static json_t *daemon_status(void *ctx)
{
	return fw_gitops_status_json(ctx, 10);
}

const struct fw_daemon_git fw_gitops_daemon_ops = {daemon_sync, daemon_status};
