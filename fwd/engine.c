// SPDX-License-Identifier: GPL-2.0-or-later
/* Generations, commit-confirm and rollback (the states: fwd/engine.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/change.h"
#include "fwd/engine.h"
#include "fwd/expect.h"
#include "fwd/flowcheck.h"

struct fw_engine {
	struct fw_state *state;
	struct fw_backend backend;
	struct fw_policy *policy; /* the live generation's */
	struct fw_plan *plan;
	uint64_t live, pending, previous;
	time_t deadline;
	fw_revoke_fn revoke; /* NULL: nothing to cut (tests, no conntrack) */
	void *revoke_ctx;
	time_t drift_checked, drift_found;
	uint64_t drift_repairs;
	char drift_detail[FW_DRIFT_DETAIL];
	size_t keep_history; /* 0: keep every generation */
	/* what every policy load gets (VPN address pins); NULL: none */
	const struct fw_load_opts *load_opts;
};

static const struct fw_state_meta engine_meta = {.who = "fwd", .uid = 0, .source = "timer"};

int fw_engine_new(struct fw_state *state, const struct fw_backend *backend, struct fw_engine **ret)
{
	struct fw_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->state = state;
	e->backend = *backend;
	*ret = e;
	return 0;
}

void fw_engine_set_history_limit(struct fw_engine *e, size_t keep)
{
	e->keep_history = keep;
}

/* Old generations go once nothing can roll back to them implicitly: never
 * while a change waits for confirm (its rollback target may be old). The
 * live one always stays (fw_state_prune). A failure costs only disk. */
static void prune_history(struct fw_engine *e)
{
	if (e->keep_history && !e->pending)
		(void)fw_state_prune(e->state, e->keep_history);
}

void fw_engine_set_load_opts(struct fw_engine *e, const struct fw_load_opts *opts)
{
	e->load_opts = opts;
}

const struct fw_load_opts *fw_engine_load_opts(const struct fw_engine *e)
{
	return e->load_opts;
}

void fw_engine_set_revoke(struct fw_engine *e, fw_revoke_fn fn, void *ctx)
{
	e->revoke = fn;
	e->revoke_ctx = ctx;
}

void fw_engine_free(struct fw_engine *e)
{
	if (!e)
		return;
	plan_free(e->plan);
	policy_free(e->policy);
	free(e);
}

/* One line summarising the diagnostics' errors, for the audit log. */
static char *first_errors(const struct fw_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	size_t shown = 0;

	if (!f)
		return NULL;
	for (size_t i = 0; i < d->n && shown < 3; i++) {
		if (d->v[i].sev != FW_SEV_ERROR)
			continue;
		char *s = fw_diag_format(&d->v[i]);
		fprintf(f, "%s%s", shown ? "; " : "", s ? s : "?");
		free(s);
		shown++;
	}
	if (d->n_errors > shown)
		fprintf(f, "; and %zu more", d->n_errors - shown);
	fclose(f);
	return buf;
}

static void audit_failure(struct fw_engine *e, const char *event, const struct fw_state_meta *who,
                          uint64_t gen, const struct fw_diags *d)
{
	char *detail = first_errors(d);

	/* The audit log must not fail the operation it describes. */
	(void)fw_state_audit(e->state, event, who, gen, detail);
	free(detail);
}

/* Load a recorded generation's policy and compile it. */
static int load_generation(struct fw_engine *e, uint64_t gen, struct fw_diags *d,
                           struct fw_policy **ret_p, struct fw_plan **ret_plan)
{
	char *dir = NULL;
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	int r = fw_state_policy_dir(e->state, gen, &dir);

	if (r < 0)
		return r;
	const char *paths[] = {dir};
	r = policy_load_paths_opts(paths, 1, e->load_opts, d, &p);
	free(dir);
	if (r == 0)
		r = plan_compile(p, d, &plan);
	if (r < 0) {
		policy_free(p);
		return r;
	}
	*ret_p = p;
	*ret_plan = plan;
	return 0;
}

/* The new plan is in the kernel: connections the old one let in and the
 * new one would not must not live on through "ct state established". */
static void revoke_changed(struct fw_engine *e, const struct fw_policy *p,
                           const struct fw_plan *plan, struct fw_apply_result *res)
{
	char *a, *b;
	bool same;

	if (!e->revoke || !e->plan)
		return;
	a = plan_render(e->plan);
	b = plan_render(plan);
	/* Out of memory: compare nothing and look anyway; revoking under an
	 * unchanged plan cuts nothing. */
	same = a && b && !strcmp(a, b) && vpn_plan_equal(&e->plan->vpn, &plan->vpn);
	free(a);
	free(b);
	if (same)
		return;
	res->revoke_ran = true;
	res->revoke_error = e->revoke(e->revoke_ctx, e->policy, e->plan, p, plan, &res->revoke);
}

/* Load the plan in the kernel, then make it the live generation. */
static int make_live(struct fw_engine *e, uint64_t gen, struct fw_policy *p, struct fw_plan *plan,
                     struct fw_diags *d, struct fw_apply_result *res)
{
	int r = e->backend.apply(e->backend.ctx, e->plan, plan, d);

	if (r == 0)
		r = fw_state_set_current(e->state, gen);
	if (r < 0) {
		plan_free(plan);
		policy_free(p);
		return r;
	}
	if (res)
		revoke_changed(e, p, plan, res);
	plan_free(e->plan);
	policy_free(e->policy);
	e->policy = p;
	e->plan = plan;
	e->live = gen;
	return 0;
}

int fw_engine_boot(struct fw_engine *e, struct fw_diags *diags)
{
	struct fw_policy *p;
	struct fw_plan *plan;
	uint64_t gen;
	int r = fw_state_current(e->state, &gen);

	if (r == -ENOENT)
		return 0; /* nothing applied yet: the base policy of the unit stays */
	if (r < 0)
		return r;
	if ((r = load_generation(e, gen, diags, &p, &plan)) < 0)
		return r;
	r = make_live(e, gen, p, plan, diags, NULL);
	(void)fw_state_audit(e->state, r < 0 ? "boot-failed" : "boot", &engine_meta, gen, NULL);
	return r;
}

/* The lockout guard: 1 (and the reason) when the candidate cuts the origin's
 * management access; 0 when it does not or nothing tells where it is. */
static int guard(struct fw_engine *e, const struct fw_policy *p, const struct fw_plan *plan,
                 const struct fw_apply_opts *o, struct fw_apply_result *res)
{
	int r;

	if (!o->origin || !e->plan)
		return 0;
	r = policy_mgmt_lost(e->policy, e->plan, p, plan, o->origin, res->reason,
	                     sizeof(res->reason));
	if (r > 0)
		res->forced = o->force;
	else
		res->reason[0] = '\0';
	return r;
}

/* Refused by the guard: says why in diags and the audit log. */
static int refuse(struct fw_engine *e, const struct fw_state_meta *who, uint64_t gen,
                  const char *reason, const char *hint, struct fw_diags *diags)
{
	fw_error(diags, NULL, "%s (%s)", reason, hint);
	(void)fw_state_audit(e->state, "refused", who, gen, reason);
	return -EPERM;
}

/* The audit detail of a change: what the guard overrode, what was cut. */
static char *change_detail(const struct fw_apply_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!res->reason[0] && !res->revoke_ran)
		return NULL;
	if (!(f = open_memstream(&buf, &len)))
		return NULL;
	if (res->reason[0])
		fprintf(f, "%s: %s", res->forced ? "forced" : "in a confirm window", res->reason);
	if (res->revoke_ran) {
		fprintf(f, "%s", res->reason[0] ? "; " : "");
		if (res->revoke_error < 0)
			fprintf(f, "revoking connections failed: %s", strerror(-res->revoke_error));
		else
			fprintf(f, "revoked %zu connection%s", res->revoke.revoked,
			        res->revoke.revoked == 1 ? "" : "s");
		if (res->revoke.failed)
			fprintf(f, ", %zu could not be deleted", res->revoke.failed);
		if (res->revoke.capped)
			fprintf(f, " (stopped after %zu: the limit)", res->revoke.examined);
	}
	fclose(f);
	return buf;
}

static void audit_change(struct fw_engine *e, const char *event, const struct fw_state_meta *who,
                         uint64_t gen, const struct fw_apply_result *res)
{
	char *detail = change_detail(res);

	(void)fw_state_audit_summary(e->state, event, who, gen, detail,
	                             res->access[0] ? res->access : NULL);
	free(detail);
}

int fw_engine_apply(struct fw_engine *e, const struct fw_policy_source *files, size_t n_files,
                    const struct fw_state_meta *who, uint32_t confirm_seconds,
                    struct fw_diags *diags, uint64_t *ret_generation)
{
	struct fw_apply_opts o = {.confirm_seconds = confirm_seconds};
	struct fw_apply_result res;
	int r = fw_engine_apply_opts(e, files, n_files, who, &o, diags, &res);

	if (r == 0)
		*ret_generation = res.generation;
	return r;
}

/* What the new generation changes against the live one, stored with it
 * (fwctl history GEN); NULL when it cannot be computed: the apply goes on. */
static char *change_text(const struct fw_engine *e, const struct fw_policy *p,
                         const struct fw_plan *plan, char *summary, size_t size)
{
	struct fw_change *c;
	char *text;

	if (fw_change_compute(e->policy, e->plan, p, plan, "live", "new", &c) < 0)
		return NULL;
	text = fw_change_text(c);
	fw_change_summary(c, summary, size);
	fw_change_free(c);
	return text;
}

int fw_engine_apply_opts(struct fw_engine *e, const struct fw_policy_source *files, size_t n_files,
                         const struct fw_state_meta *who, const struct fw_apply_opts *opts,
                         struct fw_diags *diags, struct fw_apply_result *ret)
{
	struct fw_apply_result res = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	struct fw_state_file *sf;
	char *ruleset, *change;
	uint32_t confirm_seconds = opts->confirm_seconds;
	uint64_t gen, before = e->live;
	int r;

	if (e->pending)
		return -EBUSY; /* confirm or let the window close first */
	r = policy_load_buffers_opts(files, n_files, e->load_opts, diags, &p);
	if (r == 0)
		r = plan_compile(p, diags, &plan);
	/* The policy's own assertions, proved on the plan: a failing one is
	 * refused like an error, before anything is recorded or loaded. */
	if (r == 0)
		r = policy_check_expectations(p, plan, diags);
	if (r < 0) {
		audit_failure(e, "refused", who, 0, diags);
		plan_free(plan);
		policy_free(p);
		return r;
	}
	/* A confirm window lets the engineer back in by itself: no refusal. */
	r = guard(e, p, plan, opts, &res);
	if (r > 0 && !opts->force && !confirm_seconds)
		r = refuse(e, who, 0, res.reason,
		           "use --force to apply anyway, or --confirm S to try it safely", diags);
	if (r < 0) {
		plan_free(plan);
		policy_free(p);
		return r;
	}
	ruleset = plan_render(plan);
	sf = calloc(n_files ? n_files : 1, sizeof(*sf));
	if (!ruleset || !sf) {
		free(ruleset);
		free(sf);
		plan_free(plan);
		policy_free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_files; i++)
		sf[i] = (struct fw_state_file){files[i].name, files[i].data, files[i].len};
	change = change_text(e, p, plan, res.access, sizeof(res.access));
	r = fw_state_record_diff(e->state, who, sf, n_files, ruleset, change, &gen);
	free(change);
	free(sf);
	free(ruleset);
	if (r < 0) {
		plan_free(plan);
		policy_free(p);
		return r;
	}
	r = make_live(e, gen, p, plan, diags, &res);
	if (r < 0) {
		audit_failure(e, "failed", who, gen, diags);
		return r;
	}
	if (confirm_seconds) {
		e->pending = gen;
		e->previous = before;
		e->deadline = time(NULL) + (time_t)confirm_seconds;
	}
	audit_change(e, confirm_seconds ? "apply-pending" : "apply", who, gen, &res);
	prune_history(e);
	res.generation = gen;
	*ret = res;
	return 0;
}

int fw_engine_confirm(struct fw_engine *e, const struct fw_state_meta *who)
{
	if (!e->pending)
		return -ENOENT;
	(void)fw_state_audit(e->state, "confirm", who, e->pending, NULL);
	e->pending = e->previous = 0;
	e->deadline = 0;
	prune_history(e);
	return 0;
}

int fw_engine_rollback(struct fw_engine *e, uint64_t generation, const struct fw_state_meta *who,
                       struct fw_diags *diags, uint64_t *ret_generation)
{
	struct fw_apply_opts o = {0};
	struct fw_apply_result res;
	int r = fw_engine_rollback_opts(e, generation, who, &o, diags, &res);

	if (r == 0)
		*ret_generation = res.generation;
	return r;
}

int fw_engine_rollback_opts(struct fw_engine *e, uint64_t generation,
                            const struct fw_state_meta *who, const struct fw_apply_opts *opts,
                            struct fw_diags *diags, struct fw_apply_result *ret)
{
	struct fw_apply_result res = {0};
	struct fw_policy *p;
	struct fw_plan *plan;
	struct fw_generation g;
	int r;

	if (generation == 0) {
		if (!e->live || fw_state_get(e->state, e->live, &g) < 0 || !g.parent)
			return -ENOENT;
		generation = g.parent;
	}
	if ((r = load_generation(e, generation, diags, &p, &plan)) < 0)
		return r;
	r = guard(e, p, plan, opts, &res);
	if (r > 0 && !opts->force)
		r = refuse(e, who, generation, res.reason, "use --force to roll back anyway",
		           diags);
	if (r < 0) {
		plan_free(plan);
		policy_free(p);
		return r;
	}
	r = make_live(e, generation, p, plan, diags, &res);
	if (r < 0) {
		audit_failure(e, "rollback-failed", who, generation, diags);
		return r;
	}
	e->pending = e->previous = 0;
	e->deadline = 0;
	audit_change(e, "rollback", who, generation, &res);
	res.generation = generation;
	*ret = res;
	return 0;
}

int fw_engine_tick(struct fw_engine *e, time_t now, struct fw_diags *diags)
{
	uint64_t gen;
	int r;

	if (!e->pending || now < e->deadline)
		return 0;
	if (!e->previous) {
		/* Nothing to go back to: the first policy ever. It stays, and
		 * the audit log says the window closed unconfirmed. */
		(void)fw_state_audit(e->state, "confirm-timeout", &engine_meta, e->pending,
		                     "no previous generation to roll back to");
		e->pending = 0;
		return 0;
	}
	(void)fw_state_audit(e->state, "confirm-timeout", &engine_meta, e->pending, NULL);
	r = fw_engine_rollback(e, e->previous, &engine_meta, diags, &gen);
	return r < 0 ? r : 1;
}

int fw_engine_check_drift(struct fw_engine *e, time_t now, struct fw_drift *ret,
                          struct fw_diags *diags)
{
	struct fw_drift dr = {0};
	char detail[FW_DRIFT_DETAIL + 64];
	int r;

	if (!e->backend.check || !e->plan) {
		if (ret)
			*ret = dr;
		return 0;
	}
	r = e->backend.check(e->backend.ctx, e->plan, &dr, diags);
	e->drift_checked = now;
	if (dr.tables || dr.l2_steps) {
		e->drift_found = now;
		snprintf(e->drift_detail, sizeof(e->drift_detail), "%s", dr.detail);
		if (dr.repaired)
			e->drift_repairs++;
		snprintf(detail, sizeof(detail), "%s%s",
		         dr.repaired ? "repaired: " : "not repaired: ", dr.detail);
		(void)fw_state_audit(e->state, "drift", &engine_meta, e->live, detail);
	}
	if (ret)
		*ret = dr;
	return r;
}

void fw_engine_status(const struct fw_engine *e, struct fw_engine_status *ret)
{
	ret->live = e->live;
	ret->pending = e->pending;
	ret->previous = e->previous;
	ret->deadline = e->deadline;
	ret->tenants = e->policy ? e->policy->n_tenants : 0;
	ret->drift_checked = e->drift_checked;
	ret->drift_repairs = e->drift_repairs;
	ret->drift_found = e->drift_found;
	ret->drift_detail = e->drift_detail;
}

const struct fw_policy *fw_engine_policy(const struct fw_engine *e)
{
	return e->policy;
}

const struct fw_plan *fw_engine_plan(const struct fw_engine *e)
{
	return e->plan;
}
