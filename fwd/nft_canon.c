// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The canonical form of a table: what the kernel lists of it, as hashes.
 *
 * Both sides go through the same parser: the plan side is the batch's own
 * messages (NEWCHAIN, NEWSET, ...), the kernel side the dump's messages of
 * the same types. What the kernel adds on its own is left out or given its
 * default on both sides: handles, use counts, counter values, set ids,
 * chain flags, the policy of a nat base chain (accept), a lookup's flags
 * (0), a bitwise's operation (a mask). Element counters are the set's
 * template (part of the set's declaration); their values are never read.
 *
 * A 64-bit hash stands for each object: a difference is found with
 * certainty short of a collision, and named by the object it is in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "nft_int.h"

#define EXPR_SCRATCH 8192

/* --- the hash --- */

static uint64_t fmix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

void nft_hash(uint64_t *h, uint32_t tag, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t x = fmix(*h ^ ((uint64_t)tag << 32 | (uint32_t)n)) + 0x9e3779b97f4a7c15ull;

	for (; n >= 8; n -= 8, b += 8) {
		uint64_t w;

		memcpy(&w, b, 8);
		x = fmix(x ^ w) + 0x9e3779b97f4a7c15ull;
	}
	if (n) {
		uint64_t w = 0;

		memcpy(&w, b, n);
		x = fmix(x ^ w ^ (uint64_t)n << 56);
	}
	*h = x;
}

static void hash_u32(uint64_t *h, uint32_t tag, uint32_t v)
{
	nft_hash(h, tag, &v, sizeof(v));
}

static void hash_attr(uint64_t *h, uint32_t tag, const struct nlattr *a)
{
	if (a)
		nft_hash(h, tag, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
}

/* Strings up to their NUL, whatever padding came after. */
static void hash_str(uint64_t *h, uint32_t tag, const struct nlattr *a)
{
	if (a)
		nft_hash(h, tag, mnl_attr_get_payload(a),
		         strnlen(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a)));
}

static uint32_t attr_u32(const struct nlattr *a, uint32_t dflt)
{
	return a && mnl_attr_get_payload_len(a) >= 4 ? ntohl(mnl_attr_get_u32(a)) : dflt;
}

/* --- attribute tables --- */

struct tb {
	const struct nlattr **v;
	unsigned max;
};

static int tb_cb(const struct nlattr *a, void *data)
{
	struct tb *t = data;
	unsigned type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->v[type] = a;
	return MNL_CB_OK;
}

static void parse_nested(const struct nlattr *nest, const struct nlattr **v, unsigned max)
{
	struct tb t = {v, max};

	memset(v, 0, (max + 1) * sizeof(*v));
	if (nest)
		mnl_attr_parse_nested(nest, tb_cb, &t);
}

static int parse_msg(const struct nlmsghdr *nlh, const struct nlattr **v, unsigned max)
{
	struct tb t = {v, max};

	memset(v, 0, (max + 1) * sizeof(*v));
	return mnl_attr_parse(nlh, sizeof(struct nfgenmsg), tb_cb, &t) < 0 ? -EPROTO : 0;
}

static bool attr_name(const struct nlattr *a, char out[FW_OBJ_NAME_MAX])
{
	size_t n;

	if (!a)
		return false;
	n = strnlen(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
	if (n == 0 || n >= FW_OBJ_NAME_MAX)
		return false;
	memcpy(out, mnl_attr_get_payload(a), n);
	out[n] = '\0';
	return true;
}

/* --- objects of a table --- */

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return v;
	c = *cap ? 2 * *cap : 8;
	p = realloc(v, c * size);
	if (p)
		*cap = c;
	return p;
}

static struct nft_canon_chain *chain_get(struct nft_canon_table *t, const char *name)
{
	struct nft_canon_chain *c;

	/* rules come chain by chain: the last one is the likely one */
	for (size_t i = t->n_chains; i-- > 0;)
		if (!strcmp(t->chains[i].name, name))
			return &t->chains[i];
	c = grow(t->chains, &t->cap_chains, t->n_chains, sizeof(*c));
	if (!c)
		return NULL;
	t->chains = c;
	c = &t->chains[t->n_chains++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

struct nft_canon_set *nft_canon_find_set(const struct nft_canon_table *t, const char *name)
{
	for (size_t i = t->n_sets; i-- > 0;)
		if (!strcmp(t->sets[i].name, name))
			return &t->sets[i];
	return NULL;
}

static struct nft_canon_set *set_get(struct nft_canon_table *t, const char *name)
{
	struct nft_canon_set *s = nft_canon_find_set(t, name);

	if (s)
		return s;
	s = grow(t->sets, &t->cap_sets, t->n_sets, sizeof(*s));
	if (!s)
		return NULL;
	t->sets = s;
	s = &t->sets[t->n_sets++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

/* --- the messages --- */

static int canon_table(struct nft_canon_table *t, const struct nlmsghdr *nlh)
{
	const struct nlattr *a[NFTA_TABLE_MAX + 1];
	uint64_t h = 1;

	if (parse_msg(nlh, a, NFTA_TABLE_MAX) < 0)
		return -EPROTO;
	hash_u32(&h, 1, attr_u32(a[NFTA_TABLE_FLAGS], 0));
	hash_attr(&h, 2, a[NFTA_TABLE_USERDATA]);
	t->decl = h;
	t->has_decl = true;
	return 0;
}

static int canon_chain(struct nft_canon_table *t, const struct nlmsghdr *nlh)
{
	const struct nlattr *a[NFTA_CHAIN_MAX + 1], *hk[NFTA_HOOK_MAX + 1], *dev;
	struct nft_canon_chain *c;
	char name[FW_OBJ_NAME_MAX];
	uint64_t h = 2;

	if (parse_msg(nlh, a, NFTA_CHAIN_MAX) < 0 || !attr_name(a[NFTA_CHAIN_NAME], name))
		return -EPROTO;
	if (a[NFTA_CHAIN_HOOK]) {
		parse_nested(a[NFTA_CHAIN_HOOK], hk, NFTA_HOOK_MAX);
		hash_u32(&h, 1, attr_u32(hk[NFTA_HOOK_HOOKNUM], 0));
		hash_u32(&h, 2, attr_u32(hk[NFTA_HOOK_PRIORITY], 0));
		hash_str(&h, 3, hk[NFTA_HOOK_DEV]);
		if (hk[NFTA_HOOK_DEVS])
			mnl_attr_for_each_nested(dev, hk[NFTA_HOOK_DEVS])
			{
				hash_str(&h, 4, dev);
			}
		/* a base chain without a policy (nat) has the kernel's: accept */
		hash_u32(&h, 5, attr_u32(a[NFTA_CHAIN_POLICY], NF_ACCEPT));
		hash_str(&h, 6, a[NFTA_CHAIN_TYPE]);
	}
	hash_attr(&h, 7, a[NFTA_CHAIN_USERDATA]);
	c = chain_get(t, name);
	if (!c)
		return -ENOMEM;
	c->decl = h;
	c->has_decl = true;
	return 0;
}

static void hash_expr_names(uint64_t *h, const struct nlattr *expr)
{
	const struct nlattr *e[NFTA_EXPR_MAX + 1];

	parse_nested(expr, e, NFTA_EXPR_MAX);
	hash_str(h, 20, e[NFTA_EXPR_NAME]);
}

static int canon_set(struct nft_canon_table *t, const struct nlmsghdr *nlh)
{
	const struct nlattr *a[NFTA_SET_MAX + 1], *desc[NFTA_SET_DESC_MAX + 1], *i, *j;
	struct nft_canon_set *s;
	char name[FW_OBJ_NAME_MAX];
	uint64_t h = 3;

	if (parse_msg(nlh, a, NFTA_SET_MAX) < 0 || !attr_name(a[NFTA_SET_NAME], name))
		return -EPROTO;
	hash_u32(&h, 1, attr_u32(a[NFTA_SET_FLAGS], 0));
	hash_u32(&h, 2, attr_u32(a[NFTA_SET_KEY_TYPE], 0));
	hash_u32(&h, 3, attr_u32(a[NFTA_SET_KEY_LEN], 0));
	hash_u32(&h, 4, attr_u32(a[NFTA_SET_DATA_TYPE], 0));
	/* a verdict's length is the kernel's business */
	if (attr_u32(a[NFTA_SET_DATA_TYPE], 0) != NFT_DATA_VERDICT)
		hash_u32(&h, 5, attr_u32(a[NFTA_SET_DATA_LEN], 0));
	hash_u32(&h, 6, attr_u32(a[NFTA_SET_OBJ_TYPE], 0));
	hash_u32(&h, 7, attr_u32(a[NFTA_SET_POLICY], NFT_SET_POL_PERFORMANCE));
	hash_attr(&h, 8, a[NFTA_SET_TIMEOUT]);
	hash_u32(&h, 9, attr_u32(a[NFTA_SET_GC_INTERVAL], 0));
	hash_attr(&h, 10, a[NFTA_SET_USERDATA]);
	parse_nested(a[NFTA_SET_DESC], desc, NFTA_SET_DESC_MAX);
	hash_u32(&h, 11, attr_u32(desc[NFTA_SET_DESC_SIZE], 0));
	if (desc[NFTA_SET_DESC_CONCAT])
		mnl_attr_for_each_nested(i, desc[NFTA_SET_DESC_CONCAT])
		{
			mnl_attr_for_each_nested(j, i)
			{
				if (mnl_attr_get_type(j) == NFTA_SET_FIELD_LEN)
					hash_u32(&h, 12, attr_u32(j, 0));
			}
		}
	/* the element template: which expressions, never their state */
	if (a[NFTA_SET_EXPR])
		hash_expr_names(&h, a[NFTA_SET_EXPR]);
	if (a[NFTA_SET_EXPRESSIONS])
		mnl_attr_for_each_nested(i, a[NFTA_SET_EXPRESSIONS])
		{
			hash_expr_names(&h, i);
		}
	s = set_get(t, name);
	if (!s)
		return -ENOMEM;
	s->decl = h;
	s->has_decl = true;
	return 0;
}

static void hash_data(uint64_t *h, uint32_t tag, const struct nlattr *nest)
{
	const struct nlattr *d[NFTA_DATA_MAX + 1], *v[NFTA_VERDICT_MAX + 1];

	if (!nest)
		return;
	parse_nested(nest, d, NFTA_DATA_MAX);
	hash_attr(h, tag, d[NFTA_DATA_VALUE]);
	if (d[NFTA_DATA_VERDICT]) {
		parse_nested(d[NFTA_DATA_VERDICT], v, NFTA_VERDICT_MAX);
		hash_u32(h, tag + 1, attr_u32(v[NFTA_VERDICT_CODE], 0));
		hash_str(h, tag + 2, v[NFTA_VERDICT_CHAIN]);
	}
}

uint64_t nft_canon_elem(const struct nlattr *list_elem)
{
	const struct nlattr *a[NFTA_SET_ELEM_MAX + 1];
	uint64_t h = 4;

	parse_nested(list_elem, a, NFTA_SET_ELEM_MAX);
	hash_data(&h, 1, a[NFTA_SET_ELEM_KEY]);
	hash_data(&h, 4, a[NFTA_SET_ELEM_KEY_END]);
	hash_data(&h, 7, a[NFTA_SET_ELEM_DATA]);
	hash_u32(&h, 10, attr_u32(a[NFTA_SET_ELEM_FLAGS], 0));
	hash_attr(&h, 11, a[NFTA_SET_ELEM_TIMEOUT]);
	hash_attr(&h, 12, a[NFTA_SET_ELEM_USERDATA]);
	hash_str(&h, 13, a[NFTA_SET_ELEM_OBJREF]);
	/* per-element expressions are the set's template: not hashed */
	return h;
}

static int elems_into(struct nft_canon_set *s, const struct nlattr **a)
{
	const struct nlattr *e;

	if (!a[NFTA_SET_ELEM_LIST_ELEMENTS])
		return 0;
	mnl_attr_for_each_nested(e, a[NFTA_SET_ELEM_LIST_ELEMENTS])
	{
		uint64_t *v = grow(s->elems, &s->cap_elems, s->n_elems, sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->elems = v;
		s->elems[s->n_elems++] = nft_canon_elem(e);
	}
	return 0;
}

static int canon_elems(struct nft_canon_table *t, const struct nlmsghdr *nlh)
{
	const struct nlattr *a[NFTA_SET_ELEM_LIST_MAX + 1];
	struct nft_canon_set *s;
	char name[FW_OBJ_NAME_MAX];

	if (parse_msg(nlh, a, NFTA_SET_ELEM_LIST_MAX) < 0 ||
	    !attr_name(a[NFTA_SET_ELEM_LIST_SET], name))
		return -EPROTO;
	s = set_get(t, name);
	return s ? elems_into(s, a) : -ENOMEM;
}

int nft_canon_elems(struct nft_canon_set *s, const struct nlmsghdr *nlh)
{
	const struct nlattr *a[NFTA_SET_ELEM_LIST_MAX + 1];

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg) ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWSETELEM)
		return 0;
	if (parse_msg(nlh, a, NFTA_SET_ELEM_LIST_MAX) < 0)
		return -EPROTO;
	return elems_into(s, a);
}

/* The kernel completes a nat expression: the range's end is its start,
 * and the flags say an address (and a port) was given. */
static void nat_defaults(struct nftnl_expr *e)
{
	uint32_t flags = nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_FLAGS);

	if (nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_ADDR_MIN)) {
		if (!nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_ADDR_MAX))
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX,
			                   nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN));
		flags |= NF_NAT_RANGE_MAP_IPS;
	}
	if (nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_PROTO_MIN)) {
		if (!nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_PROTO_MAX))
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX,
			                   nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN));
		flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
	}
	if (flags)
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, flags);
}

/* An expression as libnftnl encodes it, after giving what the kernel
 * fills in or leaves out its one value on both sides. */
static void hash_expr(uint64_t *h, struct nftnl_expr *e, char *scratch)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	struct nlmsghdr *nlh = (struct nlmsghdr *)scratch;

	name = name ? name : "?";
	nft_hash(h, 1, name, strlen(name));
	if (!strcmp(name, "counter"))
		return; /* its values count packets, they do not describe it */
	if (!strcmp(name, "lookup")) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, 0);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS,
		                   nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS));
	} else if (!strcmp(name, "bitwise")) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP,
		                   nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_OP));
	} else if (!strcmp(name, "nat")) {
		nat_defaults(e);
	}
	memset(nlh, 0, sizeof(*nlh));
	nlh->nlmsg_len = NLMSG_HDRLEN;
	nftnl_expr_build_payload(nlh, e);
	nft_hash(h, 2, scratch + NLMSG_HDRLEN, nlh->nlmsg_len - NLMSG_HDRLEN);
	/* libmnl leaves attribute padding as it finds it: zeros for the next */
	memset(scratch, 0, nlh->nlmsg_len);
}

static int canon_rule(struct nft_canon_table *t, const struct nlmsghdr *nlh)
{
	const struct nlattr *a[NFTA_RULE_MAX + 1];
	struct nft_canon_chain *c;
	struct nftnl_rule *r = NULL;
	struct nftnl_expr_iter *it = NULL;
	struct nftnl_expr *e;
	char name[FW_OBJ_NAME_MAX], *scratch = NULL;
	uint64_t h = 5, *v;

	if (parse_msg(nlh, a, NFTA_RULE_MAX) < 0 || !attr_name(a[NFTA_RULE_CHAIN], name))
		return -EPROTO;
	hash_attr(&h, 1, a[NFTA_RULE_USERDATA]);
	r = nftnl_rule_alloc();
	scratch = calloc(1, EXPR_SCRATCH);
	if (!r || !scratch)
		goto nomem;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0 || !(it = nftnl_expr_iter_create(r))) {
		/* an expression libnftnl does not know (not one of ours): the
		 * raw bytes still differ from every planned rule */
		hash_attr(&h, 2, a[NFTA_RULE_EXPRESSIONS]);
	} else {
		while ((e = nftnl_expr_iter_next(it)))
			hash_expr(&h, e, scratch);
		nftnl_expr_iter_destroy(it);
	}
	nftnl_rule_free(r);
	free(scratch);
	c = chain_get(t, name);
	if (!c)
		return -ENOMEM;
	v = grow(c->rules, &c->cap_rules, c->n_rules, sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->rules = v;
	c->rules[c->n_rules++] = h;
	return 0;
nomem:
	if (r)
		nftnl_rule_free(r);
	free(scratch);
	return -ENOMEM;
}

int nft_canon_msg(struct nft_canon_table *t, const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg) ||
	    NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return 0;
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWTABLE:
		return canon_table(t, nlh);
	case NFT_MSG_NEWCHAIN:
		return canon_chain(t, nlh);
	case NFT_MSG_NEWSET:
		return canon_set(t, nlh);
	case NFT_MSG_NEWSETELEM:
		return canon_elems(t, nlh);
	case NFT_MSG_NEWRULE:
		return canon_rule(t, nlh);
	case NFT_MSG_NEWOBJ:
	case NFT_MSG_NEWFLOWTABLE:
		t->n_extra++;
		return 0;
	default:
		return 0;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

void nft_canon_sort(struct nft_canon_table *t)
{
	for (size_t i = 0; i < t->n_sets; i++)
		if (t->sets[i].n_elems > 1)
			qsort(t->sets[i].elems, t->sets[i].n_elems, sizeof(uint64_t), cmp_u64);
}

void nft_canon_clear(struct nft_canon_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_chains; i++)
		free(t->chains[i].rules);
	for (size_t i = 0; i < t->n_sets; i++)
		free(t->sets[i].elems);
	free(t->chains);
	free(t->sets);
	t->chains = NULL;
	t->sets = NULL;
	t->n_chains = t->cap_chains = t->n_sets = t->cap_sets = t->n_extra = 0;
	t->has_decl = false;
}

int nft_canon_set_update(struct nft_canon_set *s, uint64_t *del, size_t n_del, uint64_t *add,
                         size_t n_add)
{
	size_t n = s->n_elems + n_add, i = 0, j = 0, k = 0, o = 0;
	uint64_t *v = malloc((n ? n : 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	qsort(del, n_del, sizeof(*del), cmp_u64);
	qsort(add, n_add, sizeof(*add), cmp_u64);
	/* one pass: the old hashes less the deleted ones, merged with the
	 * added ones (multisets: a hash deletes one occurrence) */
	while (i < s->n_elems || k < n_add) {
		if (i < s->n_elems) {
			while (j < n_del && del[j] < s->elems[i])
				j++;
			if (j < n_del && del[j] == s->elems[i]) {
				i++, j++;
				continue;
			}
		}
		if (k < n_add && (i == s->n_elems || add[k] <= s->elems[i]))
			v[o++] = add[k++];
		else
			v[o++] = s->elems[i++];
	}
	free(s->elems);
	s->elems = v;
	s->n_elems = o;
	s->cap_elems = n ? n : 1;
	return 0;
}
