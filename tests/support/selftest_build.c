// SPDX-License-Identifier: GPL-2.0-or-later
/* Plan construction for the backend selftest: tables, sets, chains, rules
 * and values, each allocation checked (the selftest exits on failure). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selftest_build.h"

#define CAP 64

const char *const file = "tests/selftest.yaml";

void *alloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "nft_apply_selftest: out of memory\n");
		exit(2);
	}
	return p;
}

void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "nft_apply_selftest: too many %s\n", what);
		exit(2);
	}
}

/* --- building plans (arrays have room for CAP entries: no realloc, so
 * pointers stay valid; plan_free() frees them like the compiler's) --- */

struct fw_plan_table *table(struct fw_plan *p, enum fw_family f, const char *name)
{
	struct fw_plan_table *t;

	if (!p->tables)
		p->tables = alloc(CAP, sizeof(*p->tables));
	check(p->n_tables < CAP, "tables");
	t = &p->tables[p->n_tables++];
	t->family = f;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->sets = alloc(CAP, sizeof(*t->sets));
	t->chains = alloc(CAP, sizeof(*t->chains));
	return t;
}

struct fw_plan_set *set(struct fw_plan_table *t, const char *name, bool interval, bool vmap,
                        uint8_t n, const enum fw_key *keys)
{
	struct fw_plan_set *s;

	check(t->n_sets < CAP, "sets");
	s = &t->sets[t->n_sets++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->interval = interval;
	s->vmap = vmap;
	s->n_key = n;
	memcpy(s->key, keys, n * sizeof(*keys));
	s->elems = alloc(CAP, sizeof(*s->elems));
	s->cap_elems = CAP;
	return s;
}

struct fw_elem *elem(struct fw_plan_set *s, const char *id, unsigned line)
{
	struct fw_elem *e;

	check(s->n_elems < CAP, "elements");
	e = &s->elems[s->n_elems++];
	e->origin.id = id;
	e->origin.loc = (struct fw_loc){file, line, 3};
	return e;
}

struct fw_plan_chain *chain(struct fw_plan_table *t, const char *name, enum fw_hook hook,
                            enum fw_chain_type type, int prio, enum fw_verdict policy)
{
	struct fw_plan_chain *c;

	check(t->n_chains < CAP, "chains");
	c = &t->chains[t->n_chains++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->hook = hook;
	c->type = type;
	c->prio = prio;
	c->policy = policy;
	c->rules = alloc(CAP, sizeof(*c->rules));
	c->cap_rules = CAP;
	return c;
}

struct fw_plan_rule *rule(struct fw_plan_chain *c, const char *id, unsigned line)
{
	struct fw_plan_rule *r;

	check(c->n_rules < CAP, "rules");
	r = &c->rules[c->n_rules++];
	r->stmts = alloc(16, sizeof(*r->stmts));
	if (id)
		r->origin = (struct fw_origin){id, {file, line, 5}};
	return r;
}

struct fw_stmt *stmt(struct fw_plan_rule *r, enum fw_stmt_kind kind)
{
	struct fw_stmt *s;

	check(r->n_stmts < 16, "statements");
	s = &r->stmts[r->n_stmts++];
	s->kind = kind;
	return s;
}

/* --- values --- */

struct fw_val ip4(const char *a)
{
	struct fw_val v = {.len = 4};

	inet_pton(AF_INET, a, v.lo);
	memcpy(v.hi, v.lo, 4);
	return v;
}

struct fw_val ip6(const char *a)
{
	struct fw_val v = {.len = 16};

	inet_pton(AF_INET6, a, v.lo);
	memcpy(v.hi, v.lo, 16);
	return v;
}

struct fw_val range(struct fw_val lo, struct fw_val hi)
{
	lo.range = true;
	memcpy(lo.hi, hi.lo, lo.len);
	return lo;
}

struct fw_val prefix(struct fw_val v, unsigned plen)
{
	v.range = true;
	for (unsigned b = plen; b < v.len * 8u; b++) {
		v.lo[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
		v.hi[b / 8] |= (uint8_t)(0x80u >> (b % 8));
	}
	return v;
}

struct fw_val u8(uint8_t x)
{
	return (struct fw_val){.len = 1, .lo = {x}, .hi = {x}};
}

struct fw_val port(uint16_t p)
{
	return (struct fw_val){
	    .len = 2, .lo = {(uint8_t)(p >> 8), (uint8_t)p}, .hi = {(uint8_t)(p >> 8), (uint8_t)p}};
}

struct fw_val be16(uint16_t x)
{
	return port(x);
}

struct fw_val ifname(const char *n)
{
	struct fw_val v = {.len = 16};

	snprintf((char *)v.lo, sizeof(v.lo), "%s", n);
	memcpy(v.hi, v.lo, 16);
	return v;
}

struct fw_val ether(const char *m)
{
	struct fw_val v = {.len = 6};
	unsigned b[6];

	sscanf(m, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]);
	for (int i = 0; i < 6; i++)
		v.lo[i] = v.hi[i] = (uint8_t)b[i];
	return v;
}

/* --- statements --- */

void cmp(struct fw_plan_rule *r, enum fw_sel sel, bool neg, struct fw_val v)
{
	struct fw_stmt *s = stmt(r, FW_ST_CMP);

	s->sel[0] = sel;
	s->n_sel = 1;
	s->neg = neg;
	s->val = v;
}

void bits(struct fw_plan_rule *r, enum fw_sel sel, bool neg, uint32_t mask, uint32_t b)
{
	struct fw_stmt *s = stmt(r, FW_ST_BITS);

	s->sel[0] = sel;
	s->n_sel = 1;
	s->neg = neg;
	s->mask = mask;
	s->bits = b;
}

void lookup(struct fw_plan_rule *r, enum fw_stmt_kind kind, const char *name, bool neg, uint8_t n,
            const enum fw_sel *sels)
{
	struct fw_stmt *s = stmt(r, kind);

	memcpy(s->sel, sels, n * sizeof(*sels));
	s->n_sel = n;
	s->neg = neg;
	snprintf(s->set, sizeof(s->set), "%s", name);
}

void verdict(struct fw_plan_rule *r, enum fw_verdict v, const char *to)
{
	struct fw_stmt *s = stmt(r, FW_ST_VERDICT);

	s->verdict = v;
	snprintf(s->chain, sizeof(s->chain), "%s", to ? to : "");
}

void logs(struct fw_plan_rule *r, const char *prefix_text)
{
	struct fw_stmt *s = stmt(r, FW_ST_LOG);

	s->log_group = FW_NFLOG_GROUP;
	if (prefix_text) {
		s->log_prefix = strdup(prefix_text);
		if (!s->log_prefix)
			check(false, "bytes");
	}
}

void nat(struct fw_plan_rule *r, enum fw_stmt_kind kind, struct fw_val addr, uint16_t p)
{
	struct fw_stmt *s = stmt(r, kind);

	s->nat_family = addr.len == 16 ? 6 : 4;
	memcpy(s->nat_addr, addr.lo, addr.len);
	s->nat_port = p;
}
