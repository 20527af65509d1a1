// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the kernel holds of our tables, read back with netlink dumps into
 * the canonical form of nft_canon.c (chains, rules, sets, elements; never
 * counter values).
 *
 * A read-back is a series of dumps (tables, chains, sets, the elements of
 * each set, the rules of each table, objects and flowtables), so it is
 * consistent only if the ruleset did not change meanwhile: the generation
 * id is read before and after, a dump the kernel marks interrupted counts
 * as a change, and a changed read-back is done again (a bounded number of
 * times).
 *
 * A set's elements can also come back torn without any commit: the kernel
 * resizes a hash set's table on its own after the set grew or shrank, and a
 * dump in several parts resumes by counting elements in an order that the
 * resize changed, listing some twice and skipping others (seen right after
 * a table of 2,000-element sets was loaded: "has 343 elements not in the
 * plan and lacks 343"). A set never holds two equal elements, so a repeated
 * element marks such a dump, which is read again like a changed one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/common.h>

#include "nft_int.h"

#define RB_BUF      (64u * 1024u)
#define RB_ATTEMPTS 5
#define ATTR_TABLE  1 /* NFTA_{TABLE_NAME,CHAIN,SET,SET_ELEM_LIST,RULE,OBJ,FLOWTABLE}_TABLE */

struct rb {
	struct mnl_socket *nl;
	uint32_t *seq;
	uint32_t portid;
	char *buf;
	const char *prefix;
	const struct nft_stale *only;
	size_t n_only;
	struct nft_kernel *k;
	struct nft_canon_set *one; /* nft_readback_set */
	size_t cap;
	int err;
};

static bool wanted(const struct rb *rb, uint16_t family, const char *name)
{
	if (strncmp(name, rb->prefix, strlen(rb->prefix)) || strlen(name) >= FW_OBJ_NAME_MAX)
		return false;
	if (!rb->only)
		return true;
	for (size_t i = 0; i < rb->n_only; i++)
		if (rb->only[i].family == family && !strcmp(rb->only[i].name, name))
			return true;
	return false;
}

const struct nft_canon_table *nft_kernel_find(const struct nft_kernel *k, uint16_t family,
                                              const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->tables[i].family == family && !strcmp(k->tables[i].name, name))
			return &k->tables[i];
	return NULL;
}

void nft_kernel_free(struct nft_kernel *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		nft_canon_clear(&k->tables[i]);
	free(k->tables);
	k->tables = NULL;
	k->n = 0;
}

/* The table a dumped object belongs to: (family, the attribute of type 1). */
static bool msg_table(const struct nlmsghdr *nlh, uint16_t *family, char name[FW_OBJ_NAME_MAX])
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*g))
		return false;
	*family = g->nfgen_family;
	mnl_attr_for_each(a, nlh, sizeof(*g))
	{
		if (mnl_attr_get_type(a) == ATTR_TABLE &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0) {
			size_t n = strlen(mnl_attr_get_str(a));

			if (n == 0 || n >= FW_OBJ_NAME_MAX)
				return false;
			memcpy(name, mnl_attr_get_str(a), n + 1);
			return true;
		}
	}
	return false;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rb *rb = data;
	struct nft_kernel *k = rb->k;
	struct nft_canon_table *t;
	char name[FW_OBJ_NAME_MAX];
	uint16_t family;

	if (!msg_table(nlh, &family, name) || !wanted(rb, family, name))
		return MNL_CB_OK;
	if (k->n == rb->cap) {
		size_t cap = rb->cap ? 2 * rb->cap : 8;
		struct nft_canon_table *v = realloc(k->tables, cap * sizeof(*v));

		if (!v) {
			rb->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		k->tables = v;
		rb->cap = cap;
	}
	t = &k->tables[k->n++];
	memset(t, 0, sizeof(*t));
	t->family = family;
	memcpy(t->name, name, sizeof(name));
	rb->err = nft_canon_msg(t, nlh);
	return rb->err < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rb *rb = data;
	char name[FW_OBJ_NAME_MAX];
	uint16_t family;

	if (!msg_table(nlh, &family, name))
		return MNL_CB_OK;
	for (size_t i = 0; i < rb->k->n; i++) {
		struct nft_canon_table *t = &rb->k->tables[i];

		if (t->family == family && !strcmp(t->name, name)) {
			rb->err = nft_canon_msg(t, nlh);
			return rb->err < 0 ? MNL_CB_ERROR : MNL_CB_OK;
		}
	}
	return MNL_CB_OK;
}

static int set_elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rb *rb = data;

	rb->err = nft_canon_elems(rb->one, nlh);
	return rb->err < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* One dump; -EINTR when the kernel marked it interrupted by a change. */
static int dump(struct rb *rb, uint16_t type, uint16_t family, const char *table, const char *set,
                mnl_cb_t cb)
{
	uint32_t seq = ++*rb->seq;
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(rb->buf, type, family, NLM_F_DUMP, seq);
	int r;

	if (table)
		mnl_attr_put_strz(nlh, ATTR_TABLE, table);
	if (set)
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	if (mnl_socket_sendto(rb->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t n = mnl_socket_recvfrom(rb->nl, rb->buf, RB_BUF);

		if (n < 0)
			return -errno;
		rb->err = 0;
		r = mnl_cb_run(rb->buf, (size_t)n, seq, rb->portid, cb, rb);
		if (r < 0)
			r = rb->err ? rb->err : -errno;
	} while (r > 0);
	/* the rest of an aborted dump would confuse the next one (each
	 * read makes the kernel produce the next part at once) */
	if (r < 0)
		while (recv(mnl_socket_get_fd(rb->nl), rb->buf, RB_BUF, MSG_DONTWAIT) > 0)
			;
	return r;
}

static int read_once(struct rb *rb)
{
	static const uint16_t types[] = {NFT_MSG_GETCHAIN, NFT_MSG_GETSET, NFT_MSG_GETOBJ,
	                                 NFT_MSG_GETFLOWTABLE};
	struct nft_kernel *k = rb->k;
	int r = dump(rb, NFT_MSG_GETTABLE, NFPROTO_UNSPEC, NULL, NULL, table_cb);

	if (r < 0 || k->n == 0)
		return r;
	for (size_t i = 0; r >= 0 && i < sizeof(types) / sizeof(types[0]); i++)
		r = dump(rb, types[i], NFPROTO_UNSPEC, NULL, NULL, obj_cb);
	for (size_t i = 0; r >= 0 && i < k->n; i++) {
		struct nft_canon_table *t = &k->tables[i];

		r = dump(rb, NFT_MSG_GETRULE, t->family, t->name, NULL, obj_cb);
		/* sets are known now; their elements, one dump each */
		for (size_t j = 0; r >= 0 && j < t->n_sets; j++) {
			char set[FW_OBJ_NAME_MAX];

			memcpy(set, t->sets[j].name, sizeof(set));
			r = dump(rb, NFT_MSG_GETSETELEM, t->family, t->name, set, obj_cb);
		}
	}
	return r;
}

/* Sort the elements; -EINTR when a set lists one twice (a torn dump). */
static int sort_check(struct nft_canon_table *t)
{
	nft_canon_sort(t);
	for (size_t i = 0; i < t->n_sets; i++)
		for (size_t j = 1; j < t->sets[i].n_elems; j++)
			if (t->sets[i].elems[j] == t->sets[i].elems[j - 1])
				return -EINTR;
	return 0;
}

static void fail(struct fw_diags *d, int r, const char *what)
{
	fw_error(d, NULL, "nft: reading back %s: %s", what,
	         r == -EINTR ? "the ruleset kept changing" : strerror(-r));
}

int nft_readback(struct mnl_socket *nl, uint32_t *seq, const char *prefix,
                 const struct nft_stale *only, size_t n_only, struct nft_kernel *ret,
                 struct fw_diags *d)
{
	struct nft_kernel k = {0};
	struct rb rb = {.nl = nl,
	                .seq = seq,
	                .portid = mnl_socket_get_portid(nl),
	                .prefix = prefix,
	                .only = only,
	                .n_only = n_only,
	                .k = &k};
	int r = -ENOMEM;

	rb.buf = malloc(RB_BUF);
	for (int attempt = 0; rb.buf && attempt < RB_ATTEMPTS; attempt++) {
		uint32_t g1, g2;

		nft_kernel_free(&k);
		rb.cap = 0;
		r = nft_nl_getgen(nl, ++*seq, &g1);
		if (r == 0)
			r = read_once(&rb);
		for (size_t i = 0; r == 0 && i < k.n; i++)
			r = sort_check(&k.tables[i]);
		if (r == 0)
			r = nft_nl_getgen(nl, ++*seq, &g2);
		if (r == 0 && g1 != g2)
			r = -EINTR;
		if (r == 0) {
			k.genid = g1;
			break;
		}
		/* a set or table that went away meanwhile is a change too */
		if (r != -EINTR && r != -ENOENT)
			break;
		r = -EINTR;
	}
	free(rb.buf);
	if (r < 0) {
		nft_kernel_free(&k);
		fail(d, r, "our tables");
		return r;
	}
	*ret = k;
	return 0;
}

int nft_readback_set(struct mnl_socket *nl, uint32_t *seq, uint16_t family, const char *table,
                     const char *set, struct nft_canon_set *ret, uint32_t *genid,
                     struct fw_diags *d)
{
	struct nft_canon_set s;
	struct rb rb = {.nl = nl, .seq = seq, .portid = mnl_socket_get_portid(nl), .one = &s};
	int r = -ENOMEM;

	rb.buf = malloc(RB_BUF);
	for (int attempt = 0; rb.buf && attempt < RB_ATTEMPTS; attempt++) {
		uint32_t g1, g2;

		memset(&s, 0, sizeof(s));
		snprintf(s.name, sizeof(s.name), "%s", set);
		r = nft_nl_getgen(nl, ++*seq, &g1);
		if (r == 0)
			r = dump(&rb, NFT_MSG_GETSETELEM, family, table, set, set_elems_cb);
		s.has_decl = r == 0;
		if (r == -ENOENT)
			r = 0; /* the set is missing: that is an answer */
		if (r == 0)
			r = sort_check(&(struct nft_canon_table){.sets = &s, .n_sets = 1});
		if (r == 0)
			r = nft_nl_getgen(nl, ++*seq, &g2);
		if (r == 0 && g1 != g2)
			r = -EINTR;
		if (r == 0) {
			*genid = g1;
			break;
		}
		free(s.elems);
		s.elems = NULL;
		if (r != -EINTR)
			break;
	}
	free(rb.buf);
	if (r < 0) {
		fail(d, r, set);
		return r;
	}
	*ret = s;
	return 0;
}
