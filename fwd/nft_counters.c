// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading the kernel's counters of our tables (see nft_counters.h): dumps of
 * set elements and rules over a netlink socket of our own, summed into rows
 * made from the plan.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "nft_counters.h"

#define RECV_BUF     (64u * 1024u) /* above what the kernel puts in one dump skb */
#define DUMP_RETRIES 5             /* a dump interrupted by a change is retried */
#define DUMP_SLACK   64            /* objects beyond the plan's before a dump is refused */
#define TEXT_MAX     256           /* comments: nft stores at most 128 bytes */

/* The rows, sorted by (tenant, id, table, chain) once built from the plan. */
struct rows {
	struct fw_counter *v;
	size_t n, cap;
};

/* What one dump found, applied to the rows only when the dump completed:
 * a retried dump must not count twice. */
struct hit {
	size_t row;
	uint64_t packets, bytes;
};

struct dump {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	char *buf;
	struct rows *rows;
	const struct fw_plan_table *t;
	bool elems; /* dumping set elements (else rules) */
	size_t seen, limit;
	struct hit *hits;
	size_t n_hits, cap_hits;
	int err;
};

static int nullcmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int row_cmp(const void *a, const void *b)
{
	const struct fw_counter *x = a, *y = b;
	int c = strcmp(x->tenant, y->tenant);

	if (!c)
		c = strcmp(x->id, y->id);
	if (!c)
		c = nullcmp(x->table, y->table);
	if (!c)
		c = nullcmp(x->chain, y->chain);
	return c;
}

static int rows_add(struct rows *r, const struct fw_counter *key)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct fw_counter *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *key;
	return 0;
}

static struct fw_counter *rows_find(const struct rows *r, const char *tenant, const char *id,
                                    const char *table, const char *chain)
{
	struct fw_counter key = {.tenant = tenant, .id = id, .table = table, .chain = chain};

	return r->n ? bsearch(&key, r->v, r->n, sizeof(*r->v), row_cmp) : NULL;
}

static bool has_counter(const struct fw_plan_rule *r)
{
	for (size_t i = 0; i < r->n_stmts; i++)
		if (r->stmts[i].kind == FW_ST_COUNTER)
			return true;
	return false;
}

/* A set of the table whose elements count: a rule looking it up counts the
 * same packets again. */
static bool counted_set(const struct fw_plan_table *t, const char *name)
{
	const struct fw_plan_set *s = name ? plan_find_set(t, name) : NULL;

	return s && s->counter;
}

static bool looks_up_counted(const struct fw_plan_table *t, const struct fw_plan_rule *r)
{
	for (size_t i = 0; i < r->n_stmts; i++)
		if (r->stmts[i].kind == FW_ST_LOOKUP && counted_set(t, r->stmts[i].set))
			return true;
	return false;
}

/* The rows table t can fill: one per element id (across tables), one per
 * counting rule's id and chain. */
static int plan_rows(const struct fw_plan_table *t, struct rows *r)
{
	for (size_t s = 0; s < t->n_sets; s++) {
		const struct fw_plan_set *set = &t->sets[s];

		for (size_t e = 0; set->counter && e < set->n_elems; e++) {
			struct fw_counter k = {.tenant = t->tenant, .id = set->elems[e].origin.id};

			/* neighbours share ids: keep the list short before sorting */
			if (k.id && (!r->n || row_cmp(&r->v[r->n - 1], &k)) && rows_add(r, &k) < 0)
				return -ENOMEM;
		}
	}
	for (size_t c = 0; c < t->n_chains; c++)
		for (size_t i = 0; i < t->chains[c].n_rules; i++) {
			const struct fw_plan_rule *pr = &t->chains[c].rules[i];
			struct fw_counter k = {.tenant = t->tenant,
			                       .id = pr->origin.id,
			                       .table = t->name,
			                       .chain = t->chains[c].name};

			if (k.id && has_counter(pr) && !looks_up_counted(t, pr) &&
			    rows_add(r, &k) < 0)
				return -ENOMEM;
		}
	return 0;
}

static void rows_sort(struct rows *r)
{
	size_t n = 0;

	if (!r->n)
		return;
	qsort(r->v, r->n, sizeof(*r->v), row_cmp);
	for (size_t i = 1; i < r->n; i++)
		if (row_cmp(&r->v[n], &r->v[i]))
			r->v[++n] = r->v[i];
	r->n = n + 1;
}

/* --- parsing what the kernel sent --- */

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	const struct nftnl_udata **tb = data;
	uint8_t type = nftnl_udata_type(attr);

	if (type == NFTNL_UDATA_RULE_COMMENT || type == NFTNL_UDATA_SET_ELEM_COMMENT)
		tb[0] = attr;
	return 0;
}

/* The comment's first word (the policy item id: "ID file:line" on rules,
 * "ID" on elements) into out; false without one. Both kinds of user data
 * put the comment first, as type 0. */
static bool comment_id(const void *udata, uint32_t len, char out[TEXT_MAX])
{
	const struct nftnl_udata *tb[1] = {NULL};
	const char *s;
	uint8_t n;

	if (!udata || !len || nftnl_udata_parse(udata, len, comment_cb, tb) < 0 || !tb[0])
		return false;
	s = nftnl_udata_get(tb[0]);
	n = nftnl_udata_len(tb[0]);
	if (!n || s[n - 1] != '\0')
		return false;
	snprintf(out, TEXT_MAX, "%.*s", (int)strcspn(s, " "), s);
	return out[0] != '\0';
}

struct exprs {
	const struct fw_plan_table *t;
	bool counter, counted_lookup;
	uint64_t packets, bytes;
};

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct exprs *x = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (!name)
		return 0;
	if (!strcmp(name, "counter") && !x->counter) {
		x->counter = true;
		x->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		x->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	} else if (!strcmp(name, "lookup") && x->t &&
	           counted_set(x->t, nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET))) {
		x->counted_lookup = true;
	}
	return 0;
}

static int hit(struct dump *d, const struct fw_counter *row, const struct exprs *x)
{
	if (d->n_hits == d->cap_hits) {
		size_t cap = d->cap_hits ? 2 * d->cap_hits : 64;
		struct hit *v = realloc(d->hits, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->hits = v;
		d->cap_hits = cap;
	}
	d->hits[d->n_hits++] = (struct hit){(size_t)(row - d->rows->v), x->packets, x->bytes};
	return 0;
}

/* One more object of the dump: refused past what the plan has. */
static bool over_limit(struct dump *d)
{
	if (++d->seen <= d->limit)
		return false;
	d->err = -E2BIG;
	return true;
}

static int elem_cb(struct nftnl_set_elem *e, void *data)
{
	struct dump *d = data;
	struct exprs x = {0};
	const struct fw_counter *row;
	const void *udata;
	uint32_t len = 0;
	char id[TEXT_MAX];

	if (over_limit(d))
		return -1;
	udata = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len);
	if (!comment_id(udata, len, id))
		return 0;
	nftnl_set_elem_expr_foreach(e, expr_cb, &x);
	row = x.counter ? rows_find(d->rows, d->t->tenant, id, NULL, NULL) : NULL;
	if (row && (d->err = hit(d, row, &x)) < 0)
		return -1;
	return 0;
}

static int rule(struct dump *d, struct nftnl_rule *r)
{
	struct exprs x = {.t = d->t};
	const struct fw_plan_chain *c;
	const struct fw_counter *row;
	const void *udata;
	uint32_t len = 0;
	char id[TEXT_MAX];

	if (over_limit(d))
		return d->err;
	c = plan_find_chain(d->t, nftnl_rule_get_str(r, NFTNL_RULE_CHAIN) ?: "");
	udata = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
	if (!c || !comment_id(udata, len, id))
		return 0;
	nftnl_expr_foreach(r, expr_cb, &x);
	if (!x.counter || x.counted_lookup)
		return 0;
	row = rows_find(d->rows, d->t->tenant, id, d->t->name, c->name);
	return row ? hit(d, row, &x) : 0;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	int r;

	if (d->elems) {
		struct nftnl_set *s = nftnl_set_alloc();

		if (!s)
			r = -ENOMEM;
		else if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
			r = -EPROTO;
		else
			r = nftnl_set_elem_foreach(s, elem_cb, d) < 0 ? (d->err ?: -EPROTO) : 0;
		nftnl_set_free(s);
	} else {
		struct nftnl_rule *ru = nftnl_rule_alloc();

		if (!ru)
			r = -ENOMEM;
		else if (nftnl_rule_nlmsg_parse(nlh, ru) < 0)
			r = -EPROTO;
		else
			r = rule(d, ru);
		nftnl_rule_free(ru);
	}
	if (r < 0) {
		d->err = r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* Whether buf holds the end of dump seq. */
static bool dump_end(const char *buf, ssize_t n, uint32_t seq)
{
	int left = (int)n;

	for (const struct nlmsghdr *nlh = (const void *)buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left))
		if (nlh->nlmsg_seq == seq &&
		    (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR))
			return true;
	return false;
}

/* Send the dump request in d->buf (its sequence number set here), read the
 * whole answer; on success add what it found to the rows. */
static int dump_run(struct dump *d)
{
	struct nlmsghdr *req = (struct nlmsghdr *)d->buf;
	char *rbuf = d->buf + MNL_SOCKET_BUFFER_SIZE;
	int r = 0;

	for (int attempt = 0; attempt < DUMP_RETRIES; attempt++) {
		uint32_t seq = ++d->seq;
		ssize_t n;

		d->seen = d->n_hits = 0;
		d->err = 0;
		req->nlmsg_seq = seq;
		if (mnl_socket_sendto(d->nl, req, req->nlmsg_len) < 0)
			return -errno;
		do {
			n = mnl_socket_recvfrom(d->nl, rbuf, RECV_BUF);
			if (n < 0) {
				r = -errno;
				break;
			}
			r = mnl_cb_run(rbuf, (size_t)n, seq, d->portid, msg_cb, d);
			if (r < 0)
				r = d->err ? d->err : -errno;
		} while (r > 0);
		if (r != -EINTR)
			break;
		/* A change interrupted the dump: it still runs to its end in the
		 * kernel, which starts no other dump on this socket before. */
		while (!dump_end(rbuf, n, seq)) {
			n = mnl_socket_recvfrom(d->nl, rbuf, RECV_BUF);
			if (n < 0)
				return -errno;
		}
	}
	if (r < 0)
		return r;
	for (size_t i = 0; i < d->n_hits; i++) {
		struct fw_counter *row = &d->rows->v[d->hits[i].row];

		row->packets += d->hits[i].packets;
		row->bytes += d->hits[i].bytes;
		if (d->elems)
			row->elements++;
		else
			row->rules++;
	}
	return 0;
}

static uint16_t nfproto(enum fw_family f)
{
	return f == FW_FAMILY_BRIDGE ? NFPROTO_BRIDGE : NFPROTO_INET;
}

static const char *family_name(enum fw_family f)
{
	return f == FW_FAMILY_BRIDGE ? "bridge" : "inet";
}

static int read_table(struct dump *d, const struct fw_plan_table *t, struct fw_diags *diags)
{
	struct nlmsghdr *nlh;
	size_t n_rules = 0;
	int r;

	d->t = t;
	d->elems = true;
	for (size_t s = 0; s < t->n_sets; s++) {
		if (!t->sets[s].counter)
			continue;
		nlh = nftnl_nlmsg_build_hdr(d->buf, NFT_MSG_GETSETELEM, nfproto(t->family),
		                            NLM_F_DUMP, 0);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, t->name);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, t->sets[s].name);
		d->limit = t->sets[s].n_elems + DUMP_SLACK;
		if ((r = dump_run(d)) < 0) {
			fw_error(diags, NULL, "nft: counters of set %s %s %s: %s%s",
			         family_name(t->family), t->name, t->sets[s].name, strerror(-r),
			         r == -E2BIG ? " (more elements than the plan has)" : "");
			return r;
		}
	}
	for (size_t c = 0; c < t->n_chains; c++)
		n_rules += t->chains[c].n_rules;
	d->elems = false;
	nlh = nftnl_nlmsg_build_hdr(d->buf, NFT_MSG_GETRULE, nfproto(t->family), NLM_F_DUMP, 0);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, t->name);
	d->limit = n_rules + DUMP_SLACK;
	if ((r = dump_run(d)) < 0) {
		fw_error(diags, NULL, "nft: counters of the rules of table %s %s: %s%s",
		         family_name(t->family), t->name, strerror(-r),
		         r == -E2BIG ? " (more rules than the plan has)" : "");
		return r;
	}
	return 0;
}

static bool wanted(const struct fw_plan_table *t, const char *tenant)
{
	return t->tenant && (!tenant || !strcmp(t->tenant, tenant));
}

int nft_counters_read(void *ctx, const struct fw_plan *plan, const char *tenant,
                      struct fw_counter **ret, size_t *ret_n, struct fw_diags *diags)
{
	struct rows rows = {0};
	struct dump d = {0};
	int r = 0;

	(void)ctx;
	for (size_t i = 0; !r && i < plan->n_tables; i++)
		if (wanted(&plan->tables[i], tenant))
			r = plan_rows(&plan->tables[i], &rows);
	if (r < 0)
		goto nomem;
	rows_sort(&rows);
	/* the request at the start of buf, answers after it */
	d.buf = malloc(MNL_SOCKET_BUFFER_SIZE + RECV_BUF);
	if (!d.buf)
		goto nomem;
	d.rows = &rows;
	d.nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!d.nl || mnl_socket_bind(d.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		fw_error(diags, NULL, "nft: netlink socket for the counters: %s", strerror(-r));
		goto out;
	}
	d.portid = mnl_socket_get_portid(d.nl);
	for (size_t i = 0; !r && i < plan->n_tables; i++)
		if (wanted(&plan->tables[i], tenant))
			r = read_table(&d, &plan->tables[i], diags);
	if (r < 0)
		goto out;
	*ret = rows.n ? rows.v : NULL;
	*ret_n = rows.n;
	if (!rows.n)
		free(rows.v);
	rows.v = NULL;
	goto out;
nomem:
	r = -ENOMEM;
	fw_error(diags, NULL, "nft: counters: out of memory");
out:
	if (d.nl)
		mnl_socket_close(d.nl);
	free(d.hits);
	free(d.buf);
	free(rows.v);
	return r;
}
