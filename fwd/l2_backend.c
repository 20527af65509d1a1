// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The L2 backend: read what the kernel has, diff it against the plan's L2
 * part, execute the steps (undone on failure). The kernel, not the plan
 * applied last, is the reference: a restart, a crash half-way or a change
 * by hand are all just differences. `old` only tells whether what was found
 * is drift (the kernel is not as fwd left it), which is reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2.h"

struct l2_backend {
	struct l2_nl *nl;
};

int l2_backend_new(struct l2_backend **ret)
{
	struct l2_backend *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	if ((r = l2_nl_open(&b->nl)) < 0) {
		free(b);
		return r;
	}
	*ret = b;
	return 0;
}

void l2_backend_free(struct l2_backend *b)
{
	if (!b)
		return;
	l2_nl_close(b->nl);
	free(b);
}

/* "a; b; c" of the steps in words, cut to fit n. */
static void join_steps(const struct l2_steps *s, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		char one[160];
		int k = l2_step_describe(&s->v[i], one, sizeof(one));

		if (k < 0)
			continue;
		if (len + (i ? 2 : 0) + (size_t)k + 4 >= n) {
			snprintf(out + len, n - len, "%s...", i ? "; " : "");
			return;
		}
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? "; " : "", one);
	}
}

/* What differs from the plan applied last, as a warning. */
static void warn_drift(const struct l2_kstate *k, const struct fw_l2_plan *old, struct fw_diags *d)
{
	struct fw_diags scratch = {0};
	struct l2_steps s = {0};
	char detail[FW_DRIFT_DETAIL];

	if (l2_diff(k, old, &s, &scratch) == 0 && s.n) {
		join_steps(&s, detail, sizeof(detail));
		fw_warning(d, NULL, "l2: the links were not as fwd left them: %s", detail);
	}
	l2_steps_free(&s);
	fw_diags_free(&scratch);
}

int l2_apply_plan(struct l2_backend *b, const struct fw_l2_plan *old, const struct fw_l2_plan *plan,
                  struct fw_diags *diags)
{
	struct l2_kstate k = {0};
	struct l2_steps s = {0};
	int r;

	if (!b || !plan || !diags)
		return -EINVAL;
	if ((r = l2_read(b->nl, &k, diags)) < 0)
		return r;
	if (old)
		warn_drift(&k, old, diags);
	r = l2_diff(&k, plan, &s, diags);
	l2_kstate_free(&k);
	if (r == 0)
		r = l2_exec(b->nl, &s, NULL, diags);
	l2_steps_free(&s);
	return r;
}

int l2_backend_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                     struct fw_diags *diags)
{
	if (!plan)
		return -EINVAL;
	return l2_apply_plan(ctx, old ? &old->l2 : NULL, &plan->l2, diags);
}

int l2_backend_check(void *ctx, const struct fw_plan *plan, struct fw_drift *ret,
                     struct fw_diags *diags)
{
	struct l2_backend *b = ctx;
	struct fw_diags scratch = {0};
	struct l2_kstate k = {0};
	struct l2_steps s = {0};
	int r;

	if (!b || !plan || !ret || !diags)
		return -EINVAL;
	if ((r = l2_read(b->nl, &k, diags)) < 0)
		return r;
	r = l2_diff(&k, &plan->l2, &s, &scratch);
	l2_kstate_free(&k);
	/* errors only: a port still missing was said at the apply, not
	 * again at every check */
	for (size_t i = 0; i < scratch.n; i++)
		if (scratch.v[i].sev == FW_SEV_ERROR)
			fw_error(diags, &scratch.v[i].loc, "%s", scratch.v[i].msg);
	fw_diags_free(&scratch);
	if (r == 0 && s.n) {
		ret->l2_steps = s.n;
		memcpy(ret->detail, "l2: ", 5);
		join_steps(&s, ret->detail + 4, sizeof(ret->detail) - 4);
		r = l2_exec(b->nl, &s, NULL, diags);
		ret->repaired = r == 0;
	}
	l2_steps_free(&s);
	return r;
}
