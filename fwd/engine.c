// SPDX-License-Identifier: GPL-2.0-or-later
/* Generations, commit-confirm and rollback (the states: fwd/engine.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/engine.h"

struct fw_engine {
	struct fw_state *state;
	struct fw_backend backend;
	struct fw_policy *policy; /* the live generation's */
	struct fw_plan *plan;
	uint64_t live, pending, previous;
	time_t deadline;
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
	r = policy_load_paths(paths, 1, d, &p);
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

/* Load the plan in the kernel, then make it the live generation. */
static int make_live(struct fw_engine *e, uint64_t gen, struct fw_policy *p, struct fw_plan *plan,
                     struct fw_diags *d)
{
	int r = e->backend.apply(e->backend.ctx, plan, d);

	if (r == 0)
		r = fw_state_set_current(e->state, gen);
	if (r < 0) {
		plan_free(plan);
		policy_free(p);
		return r;
	}
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
	r = make_live(e, gen, p, plan, diags);
	(void)fw_state_audit(e->state, r < 0 ? "boot-failed" : "boot", &engine_meta, gen, NULL);
	return r;
}

int fw_engine_apply(struct fw_engine *e, const struct fw_policy_source *files, size_t n_files,
                    const struct fw_state_meta *who, uint32_t confirm_seconds,
                    struct fw_diags *diags, uint64_t *ret_generation)
{
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	struct fw_state_file *sf;
	char *ruleset;
	uint64_t gen, before = e->live;
	int r;

	if (e->pending)
		return -EBUSY; /* confirm or let the window close first */
	r = policy_load_buffers(files, n_files, diags, &p);
	if (r == 0)
		r = plan_compile(p, diags, &plan);
	if (r < 0) {
		audit_failure(e, "refused", who, 0, diags);
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
	r = fw_state_record(e->state, who, sf, n_files, ruleset, &gen);
	free(sf);
	free(ruleset);
	if (r < 0) {
		plan_free(plan);
		policy_free(p);
		return r;
	}
	r = make_live(e, gen, p, plan, diags);
	if (r < 0) {
		audit_failure(e, "failed", who, gen, diags);
		return r;
	}
	if (confirm_seconds) {
		e->pending = gen;
		e->previous = before;
		e->deadline = time(NULL) + (time_t)confirm_seconds;
	}
	(void)fw_state_audit(e->state, confirm_seconds ? "apply-pending" : "apply", who, gen, NULL);
	*ret_generation = gen;
	return 0;
}

int fw_engine_confirm(struct fw_engine *e, const struct fw_state_meta *who)
{
	if (!e->pending)
		return -ENOENT;
	(void)fw_state_audit(e->state, "confirm", who, e->pending, NULL);
	e->pending = e->previous = 0;
	e->deadline = 0;
	return 0;
}

int fw_engine_rollback(struct fw_engine *e, uint64_t generation, const struct fw_state_meta *who,
                       struct fw_diags *diags, uint64_t *ret_generation)
{
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
	r = make_live(e, generation, p, plan, diags);
	if (r < 0) {
		audit_failure(e, "rollback-failed", who, generation, diags);
		return r;
	}
	e->pending = e->previous = 0;
	e->deadline = 0;
	(void)fw_state_audit(e->state, "rollback", who, generation, NULL);
	*ret_generation = generation;
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

void fw_engine_status(const struct fw_engine *e, struct fw_engine_status *ret)
{
	ret->live = e->live;
	ret->pending = e->pending;
	ret->previous = e->previous;
	ret->deadline = e->deadline;
	ret->tenants = e->policy ? e->policy->n_tenants : 0;
}

const struct fw_policy *fw_engine_policy(const struct fw_engine *e)
{
	return e->policy;
}

const struct fw_plan *fw_engine_plan(const struct fw_engine *e)
{
	return e->plan;
}
