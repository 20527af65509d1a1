/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Policy assertions: a tenant file's `expect:` entries ("app → sql tcp/1433:
 * allow") proved against the COMPILED plan, so they say what the kernel will
 * do, NAT, VPN identities, zone dispatch and isolation included.
 *
 * Each side of an entry stands for every address it covers: a host for its
 * addresses, a group for its members, a zone, a prefix, `internet` or
 * `vpn:all` for all of theirs. Addresses the plan cannot tell apart (the
 * plan is made of the policy's own prefixes and port ranges) behave alike,
 * so one address of every such stretch is tried, and one port of every
 * stretch of the service's ports: an assertion holds for every packet of
 * its kind, not for a sample. The first packet that disagrees is reported,
 * with the rule or default that decided it.
 *
 * Pure: no root, no netlink. Loaded by the policy loader (expect_load.c).
 */
#ifndef FWD_EXPECT_H
#define FWD_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "fwd/diag.h"
#include "fwd/plan.h"
#include "fwd/policy.h"

#define FW_EXPECT_MAX 1024 /* entries per tenant file */
/* Packets one entry may take to prove, and all entries of an appliance:
 * the daemon runs them on every apply. */
#define FW_EXPECT_MAX_PACKETS       100000
#define FW_EXPECT_MAX_TOTAL_PACKETS 500000

struct fw_expect {
	char *text;        /* "app → sql tcp/1433", as messages show it */
	struct fw_loc loc; /* the entry */
	struct fw_ref from, to;
	bool to_firewall; /* `firewall`: the firewall itself (to is unused) */
	struct fw_svc_ref *svc;
	size_t n_svc;
	bool allow; /* the expected result */
};

/*
 * Check every expectation of every tenant of p against plan (compiled from
 * p). Each failing one is recorded as an error at its entry:
 *   "expectation failed: app → sql tcp/1433: expected allow, but
 *    10.10.120.20 → 10.10.120.30 tcp/1433 is dropped by default.deny (zone
 *    servers isolated)".
 * Returns 0 when all hold, -EINVAL when one failed or could not be checked
 * (recorded), -ENOMEM.
 */
int policy_check_expectations(const struct fw_policy *p, const struct fw_plan *plan,
                              struct fw_diags *diags);

void fw_expects_free(struct fw_expect *v, size_t n);

#endif
