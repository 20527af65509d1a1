// SPDX-License-Identifier: GPL-2.0-or-later
/* Layers of backends applied in order, the earlier ones put back when a
 * later one fails (see backend_stack.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend_stack.h"

int backend_stack_push(struct backend_stack *s, const char *name, const struct fw_backend *b)
{
	if (!s || !name || !b || !b->apply)
		return -EINVAL;
	if (s->n == BACKEND_STACK_MAX)
		return -ENOSPC;
	s->layer[s->n] = *b;
	s->name[s->n++] = name;
	return 0;
}

int backend_stack_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                        struct fw_diags *diags)
{
	struct backend_stack *s = ctx;
	size_t i;
	int r = 0;

	if (!s || !plan || !diags)
		return -EINVAL;
	for (i = 0; i < s->n; i++)
		if ((r = s->layer[i].apply(s->layer[i].ctx, old, plan, diags)) < 0)
			break;
	if (r == 0)
		return 0;
	if (!old) {
		if (i > 0)
			fw_warning(
			    diags, NULL,
			    "%s failed with no previous policy to go back to: what %s applied "
			    "stays",
			    s->name[i], s->name[0]);
		return r;
	}
	/* the layers below put the previous plan back, the last applied first */
	while (i-- > 0) {
		int u = s->layer[i].apply(s->layer[i].ctx, plan, old, diags);

		if (u < 0)
			fw_error(diags, NULL,
			         "%s: the previous policy could not be put back after the failure "
			         "above: %s",
			         s->name[i], strerror(-u));
	}
	return r;
}

static void add_detail(char *out, size_t n, const char *more)
{
	size_t len = strlen(out), k = strlen(more);

	if (!more[0] || len + 3 >= n)
		return;
	if (len) {
		memcpy(out + len, "; ", 2);
		len += 2;
	}
	if (k > n - len - 1)
		k = n - len - 1; /* cut: the detail is for a person, and bounded */
	memcpy(out + len, more, k);
	out[len + k] = '\0';
}

int backend_stack_check(void *ctx, const struct fw_plan *plan, struct fw_drift *ret,
                        struct fw_diags *diags)
{
	struct backend_stack *s = ctx;
	struct fw_drift all = {0};
	bool found = false, repaired = true;
	int r = 0;

	if (!s || !plan || !ret || !diags)
		return -EINVAL;
	for (size_t i = 0; i < s->n; i++) {
		struct fw_drift one = {0};
		int k;

		if (!s->layer[i].check)
			continue;
		k = s->layer[i].check(s->layer[i].ctx, plan, &one, diags);
		if (k < 0 && r == 0)
			r = k;
		all.read_back |= one.read_back;
		all.tables += one.tables;
		all.l2_steps += one.l2_steps;
		if (one.tables || one.l2_steps) {
			found = true;
			repaired &= one.repaired;
			add_detail(all.detail, sizeof(all.detail), one.detail);
		}
	}
	all.repaired = found && repaired;
	*ret = all;
	return r;
}
