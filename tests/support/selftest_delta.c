// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nft_apply_selftest delta: an element delta against the kernel, decided
 * with digests (plan_digest) and verified element by element.
 *
 *  1. plan a applied whole;
 *  2. plan b, with one element changed in the hash set s4, the interval set
 *     c4 and the verdict map m1 (the same key, another verdict), applied as
 *     a trusted change: one table by elements, +3 -3, verified without a
 *     warning;
 *  3. the verification asked about the change b -> a without committing it:
 *     the kernel lacks the elements "added" and still holds those "deleted",
 *     and the warning must say so for each of the three sets.
 *
 * Prints one line per step (and the warnings); tests/netns/nft_apply.sh
 * compares the output exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft_batch.h"
#include "nft_int.h"

#include "selftest_build.h"

static struct fw_plan_set *set_named(struct fw_plan_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_sets; i++)
		if (!strcmp(t->sets[i].name, name))
			return &t->sets[i];
	check(false, "sets (a set of the kinds plan is missing)");
	return NULL;
}

static void change(struct fw_plan *p)
{
	struct fw_plan_table *t = &p->tables[0];

	set_named(t, "s4")->elems[0].key[0] = ip4("192.0.2.100");
	set_named(t, "c4")->elems[1].key[3] = port(54);
	set_named(t, "m1")->elems[1].verdict = FW_VERDICT_JUMP;
}

static void print_diags(const char *step, struct fw_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = fw_diag_format(&d->v[i]);

		printf("%s: %s\n", step, s ? s : "out of memory");
		free(s);
	}
	fw_diags_free(d);
}

int selftest_delta(struct fw_plan *a, struct fw_plan *b)
{
	struct nft_apply_stats st = {0};
	struct nft_apply_opts o = {.verify = true, .stats = &st};
	struct fw_diags d = {0};
	struct nft_backend *nb;
	struct nft_job job;
	int r;

	change(b);
	plan_digest(a);
	plan_digest(b);
	check(nft_backend_new(&o, &nb) == 0, "bytes");
	r = nft_backend_apply(nb, NULL, a, &d);
	printf("whole: %s, %zu replaced\n", r == 0 ? "applied" : "refused", st.replaced);
	print_diags("whole", &d);
	r = r ? r : nft_backend_apply(nb, a, b, &d);
	printf("delta: %s, %zu replaced, %zu unchanged, %zu by elements +%zu -%zu, read back %s\n",
	       r == 0 ? "applied" : "refused", st.replaced, st.unchanged, st.delta, st.elems_added,
	       st.elems_deleted, st.read_back ? "first" : "no");
	print_diags("delta", &d);
	if (r == 0 && (r = nft_job_init(&job, a, b)) == 0) {
		for (size_t ti = 0; r == 0 && ti < a->n_tables; ti++) {
			r = nft_delta_table(&b->tables[ti], &a->tables[ti], &job.delta[ti]);
			job.delta[ti].old_table = ti;
		}
		if (r == 0)
			r = nft_verify(nb, &job, &d);
		printf("backwards, not committed: verification %s\n", r == 0 ? "done" : "failed");
		print_diags("backwards", &d);
		nft_job_free(&job);
	}
	nft_backend_free(nb);
	plan_free(a);
	plan_free(b);
	return r == 0 ? 0 : 1;
}
