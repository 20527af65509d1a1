// SPDX-License-Identifier: GPL-2.0-or-later
/* The plan's constructors, destructor and look-ups. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "planbuild.h"
#include "util.h"

static void rule_free(struct fw_plan_rule *r)
{
	for (size_t i = 0; i < r->n_stmts; i++)
		free(r->stmts[i].log_prefix);
	free(r->stmts);
}

void plan_clear(struct fw_plan *plan)
{
	for (size_t t = 0; t < plan->n_tables; t++) {
		struct fw_plan_table *tb = &plan->tables[t];

		for (size_t s = 0; s < tb->n_sets; s++)
			free(tb->sets[s].elems);
		free(tb->sets);
		for (size_t c = 0; c < tb->n_chains; c++) {
			for (size_t r = 0; r < tb->chains[c].n_rules; r++)
				rule_free(&tb->chains[c].rules[r]);
			free(tb->chains[c].rules);
		}
		free(tb->chains);
	}
	free(plan->tables);
	vpn_plan_clear(&plan->vpn);
	l2_plan_clear(&plan->l2);
	memset(plan, 0, sizeof(*plan));
}

void plan_free(struct fw_plan *plan)
{
	if (!plan)
		return;
	plan_clear(plan);
	free(plan);
}

const struct fw_plan_table *plan_find_table(const struct fw_plan *plan, enum fw_family family,
                                            const char *name)
{
	for (size_t i = 0; i < plan->n_tables; i++)
		if (plan->tables[i].family == family && !strcmp(plan->tables[i].name, name))
			return &plan->tables[i];
	return NULL;
}

const struct fw_plan_chain *plan_find_chain(const struct fw_plan_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_chains; i++)
		if (!strcmp(t->chains[i].name, name))
			return &t->chains[i];
	return NULL;
}

const struct fw_plan_set *plan_find_set(const struct fw_plan_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_sets; i++)
		if (!strcmp(t->sets[i].name, name))
			return &t->sets[i];
	return NULL;
}

/* --- builders --- */

struct fw_plan_table *pb_table(struct pb *b, enum fw_family family, const char *name,
                               const char *tenant)
{
	struct fw_plan_table *t;

	if (b->err)
		return NULL;
	t = fw_push((void **)&b->plan->tables, &b->plan->n_tables, &b->cap_tables, sizeof(*t));
	if (!t) {
		b->err = -ENOMEM;
		return NULL;
	}
	t->family = family;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->tenant = tenant;
	b->t = b->plan->n_tables - 1;
	b->cap_sets = b->cap_chains = 0;
	return t;
}

static struct fw_plan_table *cur(struct pb *b)
{
	return &b->plan->tables[b->t];
}

size_t pb_set(struct pb *b, const char *name, const enum fw_key *keys, uint8_t n_key, bool interval,
              bool vmap)
{
	struct fw_plan_table *t = cur(b);
	struct fw_plan_set *s;

	if (b->err)
		return 0;
	s = fw_push((void **)&t->sets, &t->n_sets, &b->cap_sets, sizeof(*s));
	if (!s) {
		b->err = -ENOMEM;
		return 0;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	memcpy(s->key, keys, n_key * sizeof(*keys));
	s->n_key = n_key;
	s->interval = interval;
	s->vmap = vmap;
	return t->n_sets - 1;
}

struct fw_elem *pb_elem(struct pb *b, size_t set)
{
	struct fw_plan_set *s;
	struct fw_elem *e;

	if (b->err)
		return NULL;
	s = &cur(b)->sets[set];
	e = fw_push((void **)&s->elems, &s->n_elems, &s->cap_elems, sizeof(*e));
	if (!e)
		b->err = -ENOMEM;
	return e;
}

size_t pb_chain(struct pb *b, const char *name, enum fw_hook hook, enum fw_chain_type type,
                int prio, enum fw_verdict policy)
{
	struct fw_plan_table *t = cur(b);
	struct fw_plan_chain *c;

	if (b->err)
		return 0;
	c = fw_push((void **)&t->chains, &t->n_chains, &b->cap_chains, sizeof(*c));
	if (!c) {
		b->err = -ENOMEM;
		return 0;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->hook = hook;
	c->type = type;
	c->prio = prio;
	c->policy = policy;
	b->c = t->n_chains - 1;
	return b->c;
}

void pb_use_chain(struct pb *b, size_t chain)
{
	b->c = chain;
}

struct fw_plan_rule *pb_rule(struct pb *b, const struct fw_origin *origin)
{
	struct fw_plan_chain *c;
	struct fw_plan_rule *r;

	if (b->err)
		return NULL;
	c = &cur(b)->chains[b->c];
	r = fw_push((void **)&c->rules, &c->n_rules, &c->cap_rules, sizeof(*r));
	if (!r) {
		b->err = -ENOMEM;
		return NULL;
	}
	if (origin)
		r->origin = *origin;
	b->cap_stmts = 0;
	return r;
}

static struct fw_stmt *stmt(struct pb *b, struct fw_plan_rule *r, enum fw_stmt_kind kind)
{
	struct fw_stmt *s;

	if (b->err || !r)
		return NULL;
	s = fw_push((void **)&r->stmts, &r->n_stmts, &b->cap_stmts, sizeof(*s));
	if (!s) {
		b->err = -ENOMEM;
		return NULL;
	}
	s->kind = kind;
	return s;
}

void pb_cmp(struct pb *b, struct fw_plan_rule *r, enum fw_sel sel, bool neg, const struct fw_val *v)
{
	struct fw_stmt *s = stmt(b, r, FW_ST_CMP);

	if (!s)
		return;
	s->sel[0] = sel;
	s->n_sel = 1;
	s->neg = neg;
	s->val = *v;
}

void pb_bits(struct pb *b, struct fw_plan_rule *r, enum fw_sel sel, bool neg, uint32_t mask,
             uint32_t bits)
{
	struct fw_stmt *s = stmt(b, r, FW_ST_BITS);

	if (!s)
		return;
	s->sel[0] = sel;
	s->n_sel = 1;
	s->neg = neg;
	s->mask = mask;
	s->bits = bits;
}

void pb_lookup(struct pb *b, struct fw_plan_rule *r, const enum fw_sel *sel, uint8_t n_sel,
               bool neg, bool vmap, const char *set)
{
	struct fw_stmt *s = stmt(b, r, vmap ? FW_ST_VMAP : FW_ST_LOOKUP);

	if (!s)
		return;
	if (n_sel)
		memcpy(s->sel, sel, n_sel * sizeof(*sel));
	s->n_sel = n_sel;
	s->neg = neg;
	snprintf(s->set, sizeof(s->set), "%s", set);
}

void pb_counter(struct pb *b, struct fw_plan_rule *r)
{
	stmt(b, r, FW_ST_COUNTER);
}

void pb_log(struct pb *b, struct fw_plan_rule *r, const char *prefix)
{
	struct fw_stmt *s = stmt(b, r, FW_ST_LOG);

	if (!s)
		return;
	s->log_group = FW_NFLOG_GROUP;
	s->log_prefix = strdup(prefix);
	if (!s->log_prefix)
		b->err = -ENOMEM;
}

void pb_verdict(struct pb *b, struct fw_plan_rule *r, enum fw_verdict v, const char *chain)
{
	struct fw_stmt *s = stmt(b, r, FW_ST_VERDICT);

	if (!s)
		return;
	s->verdict = v;
	if (chain)
		snprintf(s->chain, sizeof(s->chain), "%s", chain);
}

void pb_nat(struct pb *b, struct fw_plan_rule *r, enum fw_stmt_kind kind,
            const struct fw_prefix *addr, uint16_t port)
{
	struct fw_stmt *s = stmt(b, r, kind);

	if (!s)
		return;
	if (addr) {
		s->nat_family = addr->family;
		memcpy(s->nat_addr, addr->a, 16);
	}
	s->nat_port = port;
}

/* --- values --- */

struct fw_val val_u8(uint8_t v)
{
	struct fw_val x = {.len = 1};

	x.lo[0] = x.hi[0] = v;
	return x;
}

struct fw_val val_u8_range(uint8_t lo, uint8_t hi)
{
	struct fw_val x = {.len = 1, .range = lo != hi};

	x.lo[0] = lo;
	x.hi[0] = hi;
	return x;
}

struct fw_val val_port_range(uint16_t lo, uint16_t hi)
{
	struct fw_val x = {.len = 2, .range = lo != hi};

	x.lo[0] = (uint8_t)(lo >> 8);
	x.lo[1] = (uint8_t)lo;
	x.hi[0] = (uint8_t)(hi >> 8);
	x.hi[1] = (uint8_t)hi;
	return x;
}

struct fw_val val_be16(uint16_t v)
{
	return val_port_range(v, v);
}

struct fw_val val_ifname(const char *name)
{
	struct fw_val x = {.len = 16};

	memcpy(x.lo, name, strnlen(name, 15));
	memcpy(x.hi, x.lo, 16);
	return x;
}

struct fw_val val_addr_range(uint8_t alen, const uint8_t *lo, const uint8_t *hi)
{
	struct fw_val x = {.len = alen};

	memcpy(x.lo, lo, alen);
	memcpy(x.hi, hi, alen);
	x.range = memcmp(lo, hi, alen) != 0;
	return x;
}

struct fw_val val_prefix(const struct fw_prefix *p)
{
	uint8_t last[16];
	uint8_t alen = p->family == 6 ? 16 : 4;

	fw_prefix_last(p, last);
	return val_addr_range(alen, p->a, last);
}

/* A range that is exactly one CIDR block: its prefix length, else -1. */
int fw_range_prefix_len(const uint8_t *lo, const uint8_t *hi, unsigned len)
{
	unsigned bits = len * 8, p = 0;

	while (p < bits) {
		unsigned byte = p / 8, bit = 7 - p % 8;
		if (((lo[byte] >> bit) & 1) != ((hi[byte] >> bit) & 1))
			break;
		p++;
	}
	for (unsigned q = p; q < bits; q++) {
		unsigned byte = q / 8, bit = 7 - q % 8;
		if (((lo[byte] >> bit) & 1) != 0 || ((hi[byte] >> bit) & 1) != 1)
			return -1;
	}
	return (int)p;
}
