// SPDX-License-Identifier: GPL-2.0-or-later
/* The control protocol's vpn-edit argument (see fwd/proto.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwd/proto.h"
#include "proto_args.h"

static int string_arg(json_t *o, const char *key, const char **ret, char *err, size_t size)
{
	char what[64];

	snprintf(what, sizeof(what), "args.vpn.%s", key);
	return fwp_arg_string(o, key, what, ret, err, size);
}

static int list_arg(json_t *o, const char *key, const char **ret, size_t *ret_n, char *err,
                    size_t size)
{
	json_t *v = json_object_get(o, key), *x;
	size_t i;

	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > FWP_MAX_RULE_LIST)
		return fw_errf(err, size, -EINVAL,
		               "args.vpn.%s: expected a list of up to %d strings", key,
		               FWP_MAX_RULE_LIST);
	json_array_foreach(v, i, x)
	{
		if (!fwp_arg_is_value(x))
			return fw_errf(err, size, -EINVAL,
			               "args.vpn.%s[%zu]: expected a string of 1 to %d bytes", key,
			               i, FWP_MAX_RULE_VALUE);
		ret[i] = json_string_value(x);
	}
	*ret_n = json_array_size(v);
	return 0;
}

int fwp_parse_vpn_args(json_t *args, struct fwp_request *r, char *err, size_t size)
{
	static const char *const keys[] = {"op",     "name",     "address",  "public_key",
	                                   "groups", "networks", "endpoint", "keepalive"};
	static const char *const ops[] = {"user-add", "user-del", "site-add", "site-del"};
	struct fwp_vpn_edit *e = &r->vpn;
	json_t *v = json_object_get(args, "vpn"), *x;
	const char *key;
	bool known_op = false;
	int rc;

	if (!r->tenant)
		return fw_errf(err, size, -EINVAL, "args: 'vpn-edit' needs 'tenant'");
	if (!json_is_object(v))
		return fw_errf(err, size, -EINVAL,
		               "args.vpn: expected {\"op\", \"name\", ...} (user-add, user-del, "
		               "site-add, site-del)");
	json_object_foreach(v, key, x)
	{
		bool known = false;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			known |= !strcmp(key, keys[i]);
		if (!known)
			return fw_errf(err, size, -EINVAL, "args.vpn: unknown key '%.64s'", key);
	}
	e->keepalive = -1;
	if ((rc = string_arg(v, "op", &e->op, err, size)) < 0 ||
	    (rc = string_arg(v, "name", &e->name, err, size)) < 0 ||
	    (rc = string_arg(v, "address", &e->address, err, size)) < 0 ||
	    (rc = string_arg(v, "public_key", &e->public_key, err, size)) < 0 ||
	    (rc = string_arg(v, "endpoint", &e->endpoint, err, size)) < 0 ||
	    (rc = list_arg(v, "groups", e->groups, &e->n_groups, err, size)) < 0 ||
	    (rc = list_arg(v, "networks", e->networks, &e->n_networks, err, size)) < 0)
		return rc;
	for (size_t i = 0; e->op && i < sizeof(ops) / sizeof(ops[0]); i++)
		known_op |= !strcmp(e->op, ops[i]);
	if (!known_op)
		return fw_errf(err, size, -EINVAL,
		               "args.vpn.op: expected user-add, user-del, site-add or site-del");
	if (!e->name)
		return fw_errf(err, size, -EINVAL, "args.vpn: '%s' needs 'name'", e->op);
	if ((x = json_object_get(v, "keepalive"))) {
		if (!json_is_integer(x) || json_integer_value(x) < 0 ||
		    json_integer_value(x) > 65535)
			return fw_errf(err, size, -EINVAL,
			               "args.vpn.keepalive: expected seconds from 0 to 65535");
		e->keepalive = (int)json_integer_value(x);
	}
	r->has_vpn = true;
	return 0;
}

json_t *fwp_vpn_json(const struct fwp_vpn_edit *v)
{
	json_t *o =
	    json_pack("{s:s, s:s}", "op", v->op ? v->op : "", "name", v->name ? v->name : "");

	if (!o)
		return NULL;
	if ((v->address && json_object_set_new(o, "address", json_string(v->address)) < 0) ||
	    (v->public_key &&
	     json_object_set_new(o, "public_key", json_string(v->public_key)) < 0) ||
	    (v->endpoint && json_object_set_new(o, "endpoint", json_string(v->endpoint)) < 0) ||
	    (v->n_groups &&
	     json_object_set_new(o, "groups", fwp_strings_json(v->groups, v->n_groups)) < 0) ||
	    (v->n_networks &&
	     json_object_set_new(o, "networks", fwp_strings_json(v->networks, v->n_networks)) <
	         0) ||
	    (v->keepalive >= 0 &&
	     json_object_set_new(o, "keepalive", json_integer(v->keepalive)) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}
