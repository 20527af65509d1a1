/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Effective access: what a policy allows, said with the policy's own names.
 *
 * Every rule, publish, egress and management entry is expanded into
 * entries "FROM → TO SERVICE":
 *   - groups are expanded to their members (hosts, zones, networks, ...),
 *     VPN groups to their users ("vpn:alice"); zones, networks (CIDRs,
 *     canonical), "internet", "vpn:all", users and sites ("site:NAME") stay
 *     themselves;
 *   - services are resolved to one entry per protocol and port range:
 *     "tcp/1433", "tcp/3268-3269", "udp", "icmp", "any";
 *   - management entries go to "firewall", egress to "internet" with a note
 *     "(snat ADDR)" or "(masquerade)", publish entries to the host with
 *     "(published ADDR)" (", to port N" when the port changes).
 * Duplicates collapse: the result is a set, sorted by tenant, from, to,
 * protocol, port, note. The difference of two sets says in plain words what
 * a change opens ("+ app → sql tcp/1433") and closes ("- ...").
 *
 * Pure: no root, no I/O. A set owns all its strings (it outlives the policy).
 */
#ifndef FWD_ACCESS_H
#define FWD_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/policy.h"

/* Entries per set: past it the set is marked too_many and a diff with it
 * says so instead of listing (bounds memory: ~48 bytes per entry). */
#define FW_ACCESS_MAX           500000u
#define FW_ACCESS_TEXT_MAX      256        /* one formatted entry, with its tenant */
#define FW_ACCESS_DIFF_TEXT_MAX (1u << 20) /* a diff's text: past it, a count */

struct fw_access {
	const char *tenant, *from, *to; /* owned by the set */
	const char *note;               /* NULL, or "published 203.0.113.10" ... */
	uint8_t proto;                  /* 0: any */
	uint16_t lo, hi;
};

struct strpool;

struct fw_access_set {
	struct fw_access *v;
	size_t n, cap;
	bool too_many;
	size_t n_tenants;         /* in the policy */
	const char *first_tenant; /* its first tenant's name, NULL when none */
	struct strpool *pool;
};

/* The accesses of a policy (NULL: the empty policy). */
int fw_access_compute(const struct fw_policy *p, struct fw_access_set **ret);
void fw_access_set_free(struct fw_access_set *s);

/* "app → sql tcp/1433", with "TENANT: " in front when with_tenant.
 * Returns the length written (cut to size). */
size_t fw_access_format(const struct fw_access *a, bool with_tenant, char *buf, size_t size);

struct fw_access_change {
	char sign;                 /* '+' or '-' */
	const struct fw_access *a; /* points into one of the two sets */
};

struct fw_access_diff {
	struct fw_access_change *v; /* in sorted order */
	size_t n, n_added, n_removed;
	bool too_many;     /* a set was past FW_ACCESS_MAX: nothing listed */
	bool multi_tenant; /* the two sets name more than one tenant */
};

/* The difference old -> new. Both sets must outlive the diff. */
int fw_access_diff(const struct fw_access_set *old_set, const struct fw_access_set *new_set,
                   struct fw_access_diff *ret);
void fw_access_diff_free(struct fw_access_diff *d);

/* One line per change, "+ app → sql tcp/1433\n" (tenant in front when the
 * diff is multi-tenant); "" when nothing changed; a note when too_many;
 * past FW_ACCESS_DIFF_TEXT_MAX bytes "(N more access changes not shown)".
 * A new string, NULL on allocation failure. */
char *fw_access_diff_text(const struct fw_access_diff *d);

#endif
