/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nftables backend's internals, shared by its files: nft_batch.c (the
 * batch: tables, chains, rules), nft_set.c (sets and elements), nft_rule.c
 * and nft_expr.c (rules to expressions), nft_netlink.c (the transaction),
 * nft_delta.c (old plan vs new plan), nft_canon.c (the canonical form of
 * tables) and nft_canon_diff.c (two of them compared), nft_readback.c (what
 * the kernel holds), nft_apply.c (the backend: generation guard, retries),
 * nft_drift.c (verification and drift repair), nft_monitor.c (ruleset
 * events).
 * Not an interface: only fwd/nft_batch.h is. */
#ifndef FWD_NFT_INT_H
#define FWD_NFT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/diag.h"
#include "fwd/engine.h"
#include "fwd/plan.h"

struct nlmsghdr;
struct nlattr;

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
	NFT_REC_ELEMS, /* elements of a set: see first, n, idx */
	NFT_REC_RULE,
};

struct nft_rec {
	enum nft_rec_kind kind;
	bool old; /* deletes elements of the old plan (table, obj: old indexes) */
	bool acked;
	size_t off;   /* of the message in the batch buffer */
	size_t table; /* plan table (or stale table) index */
	size_t obj;   /* chain or set index in the table */
	size_t first; /* rule index in the chain, first element (position in idx) */
	size_t n;     /* elements */
	/* element deltas: the elements are idx[first .. first + n); NULL: the
	 * elements first .. first + n - 1 */
	const size_t *idx;
};

struct nft_stale {
	uint8_t family; /* NFPROTO_* */
	char name[FW_OBJ_NAME_MAX];
};

/* What the batch does with one table of the plan (nft_delta.c decides). */
enum nft_action {
	NFT_ACT_REPLACE, /* add, delete, add: everything new */
	NFT_ACT_SKIP,    /* identical: not in the batch at all */
	NFT_ACT_ELEMS,   /* only elements differ: delete and add exactly those */
};

struct nft_set_delta {
	size_t set;        /* index in both tables (same declaration) */
	size_t *del, *add; /* old elements to delete, new ones to add */
	size_t n_del, n_add;
};

struct nft_table_delta {
	enum nft_action action;
	size_t old_table; /* index in the old plan (ELEMS) */
	struct nft_set_delta *sets;
	size_t n_sets;
	size_t changes; /* elements deleted + added */
};

struct nft_batch {
	const struct fw_plan *plan;
	const struct fw_plan *old;     /* element deltas delete its elements */
	struct nft_table_delta *delta; /* per plan table; NULL: replace all */
	uint32_t genid;                /* in BATCH_BEGIN; 0: unguarded */
	bool restart;                  /* refused: the generation moved (ERESTART) */
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
/* An element delta of an existing set (named, no set id): DELSETELEM of the
 * old plan's elements sd->del (table oti), then NEWSETELEM of sd->add. */
int nft_batch_set_delta(struct nft_batch *b, size_t ti, size_t oti, const struct nft_set_delta *sd,
                        struct fw_diags *d);
/* The canonical hash (nft_canon.c) of one plan element, as the kernel would
 * list it. 0 or -errno. */
int nft_elem_hash(const struct fw_plan_set *ps, const struct fw_elem *el, uint64_t *ret);
/* The element's key (and key end) alone, as a delete sends it. 0 or -errno. */
struct nftnl_set_elem;
int nft_elem_key(struct nftnl_set_elem *e, const struct fw_plan_set *ps, const struct fw_elem *el);
/* Apply an element delta (old table oti -> new table ti) to the canonical
 * form c of the table. 0 or -errno. */
struct nft_canon_table;
int nft_canon_update(struct nft_canon_table *c, const struct fw_plan *old, size_t oti,
                     const struct fw_plan *plan, size_t ti, const struct nft_set_delta *sd);

/* nft_batch.c: the whole batch (b->plan, b->delta, b->stale, b->genid),
 * and the messages of one table alone (for its canonical form). */
int nft_batch_build(struct nft_batch *b, struct fw_diags *d);
int nft_batch_table(struct nft_batch *b, size_t ti, uint32_t set_id_base, struct fw_diags *d);
void nft_batch_free(struct nft_batch *b);

/* nft_netlink.c: the socket (extended acks on) and the transaction: send
 * the batch, read every ack, report what was refused. 0 or -errno; -ERESTART
 * (b->restart, nothing recorded in d) when the kernel refused a guarded
 * batch because the ruleset's generation moved. */
struct mnl_socket;
int nft_nl_open(struct mnl_socket **ret, struct fw_diags *d);
int nft_nl_transact(struct mnl_socket *nl, struct nft_batch *b, struct fw_diags *d);
/* The ruleset's generation id (NFT_MSG_GETGEN). 0 or -errno. */
int nft_nl_getgen(struct mnl_socket *nl, uint32_t seq, uint32_t *ret);
/* The generation a commit on top of `genid` makes (the kernel skips 0). */
uint32_t nft_genid_next(uint32_t genid);

/* --- canonical form (nft_canon.c) ---
 *
 * A table as hashes of what the kernel lists, counters and handles left
 * out, built from netlink messages: the batch's own messages on the plan
 * side, dump messages on the kernel side, so one parser serves both and
 * encodings (attribute order, nest flags, defaults) cannot differ. */
struct nft_canon_chain {
	char name[FW_OBJ_NAME_MAX];
	uint64_t decl; /* hook, priority, type, policy, devices, comment */
	bool has_decl;
	uint64_t *rules; /* in order */
	size_t n_rules, cap_rules;
};

struct nft_canon_set {
	char name[FW_OBJ_NAME_MAX];
	uint64_t decl; /* flags, key, data, fields, timeouts, user data, expressions */
	bool has_decl;
	uint64_t *elems; /* sorted by nft_canon_sort() */
	size_t n_elems, cap_elems;
};

struct nft_canon_table {
	uint16_t family; /* NFPROTO_* */
	char name[FW_OBJ_NAME_MAX];
	uint64_t decl; /* flags, user data */
	bool has_decl;
	struct nft_canon_chain *chains;
	size_t n_chains, cap_chains;
	struct nft_canon_set *sets;
	size_t n_sets, cap_sets;
	size_t n_extra; /* stateful objects and flowtables: never in a plan */
};

/* Fold a tagged field into a hash (the tag and the length keep fields
 * apart). */
void nft_hash(uint64_t *h, uint32_t tag, const void *p, size_t n);
/* Fold one message (NEWTABLE, NEWCHAIN, NEWSET, NEWSETELEM, NEWRULE, NEWOBJ,
 * NEWFLOWTABLE; others are ignored) into t. 0, -ENOMEM or -EPROTO. */
int nft_canon_msg(struct nft_canon_table *t, const struct nlmsghdr *nlh);
/* The elements of a NEWSETELEM message into s (others are ignored). */
int nft_canon_elems(struct nft_canon_set *s, const struct nlmsghdr *nlh);
/* Sort element hashes (after the last message). */
void nft_canon_sort(struct nft_canon_table *t);
void nft_canon_clear(struct nft_canon_table *t);
struct nft_canon_set *nft_canon_find_set(const struct nft_canon_table *t, const char *name);
/* The hash of one NFTA_LIST_ELEM of a set element list. */
uint64_t nft_canon_elem(const struct nlattr *list_elem);
/* Replace the hashes `del` with `add` in a sorted set. 0 or -ENOMEM. */
int nft_canon_set_update(struct nft_canon_set *s, uint64_t *del, size_t n_del, uint64_t *add,
                         size_t n_add);
/* nft_canon_diff.c: differences of what the kernel holds (k; NULL: the
 * table is missing) from the plan (p; NULL: not in the plan): how many, the
 * first ones appended to out ("fwd_acme: chain dmz.servers has 0 rules, expected 1", joined with
 * "; ") while they fit in n bytes. */
size_t nft_canon_diff(const struct nft_canon_table *k, const struct nft_canon_table *p, char *out,
                      size_t n);
/* Elements of a set only (the sets an element delta touched). */
size_t nft_canon_diff_set(const char *table, const struct nft_canon_set *k,
                          const struct nft_canon_set *p, char *out, size_t n);
/* The elements an element delta touched, as read back one by one: `lacking`
 * of the n_add added ones are not there (or not as planned), `kept` of the
 * n_del deleted ones still are. */
size_t nft_canon_diff_delta(const char *table, const char *set, size_t lacking, size_t n_add,
                            size_t kept, size_t n_del, char *out, size_t n);

/* nft_batch.c: the canonical form of plan table ti, from its messages. */
int nft_plan_canon(const struct fw_plan *plan, size_t ti, struct nft_canon_table *ret,
                   struct fw_diags *d);

/* --- what the kernel holds (nft_readback.c) --- */
struct nft_kernel {
	uint32_t genid; /* the generation it was read at */
	struct nft_canon_table *tables;
	size_t n;
};

/* Our tables (name starts with prefix; with `only`, just those n_only of
 * them), read consistently: retried when the generation moved meanwhile.
 * *seq is advanced. 0 or -errno (recorded in d). */
int nft_readback(struct mnl_socket *nl, uint32_t *seq, const char *prefix,
                 const struct nft_stale *only, size_t n_only, struct nft_kernel *ret,
                 struct fw_diags *d);
/* The elements of one set, as sorted hashes, at *genid. */
int nft_readback_set(struct mnl_socket *nl, uint32_t *seq, uint16_t family, const char *table,
                     const char *set, struct nft_canon_set *ret, uint32_t *genid,
                     struct fw_diags *d);
void nft_kernel_free(struct nft_kernel *k);
/* nft_readelems.c: single elements looked up by key (GETSETELEM, no dump),
 * for each probe whether the kernel holds an element there and its hash, at
 * *genid (read consistently, like nft_readback). At most NFT_PROBES_MAX
 * probes, all of one table, each named by its plan set. 0 or -errno
 * (recorded in d). */
#define NFT_PROBES_MAX 64
struct nft_elem_probe {
	const struct fw_plan_set *ps;
	const struct fw_elem *el;
	bool found;
	uint64_t hash; /* found: nft_canon_elem() of what the kernel holds */
};
int nft_readback_elems(struct mnl_socket *nl, uint32_t *seq, uint16_t family, const char *table,
                       struct nft_elem_probe *v, size_t n, uint32_t *genid, struct fw_diags *d);
const struct nft_canon_table *nft_kernel_find(const struct nft_kernel *k, uint16_t family,
                                              const char *name);

/* --- old plan vs new plan (nft_delta.c) --- */
/* What to do with table `t` of the new plan, whose old version is `o`. */
int nft_delta_table(const struct fw_plan_table *o, const struct fw_plan_table *t,
                    struct nft_table_delta *ret);
void nft_delta_free(struct nft_table_delta *d);

/* The kernel's verdict code of a plan verdict, or NFT_VERDICT_NONE. */
#define NFT_VERDICT_NONE 0x7fffffff
int nft_verdict_code(enum fw_verdict v);

/* --- the backend's memory and one change in the making (nft_apply.c,
 * nft_drift.c) --- */
struct nft_apply_opts;
struct nft_apply_stats;

struct nft_backend {
	struct nft_apply_opts *opts; /* own copy */
	const char *prefix;
	struct mnl_socket *nl;
	uint32_t seq;
	/* What the kernel holds of our tables as far as fwd knows: the plan
	 * committed last, at generation genid; only while trusted. The plan
	 * is the engine's: recognised by address, read only while the engine
	 * passes it in. */
	const struct fw_plan *committed;
	uint32_t genid;
	bool trusted;
	/* canonical forms of committed's tables, computed on first use */
	struct nft_canon_table **cache;
	size_t n_cache, cap_cache;
};

struct nft_job {
	const struct fw_plan *plan, *old;
	struct nft_table_delta *delta;  /* per plan table */
	struct nft_canon_table **canon; /* per plan table: computed for a decision, or NULL */
	struct nft_stale *stale;        /* our tables to delete */
	size_t n_stale, cap_stale;
	uint32_t genid; /* the generation the decisions were made at */
	bool sent;
	size_t drifted; /* tables not as `old` said */
	char detail[FW_DRIFT_DETAIL];
};

int nft_backend_open(struct nft_backend *nb, struct fw_diags *d);
/* Table ti of nb->committed in canonical form (computed on first use);
 * NULL on error (recorded in d). */
const struct nft_canon_table *nft_cache_get(struct nft_backend *nb, size_t ti, struct fw_diags *d);
/* Forget the canonical forms; `committed` is now what they are about. */
void nft_cache_reset(struct nft_backend *nb, const struct fw_plan *committed);
int nft_job_init(struct nft_job *job, const struct fw_plan *plan, const struct fw_plan *old);
int nft_job_stale(struct nft_job *job, uint16_t family, const char *name);
void nft_job_free(struct nft_job *job);
/* Build, dump and send the job's batch, guarded by job->genid. 0 (job->sent
 * says whether there was anything to send), -ERESTART, or -errno. */
int nft_job_commit(struct nft_backend *nb, struct nft_job *job, struct nft_apply_stats *st,
                   struct fw_diags *d);
/* Read back what a committed job changed and compare it with the plan;
 * differences are warnings in d and end the trust. */
int nft_verify(struct nft_backend *nb, const struct nft_job *job, struct fw_diags *d);

#endif
