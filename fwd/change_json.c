// SPDX-License-Identifier: GPL-2.0-or-later
/* A change as JSON (fwd/change_json.h). */
#include "fwd/change_json.h"

json_t *fw_access_diff_json(const struct fw_access_diff *d, const char *text)
{
	json_t *added = json_array(), *removed = json_array();
	char line[FW_ACCESS_TEXT_MAX];
	size_t n_added = 0, n_removed = 0;

	for (size_t i = 0; added && removed && i < d->n; i++) {
		size_t *count = d->v[i].sign == '+' ? &n_added : &n_removed;
		if (*count >= FW_CHANGE_JSON_MAX)
			continue;
		fw_access_format(d->v[i].a, d->multi_tenant, line, sizeof(line));
		json_array_append_new(d->v[i].sign == '+' ? added : removed, json_string(line));
		(*count)++;
	}
	return json_pack("{s:o, s:o, s:I, s:I, s:b, s:s}", "added", added ? added : json_array(),
	                 "removed", removed ? removed : json_array(), "n_added",
	                 (json_int_t)d->n_added, "n_removed", (json_int_t)d->n_removed, "too_large",
	                 d->too_many, "text", text ? text : "");
}

json_t *fw_change_json(const struct fw_change *c)
{
	json_t *tenants = json_array();

	for (size_t i = 0; tenants && i < c->n_tenants; i++)
		json_array_append_new(tenants, json_string(c->tenants[i]));
	return json_pack("{s:b, s:o, s:o, s:s}", "changed", !fw_change_empty(c), "tenants_changed",
	                 tenants ? tenants : json_array(), "access",
	                 fw_access_diff_json(&c->access, c->access_text), "ruleset_diff",
	                 c->ruleset_diff);
}
