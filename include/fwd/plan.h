/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan: the one contract between the policy layer and the backends.
 *
 * An nftables program described as data: tables, chains, sets/verdict maps
 * and rules made of statements. It is close enough to the kernel's object
 * model that the nft backend maps each statement onto libnftnl expressions,
 * and the renderer prints it as `nft -f` text. It never contains YAML.
 * Every rule and set element keeps the policy rule it came from (id and
 * file:line:col) so kernel errors, counters and log lines can be traced back.
 *
 * Byte order: addresses and ports in fw_val are network order, protocol
 * numbers one byte, interface names NUL-padded to 16 bytes, ct state and
 * tcp flag masks are host-order integers in `bits`/`mask`.
 */
#ifndef FWD_PLAN_H
#define FWD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/diag.h"
#include "fwd/policy.h"
#include "fwd/l2plan.h"
#include "fwd/vpnplan.h"

#define FW_MAX_CONCAT   4
#define FW_OBJ_NAME_MAX 128 /* table, chain and set names */
#define FW_NFLOG_GROUP  100 /* NFLOG group for logged drops and accepts */

enum fw_family {
	FW_FAMILY_INET,
	FW_FAMILY_BRIDGE,
};

enum fw_hook {
	FW_HOOK_NONE, /* a regular chain, reached by jump */
	FW_HOOK_PREROUTING,
	FW_HOOK_INPUT,
	FW_HOOK_FORWARD,
	FW_HOOK_OUTPUT,
	FW_HOOK_POSTROUTING,
};

enum fw_chain_type {
	FW_CHAIN_FILTER,
	FW_CHAIN_NAT,
};

enum fw_verdict {
	FW_VERDICT_NONE,
	FW_VERDICT_ACCEPT,
	FW_VERDICT_DROP,
	FW_VERDICT_RETURN,
	FW_VERDICT_JUMP,
	FW_VERDICT_GOTO,
};

/* Data types of set keys (nft: ipv4_addr, ipv6_addr, inet_proto,
 * inet_service, ifname). */
enum fw_key {
	FW_KEY_IPV4,
	FW_KEY_IPV6,
	FW_KEY_PROTO,
	FW_KEY_PORT,
	FW_KEY_IFNAME,
};

/* What a statement looks at in the packet. */
enum fw_sel {
	FW_SEL_IIFNAME,
	FW_SEL_OIFNAME,
	FW_SEL_NFPROTO,  /* meta nfproto: 2 = ipv4, 10 = ipv6 (inet tables) */
	FW_SEL_PROTOCOL, /* meta protocol: ethertype (bridge tables), val network order */
	FW_SEL_L4PROTO,
	FW_SEL_IP_SADDR,
	FW_SEL_IP_DADDR,
	FW_SEL_IP6_SADDR,
	FW_SEL_IP6_DADDR,
	FW_SEL_TH_SPORT,
	FW_SEL_TH_DPORT,
	FW_SEL_CT_STATE,     /* FW_ST_BITS, FW_CT_* */
	FW_SEL_CT_STATUS,    /* FW_ST_BITS, FW_CT_STATUS_* */
	FW_SEL_TCP_FLAGS,    /* FW_ST_BITS, FW_TCP_* */
	FW_SEL_ICMPV6_TYPE,  /* one byte */
	FW_SEL_FIB_RPF,      /* fib saddr . iif oif; compared with 0 = "missing" */
	FW_SEL_ETHER_SADDR,  /* 6 bytes (bridge tables) */
	FW_SEL_ARP_SADDR_IP, /* arp sender protocol address, 4 bytes (bridge tables) */
};

#define FW_CT_INVALID     0x01u
#define FW_CT_ESTABLISHED 0x02u
#define FW_CT_RELATED     0x04u
#define FW_CT_NEW         0x08u

#define FW_CT_STATUS_DNAT 0x20u /* the kernel's IPS_DST_NAT */

#define FW_TCP_FIN 0x01u
#define FW_TCP_SYN 0x02u
#define FW_TCP_RST 0x04u
#define FW_TCP_ACK 0x10u

/* A value or an inclusive range lo..hi (prefixes are ranges). */
struct fw_val {
	uint8_t len; /* bytes used in lo/hi */
	bool range;
	uint8_t lo[16];
	uint8_t hi[16];
};

enum fw_stmt_kind {
	FW_ST_CMP,    /* sel[0] (==|!=) val; val may be a range */
	FW_ST_BITS,   /* (sel[0] & mask) (==|!=) bits */
	FW_ST_LOOKUP, /* sel[0] . sel[1] ... [!]@set */
	FW_ST_VMAP,   /* sel[0] . sel[1] ... vmap @set */
	FW_ST_COUNTER,
	FW_ST_LOG,     /* log group G prefix "..." */
	FW_ST_VERDICT, /* accept, drop, return, jump/goto chain */
	FW_ST_DNAT,    /* dnat ip|ip6 to addr[:port] */
	FW_ST_SNAT,    /* snat ip|ip6 to addr */
	FW_ST_MASQ,
};

struct fw_stmt {
	enum fw_stmt_kind kind;
	enum fw_sel sel[FW_MAX_CONCAT];
	uint8_t n_sel;
	bool neg;
	struct fw_val val;         /* CMP */
	uint32_t mask, bits;       /* BITS */
	char set[FW_OBJ_NAME_MAX]; /* LOOKUP, VMAP */
	enum fw_verdict verdict;   /* VERDICT */
	char chain[FW_OBJ_NAME_MAX];
	uint16_t log_group; /* LOG */
	char *log_prefix;   /* LOG, owned */
	uint8_t nat_family; /* DNAT/SNAT: 4 or 6 */
	uint8_t nat_addr[16];
	uint16_t nat_port; /* host order, 0 = keep */
};

/* Where a rule or element came from: the policy rule id and location.
 * id NULL marks structure the compiler adds on its own (ct state, dispatch).
 * A tenant's default drops carry FW_ORIGIN_DEFAULT_DENY (at the tenant's
 * name): not a valid policy id ('.' is not allowed in one), so its counter
 * never mixes with a rule's. */
#define FW_ORIGIN_DEFAULT_DENY "default.deny"
struct fw_origin {
	const char *id; /* points into the policy; valid while it lives */
	struct fw_loc loc;
};

struct fw_plan_rule {
	struct fw_stmt *stmts;
	size_t n_stmts;
	struct fw_origin origin;
};

struct fw_elem {
	struct fw_val key[FW_MAX_CONCAT];
	enum fw_verdict verdict; /* verdict maps only */
	char chain[FW_OBJ_NAME_MAX];
	struct fw_origin origin;
};

struct fw_plan_set {
	char name[FW_OBJ_NAME_MAX];
	enum fw_key key[FW_MAX_CONCAT];
	uint8_t n_key;
	bool interval;
	bool vmap;
	/* A packet/byte counter per element (nft: `counter` in the set): the
	 * hits of each policy rule, kept while the element stays. */
	bool counter;
	struct fw_elem *elems; /* sorted, pairwise disjoint */
	size_t n_elems;
	size_t cap_elems;
	/* plan_digest(): the declaration and every element (valid while the
	 * table's digest_set is true) */
	uint64_t digest[2];
};

struct fw_plan_chain {
	char name[FW_OBJ_NAME_MAX];
	enum fw_hook hook;
	enum fw_chain_type type;
	int prio;
	enum fw_verdict policy; /* base chains: ACCEPT or DROP */
	struct fw_plan_rule *rules;
	size_t n_rules;
	size_t cap_rules;
};

struct fw_plan_table {
	enum fw_family family;
	char name[FW_OBJ_NAME_MAX];
	const char *tenant; /* NULL for the appliance-wide base table */
	struct fw_plan_set *sets;
	size_t n_sets;
	struct fw_plan_chain *chains;
	size_t n_chains;
	/* plan_digest(): everything but the set elements (chains, rules, set
	 * declarations). digest_set: this digest and the sets' are current;
	 * false (a plan built by hand) makes the backend compare elements. */
	uint64_t digest[2];
	bool digest_set;
};

struct fw_plan {
	struct fw_plan_table *tables;
	size_t n_tables;
	struct fw_vpn_plan vpn; /* WireGuard interfaces and peers (fwd/vpnplan.h) */
	struct fw_l2_plan l2;   /* bridges, VLANs, ports (fwd/l2plan.h) */
};

/*
 * Compile a checked policy. Records warnings (shadowed and never-matching
 * rules) in diags. Returns 0 and *ret, or a negative errno (*ret untouched).
 * The policy must outlive the plan (origins point into it).
 */
int plan_compile(const struct fw_policy *policy, struct fw_diags *diags, struct fw_plan **ret);
void plan_free(struct fw_plan *plan);
/* Fill in the digests of every table and set (plan_compile does): equal
 * digests stand for equal content as the nft backend reads it, so an
 * unchanged table or set is decided without reading its elements. A plan
 * changed afterwards must be digested again (or its digest_set cleared). */
void plan_digest(struct fw_plan *plan);

/* Lookup helpers for backends, the renderer and the evaluator. */
const struct fw_plan_table *plan_find_table(const struct fw_plan *plan, enum fw_family family,
                                            const char *name);
const struct fw_plan_chain *plan_find_chain(const struct fw_plan_table *t, const char *name);
const struct fw_plan_set *plan_find_set(const struct fw_plan_table *t, const char *name);

/* A range lo..hi (len bytes, network order) that is exactly one CIDR block:
 * its prefix length; -1 otherwise. Renderer and backends agree through it. */
int fw_range_prefix_len(const uint8_t *lo, const uint8_t *hi, unsigned len);

/* Render the whole plan as `nft -f` text (deterministic). Returns a new
 * string or NULL on allocation failure. */
char *plan_render(const struct fw_plan *plan);
/* Render one table only (for per-tenant diffs). */
char *plan_render_table(const struct fw_plan_table *table);

#endif
