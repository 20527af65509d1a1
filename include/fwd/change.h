/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a change does, before it is made: the access diff (fwd/access.h)
 * and a unified diff of the rendered tables that change (fwd/textdiff.h),
 * each table under "--- fwd_acme (live)" / "+++ fwd_acme (new)" headers.
 * Shown by `fwctl diff`, stored with every generation, returned by
 * `fwctl rule add|del`. Pure: the daemon and fwctl's offline mode share it.
 */
#ifndef FWD_CHANGE_H
#define FWD_CHANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "fwd/access.h"
#include "fwd/plan.h"
#include "fwd/policy.h"

/* The whole text (access lines and ruleset diffs) is cut past this. */
#define FW_CHANGE_TEXT_MAX (2u << 20)

struct fw_change {
	struct fw_access_set *old_access, *new_access;
	struct fw_access_diff access;
	char *access_text;  /* "+ app → sql tcp/1433\n..."; "" when none */
	char *ruleset_diff; /* unified diffs of the changed tables; "" when none */
	char **tenants;     /* tenants whose tables or accesses change, sorted */
	size_t n_tenants;
};

/*
 * Compare a live policy and plan (both NULL: nothing live) with a new one.
 * Labels name the two sides in the ruleset diff headers ("live", "new").
 * Returns 0 and *ret, or -ENOMEM (*ret untouched).
 */
int fw_change_compute(const struct fw_policy *old_p, const struct fw_plan *old_plan,
                      const struct fw_policy *new_p, const struct fw_plan *new_plan,
                      const char *old_label, const char *new_label, struct fw_change **ret);
void fw_change_free(struct fw_change *c);

/* Nothing changes: no access and no table differs. */
bool fw_change_empty(const struct fw_change *c);

/* The access lines, a blank line, then the ruleset diff (as fwctl diff
 * prints it); "" for no change. Cut at FW_CHANGE_TEXT_MAX with a last line
 * saying so. A new string, NULL on allocation failure. */
char *fw_change_text(const struct fw_change *c);

/* "access +1 -0" for the audit log. */
void fw_change_summary(const struct fw_change *c, char *buf, size_t size);

#endif
