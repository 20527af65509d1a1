/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the control protocol's argument parsers share (proto_rule.c,
 * proto_vpn.c): one definition of what a string value may be. */
#ifndef FWD_PROTO_ARGS_H
#define FWD_PROTO_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "fwd/diag.h"

/* A string of 1 to FWP_MAX_RULE_VALUE bytes without a NUL inside. */
bool fwp_arg_is_value(const json_t *v);

/* o[key] when present (*ret untouched when absent); `what` names it in the
 * error. */
int fwp_arg_string(json_t *o, const char *key, const char *what, const char **ret, char *err,
                   size_t size);

/* The strings as a JSON array (a new reference; NULL: out of memory). */
json_t *fwp_strings_json(const char *const *v, size_t n);

#endif
