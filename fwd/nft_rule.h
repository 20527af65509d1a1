/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rule translator's internals, shared by nft_rule.c (nft's semantics:
 * protocol context, dependencies, payload merging) and nft_expr.c (the
 * expressions). Not an interface. */
#ifndef FWD_NFT_RULE_H
#define FWD_NFT_RULE_H

#include <stdbool.h>
#include <stdint.h>

#include "nft_int.h"

enum net_proto {
	NET_NONE,
	NET_IP,
	NET_IP6,
	NET_ARP,
	NET_OTHER, /* a protocol nft knows no payload of */
};

enum sel_src {
	SRC_META,
	SRC_PAYLOAD,
	SRC_CT,
	SRC_FIB,
};

struct sel_desc {
	const char *name;
	enum sel_src src;
	uint32_t key;       /* meta or ct key */
	uint8_t base;       /* NFT_PAYLOAD_*_HEADER */
	uint8_t off, len;   /* bytes */
	enum net_proto net; /* payload: the network protocol it belongs to */
	int l4;             /* payload: the transport protocol, -1 none */
	bool host_int;      /* an integer in host byte order */
	int key_type;       /* enum fw_key of its values in sets, -1 none */
};

extern const struct sel_desc nft_sels[FW_SEL_ARP_SADDR_IP + 1];

/* One nft statement of the rule before linearisation: a plain comparison
 * (which nft may merge with others), or a plan statement as a whole. */
enum item_kind {
	IT_PAYLOAD, /* payload load + cmp of a constant */
	IT_META,    /* meta load + cmp of a constant */
	IT_STMT,
};

struct item {
	enum item_kind kind;
	bool match;    /* an nft match statement: merging does not cross others */
	bool protocol; /* compares a protocol key field (nft's EXPR_F_PROTOCOL) */
	bool dead;     /* merged into another item */
	bool neq;
	uint8_t base;
	uint32_t off, len; /* payload: offset and length; meta: compared length */
	uint32_t key;
	uint8_t data[16];
	const struct fw_stmt *st;
};

struct xl {
	const struct fw_plan_table *t;
	uint32_t set_id_base;
	struct nft_exprs *out;
	/* nft's protocol context */
	enum net_proto net;
	int l4;        /* transport protocol, -1 none */
	unsigned n_l4; /* distinct ones seen: more than one is ambiguous */
	struct item *it;
	size_t n_it, cap_it;
	char *err;
};

int nft_fail(struct xl *x, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* nft_expr.c: the expressions of the items, in order */
int nft_emit(struct xl *x);

#endif
