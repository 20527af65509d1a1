/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nftables backend's internals, shared by its files: nft_batch.c (the
 * batch: tables, chains, rules), nft_set.c (sets and elements), nft_rule.c
 * and nft_expr.c (rules to expressions), nft_netlink.c (the kernel). Not an
 * interface: only fwd/nft_batch.h is. */
#ifndef FWD_NFT_INT_H
#define FWD_NFT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/diag.h"
#include "fwd/plan.h"

struct nlmsghdr;

/* Room reserved at the batch's tail for one message. Every message is built
 * to stay well below it: rules have at most NFT_MAX_EXPRS expressions of a
 * few dozen bytes, element messages are cut at NFT_ELEMS_CHUNK bytes. */
#define NFT_MSG_MAX     (64u * 1024u)
#define NFT_ELEMS_CHUNK (32u * 1024u)
#define NFT_MAX_EXPRS   128 /* the kernel's NFT_RULE_MAXEXPRS */
#define NFT_TEXT_MAX    128 /* comments and log prefixes, with the NUL */
#define NFT_ERR_MAX     256

/* What a message of the batch does, to name it when the kernel refuses it. */
enum nft_rec_kind {
	NFT_REC_TABLE,       /* add/delete/add of a plan table */
	NFT_REC_STALE_TABLE, /* add/delete of one of our tables not in the plan */
	NFT_REC_CHAIN,
	NFT_REC_SET,
	NFT_REC_ELEMS, /* elements [first, first + n) of a set */
	NFT_REC_RULE,
};

struct nft_rec {
	enum nft_rec_kind kind;
	size_t off;   /* of the message in the batch buffer */
	size_t table; /* plan table (or stale table) index */
	size_t obj;   /* chain or set index in the table */
	size_t first; /* rule index in the chain, first element */
	size_t n;     /* elements */
	bool acked;
};

struct nft_stale {
	uint8_t family; /* NFPROTO_* */
	char name[FW_OBJ_NAME_MAX];
};

struct nft_batch {
	const struct fw_plan *plan;
	char *buf;
	size_t len, cap;
	struct nft_rec *recs; /* message i has sequence number seq0 + 1 + i */
	size_t n_recs, cap_recs;
	uint32_t seq0; /* BATCH_BEGIN */
	struct nft_stale *stale;
	size_t n_stale;
};

/* NFT_MSG_MAX zeroed bytes at the batch's tail (NULL: out of memory). */
char *nft_msg_reserve(struct nft_batch *b);
/* Account the message just built at the tail, described by rec (rec->off is
 * filled in). Returns 0, -ENOMEM or -EOVERFLOW. */
int nft_msg_commit(struct nft_batch *b, const struct nlmsghdr *nlh, const struct nft_rec *rec);
uint32_t nft_next_seq(const struct nft_batch *b);

uint16_t nft_family(enum fw_family f);
const char *nft_family_name(enum fw_family f);

/* Comments and log prefixes exactly as plan_render() prints them: at most
 * 127 bytes, control characters, quotes and backslashes replaced by '_'. */
void nft_text(char out[NFT_TEXT_MAX], const char *s);
/* A rule's comment as plan_render() prints it; false when it has none. */
bool nft_rule_comment(char out[NFT_TEXT_MAX], const struct fw_origin *o);

/* nft_rule.c: the expressions of one rule, exactly as nft builds them from
 * the rendered text. Set j of the table has the batch's set id
 * set_id_base + j. Returns 0 or -errno with a reason in err (out is then
 * empty); the caller frees out with nft_exprs_free(). */
struct nftnl_expr;
struct nft_exprs {
	struct nftnl_expr *v[NFT_MAX_EXPRS];
	unsigned n;
};
int nft_rule_exprs(struct nft_exprs *out, const struct fw_plan_table *t,
                   const struct fw_plan_rule *rule, uint32_t set_id_base, char err[NFT_ERR_MAX]);
void nft_exprs_free(struct nft_exprs *e);

/* nft_set.c: NEWSET and its NEWSETELEM messages for set `si` of plan table
 * `ti`, with the batch's set id `id`. Returns 0 or -errno (recorded in d). */
int nft_batch_set(struct nft_batch *b, size_t ti, size_t si, uint32_t id, struct fw_diags *d);

/* nft_netlink.c: the socket (extended acks on), our tables in the kernel
 * that the plan does not have (into b->stale), and the transaction: send
 * the batch, read every ack, report what was refused. 0 or -errno. */
struct mnl_socket;
int nft_nl_open(struct mnl_socket **ret, struct fw_diags *d);
int nft_nl_list_stale(struct mnl_socket *nl, struct nft_batch *b, const char *prefix, uint32_t seq,
                      struct fw_diags *d);
int nft_nl_transact(struct mnl_socket *nl, struct nft_batch *b, struct fw_diags *d);

/* The kernel's verdict code of a plan verdict, or NFT_VERDICT_NONE. */
#define NFT_VERDICT_NONE 0x7fffffff
int nft_verdict_code(enum fw_verdict v);

#endif
