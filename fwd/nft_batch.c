// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan as one nftables transaction: the batch buffer, its tables, chains
 * and rules (sets: nft_set.c), and the batch as a whole: per table what
 * nft_delta.c decided (replace, element delta, nothing), our tables that
 * are gone, and the generation id that guards it (nft_apply.c sends it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "nft_batch.h"
#include "nft_int.h"

/* --- helpers shared with the other nft_*.c --- */

uint16_t nft_family(enum fw_family f)
{
	return f == FW_FAMILY_BRIDGE ? NFPROTO_BRIDGE : NFPROTO_INET;
}

const char *nft_family_name(enum fw_family f)
{
	return f == FW_FAMILY_BRIDGE ? "bridge" : "inet";
}

void nft_text(char out[NFT_TEXT_MAX], const char *s)
{
	size_t i = 0;

	for (; i < NFT_TEXT_MAX - 1 && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (char)(c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ? '_' : c);
	}
	out[i] = '\0';
}

bool nft_rule_comment(char out[NFT_TEXT_MAX], const struct fw_origin *o)
{
	char c[160];

	if (!o->id)
		return false;
	if (o->loc.file) {
		const char *base = strrchr(o->loc.file, '/');
		snprintf(c, sizeof(c), "%s %s:%u", o->id, base ? base + 1 : o->loc.file,
		         o->loc.line);
	} else {
		snprintf(c, sizeof(c), "%s", o->id);
	}
	nft_text(out, c);
	return true;
}

/* --- the batch buffer --- */

char *nft_msg_reserve(struct nft_batch *b)
{
	if (b->cap - b->len < NFT_MSG_MAX) {
		size_t cap = b->cap ? b->cap : 4 * NFT_MSG_MAX;
		char *p;

		while (cap - b->len < NFT_MSG_MAX)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (!p)
			return NULL;
		/* libmnl leaves attribute padding as it finds it: zero the new
		 * room once; messages are only ever appended */
		memset(p + b->cap, 0, cap - b->cap);
		b->buf = p;
		b->cap = cap;
	}
	return b->buf + b->len;
}

uint32_t nft_next_seq(const struct nft_batch *b)
{
	return b->seq0 + 1 + (uint32_t)b->n_recs;
}

int nft_msg_commit(struct nft_batch *b, const struct nlmsghdr *nlh, const struct nft_rec *rec)
{
	struct nft_rec *r;

	if (nlh->nlmsg_len > NFT_MSG_MAX)
		return -EOVERFLOW;
	if (b->n_recs == b->cap_recs) {
		size_t cap = b->cap_recs ? 2 * b->cap_recs : 64;
		struct nft_rec *v = realloc(b->recs, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		b->recs = v;
		b->cap_recs = cap;
	}
	r = &b->recs[b->n_recs++];
	*r = *rec;
	r->off = b->len;
	r->acked = false;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

/* BATCH_BEGIN and BATCH_END: not objects, no record. BEGIN carries the
 * generation the batch was computed against: the kernel refuses the whole
 * batch (ERESTART) if the ruleset changed since. */
static int msg_delimiter(struct nft_batch *b, bool begin)
{
	char *buf = nft_msg_reserve(b);
	struct nlmsghdr *nlh;

	if (!buf)
		return -ENOMEM;
	nlh = begin ? nftnl_batch_begin(buf, b->seq0) : nftnl_batch_end(buf, nft_next_seq(b));
	if (begin && b->genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(b->genid));
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

void nft_batch_free(struct nft_batch *b)
{
	free(b->buf);
	free(b->recs);
	free(b->stale);
	b->buf = NULL;
	b->recs = NULL;
	b->stale = NULL;
}

/* --- building --- */

static int msg_table(struct nft_batch *b, uint16_t type, uint16_t family, const char *name,
                     const struct nft_rec *rec)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	char *buf;
	int r = -ENOMEM;

	if (!t)
		return -ENOMEM;
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, name) < 0)
		goto out;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, family);
	if (type == NFT_MSG_NEWTABLE)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
	buf = nft_msg_reserve(b);
	if (!buf)
		goto out;
	nlh = nftnl_nlmsg_build_hdr(buf, type, family,
	                            (type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0) | NLM_F_ACK,
	                            nft_next_seq(b));
	nftnl_table_nlmsg_build_payload(nlh, t);
	r = nft_msg_commit(b, nlh, rec);
out:
	nftnl_table_free(t);
	return r;
}

static int hooknum(enum fw_hook h)
{
	switch (h) {
	case FW_HOOK_PREROUTING:
		return NF_INET_PRE_ROUTING;
	case FW_HOOK_INPUT:
		return NF_INET_LOCAL_IN;
	case FW_HOOK_FORWARD:
		return NF_INET_FORWARD;
	case FW_HOOK_OUTPUT:
		return NF_INET_LOCAL_OUT;
	case FW_HOOK_POSTROUTING:
		return NF_INET_POST_ROUTING;
	default:
		return -1;
	}
}

static int msg_chain(struct nft_batch *b, size_t ti, size_t ci, struct fw_diags *d)
{
	const struct fw_plan_table *t = &b->plan->tables[ti];
	const struct fw_plan_chain *c = &t->chains[ci];
	struct nft_rec rec = {.kind = NFT_REC_CHAIN, .table = ti, .obj = ci};
	struct nftnl_chain *ch = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	char *buf;
	int r = -ENOMEM;

	if (!ch)
		goto out;
	if (c->hook != FW_HOOK_NONE) {
		if (hooknum(c->hook) < 0) {
			r = -EINVAL;
			fw_error(d, NULL, "nft: chain %s %s %s: unknown hook %d",
			         nft_family_name(t->family), t->name, c->name, (int)c->hook);
			goto out;
		}
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, (uint32_t)hooknum(c->hook));
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, c->prio);
	}
	buf = nft_msg_reserve(b);
	if (!buf)
		goto out;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWCHAIN, nft_family(t->family),
	                            NLM_F_CREATE | NLM_F_ACK, nft_next_seq(b));
	/* in nft's order: table, name, type, policy, then the hook */
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, t->name);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, c->name);
	if (c->hook != FW_HOOK_NONE) {
		mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, c->type == FW_CHAIN_NAT ? "nat" : "filter");
		/* plan_render() gives filter chains a policy, nat chains none */
		if (c->type != FW_CHAIN_NAT)
			mnl_attr_put_u32(nlh, NFTA_CHAIN_POLICY,
			                 htonl(c->policy == FW_VERDICT_DROP ? NF_DROP : NF_ACCEPT));
	}
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	r = nft_msg_commit(b, nlh, &rec);
out:
	if (ch)
		nftnl_chain_free(ch);
	if (r < 0 && r != -EINVAL)
		fw_error(d, NULL, "nft: chain %s %s %s: %s", nft_family_name(t->family), t->name,
		         c->name, strerror(-r));
	return r;
}

static int rule_comment(struct nftnl_rule *r, const struct fw_origin *o)
{
	char text[NFT_TEXT_MAX];
	struct nftnl_udata_buf *u;
	int ret;

	if (!nft_rule_comment(text, o))
		return 0;
	u = nftnl_udata_buf_alloc(NFT_TEXT_MAX + 8);
	if (!u)
		return -ENOMEM;
	ret = nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, text)
	          ? nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
	                                nftnl_udata_buf_len(u))
	          : -1;
	nftnl_udata_buf_free(u);
	return ret < 0 ? -ENOMEM : 0;
}

/* In nft's order: table, chain, expressions, then the comment. */
static void rule_payload(struct nlmsghdr *nlh, const struct fw_plan_table *t,
                         const struct fw_plan_chain *c, const struct nft_exprs *ex,
                         struct nftnl_rule *r)
{
	struct nlattr *list = NULL;

	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, t->name);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, c->name);
	list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	for (unsigned i = 0; i < ex->n; i++) {
		struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);

		nftnl_expr_build_payload(nlh, ex->v[i]);
		mnl_attr_nest_end(nlh, elem);
	}
	mnl_attr_nest_end(nlh, list);
	nftnl_rule_nlmsg_build_payload(nlh, r);
}

static int msg_rule(struct nft_batch *b, size_t ti, size_t ci, size_t ri, uint32_t set_id_base,
                    struct fw_diags *d)
{
	const struct fw_plan_table *t = &b->plan->tables[ti];
	const struct fw_plan_chain *c = &t->chains[ci];
	const struct fw_plan_rule *pr = &c->rules[ri];
	struct nft_rec rec = {.kind = NFT_REC_RULE, .table = ti, .obj = ci, .first = ri};
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nft_exprs ex = {.n = 0};
	char err[NFT_ERR_MAX] = "out of memory";
	struct nlmsghdr *nlh;
	char *buf;
	int ret = -ENOMEM;

	if (!r)
		goto out;
	ret = nft_rule_exprs(&ex, t, pr, set_id_base, err);
	if (ret == 0) {
		ret = rule_comment(r, &pr->origin);
		err[0] = '\0';
	}
	if (ret < 0)
		goto out;
	ret = -ENOMEM;
	buf = nft_msg_reserve(b);
	if (!buf)
		goto out;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, nft_family(t->family),
	                            NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, nft_next_seq(b));
	rule_payload(nlh, t, c, &ex, r);
	ret = nft_msg_commit(b, nlh, &rec);
out:
	if (ret < 0 && !err[0])
		snprintf(err, sizeof(err), "%s", strerror(-ret));
	nft_exprs_free(&ex);
	if (r)
		nftnl_rule_free(r);
	if (ret < 0) {
		const struct fw_origin *o = &pr->origin;

		fw_error(d, o->id && o->loc.file ? &o->loc : NULL,
		         "nft: rule %zu of chain %s %s %s%s%s%s: %s", ri + 1,
		         nft_family_name(t->family), t->name, c->name,
		         o->id ? " (policy rule \"" : "", o->id ? o->id : "", o->id ? "\")" : "",
		         err);
	}
	return ret;
}

/* Chains, sets with their elements, and rules of plan table ti, in nft's
 * order (map elements jump to chains, rules look sets up); its sets get the
 * batch ids set_id_base + j. Translation errors are all reported; the first
 * is returned. */
int nft_batch_table(struct nft_batch *b, size_t ti, uint32_t set_id_base, struct fw_diags *d)
{
	const struct fw_plan_table *t = &b->plan->tables[ti];
	int first = 0, r;

	for (size_t ci = 0; ci < t->n_chains; ci++) {
		r = msg_chain(b, ti, ci, d);
		if (r == -ENOMEM)
			return r;
		first = first ? first : r;
	}
	for (size_t si = 0; si < t->n_sets; si++) {
		r = nft_batch_set(b, ti, si, set_id_base + (uint32_t)si, d);
		if (r == -ENOMEM)
			return r;
		first = first ? first : r;
	}
	for (size_t ci = 0; ci < t->n_chains; ci++)
		for (size_t ri = 0; ri < t->chains[ci].n_rules; ri++) {
			r = msg_rule(b, ti, ci, ri, set_id_base, d);
			if (r == -ENOMEM)
				return r;
			first = first ? first : r;
		}
	return first;
}

static int build_error(struct fw_diags *d, int r)
{
	fw_error(d, NULL, "nft: building the batch: %s", strerror(-r));
	return r;
}

int nft_batch_build(struct nft_batch *b, struct fw_diags *d)
{
	const struct fw_plan *plan = b->plan;
	uint32_t set_id = 1;
	int first = 0, r;

	r = msg_delimiter(b, true);
	for (size_t i = 0; r == 0 && i < b->n_stale; i++) {
		struct nft_rec rec = {.kind = NFT_REC_STALE_TABLE, .table = i};

		r = msg_table(b, NFT_MSG_NEWTABLE, b->stale[i].family, b->stale[i].name, &rec);
		if (r == 0)
			r = msg_table(b, NFT_MSG_DELTABLE, b->stale[i].family, b->stale[i].name,
			              &rec);
	}
	if (r < 0)
		return build_error(d, r);
	for (size_t ti = 0; ti < plan->n_tables; ti++) {
		const struct fw_plan_table *t = &plan->tables[ti];
		const struct nft_table_delta *td = b->delta ? &b->delta[ti] : NULL;
		struct nft_rec rec = {.kind = NFT_REC_TABLE, .table = ti};
		uint16_t fam = nft_family(t->family);

		if (td && td->action == NFT_ACT_SKIP)
			continue;
		if (td && td->action == NFT_ACT_ELEMS) {
			for (size_t i = 0; i < td->n_sets; i++) {
				r = nft_batch_set_delta(b, ti, td->old_table, &td->sets[i], d);
				if (r == -ENOMEM)
					return r;
				first = first ? first : r;
			}
			continue;
		}
		/* add (so that the delete finds it), delete, add: replaces
		 * whatever was there, in the same transaction */
		r = msg_table(b, NFT_MSG_NEWTABLE, fam, t->name, &rec);
		if (r == 0)
			r = msg_table(b, NFT_MSG_DELTABLE, fam, t->name, &rec);
		if (r == 0)
			r = msg_table(b, NFT_MSG_NEWTABLE, fam, t->name, &rec);
		if (r < 0) {
			fw_error(d, NULL, "nft: table %s %s: %s", nft_family_name(t->family),
			         t->name, strerror(-r));
			return r;
		}
		r = nft_batch_table(b, ti, set_id, d);
		if (r == -ENOMEM)
			return r;
		first = first ? first : r;
		set_id += (uint32_t)t->n_sets;
	}
	if (first)
		return first;
	r = msg_delimiter(b, false);
	return r < 0 ? build_error(d, r) : 0;
}

int nft_plan_canon(const struct fw_plan *plan, size_t ti, struct nft_canon_table *ret,
                   struct fw_diags *d)
{
	const struct fw_plan_table *t = &plan->tables[ti];
	struct nft_batch b = {.plan = plan};
	struct nft_canon_table c = {.family = nft_family(t->family)};
	struct nft_rec rec = {.kind = NFT_REC_TABLE, .table = ti};
	int r;

	snprintf(c.name, sizeof(c.name), "%s", t->name);
	r = msg_table(&b, NFT_MSG_NEWTABLE, c.family, t->name, &rec);
	if (r == 0)
		r = nft_batch_table(&b, ti, 1, d);
	for (size_t i = 0; r == 0 && i < b.n_recs; i++)
		r = nft_canon_msg(&c, (const struct nlmsghdr *)(b.buf + b.recs[i].off));
	nft_batch_free(&b);
	if (r < 0) {
		nft_canon_clear(&c);
		if (r == -ENOMEM || r == -EPROTO)
			fw_error(d, NULL, "nft: table %s %s: %s", nft_family_name(t->family),
			         t->name, strerror(-r));
		return r;
	}
	nft_canon_sort(&c);
	*ret = c;
	return 0;
}
