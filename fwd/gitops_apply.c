// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One commit on its way to the kernel: verified, read, applied through the
 * engine like `fwctl apply`, then health-checked with commit-confirm
 * semantics (include/fwd/gitops.h). Each step that stops it says why in
 * the commit's record, the audit log and the daemon's log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitops_int.h"

/* The engine's own window outlasts ours: gitops decides, the engine's
 * timer only stands in if fwd stops deciding. */
#define ENGINE_SLACK_S 10

/* Records go into JSON: make a cut-off or foreign string valid UTF-8
 * without control characters. */
static void sanitize(char *s)
{
	size_t len = strlen(s), bad;
	bool nul;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
	while ((bad = fw_git_text_check(s, len, &nul)) != 0)
		s[bad - 1] = '?';
}

static void set_reason(struct fw_git_record *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_reason(struct fw_git_record *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	sanitize(r->reason);
}

/* The first errors, "file:line:col: message; ...; and N more". */
static void diags_reason(const struct fw_diags *d, char *buf, size_t size)
{
	size_t shown = 0, len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n && shown < 3; i++) {
		const struct fw_diag *x = &d->v[i];
		if (x->sev != FW_SEV_ERROR)
			continue;
		if (!x->loc.file)
			snprintf(buf + len, size - len, "%s%s", shown ? "; " : "", x->msg);
		else if (!x->loc.line)
			snprintf(buf + len, size - len, "%s%s: %s", shown ? "; " : "", x->loc.file,
			         x->msg);
		else
			snprintf(buf + len, size - len, "%s%s:%u:%u: %s", shown ? "; " : "",
			         x->loc.file, x->loc.line, x->loc.col, x->msg);
		len = strlen(buf);
		shown++;
	}
	if (d->n_errors > shown)
		snprintf(buf + len, size - len, "; and %zu more", d->n_errors - shown);
}

static void meta_for(const struct fw_git_record *r, char *source, size_t size,
                     struct fw_state_meta *ret)
{
	snprintf(source, size, "git:%s", r->commit);
	*ret = (struct fw_state_meta){.who = r->signer[0] ? r->signer : "gitops",
	                              .uid = 0,
	                              .source = source,
	                              .comment = r->subject};
}

/* A final state: recorded, audited ("git-" + state), logged, saved. */
static void conclude(struct fw_gitops *g, struct fw_git_record *r, enum fw_git_state state)
{
	char source[64], event[32];
	struct fw_state_meta meta;

	r->state = state;
	r->time = time(NULL);
	meta_for(r, source, sizeof(source), &meta);
	snprintf(event, sizeof(event), "git-%s", fw_git_state_name(state));
	(void)fw_state_audit(g->state, event, &meta, r->generation,
	                     r->reason[0] ? r->reason : NULL);
	if (state == FW_GIT_APPLIED) {
		snprintf(g->st.last_applied, sizeof(g->st.last_applied), "%s", r->commit);
		fw_git_logf(g, "%.12s applied: generation %llu", r->commit,
		            (unsigned long long)r->generation);
	} else {
		fw_git_logf(g, "%.12s %s: %s", r->commit, fw_git_state_name(state), r->reason);
	}
	fw_git_save(g);
}

/* A fresh record for commit: an old one of the same commit goes (the
 * decision is made again, and the newest record is the one that counts). */
static struct fw_git_record *fresh_record(struct fw_gitops *g, const git_oid *id)
{
	char sha[FW_GIT_SHA_LEN + 1];
	struct fw_git_record *r;
	git_commit *c = NULL;
	size_t size;

	git_oid_tostr(sha, sizeof(sha), id);
	if ((r = fw_git_status_find(&g->st, sha))) {
		size_t i = (size_t)(r - g->st.rec);
		memmove(&g->st.rec[i], &g->st.rec[i + 1], (g->st.n - i - 1) * sizeof(*r));
		g->st.n--;
	}
	r = fw_git_status_add(&g->st, sha);
	/* a commit too large to parse is refused before anything reads it */
	if (fw_git_object_size(g->repo, id, GIT_OBJECT_COMMIT, &size) == 0 &&
	    size <= FW_GIT_MAX_COMMIT && git_commit_lookup(&c, g->repo, id) == 0 &&
	    git_commit_summary(c)) {
		snprintf(r->subject, sizeof(r->subject), "%s", git_commit_summary(c));
		sanitize(r->subject);
	}
	git_commit_free(c);
	return r;
}

static void clear_pending(struct fw_gitops *g)
{
	for (size_t i = 0; i < g->cfg.n_probes; i++)
		fw_git_probe_stop(&g->probes[i]);
	g->pending[0] = '\0';
	g->pending_gen = g->pending_prev = 0;
}

/* The health checks failed: the previous generation comes back. */
static void roll_back(struct fw_gitops *g, struct fw_git_record *r, const char *why)
{
	struct fw_apply_opts o = {0};
	struct fw_apply_result res;
	struct fw_diags d = {0};
	struct fw_state_meta meta;
	char source[64], err[256];
	uint64_t prev = g->pending_prev;
	int e;

	clear_pending(g);
	meta_for(r, source, sizeof(source), &meta);
	if (!prev) {
		/* The first policy ever: nothing to go back to. */
		(void)fw_engine_confirm(g->engine, &meta);
		set_reason(r, "%s; no earlier generation to restore: it stays live", why);
		conclude(g, r, FW_GIT_FAILED);
		return;
	}
	e = fw_engine_rollback_opts(g->engine, prev, &meta, &o, &d, &res);
	if (e < 0) {
		diags_reason(&d, err, sizeof(err));
		set_reason(r, "%s; restoring generation %llu failed: %s", why,
		           (unsigned long long)prev, err[0] ? err : strerror(-e));
		conclude(g, r, FW_GIT_FAILED);
	} else {
		set_reason(r, "%s", why);
		conclude(g, r, FW_GIT_ROLLED_BACK);
	}
	fw_diags_free(&d);
}

void fw_git_check_pending(struct fw_gitops *g)
{
	struct fw_git_record *r = fw_git_status_find(&g->st, g->pending);
	struct fw_engine_status s;
	uint64_t now = fw_git_now_ms();
	bool all = true;
	char err[128];

	if (!r) { /* cannot happen: the record of a pending commit is kept */
		clear_pending(g);
		return;
	}
	fw_engine_status(g->engine, &s);
	if (g->engine_window ? s.pending != g->pending_gen : s.live != g->pending_gen) {
		/* Somebody decided with fwctl confirm, rollback or apply. */
		bool live = s.live == g->pending_gen;
		clear_pending(g);
		set_reason(r, live ? "confirmed with fwctl confirm before the health checks passed"
		                   : "another generation was made live during the health checks "
		                     "(fwctl apply or rollback, or the engine's window closed)");
		conclude(g, r, live ? FW_GIT_APPLIED : FW_GIT_ROLLED_BACK);
		return;
	}
	for (size_t i = 0; i < g->cfg.n_probes; i++)
		if (!fw_git_probe_step(&g->probes[i], now))
			all = false;
	if (all) {
		struct fw_state_meta meta;
		char source[64];
		meta_for(r, source, sizeof(source), &meta);
		(void)fw_engine_confirm(g->engine, &meta);
		clear_pending(g);
		r->reason[0] = '\0';
		conclude(g, r, FW_GIT_APPLIED);
		return;
	}
	if (now < g->deadline_ms)
		return;
	for (size_t i = 0; i < g->cfg.n_probes; i++)
		if (g->probes[i].result != 1) {
			char why[200];
			snprintf(why, sizeof(why), "probe %s failed: %s", g->cfg.probes[i].text,
			         fw_git_probe_error(g->probes[i].result, err, sizeof(err)));
			roll_back(g, r, why);
			return;
		}
}

void fw_git_start_checks(struct fw_gitops *g, struct fw_git_record *r, uint64_t previous,
                         bool engine_window)
{
	snprintf(g->pending, sizeof(g->pending), "%s", r->commit);
	g->pending_gen = r->generation;
	g->pending_prev = previous;
	g->engine_window = engine_window;
	g->deadline_ms = fw_git_now_ms() + (uint64_t)g->cfg.confirm * 1000u;
	for (size_t i = 0; i < g->cfg.n_probes; i++)
		g->probes[i] = (struct fw_git_probe){&g->cfg.probes[i], -1, 0, 0};
	r->state = FW_GIT_PENDING;
	set_reason(r, "health checks for up to %u s", g->cfg.confirm);
	fw_git_save(g);
	fw_git_check_pending(g); /* a probe may connect at once */
}

/* Verified and read: through the engine, then the checks. */
static void apply(struct fw_gitops *g, struct fw_git_record *r, const struct fw_git_files *files)
{
	bool checks = g->cfg.has_mgmt || g->cfg.n_probes;
	struct fw_apply_opts o = {
	    .confirm_seconds = checks ? g->cfg.confirm + ENGINE_SLACK_S : 0,
	    .origin = g->cfg.has_mgmt ? &g->cfg.mgmt : NULL,
	};
	struct fw_apply_result res;
	struct fw_engine_status before;
	struct fw_state_meta meta;
	struct fw_diags d = {0};
	char source[64], why[400];
	int e;

	fw_engine_status(g->engine, &before);
	meta_for(r, source, sizeof(source), &meta);
	e = fw_engine_apply_opts(g->engine, files->v, files->n, &meta, &o, &d, &res);
	diags_reason(&d, why, sizeof(why));
	fw_diags_free(&d);
	if (e == -EINVAL || e == -EPERM) {
		set_reason(r, "%s%s", e == -EINVAL ? "policy errors: " : "", why);
		conclude(g, r, FW_GIT_REFUSED);
		return;
	}
	if (e < 0) {
		set_reason(r, "apply failed: %s", why[0] ? why : strerror(-e));
		conclude(g, r, FW_GIT_FAILED);
		return;
	}
	r->generation = res.generation;
	if (!checks) {
		conclude(g, r, FW_GIT_APPLIED);
		return;
	}
	g->pending_prev = before.live;
	snprintf(g->pending, sizeof(g->pending), "%s", r->commit);
	g->pending_gen = res.generation;
	/* The management path: what the lockout guard found while the
	 * window let the change through. */
	if (res.reason[0]) {
		snprintf(why, sizeof(why), "management path: %s", res.reason);
		roll_back(g, r, why);
		return;
	}
	fw_git_start_checks(g, r, before.live, true);
}

/* Signature, ancestry, files: 0, or the record is concluded refused. */
static int verify_and_read(struct fw_gitops *g, struct fw_git_record *r, const git_oid *id,
                           struct fw_git_files *files)
{
	const struct fw_git_trust trust = {
	    .signers = g->cfg.signers, .gpg_keys = g->cfg.gpg_keys, .work_dir = g->dir};
	char why[400], live[FW_GIT_SHA_LEN + 1];
	struct fw_diags d = {0};
	uint64_t gen;
	git_oid base;
	size_t size;
	int e;

	/* libgit2 reads a commit whole, for its signature too */
	if (fw_git_object_size(g->repo, id, GIT_OBJECT_COMMIT, &size) == 0 &&
	    size > FW_GIT_MAX_COMMIT) {
		set_reason(r, "the commit object has %zu bytes: more than %u MiB", size,
		           FW_GIT_MAX_COMMIT >> 20);
		conclude(g, r, FW_GIT_REFUSED);
		return -EINVAL;
	}
	if ((trust.signers || trust.gpg_keys) &&
	    fw_git_verify_signature(g->repo, id, &trust, r->signer, sizeof(r->signer), why,
	                            sizeof(why)) < 0) {
		set_reason(r, "%s", why);
		conclude(g, r, FW_GIT_REFUSED);
		return -EPERM;
	}
	sanitize(r->signer);
	fw_git_live(g, live, &gen);
	if (!live[0])
		snprintf(live, sizeof(live), "%s", g->st.last_applied);
	if (live[0] && !g->cfg.allow_rewind && git_oid_fromstr(&base, live) == 0 &&
	    fw_git_verify_descendant(g->repo, id, &base, why, sizeof(why)) < 0) {
		set_reason(r, "%s", why);
		conclude(g, r, FW_GIT_REFUSED);
		return -EPERM;
	}
	e = fw_git_tree_read(g->repo, id, g->cfg.path, &d, files);
	if (e < 0) {
		diags_reason(&d, why, sizeof(why));
		set_reason(r, "%s", why[0] ? why : strerror(-e));
		conclude(g, r, FW_GIT_REFUSED);
	}
	fw_diags_free(&d);
	return e;
}

/* Another change is being checked or waits for confirm: this one waits. */
static struct fw_git_record *enqueue(struct fw_gitops *g, const git_oid *id, const char *why)
{
	struct fw_git_record *old, *r;
	char sha[FW_GIT_SHA_LEN + 1];

	git_oid_tostr(sha, sizeof(sha), id);
	if (g->queued[0] && strcmp(g->queued, sha) &&
	    (old = fw_git_status_find(&g->st, g->queued)) && old->state == FW_GIT_QUEUED) {
		set_reason(old, "superseded by %.12s before it was applied", sha);
		conclude(g, old, FW_GIT_SUPERSEDED);
	}
	r = fresh_record(g, id);
	r->state = FW_GIT_QUEUED;
	set_reason(r, "%s", why);
	snprintf(g->queued, sizeof(g->queued), "%s", sha);
	fw_git_save(g);
	return r;
}

struct fw_git_record *fw_git_consider(struct fw_gitops *g, const git_oid *id, bool again)
{
	char sha[FW_GIT_SHA_LEN + 1], live[FW_GIT_SHA_LEN + 1], why[128];
	struct fw_git_files files = {0};
	struct fw_engine_status s;
	struct fw_git_record *r;
	uint64_t gen;

	git_oid_tostr(sha, sizeof(sha), id);
	r = fw_git_status_find(&g->st, sha);
	fw_git_live(g, live, &gen);
	if (!strcmp(sha, live) || !strcmp(sha, g->pending) || !strcmp(sha, g->queued)) {
		if (!r) { /* live, but the status was lost */
			r = fresh_record(g, id);
			r->state = FW_GIT_APPLIED;
			r->generation = gen;
			fw_git_save(g);
		}
		return r;
	}
	/* Decided before on its merits: a poll does not try it again (fwctl
	 * sync does). Queued or superseded ones were never decided. */
	if (r && !again && r->state != FW_GIT_QUEUED && r->state != FW_GIT_SUPERSEDED)
		return r;
	fw_engine_status(g->engine, &s);
	if (g->pending[0] || s.pending) {
		if (g->pending[0])
			snprintf(why, sizeof(why), "waits for the health checks of %.12s",
			         g->pending);
		else
			snprintf(why, sizeof(why), "waits for generation %llu to be confirmed",
			         (unsigned long long)s.pending);
		return enqueue(g, id, why);
	}
	r = fresh_record(g, id);
	if (verify_and_read(g, r, id, &files) == 0)
		apply(g, r, &files);
	fw_git_files_free(&files);
	return r;
}
