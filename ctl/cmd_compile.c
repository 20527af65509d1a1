// SPDX-License-Identifier: GPL-2.0-or-later
/* fwctl compile [--state-dir DIR] PATH...: the exact nftables ruleset the
 * appliance loads (VPN users at their live addresses: ctl/offline.h). */
#include <stdio.h>
#include <stdlib.h>

#include "fwctl.h"
#include "fwd/plan.h"
#include "fwd/policy.h"
#include "offline.h"

int cmd_compile(struct ctl *ctl, int argc, char **argv)
{
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	char *text = NULL;
	const char *state_dir;
	int r, code;

	if (ctl_offline_args("compile", &argc, &argv, &state_dir) < 0)
		return EXIT_USAGE;
	if (argc < 1) {
		fprintf(stderr, "fwctl compile: expected at least one PATH (file or directory)\n");
		return EXIT_USAGE;
	}
	r = ctl_offline_load("compile", (const char *const *)argv, (size_t)argc, state_dir, &d, &p);
	if (r == 0)
		r = plan_compile(p, &d, &plan);
	if (r == 0) {
		text = plan_render(plan);
		if (!text)
			r = -1;
	}
	code = fw_diags_has_errors(&d) ? EXIT_ERRORS : r < 0 ? EXIT_USAGE : EXIT_OK;
	if (ctl->json) {
		print_json(json_pack("{s:i, s:b, s:s?, s:o}", "version", 1, "ok", code == EXIT_OK,
		                     "ruleset", text, "diagnostics", diags_to_json(&d)));
	} else {
		print_diags_text(&d);
		if (text)
			fputs(text, stdout);
	}
	free(text);
	plan_free(plan);
	policy_free(p);
	fw_diags_free(&d);
	return code;
}
