// SPDX-License-Identifier: GPL-2.0-or-later
/* fwctl check PATH...: load, check and compile; report every problem. */
#include <stdio.h>

#include "fwctl.h"
#include "fwd/plan.h"
#include "fwd/policy.h"

int cmd_check(struct ctl *ctl, int argc, char **argv)
{
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	int r, code;

	if (argc < 1) {
		fprintf(stderr, "fwctl check: expected at least one PATH (file or directory)\n");
		return EXIT_USAGE;
	}
	r = policy_load_paths((const char *const *)argv, (size_t)argc, &d, &p);
	if (r == 0)
		r = plan_compile(p, &d, &plan);
	code = fw_diags_has_errors(&d) ? EXIT_ERRORS : r < 0 ? EXIT_USAGE : EXIT_OK;
	if (ctl->json) {
		json_t *tenants = json_array();
		for (size_t i = 0; p && tenants && i < p->n_tenants; i++) {
			const struct fw_tenant *t = &p->tenants[i];
			json_array_append_new(tenants,
			                      json_pack("{s:s, s:I, s:s, s:I, s:I, s:I}", "name",
			                                t->name, "id", (json_int_t)t->id, "file",
			                                t->file, "zones", (json_int_t)t->n_zones,
			                                "hosts", (json_int_t)t->n_hosts, "rules",
			                                (json_int_t)t->n_rules));
		}
		print_json(json_pack("{s:i, s:b, s:I, s:I, s:o, s:o}", "version", 1, "ok",
		                     code == EXIT_OK, "errors", (json_int_t)d.n_errors, "warnings",
		                     (json_int_t)d.n_warnings, "diagnostics", diags_to_json(&d),
		                     "tenants", tenants ? tenants : json_array()));
	} else {
		print_diags_text(&d);
		if (code == EXIT_OK)
			for (size_t i = 0; i < p->n_tenants; i++)
				printf("%s: tenant %s ok (%zu zones, %zu hosts, %zu rules)\n",
				       p->tenants[i].file, p->tenants[i].name,
				       p->tenants[i].n_zones, p->tenants[i].n_hosts,
				       p->tenants[i].n_rules);
		if (d.n_errors || d.n_warnings)
			fprintf(stderr, "%zu error%s, %zu warning%s\n", d.n_errors,
			        d.n_errors == 1 ? "" : "s", d.n_warnings,
			        d.n_warnings == 1 ? "" : "s");
	}
	plan_free(plan);
	policy_free(p);
	fw_diags_free(&d);
	return code;
}
