// SPDX-License-Identifier: GPL-2.0-or-later
/* fwctl check [--state-dir DIR] PATH...: load (with the daemon's VPN
 * address pins, ctl/offline.h), check and compile; prove the policy's
 * `expect:` entries against the compiled plan; report every problem. */
#include <stdio.h>

#include "fwctl.h"
#include "fwd/expect.h"
#include "fwd/plan.h"
#include "fwd/policy.h"
#include "offline.h"

int cmd_check(struct ctl *ctl, int argc, char **argv)
{
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	const char *state_dir;
	int r, code;

	if (ctl_offline_args("check", &argc, &argv, &state_dir) < 0)
		return EXIT_USAGE;
	if (argc < 1) {
		fprintf(stderr, "fwctl check: expected at least one PATH (file or directory)\n");
		return EXIT_USAGE;
	}
	r = ctl_offline_load("check", (const char *const *)argv, (size_t)argc, state_dir, &d, &p);
	if (r == 0)
		r = plan_compile(p, &d, &plan);
	if (r == 0)
		r = policy_check_expectations(p, plan, &d);
	code = fw_diags_has_errors(&d) ? EXIT_ERRORS : r < 0 ? EXIT_USAGE : EXIT_OK;
	if (ctl->json) {
		json_t *tenants = json_array();
		for (size_t i = 0; p && tenants && i < p->n_tenants; i++) {
			const struct fw_tenant *t = &p->tenants[i];
			json_array_append_new(
			    tenants,
			    json_pack("{s:s, s:I, s:s, s:I, s:I, s:I, s:I}", "name", t->name, "id",
			              (json_int_t)t->id, "file", t->file, "zones",
			              (json_int_t)t->n_zones, "hosts", (json_int_t)t->n_hosts,
			              "rules", (json_int_t)t->n_rules, "expectations",
			              (json_int_t)t->n_expects));
		}
		print_json(json_pack("{s:i, s:b, s:I, s:I, s:o, s:o}", "version", 1, "ok",
		                     code == EXIT_OK, "errors", (json_int_t)d.n_errors, "warnings",
		                     (json_int_t)d.n_warnings, "diagnostics", diags_to_json(&d),
		                     "tenants", tenants ? tenants : json_array()));
	} else {
		print_diags_text(&d);
		for (size_t i = 0; code == EXIT_OK && i < p->n_tenants; i++) {
			const struct fw_tenant *t = &p->tenants[i];
			char hold[48] = "";

			if (t->n_expects)
				snprintf(hold, sizeof(hold), ", %zu expectation%s hold%s",
				         t->n_expects, t->n_expects == 1 ? "" : "s",
				         t->n_expects == 1 ? "s" : "");
			printf("%s: tenant %s ok (%zu zones, %zu hosts, %zu rules%s)\n", t->file,
			       t->name, t->n_zones, t->n_hosts, t->n_rules, hold);
		}
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
