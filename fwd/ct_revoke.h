/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Revocation: when a policy change takes away what let a connection in, the
 * connection's conntrack entry is deleted, so an open session does not live
 * on through "ct state established,related accept".
 *
 * ct_revoke() dumps the conntrack table of the caller's network namespace
 * over ctnetlink (libmnl), asks `decide` about each entry's original tuple
 * (and, for DNATed connections, the real destination from the reply tuple),
 * and deletes the entries it names, each by its original tuple, zone and
 * conntrack id (an entry that ended and was replaced meanwhile is not
 * touched). Deleting an entry makes the connection's next packet "new"
 * again, so the new ruleset decides it like a first packet.
 *
 * Bounded: at most max_entries entries are looked at per call; past it the
 * result says `capped` and the rest stays until the next change.
 *
 * Library code: returns 0 or a negative errno, never prints.
 */
#ifndef FWD_CT_REVOKE_H
#define FWD_CT_REVOKE_H

#include <stddef.h>

#include "fwd/engine.h"
#include "fwd/flowcheck.h"

#define CT_REVOKE_DEFAULT_MAX 65536   /* entries looked at per change */
#define CT_REVOKE_LIMIT       4000000 /* the most --revoke-max accepts */

struct ct_revoke_opts {
	size_t max_entries; /* 0: CT_REVOKE_DEFAULT_MAX */
};

/* 1: delete this connection, 0: keep it, < 0: stop with this error. */
typedef int (*ct_decide_fn)(void *arg, const struct fw_flow *f);

int ct_revoke(const struct ct_revoke_opts *opts, ct_decide_fn decide, void *arg,
              struct fw_revoke_result *ret);

/* The engine's revoke hook (fw_engine_set_revoke): cuts what the old plan
 * accepted and the new one does not (policy_flow_revoked). ctx: a const
 * struct ct_revoke_opts * or NULL. */
int ct_revoke_hook(void *ctx, const struct fw_policy *old_policy, const struct fw_plan *old_plan,
                   const struct fw_policy *new_policy, const struct fw_plan *new_plan,
                   struct fw_revoke_result *ret);

#endif
