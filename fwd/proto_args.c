// SPDX-License-Identifier: GPL-2.0-or-later
/* Checks shared by the control protocol's argument parsers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwd/proto.h"
#include "proto_args.h"

bool fwp_arg_is_value(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) >= 1 &&
	       json_string_length(v) <= FWP_MAX_RULE_VALUE &&
	       strlen(json_string_value(v)) == json_string_length(v); /* no NUL inside */
}

int fwp_arg_string(json_t *o, const char *key, const char *what, const char **ret, char *err,
                   size_t size)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!fwp_arg_is_value(v))
		return fw_errf(err, size, -EINVAL, "%s: expected a string of 1 to %d bytes", what,
		               FWP_MAX_RULE_VALUE);
	*ret = json_string_value(v);
	return 0;
}

json_t *fwp_strings_json(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}
