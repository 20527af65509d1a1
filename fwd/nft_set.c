// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Plan sets and verdict maps as NEWSET and NEWSETELEM messages, the way
 * nft(8) 1.0.x declares `set NAME { type A . B; flags interval; ... }`:
 *
 *  - the key type is nft's datatype id, concatenations fold the ids 6 bits
 *    per field ((a << 6 | b) << 6 | c ...); the key length pads every field
 *    of a concatenation to 4 bytes (the kernel's 32-bit registers);
 *  - concatenated intervals are NFT_SET_INTERVAL | NFT_SET_CONCAT with the
 *    unpadded field lengths in NFTA_SET_DESC (the kernel picks pipapo), and
 *    each element has a key (the low ends) and a key end (the high ends);
 *  - verdict maps are NFT_SET_MAP with NFT_DATA_VERDICT data;
 *  - the user data nft reads back when listing: key (and data) byte order,
 *    for concatenations the typeof marker nft writes, for maps whether the
 *    data are intervals; element comments.
 * Elements go in as many messages as needed to keep each one small. An
 * element delta names an existing set (no set id): DELSETELEM of the old
 * plan's elements by their keys, then NEWSETELEM of the new ones.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "nft_int.h"

#define NFT_USERDATA_MAXLEN 256

/* nft's byte order ids (enum byteorder) and expression type of a concatenation */
#define BO_INVALID  0
#define BO_HOST     1
#define BO_BIG      2
#define EXPR_CONCAT 13

/* bytes, unpadded */
static uint32_t key_len(enum fw_key k)
{
	switch (k) {
	case FW_KEY_IPV4:
		return 4;
	case FW_KEY_IPV6:
		return 16;
	case FW_KEY_PROTO:
		return 1;
	case FW_KEY_PORT:
		return 2;
	case FW_KEY_IFNAME:
		return 16;
	}
	return 0;
}

/* nft's datatype id */
static uint32_t key_datatype(enum fw_key k)
{
	switch (k) {
	case FW_KEY_IPV4:
		return 7; /* ipv4_addr */
	case FW_KEY_IPV6:
		return 8; /* ipv6_addr */
	case FW_KEY_PROTO:
		return 12; /* inet_proto */
	case FW_KEY_PORT:
		return 13; /* inet_service */
	case FW_KEY_IFNAME:
		return 41; /* ifname */
	}
	return 0;
}

static uint32_t key_byteorder(enum fw_key k)
{
	switch (k) {
	case FW_KEY_IFNAME:
		return BO_HOST;
	case FW_KEY_PROTO:
		return BO_INVALID; /* nft's inet_proto type declares none */
	default:
		return BO_BIG;
	}
}

static uint32_t pad4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

static const char *set_kind(const struct fw_plan_set *ps)
{
	return ps->vmap ? "map" : "set";
}

static int set_error(struct fw_diags *d, const struct fw_plan_table *t,
                     const struct fw_plan_set *ps, int err, const char *what)
{
	fw_error(d, NULL, "nft: %s %s %s %s: %s", set_kind(ps), nft_family_name(t->family), t->name,
	         ps->name, what);
	return err;
}

static int set_udata(struct nftnl_set *s, const struct fw_plan_set *ps)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	bool ok;
	int r;

	if (!u)
		return -ENOMEM;
	ok = nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER,
	                         ps->n_key > 1 ? BO_INVALID : key_byteorder(ps->key[0]));
	if (ok && ps->vmap)
		ok = nftnl_udata_put_u32(u, NFTNL_UDATA_SET_DATABYTEORDER, BO_INVALID);
	if (ok && ps->n_key > 1) {
		/* nft marks a `type a . b` key as a concatenation whose
		 * fields it cannot describe: an empty typeof */
		struct nftnl_udata *n1 = nftnl_udata_nest_start(u, NFTNL_UDATA_SET_KEY_TYPEOF), *n2;

		ok = n1 && nftnl_udata_put_u32(u, NFTNL_UDATA_SET_TYPEOF_EXPR, EXPR_CONCAT);
		n2 = ok ? nftnl_udata_nest_start(u, NFTNL_UDATA_SET_TYPEOF_DATA) : NULL;
		ok = n2 != NULL;
		if (ok) {
			nftnl_udata_nest_end(u, n2);
			nftnl_udata_nest_end(u, n1);
		}
	}
	if (ok && ps->vmap)
		ok = nftnl_udata_put_u32(u, NFTNL_UDATA_SET_DATA_INTERVAL, 0);
	r = ok ? nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u),
	                            nftnl_udata_buf_len(u))
	       : -1;
	nftnl_udata_buf_free(u);
	return r < 0 ? -ENOMEM : 0;
}

static int set_obj(struct nftnl_set *s, const struct fw_plan_table *t, const struct fw_plan_set *ps,
                   uint32_t id)
{
	uint8_t fields[16] = {0};
	uint32_t type = 0, klen = 0, flags = 0;

	for (uint8_t i = 0; i < ps->n_key; i++) {
		uint32_t len = key_len(ps->key[i]);

		type = type << 6 | key_datatype(ps->key[i]);
		klen += ps->n_key > 1 ? pad4(len) : len;
		fields[i] = (uint8_t)len;
	}
	if (ps->vmap)
		flags |= NFT_SET_MAP;
	if (ps->interval)
		flags |= NFT_SET_INTERVAL | NFT_SET_CONCAT;
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, t->name) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, ps->name) < 0)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, nft_family(t->family));
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, klen);
	if (ps->vmap) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 0);
	}
	if (ps->interval && nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, ps->n_key) < 0)
		return -ENOMEM;
	if (ps->counter) {
		/* the set's expression template: the kernel gives every
		 * element its own counter, as for nft's `counter` in a set */
		struct nftnl_expr *c = nftnl_expr_alloc("counter");

		if (!c)
			return -ENOMEM;
		nftnl_set_add_expr(s, c);
	}
	return set_udata(s, ps);
}

static int elem_key(const struct fw_plan_set *ps, const struct fw_elem *el, uint8_t *key,
                    uint8_t *key_end, uint32_t *klen, char err[NFT_ERR_MAX])
{
	uint32_t off = 0;

	for (uint8_t i = 0; i < ps->n_key; i++) {
		const struct fw_val *v = &el->key[i];
		uint32_t len = key_len(ps->key[i]);
		const uint8_t *hi = v->range ? v->hi : v->lo;

		if (v->range && !ps->interval) {
			snprintf(err, NFT_ERR_MAX, "field %u is a range in a set without intervals",
			         (unsigned)i + 1);
			return -EINVAL;
		}
		if (memcmp(v->lo, hi, len) > 0) {
			snprintf(err, NFT_ERR_MAX, "field %u: range has zero or negative size",
			         (unsigned)i + 1);
			return -EINVAL;
		}
		if (ps->key[i] == FW_KEY_IFNAME) {
			size_t n = strnlen((const char *)v->lo, 16);

			if (n == 0 || n == 16 || v->lo[n - 1] == '*') {
				snprintf(err, NFT_ERR_MAX, "field %u: unusable interface name",
				         (unsigned)i + 1);
				return -EINVAL;
			}
		}
		memcpy(key + off, v->lo, len);
		memcpy(key_end + off, hi, len);
		off += ps->n_key > 1 ? pad4(len) : len;
	}
	*klen = off;
	return 0;
}

/* The element as nft sends it; for a delete (del) its key alone. */
static int elem_obj(struct nftnl_set_elem *e, const struct fw_plan_set *ps,
                    const struct fw_elem *el, bool del, char err[NFT_ERR_MAX])
{
	uint8_t key[64] = {0}, key_end[64] = {0};
	uint32_t klen;
	int r = elem_key(ps, el, key, key_end, &klen, err);

	if (r < 0)
		return r;
	if (nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, klen) < 0 ||
	    (ps->interval && nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, key_end, klen) < 0))
		goto nomem;
	if (del)
		return 0;
	if (ps->vmap) {
		int code = nft_verdict_code(el->verdict);

		if (code == NFT_VERDICT_NONE) {
			snprintf(err, NFT_ERR_MAX, "map element without a verdict");
			return -EINVAL;
		}
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)code);
		if (code == NFT_JUMP || code == NFT_GOTO) {
			if (!el->chain[0]) {
				snprintf(err, NFT_ERR_MAX, "jump or goto without a chain");
				return -EINVAL;
			}
			if (nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, el->chain) < 0)
				goto nomem;
		}
	} else if (el->origin.id) {
		/* plan_render() comments set elements (not map elements) with
		 * the policy rule's id */
		struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
		char text[NFT_TEXT_MAX];

		if (!u)
			goto nomem;
		nft_text(text, el->origin.id);
		r = nftnl_udata_put_strz(u, NFTNL_UDATA_SET_ELEM_COMMENT, text)
		        ? nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(u),
		                             nftnl_udata_buf_len(u))
		        : -1;
		nftnl_udata_buf_free(u);
		if (r < 0)
			goto nomem;
	}
	return 0;
nomem:
	snprintf(err, NFT_ERR_MAX, "out of memory");
	return -ENOMEM;
}

/* Which elements one message carries and what it does with them. */
struct elems_job {
	size_t ti, si;     /* table and set (of the old plan when del) */
	uint32_t id;       /* the set's id in this batch; 0: an existing set */
	const size_t *idx; /* NULL: elements 0 .. count - 1 */
	size_t count;
	bool del;
};

/* One NEWSETELEM (DELSETELEM) message from position `first` of the job on;
 * *next is where the next message starts. */
static int elems_msg(struct nft_batch *b, const struct elems_job *job, size_t first, size_t *next,
                     struct fw_diags *d)
{
	const struct fw_plan_table *t = &(job->del ? b->old : b->plan)->tables[job->ti];
	const struct fw_plan_set *ps = &t->sets[job->si];
	struct nft_rec rec = {.kind = NFT_REC_ELEMS,
	                      .old = job->del,
	                      .table = job->ti,
	                      .obj = job->si,
	                      .first = first,
	                      .idx = job->idx};
	char *buf = nft_msg_reserve(b), err[NFT_ERR_MAX];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	size_t i;

	if (!buf)
		return set_error(d, t, ps, -ENOMEM, "out of memory");
	nlh = nftnl_nlmsg_build_hdr(buf, job->del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM,
	                            nft_family(t->family),
	                            (job->del ? 0 : NLM_F_CREATE) | NLM_F_ACK, nft_next_seq(b));
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, t->name);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, ps->name);
	if (job->id)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID, htonl(job->id));
	nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (i = first; i < job->count && nlh->nlmsg_len < NFT_ELEMS_CHUNK; i++) {
		size_t k = job->idx ? job->idx[i] : i;
		const struct fw_elem *el = &ps->elems[k];
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		int r = e ? elem_obj(e, ps, el, job->del, err) : -ENOMEM;

		if (r == -ENOMEM && !e)
			snprintf(err, sizeof(err), "out of memory");
		if (r == 0)
			nftnl_set_elem_nlmsg_build(nlh, e, (int)(i - first + 1));
		if (e)
			nftnl_set_elem_free(e);
		if (r < 0) {
			const struct fw_loc *loc =
			    el->origin.id && el->origin.loc.file ? &el->origin.loc : NULL;
			fw_error(d, loc, "nft: element %zu of %s %s %s %s%s%s%s: %s", k + 1,
			         set_kind(ps), nft_family_name(t->family), t->name, ps->name,
			         el->origin.id ? " (policy rule \"" : "",
			         el->origin.id ? el->origin.id : "", el->origin.id ? "\")" : "",
			         err);
			return r;
		}
	}
	mnl_attr_nest_end(nlh, nest);
	rec.n = i - first;
	*next = i;
	if (nft_msg_commit(b, nlh, &rec) < 0)
		return set_error(d, t, ps, -ENOMEM, "out of memory");
	return 0;
}

static int elems_msgs(struct nft_batch *b, const struct elems_job *job, struct fw_diags *d)
{
	for (size_t i = 0; i < job->count;) {
		int r = elems_msg(b, job, i, &i, d);

		if (r < 0)
			return r;
	}
	return 0;
}

int nft_batch_set_delta(struct nft_batch *b, size_t ti, size_t oti, const struct nft_set_delta *sd,
                        struct fw_diags *d)
{
	struct elems_job del = {oti, sd->set, 0, sd->del, sd->n_del, true};
	struct elems_job add = {ti, sd->set, 0, sd->add, sd->n_add, false};
	int r = elems_msgs(b, &del, d);

	/* deletes first: an element whose comment changed goes and comes
	 * back in the same transaction */
	return r < 0 ? r : elems_msgs(b, &add, d);
}

int nft_elem_key(struct nftnl_set_elem *e, const struct fw_plan_set *ps, const struct fw_elem *el)
{
	char err[NFT_ERR_MAX];

	return elem_obj(e, ps, el, true, err);
}

int nft_elem_hash(const struct fw_plan_set *ps, const struct fw_elem *el, uint64_t *ret)
{
	/* one element in a message of its own, as nft_canon reads it */
	uint64_t buf[256] = {0};
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	char err[NFT_ERR_MAX];
	struct nlattr *nest;
	int r = e ? elem_obj(e, ps, el, false, err) : -ENOMEM;

	if (r == 0) {
		nlh->nlmsg_len = NLMSG_HDRLEN;
		nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
		nftnl_set_elem_nlmsg_build(nlh, e, 1);
		mnl_attr_nest_end(nlh, nest);
		*ret = nft_canon_elem(mnl_attr_get_payload(nest));
	}
	if (e)
		nftnl_set_elem_free(e);
	return r;
}

int nft_batch_set(struct nft_batch *b, size_t ti, size_t si, uint32_t id, struct fw_diags *d)
{
	const struct fw_plan_table *t = &b->plan->tables[ti];
	const struct fw_plan_set *ps = &t->sets[si];
	struct nft_rec rec = {.kind = NFT_REC_SET, .table = ti, .obj = si};
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	char *buf;
	int r;

	if (ps->n_key == 0 || ps->n_key > FW_MAX_CONCAT)
		return set_error(d, t, ps, -EINVAL, "key of 0 or more than 4 fields");
	for (uint8_t i = 0; i < ps->n_key; i++)
		if (!key_len(ps->key[i]))
			return set_error(d, t, ps, -EINVAL, "unknown key type");
	if (ps->interval && ps->n_key == 1)
		return set_error(d, t, ps, -EOPNOTSUPP,
		                 "intervals in a set of one field are not supported by this "
		                 "backend (nft would need its segment tree encoding)");
	s = nftnl_set_alloc();
	if (!s)
		return set_error(d, t, ps, -ENOMEM, "out of memory");
	r = set_obj(s, t, ps, id);
	buf = r == 0 ? nft_msg_reserve(b) : NULL;
	if (r == 0 && !buf)
		r = -ENOMEM;
	if (r == 0) {
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWSET, nft_family(t->family),
		                            NLM_F_CREATE | NLM_F_ACK, nft_next_seq(b));
		nftnl_set_nlmsg_build_payload(nlh, s);
		r = nft_msg_commit(b, nlh, &rec);
	}
	nftnl_set_free(s);
	if (r < 0)
		return set_error(d, t, ps, r, "out of memory");
	return elems_msgs(b, &(struct elems_job){ti, si, id, NULL, ps->n_elems, false}, d);
}

static int hashes(const struct fw_plan_set *ps, const size_t *idx, size_t n, uint64_t **ret)
{
	uint64_t *v = malloc((n ? n : 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int r = nft_elem_hash(ps, &ps->elems[idx[i]], &v[i]);

		if (r < 0) {
			free(v);
			return r;
		}
	}
	*ret = v;
	return 0;
}

int nft_canon_update(struct nft_canon_table *c, const struct fw_plan *old, size_t oti,
                     const struct fw_plan *plan, size_t ti, const struct nft_set_delta *sd)
{
	const struct fw_plan_set *ps = &plan->tables[ti].sets[sd->set];
	struct nft_canon_set *cs = nft_canon_find_set(c, ps->name);
	uint64_t *del = NULL, *add = NULL;
	int r;

	if (!cs)
		return -ENOENT;
	r = hashes(&old->tables[oti].sets[sd->set], sd->del, sd->n_del, &del);
	if (r == 0)
		r = hashes(ps, sd->add, sd->n_add, &add);
	if (r == 0)
		r = nft_canon_set_update(cs, del, sd->n_del, add, sd->n_add);
	free(del);
	free(add);
	return r;
}
