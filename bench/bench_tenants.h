/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Generated tenants for bench_apply: policies of a given size, compiled. */
#ifndef FWD_BENCH_TENANTS_H
#define FWD_BENCH_TENANTS_H

#include <stdbool.h>
#include <stddef.h>

#include "fwd/plan.h"
#include "fwd/policy.h"

struct bench_tenant {
	unsigned index;  /* 0..254: names, VLANs, subnets and addresses from it */
	unsigned rules;  /* host-to-host rules, random (seeded by index) */
	unsigned knob;   /* the port of one extra rule: change it to change one rule */
	bool extra_zone; /* one more zone and a rule to it: the tenant's table changes */
};

/* A compiled appliance of n tenants. Returns 0 (the policy owns the text
 * the plan points into) or -1 with a message on stderr. */
struct bench_appliance {
	struct fw_policy *policy;
	struct fw_plan *plan;
	size_t elements;
};
int bench_compile(const struct bench_tenant *t, size_t n, struct bench_appliance *ret);
void bench_free(struct bench_appliance *a);

double bench_now_ms(void);
/* Sorts v; the value at quantile q (0.5: median). */
double bench_quantile(double *v, size_t n, double q);

#endif
