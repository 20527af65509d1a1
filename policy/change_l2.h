/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parts of a change's diff (change.c): one rendered section against its
 * other side (change_text.c), and the L2 part: bridges, ports and VLANs. */
#ifndef FWD_CHANGE_L2_H
#define FWD_CHANGE_L2_H

#include <stdio.h>

#include "fwd/plan.h"
#include "fwd/textdiff.h"

/* Append the unified diff of the texts a and b (both taken and freed here;
 * NULL: out of memory) under "--- NAME (OLD_LABEL)" / "+++ NAME
 * (NEW_LABEL)" headers to f: 1 when they differ, 0 when not, or a negative
 * errno. */
int change_text_diff(FILE *f, char *a, char *b, const char *name, const char *old_label,
                     const char *new_label, fw_textdiff_ignore_fn ignore);

/* Append a unified diff of every bridge that differs between the plans
 * (either may be NULL) to f, under "--- br-acme (LIVE)" / "+++ br-acme
 * (NEW)" headers: new bridges in plan order, then the ones that go away.
 * Calls changed(ctx, tenant) for each. Returns 0 or a negative errno. */
int change_l2_diff(FILE *f, const struct fw_plan *old_plan, const struct fw_plan *new_plan,
                   const char *old_label, const char *new_label,
                   int (*changed)(void *ctx, const char *tenant), void *ctx);

#endif
