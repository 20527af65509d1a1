// SPDX-License-Identifier: GPL-2.0-or-later
/* The control protocol's rule-add and rule-del arguments (see fwd/proto.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwd/proto.h"
#include "proto_args.h"

/* A string or a list of 1 to FWP_MAX_RULE_LIST strings. */
static int list_arg(json_t *o, const char *key, const char **ret, size_t *ret_n, char *err,
                    size_t size)
{
	json_t *v = json_object_get(o, key), *x;
	size_t i;

	if (fwp_arg_is_value(v)) {
		ret[0] = json_string_value(v);
		*ret_n = 1;
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > FWP_MAX_RULE_LIST)
		return fw_errf(err, size, -EINVAL,
		               "args.rule.%s: expected a string or a list of 1 to %d strings", key,
		               FWP_MAX_RULE_LIST);
	json_array_foreach(v, i, x)
	{
		if (!fwp_arg_is_value(x))
			return fw_errf(err, size, -EINVAL,
			               "args.rule.%s[%zu]: expected a string of 1 to %d bytes", key,
			               i, FWP_MAX_RULE_VALUE);
		ret[i] = json_string_value(x);
	}
	*ret_n = json_array_size(v);
	return 0;
}

static int parse_rule(json_t *v, struct fwp_rule *rule, char *err, size_t size)
{
	static const char *const keys[] = {"from", "to", "allow", "id", "log", "comment", "before"};
	const char *key;
	json_t *x;
	int e;

	if (!json_is_object(v))
		return fw_errf(err, size, -EINVAL,
		               "args.rule: expected {\"from\", \"to\", \"allow\"} and optionally "
		               "\"id\", \"log\", \"comment\", \"before\"");
	json_object_foreach(v, key, x)
	{
		bool known = false;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			known |= !strcmp(key, keys[i]);
		if (!known)
			return fw_errf(err, size, -EINVAL, "args.rule: unknown key '%.64s'", key);
	}
	if ((e = list_arg(v, "from", rule->from, &rule->n_from, err, size)) < 0 ||
	    (e = list_arg(v, "to", rule->to, &rule->n_to, err, size)) < 0 ||
	    (e = list_arg(v, "allow", rule->allow, &rule->n_allow, err, size)) < 0 ||
	    (e = fwp_arg_string(v, "id", "args.rule.id", &rule->id, err, size)) < 0 ||
	    (e = fwp_arg_string(v, "comment", "args.rule.comment", &rule->comment, err, size)) <
	        0 ||
	    (e = fwp_arg_string(v, "before", "args.rule.before", &rule->before, err, size)) < 0)
		return e;
	if ((x = json_object_get(v, "log"))) {
		if (!json_is_boolean(x))
			return fw_errf(err, size, -EINVAL, "args.rule.log: expected true or false");
		rule->log = json_is_true(x);
	}
	return 0;
}

int fwp_parse_rule_args(json_t *args, struct fwp_request *r, char *err, size_t size)
{
	const char *cmd = fwp_command_name(r->command);
	json_t *v;

	if (!r->tenant)
		return fw_errf(err, size, -EINVAL, "args: '%s' needs 'tenant'", cmd);
	if (r->command == FWP_RULE_ADD) {
		if (!(v = json_object_get(args, "rule")))
			return fw_errf(err, size, -EINVAL, "args: '%s' needs 'rule'", cmd);
		r->has_rule = true;
		return parse_rule(v, &r->rule, err, size);
	}
	if (!json_object_get(args, "id"))
		return fw_errf(err, size, -EINVAL, "args: '%s' needs 'id'", cmd);
	return fwp_arg_string(args, "id", "args.id", &r->rule_id, err, size);
}

json_t *fwp_rule_json(const struct fwp_rule *rule)
{
	json_t *o = json_pack("{s:o, s:o, s:o}", "from", fwp_strings_json(rule->from, rule->n_from),
	                      "to", fwp_strings_json(rule->to, rule->n_to), "allow",
	                      fwp_strings_json(rule->allow, rule->n_allow));

	if (!o)
		return NULL;
	if ((rule->id && json_object_set_new(o, "id", json_string(rule->id)) < 0) ||
	    (rule->comment && json_object_set_new(o, "comment", json_string(rule->comment)) < 0) ||
	    (rule->before && json_object_set_new(o, "before", json_string(rule->before)) < 0) ||
	    (rule->log && json_object_set_new(o, "log", json_true()) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}
