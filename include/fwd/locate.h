/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Naming what a logged packet is to a tenant: its addresses as the policy's
 * hosts, zones, VPN users and sites, and the rule from the log prefix the
 * compiler gave it ("fwd:TENANT:ID "). Pure: a lookup in the policy.
 */
#ifndef FWD_LOCATE_H
#define FWD_LOCATE_H

#include <stddef.h>
#include <stdint.h>

#include "fwd/policy.h"

enum fw_place_kind {
	FW_PLACE_HOST,     /* a host: name, zone */
	FW_PLACE_ZONE,     /* in a zone's subnet, not a known host: zone */
	FW_PLACE_FIREWALL, /* a zone gateway, the VPN or a public address */
	FW_PLACE_VPN_USER, /* a VPN user's address: name */
	FW_PLACE_VPN,      /* the VPN pool, not a user's address */
	FW_PLACE_SITE,     /* a site-to-site network: name */
	FW_PLACE_INTERNET, /* anything else */
};

struct fw_place {
	enum fw_place_kind kind;
	const char *name; /* host, user or site name (points into the policy); NULL */
	const char *zone; /* host or zone: the zone's name; NULL */
};

/* What `addr` (family 4 or 6, 4 or 16 bytes network order) is to tenant t.
 * A host wins over its zone; a VPN user over the pool. */
void fw_locate_addr(const struct fw_tenant *t, uint8_t family, const uint8_t *addr,
                    struct fw_place *ret);

/* The place as a word: "mail", "internet", "vpn:alice", "site:branch",
 * "firewall", "vpn", or "" for a zone-only place. */
const char *fw_place_word(const struct fw_place *p, char *buf, size_t size);

/* The tenant by name; NULL when p is NULL or has no such tenant. */
const struct fw_tenant *fw_locate_tenant(const struct fw_policy *p, const char *name);

/* Split a log prefix "fwd:TENANT:ID " (trailing blanks ignored) into its
 * tenant and rule id. -EINVAL when it is not one of ours or a part does not
 * fit; the buffers are untouched then. */
int fw_log_prefix_parse(const char *prefix, char *tenant, size_t tenant_size, char *id,
                        size_t id_size);

/* What a rule id is: "deny:CHAIN" is the default drop of CHAIN (a deny);
 * any other id is a policy entry that accepts. */
struct fw_rule_place {
	bool deny;
	const char *section;      /* "rules", "publish", "egress", "management"; NULL */
	const struct fw_loc *loc; /* where the entry is written; NULL when unknown */
};
void fw_locate_rule(const struct fw_tenant *t, const char *id, struct fw_rule_place *ret);

/* "default deny (CHAIN)" for a deny id, else the id itself. */
const char *fw_rule_text(const char *id, char *buf, size_t size);

#endif
