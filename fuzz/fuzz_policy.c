// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: any bytes through the loader, checker, compiler, renderer
 * and the `expect:` entries' proof. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fwd/diag.h"
#include "fwd/expect.h"
#include "fwd/plan.h"
#include "fwd/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;

	if (policy_load_buffer("fuzz.yaml", (const char *)data, size, &d, &p) == 0) {
		if (plan_compile(p, &d, &plan) == 0) {
			free(plan_render(plan));
			policy_check_expectations(p, plan, &d);
			plan_free(plan);
		}
		policy_free(p);
	}
	/* Every diagnostic must format: the user sees them all. */
	for (size_t i = 0; i < d.n; i++)
		free(fw_diag_format(&d.v[i]));
	fw_diags_free(&d);
	return 0;
}
