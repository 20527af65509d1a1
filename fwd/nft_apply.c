// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The backend with a memory (fwd/nft_batch.h): an apply decides per table
 * what the batch does, sends it guarded by the generation id, starts over
 * when somebody changed the ruleset meanwhile, and remembers what the kernel
 * now holds.
 *
 * Trusted (the generation is the one right after our last commit and `old`
 * is what we committed): old and new plan are compared (nft_delta.c), the
 * kernel is not read at all. Otherwise our tables are read back first: a
 * table that is as `old` says is treated as trusted, one that is not
 * (drift) or has no `old` is compared with the new plan: equal, it stays;
 * different, it is replaced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft_batch.h"
#include "nft_int.h"

/* --- the memory --- */

int nft_backend_new(const struct nft_apply_opts *opts, struct nft_backend **ret)
{
	struct nft_backend *nb = calloc(1, sizeof(*nb));

	if (!nb || !(nb->opts = calloc(1, sizeof(*nb->opts)))) {
		free(nb);
		return -ENOMEM;
	}
	if (opts)
		*nb->opts = *opts;
	nb->prefix =
	    nb->opts->prefix && nb->opts->prefix[0] ? nb->opts->prefix : NFT_APPLY_DEFAULT_PREFIX;
	nb->seq = (uint32_t)time(NULL);
	*ret = nb;
	return 0;
}

void nft_cache_reset(struct nft_backend *nb, const struct fw_plan *committed)
{
	for (size_t i = 0; i < nb->n_cache; i++) {
		nft_canon_clear(nb->cache[i]);
		free(nb->cache[i]);
	}
	nb->n_cache = 0;
	nb->committed = committed;
}

void nft_backend_free(struct nft_backend *nb)
{
	if (!nb)
		return;
	nft_cache_reset(nb, NULL);
	free(nb->cache);
	if (nb->nl)
		mnl_socket_close(nb->nl);
	free(nb->opts);
	free(nb);
}

int nft_backend_open(struct nft_backend *nb, struct fw_diags *d)
{
	return nb->nl ? 0 : nft_nl_open(&nb->nl, d);
}

static int cache_add(struct nft_backend *nb, struct nft_canon_table *c)
{
	if (nb->n_cache == nb->cap_cache) {
		size_t cap = nb->cap_cache ? 2 * nb->cap_cache : 8;
		struct nft_canon_table **v = realloc(nb->cache, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		nb->cache = v;
		nb->cap_cache = cap;
	}
	nb->cache[nb->n_cache++] = c;
	return 0;
}

/* Take the cached form of (family, name) out of the cache. */
static struct nft_canon_table *cache_take(struct nft_backend *nb, uint16_t family, const char *name)
{
	for (size_t i = 0; i < nb->n_cache; i++) {
		struct nft_canon_table *c = nb->cache[i];

		if (c->family == family && !strcmp(c->name, name)) {
			nb->cache[i] = nb->cache[--nb->n_cache];
			return c;
		}
	}
	return NULL;
}

const struct nft_canon_table *nft_cache_get(struct nft_backend *nb, size_t ti, struct fw_diags *d)
{
	const struct fw_plan_table *t = &nb->committed->tables[ti];
	uint16_t family = nft_family(t->family);
	struct nft_canon_table *c;

	for (size_t i = 0; i < nb->n_cache; i++)
		if (nb->cache[i]->family == family && !strcmp(nb->cache[i]->name, t->name))
			return nb->cache[i];
	c = calloc(1, sizeof(*c));
	if (!c || nft_plan_canon(nb->committed, ti, c, d) < 0 || cache_add(nb, c) < 0) {
		if (c)
			nft_canon_clear(c);
		free(c);
		return NULL;
	}
	return c;
}

/* --- one change in the making --- */

int nft_job_init(struct nft_job *job, const struct fw_plan *plan, const struct fw_plan *old)
{
	size_t n = plan->n_tables ? plan->n_tables : 1;

	memset(job, 0, sizeof(*job));
	job->plan = plan;
	job->old = old;
	job->delta = calloc(n, sizeof(*job->delta));
	job->canon = calloc(n, sizeof(*job->canon));
	if (!job->delta || !job->canon) {
		nft_job_free(job);
		return -ENOMEM;
	}
	return 0;
}

void nft_job_free(struct nft_job *job)
{
	for (size_t i = 0; job->plan && i < job->plan->n_tables; i++) {
		if (job->delta)
			nft_delta_free(&job->delta[i]);
		if (job->canon && job->canon[i]) {
			nft_canon_clear(job->canon[i]);
			free(job->canon[i]);
		}
	}
	free(job->delta);
	free(job->canon);
	free(job->stale);
	memset(job, 0, sizeof(*job));
}

int nft_job_stale(struct nft_job *job, uint16_t family, const char *name)
{
	if (job->n_stale == job->cap_stale) {
		size_t cap = job->cap_stale ? 2 * job->cap_stale : 8;
		struct nft_stale *v = realloc(job->stale, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		job->stale = v;
		job->cap_stale = cap;
	}
	job->stale[job->n_stale].family = (uint8_t)family;
	snprintf(job->stale[job->n_stale].name, FW_OBJ_NAME_MAX, "%s", name);
	job->n_stale++;
	return 0;
}

static size_t find_table(const struct fw_plan *p, enum fw_family family, const char *name)
{
	for (size_t i = 0; p && i < p->n_tables; i++)
		if (p->tables[i].family == family && !strcmp(p->tables[i].name, name))
			return i;
	return SIZE_MAX;
}

/* Whether the plan has a table (nfproto: NFPROTO_*) of that name. */
static bool plan_has(const struct fw_plan *p, uint16_t nfproto, const char *name)
{
	for (size_t i = 0; i < p->n_tables; i++)
		if (nft_family(p->tables[i].family) == nfproto && !strcmp(p->tables[i].name, name))
			return true;
	return false;
}

static bool ours(const struct nft_backend *nb, const char *name)
{
	return !strncmp(name, nb->prefix, strlen(nb->prefix));
}

static int nomem(struct fw_diags *d)
{
	fw_error(d, NULL, "nft: out of memory");
	return -ENOMEM;
}

/* old is what the kernel holds: compare it with the new plan. */
static int decide_trusted(struct nft_backend *nb, struct nft_job *job, struct fw_diags *d)
{
	const struct fw_plan *old = job->old;

	for (size_t ti = 0; ti < job->plan->n_tables; ti++) {
		const struct fw_plan_table *t = &job->plan->tables[ti];
		size_t oi = find_table(old, t->family, t->name);

		if (nft_delta_table(oi == SIZE_MAX ? NULL : &old->tables[oi], t, &job->delta[ti]) <
		    0)
			return nomem(d);
		job->delta[ti].old_table = oi;
	}
	for (size_t oi = 0; oi < old->n_tables; oi++) {
		const struct fw_plan_table *o = &old->tables[oi];

		if (ours(nb, o->name) && find_table(job->plan, o->family, o->name) == SIZE_MAX &&
		    nft_job_stale(job, nft_family(o->family), o->name) < 0)
			return nomem(d);
	}
	return 0;
}

/* The kernel as read back: per table, trust `old` where the kernel holds
 * it; elsewhere compare with the new plan. */
static int decide_read(struct nft_backend *nb, struct nft_job *job, const struct nft_kernel *k,
                       struct fw_diags *d)
{
	bool know_old = job->old && job->old == nb->committed;
	char none[1] = "";
	int r;

	for (size_t ti = 0; ti < job->plan->n_tables; ti++) {
		const struct fw_plan_table *t = &job->plan->tables[ti];
		const struct nft_canon_table *kt =
		    nft_kernel_find(k, nft_family(t->family), t->name);
		size_t oi = know_old ? find_table(job->old, t->family, t->name) : SIZE_MAX;
		struct nft_table_delta *td = &job->delta[ti];

		if (oi != SIZE_MAX) {
			const struct nft_canon_table *oc = nft_cache_get(nb, oi, d);

			if (!oc)
				return -ENOMEM;
			if (nft_canon_diff(kt, oc, job->detail, sizeof(job->detail)) == 0) {
				if (nft_delta_table(&job->old->tables[oi], t, td) < 0)
					return nomem(d);
				td->old_table = oi;
				continue;
			}
			job->drifted++;
		}
		td->action = NFT_ACT_REPLACE;
		if (!kt)
			continue; /* nothing to compare with */
		job->canon[ti] = calloc(1, sizeof(*job->canon[ti]));
		if (!job->canon[ti])
			return nomem(d);
		if ((r = nft_plan_canon(job->plan, ti, job->canon[ti], d)) < 0)
			return r;
		if (nft_canon_diff(kt, job->canon[ti], none, sizeof(none)) == 0)
			td->action = NFT_ACT_SKIP;
	}
	for (size_t i = 0; i < k->n; i++)
		if (!plan_has(job->plan, k->tables[i].family, k->tables[i].name) &&
		    nft_job_stale(job, k->tables[i].family, k->tables[i].name) < 0)
			return nomem(d);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void dump(const struct nft_batch *b, FILE *f)
{
	mnl_nlmsg_fprintf(f, b->buf, b->len, sizeof(struct nfgenmsg));
	fflush(f);
}

static void count(const struct nft_job *job, struct nft_apply_stats *st)
{
	st->replaced = st->unchanged = st->delta = st->elems_added = st->elems_deleted = 0;
	for (size_t ti = 0; ti < job->plan->n_tables; ti++) {
		const struct nft_table_delta *td = &job->delta[ti];

		if (td->action == NFT_ACT_SKIP)
			st->unchanged++;
		else if (td->action == NFT_ACT_REPLACE)
			st->replaced++;
		else
			st->delta++;
		for (size_t i = 0; td->action == NFT_ACT_ELEMS && i < td->n_sets; i++) {
			st->elems_added += td->sets[i].n_add;
			st->elems_deleted += td->sets[i].n_del;
		}
	}
	st->deleted = job->n_stale;
	st->drifted = job->drifted;
}

int nft_job_commit(struct nft_backend *nb, struct nft_job *job, struct nft_apply_stats *st,
                   struct fw_diags *d)
{
	struct nft_batch b = {.plan = job->plan,
	                      .old = job->old,
	                      .delta = job->delta,
	                      .genid = job->genid,
	                      .stale = job->stale,
	                      .n_stale = job->n_stale,
	                      .seq0 = nb->seq + 1};
	int r = nft_batch_build(&b, d);
	double t0;

	job->sent = false;
	if (st) {
		count(job, st);
		st->msgs = b.n_recs;
	}
	if (r == 0 && b.n_recs > 0) {
		if (nb->opts->dump)
			dump(&b, nb->opts->dump);
		if (nb->opts->before_send)
			nb->opts->before_send(nb->opts->hook_arg, st ? st->attempts : 0);
		t0 = now_ms();
		r = nft_nl_transact(nb->nl, &b, d);
		job->sent = true;
		if (st)
			st->kernel_ms = now_ms() - t0;
	}
	nb->seq = b.seq0 + (uint32_t)b.n_recs + 1;
	b.stale = NULL; /* the job's */
	nft_batch_free(&b);
	return r;
}

/* The kernel now holds job->plan, at generation genid. */
static void remember(struct nft_backend *nb, struct nft_job *job, uint32_t genid)
{
	const struct fw_plan *plan = job->plan;
	bool cache_is_old = job->old && nb->committed == job->old;
	struct nft_canon_table **keep = calloc(plan->n_tables ? plan->n_tables : 1, sizeof(*keep));
	size_t n_keep = 0;

	for (size_t ti = 0; keep && ti < plan->n_tables; ti++) {
		const struct fw_plan_table *t = &plan->tables[ti];
		const struct nft_table_delta *td = &job->delta[ti];
		struct nft_canon_table *c = job->canon[ti];

		job->canon[ti] = NULL;
		if (!c && cache_is_old && td->action != NFT_ACT_REPLACE)
			c = cache_take(nb, nft_family(t->family), t->name);
		for (size_t i = 0; c && td->action == NFT_ACT_ELEMS && i < td->n_sets; i++)
			if (nft_canon_update(c, job->old, td->old_table, plan, ti, &td->sets[i]) <
			    0) {
				nft_canon_clear(c);
				free(c);
				c = NULL;
			}
		if (c)
			keep[n_keep++] = c;
	}
	nft_cache_reset(nb, plan);
	for (size_t i = 0; i < n_keep; i++)
		if (cache_add(nb, keep[i]) < 0) {
			nft_canon_clear(keep[i]);
			free(keep[i]);
		}
	free(keep);
	nb->genid = genid;
	nb->trusted = true;
}

static int check_plan(const struct fw_plan *plan, struct fw_diags *d)
{
	for (size_t i = 0; i < plan->n_tables; i++) {
		const struct fw_plan_table *t = &plan->tables[i];

		if (!t->name[0]) {
			fw_error(d, NULL, "nft: table %zu of the plan has no name", i + 1);
			return -EINVAL;
		}
		if (find_table(plan, t->family, t->name) != i) {
			fw_error(d, NULL, "nft: table %s %s is twice in the plan",
			         nft_family_name(t->family), t->name);
			return -EINVAL;
		}
	}
	return 0;
}

/* Build (and dump) the full batch, send nothing, touch nothing. */
static int dry_run(struct nft_backend *nb, const struct fw_plan *plan, struct fw_diags *d)
{
	struct nft_batch b = {.plan = plan, .seq0 = nb->seq + 1};
	int r = nft_batch_build(&b, d);

	if (r == 0 && nb->opts->dump)
		dump(&b, nb->opts->dump);
	nft_batch_free(&b);
	return r;
}

/* One attempt: decide, build, send. */
static int attempt(struct nft_backend *nb, struct nft_job *job, struct nft_apply_stats *st,
                   struct fw_diags *d)
{
	struct nft_kernel k = {0};
	uint32_t genid;
	int r = nft_nl_getgen(nb->nl, ++nb->seq, &genid);

	if (r < 0) {
		fw_error(d, NULL, "nft: reading the ruleset's generation: %s", strerror(-r));
		return r;
	}
	if (nb->trusted && job->old && job->old == nb->committed && genid == nb->genid) {
		job->genid = genid;
		r = decide_trusted(nb, job, d);
	} else {
		st->read_back = true;
		r = nft_readback(nb->nl, &nb->seq, nb->prefix, NULL, 0, &k, d);
		job->genid = k.genid;
		if (r == 0)
			r = decide_read(nb, job, &k, d);
		nft_kernel_free(&k);
	}
	return r < 0 ? r : nft_job_commit(nb, job, st, d);
}

static int apply(struct nft_backend *nb, const struct fw_plan *old, const struct fw_plan *plan,
                 struct nft_apply_stats *st, struct fw_diags *d)
{
	struct nft_job job = {0};
	int r = check_plan(plan, d);

	if (r == 0 && nb->opts->dry_run)
		return dry_run(nb, plan, d);
	if (r == 0)
		r = nft_backend_open(nb, d);
	for (st->attempts = 1; r == 0 && st->attempts <= NFT_APPLY_ATTEMPTS; st->attempts++) {
		if ((r = nft_job_init(&job, plan, old)) < 0)
			return nomem(d);
		r = attempt(nb, &job, st, d);
		if (r == -ERESTART) {
			/* somebody changed the ruleset after we looked: look again */
			nft_job_free(&job);
			r = 0;
			continue;
		}
		if (r < 0) {
			nft_job_free(&job);
			nb->trusted = false; /* whatever the kernel holds now */
			return r;
		}
		if (job.drifted)
			fw_warning(d, NULL, "nft: %zu of our tables were not as fwd left them: %s",
			           job.drifted, job.detail);
		st->sent = job.sent;
		remember(nb, &job, job.sent ? nft_genid_next(job.genid) : job.genid);
		st->genid = nb->genid;
		if (job.sent && nb->opts->verify)
			nft_verify(nb, &job, d);
		nft_job_free(&job);
		return 0;
	}
	if (r < 0)
		return r;
	st->attempts = NFT_APPLY_ATTEMPTS;
	nb->trusted = false;
	fw_error(d, NULL,
	         "nft: the ruleset changed %d times while fwd was applying (another program keeps "
	         "changing it): nothing was changed",
	         NFT_APPLY_ATTEMPTS);
	return -EAGAIN;
}

int nft_backend_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                      struct fw_diags *diags)
{
	struct nft_backend *nb = ctx;
	struct nft_apply_stats st = {0};
	int r;

	if (!nb || !plan || !diags)
		return -EINVAL;
	r = apply(nb, old, plan, &st, diags);
	if (nb->opts->stats)
		*nb->opts->stats = st;
	return r;
}

int nft_apply_plan(const struct fw_plan *plan, const struct nft_apply_opts *opts,
                   struct fw_diags *diags)
{
	struct nft_backend *nb;
	int r;

	if (!plan || !diags)
		return -EINVAL;
	r = nft_backend_new(opts, &nb);
	if (r < 0)
		return nomem(diags);
	r = nft_backend_apply(nb, NULL, plan, diags);
	nft_backend_free(nb);
	return r;
}
