/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A change (fwd/change.h) as the control protocol returns it:
 *   {"changed": B, "tenants_changed": [...], "ruleset_diff": S,
 *    "access": {"added": [...], "removed": [...], "n_added": N, "n_removed": N,
 *               "too_large": B, "text": S}}
 * The added/removed lists hold at most FW_CHANGE_JSON_MAX entries each (the
 * counts and the text say how many there are). fwd answers with it, fwctl's
 * offline diff prints it.
 */
#ifndef FWD_CHANGE_JSON_H
#define FWD_CHANGE_JSON_H

#include <jansson.h>

#include "fwd/access.h"
#include "fwd/change.h"

#define FW_CHANGE_JSON_MAX 10000

/* New references; NULL on allocation failure. */
json_t *fw_access_diff_json(const struct fw_access_diff *d, const char *text);
json_t *fw_change_json(const struct fw_change *c);

#endif
