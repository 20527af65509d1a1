// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Drift: what the kernel holds of our tables against the plan.
 *
 * The check costs one GETGEN when nothing changed: the generation is the one
 * recorded when the kernel was last known to hold the plan. When it moved
 * (anybody's commit: other tables count too), our tables are read back and
 * compared in canonical form; if they are intact the new generation is
 * recorded, if not the tables that differ (and our tables the plan does not
 * have) are named and replaced in one transaction guarded by the generation
 * they were read at.
 *
 * The verification after an apply reads back only what the commit changed:
 * the tables it replaced or deleted and, of an element delta, the elements
 * it added and deleted, each looked up by key (nft_readelems.c); a delta of
 * more than NFT_PROBES_MAX elements reads its sets whole instead.
 *
 * The trade-off of reading a delta's elements alone: the rest of the set is
 * not read again. The commit was guarded by the generation id, so the
 * kernel applied it to exactly the ruleset the decision was made on, and
 * the elements it did not touch were verified when they were committed; what
 * a per-element check cannot see (somebody else's change to the set after
 * our commit) moves the generation, which the drift check (events and every
 * --drift-interval) answers by reading our tables whole. In exchange the
 * verification of a one-rule change costs a few lookups, not a dump of a
 * set of thousands of elements (about 1 ms per 2,000 elements here).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_batch.h"
#include "nft_int.h"

/* The elements one set delta added (must be there, as planned) and
 * deleted (must be gone), looked up one by one. */
static size_t verify_elems(struct nft_backend *nb, const struct nft_job *job, size_t ti,
                           const struct nft_set_delta *sd, char *out, size_t n, struct fw_diags *d)
{
	const struct fw_plan_table *t = &job->plan->tables[ti];
	const struct fw_plan_set *ps = &t->sets[sd->set];
	const struct fw_plan_set *os = &job->old->tables[job->delta[ti].old_table].sets[sd->set];
	struct nft_elem_probe v[NFT_PROBES_MAX];
	size_t m = 0, lacking = 0, kept = 0;
	uint32_t genid;

	for (size_t i = 0; i < sd->n_add; i++)
		v[m++] = (struct nft_elem_probe){.ps = ps, .el = &ps->elems[sd->add[i]]};
	for (size_t i = 0; i < sd->n_del; i++)
		v[m++] = (struct nft_elem_probe){.ps = os, .el = &os->elems[sd->del[i]]};
	if (nft_readback_elems(nb->nl, &nb->seq, nft_family(t->family), t->name, v, m, &genid, d) <
	    0)
		return 1;
	for (size_t i = 0; i < m; i++) {
		uint64_t want;

		if (nft_elem_hash(v[i].ps, v[i].el, &want) < 0)
			return 1;
		/* a deleted element's key may now lead to an added one (a
		 * range grew over it): only the deleted element itself counts */
		if (i < sd->n_add)
			lacking += !v[i].found || v[i].hash != want;
		else
			kept += v[i].found && v[i].hash == want;
	}
	return nft_canon_diff_delta(t->name, ps->name, lacking, sd->n_add, kept, sd->n_del, out, n);
}

/* The sets an element delta changed: their touched elements, or (a large
 * delta) the sets whole against the updated canonical form. */
static size_t verify_sets(struct nft_backend *nb, const struct nft_job *job, size_t ti, char *out,
                          size_t n, struct fw_diags *d)
{
	const struct fw_plan_table *t = &job->plan->tables[ti];
	const struct nft_table_delta *td = &job->delta[ti];
	const struct nft_canon_table *c = NULL;
	size_t found = 0;

	for (size_t i = 0; i < td->n_sets; i++) {
		const struct nft_set_delta *sd = &td->sets[i];
		const struct fw_plan_set *ps = &t->sets[sd->set];
		const struct nft_canon_set *want;
		struct nft_canon_set got;
		uint32_t genid;

		if (sd->n_add + sd->n_del <= NFT_PROBES_MAX) {
			found += verify_elems(nb, job, ti, sd, out, n, d);
			continue;
		}
		if (!c && !(c = nft_cache_get(nb, ti, d)))
			return found + 1;
		want = nft_canon_find_set(c, ps->name);
		if (!want || nft_readback_set(nb->nl, &nb->seq, nft_family(t->family), t->name,
		                              ps->name, &got, &genid, d) < 0)
			return found + 1;
		found += nft_canon_diff_set(t->name, &got, want, out, n);
		free(got.elems);
	}
	return found;
}

int nft_verify(struct nft_backend *nb, const struct nft_job *job, struct fw_diags *d)
{
	struct nft_stale *whole = calloc(job->plan->n_tables + job->n_stale + 1, sizeof(*whole));
	struct nft_kernel k = {0};
	char detail[FW_DRIFT_DETAIL] = "";
	size_t n_whole = 0, found = 0;
	int r = 0;

	if (!whole)
		return -ENOMEM;
	for (size_t ti = 0; ti < job->plan->n_tables; ti++) {
		const struct fw_plan_table *t = &job->plan->tables[ti];

		if (job->delta[ti].action == NFT_ACT_REPLACE) {
			whole[n_whole].family = (uint8_t)nft_family(t->family);
			snprintf(whole[n_whole++].name, FW_OBJ_NAME_MAX, "%s", t->name);
		} else if (job->delta[ti].action == NFT_ACT_ELEMS) {
			found += verify_sets(nb, job, ti, detail, sizeof(detail), d);
		}
	}
	if (job->n_stale)
		memcpy(whole + n_whole, job->stale, job->n_stale * sizeof(*whole));
	n_whole += job->n_stale;
	if (n_whole)
		r = nft_readback(nb->nl, &nb->seq, nb->prefix, whole, n_whole, &k, d);
	for (size_t ti = 0; r == 0 && ti < job->plan->n_tables; ti++) {
		const struct fw_plan_table *t = &job->plan->tables[ti];
		const struct nft_canon_table *c;

		if (job->delta[ti].action != NFT_ACT_REPLACE)
			continue;
		c = nft_cache_get(nb, ti, d);
		if (!c) {
			r = -ENOMEM;
			break;
		}
		found += nft_canon_diff(nft_kernel_find(&k, nft_family(t->family), t->name), c,
		                        detail, sizeof(detail));
	}
	for (size_t j = 0; r == 0 && j < job->n_stale; j++) {
		const struct nft_canon_table *kt =
		    nft_kernel_find(&k, job->stale[j].family, job->stale[j].name);

		if (kt)
			found += nft_canon_diff(kt, NULL, detail, sizeof(detail));
	}
	nft_kernel_free(&k);
	free(whole);
	if (r < 0 || found) {
		nb->trusted = false; /* the next check reads back and repairs */
		if (found)
			fw_warning(d, NULL,
			           "nft: read back after the commit, the kernel differs "
			           "from the plan: %s",
			           detail);
	}
	return r;
}

/* Compare what was read back with the plan; mark what to replace. */
static int compare(struct nft_backend *nb, struct nft_job *job, const struct nft_kernel *k,
                   struct fw_drift *ret, struct fw_diags *d)
{
	const struct fw_plan *plan = job->plan;

	for (size_t ti = 0; ti < plan->n_tables; ti++) {
		const struct fw_plan_table *t = &plan->tables[ti];
		const struct nft_canon_table *c = nft_cache_get(nb, ti, d);

		if (!c)
			return -ENOMEM;
		job->delta[ti].action = NFT_ACT_SKIP;
		if (nft_canon_diff(nft_kernel_find(k, nft_family(t->family), t->name), c,
		                   ret->detail, sizeof(ret->detail))) {
			job->delta[ti].action = NFT_ACT_REPLACE;
			ret->tables++;
		}
	}
	for (size_t i = 0; i < k->n; i++) {
		const struct nft_canon_table *kt = &k->tables[i];
		bool planned = false;

		for (size_t ti = 0; ti < plan->n_tables; ti++)
			planned |= nft_family(plan->tables[ti].family) == kt->family &&
			           !strcmp(plan->tables[ti].name, kt->name);
		if (planned)
			continue;
		nft_canon_diff(kt, NULL, ret->detail, sizeof(ret->detail));
		ret->tables++;
		if (nft_job_stale(job, kt->family, kt->name) < 0)
			return -ENOMEM;
	}
	return 0;
}

int nft_backend_check(void *ctx, const struct fw_plan *plan, struct fw_drift *ret,
                      struct fw_diags *diags)
{
	struct nft_backend *nb = ctx;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!plan)
		return 0;
	if ((r = nft_backend_open(nb, diags)) < 0)
		return r;
	if (plan != nb->committed) {
		/* not what we committed (the engine kept another plan live):
		 * nothing known, compare everything */
		nft_cache_reset(nb, plan);
		nb->trusted = false;
	}
	for (unsigned attempt = 1; attempt <= NFT_APPLY_ATTEMPTS; attempt++) {
		struct nft_kernel k = {0};
		struct nft_job job;
		uint32_t genid;

		r = nft_nl_getgen(nb->nl, ++nb->seq, &genid);
		if (r < 0) {
			fw_error(diags, NULL, "nft: reading the ruleset's generation: %s",
			         strerror(-r));
			return r;
		}
		if (nb->trusted && genid == nb->genid)
			return 0; /* nothing changed since the plan was known to be there */
		memset(ret, 0, sizeof(*ret));
		ret->read_back = true;
		if ((r = nft_job_init(&job, plan, plan)) < 0)
			return r;
		r = nft_readback(nb->nl, &nb->seq, nb->prefix, NULL, 0, &k, diags);
		if (r == 0)
			r = compare(nb, &job, &k, ret, diags);
		job.genid = k.genid;
		nft_kernel_free(&k);
		if (r == 0 && ret->tables == 0) {
			/* intact: somebody changed other tables */
			nb->genid = job.genid;
			nb->trusted = true;
		} else if (r == 0) {
			r = nft_job_commit(nb, &job, NULL, diags);
			if (r == 0) {
				nb->genid = nft_genid_next(job.genid);
				nb->trusted = ret->repaired = true;
				if (nb->opts->verify)
					nft_verify(nb, &job, diags);
			}
		}
		nft_job_free(&job);
		if (r != -ERESTART) {
			if (r < 0)
				nb->trusted = false;
			return r;
		}
	}
	fw_error(diags, NULL,
	         "nft: the ruleset kept changing during the drift check: not repaired");
	return -EAGAIN;
}
