// SPDX-License-Identifier: GPL-2.0-or-later
/* The L2 part of a change's diff (change_l2.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change_l2.h"

static int bridge_diff(FILE *f, const struct fw_l2_bridge *o, const struct fw_l2_bridge *n,
                       const char *old_label, const char *new_label,
                       int (*changed)(void *ctx, const char *tenant), void *ctx)
{
	const struct fw_l2_bridge *b = n ? n : o;
	int r = change_text_diff(f, plan_render_l2_bridge(o), plan_render_l2_bridge(n), b->name,
	                         old_label, new_label, NULL);

	if (r == 1)
		r = changed(ctx, b->tenant);
	return r < 0 ? r : 0;
}

int change_l2_diff(FILE *f, const struct fw_plan *old_plan, const struct fw_plan *new_plan,
                   const char *old_label, const char *new_label,
                   int (*changed)(void *ctx, const char *tenant), void *ctx)
{
	int r = 0;

	for (size_t i = 0; new_plan && r == 0 && i < new_plan->l2.n_bridges; i++) {
		const struct fw_l2_bridge *n = &new_plan->l2.bridges[i];

		r = bridge_diff(f, old_plan ? l2_plan_find(&old_plan->l2, n->name) : NULL, n,
		                old_label, new_label, changed, ctx);
	}
	for (size_t i = 0; old_plan && r == 0 && i < old_plan->l2.n_bridges; i++) {
		const struct fw_l2_bridge *o = &old_plan->l2.bridges[i];

		if (!new_plan || !l2_plan_find(&new_plan->l2, o->name))
			r = bridge_diff(f, o, NULL, old_label, new_label, changed, ctx);
	}
	return r;
}
