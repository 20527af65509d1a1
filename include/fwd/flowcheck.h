/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Would the plan let this connection in? Asked about connections that are
 * already open (tracked by conntrack) when the policy changes, and about the
 * engineer's own management access before a change is applied.
 *
 * The answer comes from the plan through the evaluator (fwd/explain.h),
 * along the path the connection's first packet takes: prerouting and DNAT,
 * then input, forward or the bridge of an isolated zone. A connection no
 * tenant's rules decide (the firewall's own, traffic of interfaces no tenant
 * owns) is "undecided": revocation leaves it alone.
 *
 * Pure: no root, no netlink; the daemon feeds it what the kernel reports.
 */
#ifndef FWD_FLOWCHECK_H
#define FWD_FLOWCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "fwd/explain.h"
#include "fwd/plan.h"
#include "fwd/policy.h"

/* A connection as conntrack knows it: the original tuple, and where a DNAT
 * sent it (the reply tuple's source). Addresses in network order. */
struct fw_flow {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport; /* host order; 0 for protocols without ports */
	uint8_t icmp_type;     /* ICMP and ICMPv6: the request that opened it */
	bool dnat;             /* the destination was rewritten to real_daddr:real_dport */
	uint8_t real_daddr[16];
	uint16_t real_dport;
	/* Not yet open (management access): the plan's own prerouting NAT
	 * decides where it goes, as for a new connection; dnat is ignored. */
	bool plan_nat;
};

enum fw_flow_verdict {
	FW_FLOW_UNDECIDED, /* no tenant's traffic */
	FW_FLOW_ACCEPT,
	FW_FLOW_DROP,
};

struct fw_flow_check {
	enum fw_flow_verdict verdict;
	const struct fw_tenant *tenant; /* UNDECIDED: NULL */
	struct fw_eval eval;            /* what decided */
	char path[160];                 /* "forward acme: office -> servers" */
};

/* Does `plan` (compiled from p) accept the connection's first packet (ct
 * state new)? Returns 0 and *ret, or -ENOMEM. */
int policy_flow_check(const struct fw_policy *p, const struct fw_plan *plan,
                      const struct fw_flow *f, struct fw_flow_check *ret);

/* Revocation: 1 when the old plan accepted the connection and the new one
 * does not (the new policy may no longer claim it at all: a removed tenant's
 * traffic is dropped by the base table), 0 to keep it, -ENOMEM. */
int policy_flow_revoked(const struct fw_policy *old_p, const struct fw_plan *old_plan,
                        const struct fw_policy *new_p, const struct fw_plan *new_plan,
                        const struct fw_flow *f);

/* Where a change comes from: the engineer's address and, when known, the
 * firewall address and tcp port of the management session (fwctl takes
 * them from $SSH_CONNECTION or --from-address). */
struct fw_mgmt_origin {
	uint8_t family; /* 4 or 6 */
	uint8_t from[16];
	bool has_to; /* else: the firewall's address on the side `from` is on */
	uint8_t to[16];
	uint16_t port; /* tcp; 0 means 22 */
};

#define FW_MGMT_DEFAULT_PORT 22

/*
 * The lockout guard: 1 when the live plan accepts a new tcp connection from
 * a->from to the firewall and the candidate plan does not, with a message
 * for the engineer in msg ("it would cut management access from A to the
 * firewall B tcp/P"); 0 when the candidate keeps that access or the live
 * plan never granted it; -ENOMEM.
 */
int policy_mgmt_lost(const struct fw_policy *live_p, const struct fw_plan *live,
                     const struct fw_policy *cand_p, const struct fw_plan *cand,
                     const struct fw_mgmt_origin *a, char *msg, size_t msg_size);

#endif
