// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Digests of a plan's tables and sets (plan.h: plan_digest).
 *
 * A one-rule change in a tenant of 100,000 rules touches one element of one
 * set among hundreds; comparing the old and the new plan element by element
 * reads every element of both (strcmp of policy ids, cache misses) and took
 * 16-28 ms. With a digest per set and per table (everything but the
 * elements) the backend decides an unchanged set or table by comparing 16
 * bytes.
 *
 * What goes in mirrors the backend's own comparison (fwd/nft_delta.c), field
 * for field, so that a digest is a function of exactly what that comparison
 * reads: equal content gives equal digests, different digests mean different
 * content, and equal digests stand for equal content (a 128-bit hash: a
 * chance collision is not a practical concern; the policy author is trusted
 * anyway). In particular:
 *  - values: their length, whether they are a range, the bytes used (the
 *    high end only for ranges);
 *  - rules: the origin as the rule's comment prints it (id, file name without
 *    its directory, line), not the column;
 *  - set elements: keys, verdict, chain, the origin's id (the element's
 *    comment) but not its file or line, which the kernel never sees: moving a
 *    rule in the file does not make its set compare element by element.
 * Anything out of range (a value longer than 16 bytes, more than
 * FW_MAX_CONCAT keys or selectors) leaves the table undigested: the full
 * comparison decides, and the backend refuses it.
 *
 * The hash is this file's own: two 64-bit lanes, each a bijective
 * multiply-xorshift (resp. add-rotate-multiply) step per 64-bit word, mixed
 * at the end. Digests live only in memory (host byte order).
 */
#include <string.h>

#include "fwd/plan.h"

#define M1 0x9e3779b97f4a7c15ull
#define M2 0xc2b2ae3d27d4eb4full
#define M3 0xff51afd7ed558ccdull

#define PREFETCH 16 /* elements ahead */

struct dg {
	uint64_t a, b;
	bool ok; /* everything in range */
};

enum {
	TAG_TABLE = 1,
	TAG_CHAIN,
	TAG_RULE,
	TAG_STMT,
	TAG_SETDECL,
	TAG_SET,
	TAG_ELEM,
	TAG_VAL,
	TAG_STR,
	TAG_NULL,
	TAG_ORIGIN,
	TAG_NO_ORIGIN,
};

static inline uint64_t rotl(uint64_t x, unsigned r)
{
	return x << r | x >> (64 - r);
}

static inline void word(struct dg *h, uint64_t w)
{
	h->a = (h->a ^ w) * M1;
	h->a ^= h->a >> 29;
	h->b = rotl(h->b + w, 27) * M2;
}

/* A header word: a tag and up to 48 bits of small fields. */
static inline void head(struct dg *h, uint32_t tag, uint64_t bits)
{
	word(h, (uint64_t)tag << 48 ^ bits);
}

/* n bytes (the length is in the caller's header word). */
static void raw(struct dg *h, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		word(h, w);
	}
	if (n) {
		w = 0;
		memcpy(&w, s, n);
		word(h, w);
	}
}

/* A string, NULL apart from "". */
static void str(struct dg *h, const char *s)
{
	size_t n;

	if (!s) {
		head(h, TAG_NULL, 0);
		return;
	}
	n = strlen(s);
	head(h, TAG_STR, n);
	raw(h, s, n);
}

/* A fixed-size name field, up to its NUL. */
static void name(struct dg *h, const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	head(h, TAG_STR, n);
	raw(h, s, n);
}

static void val(struct dg *h, const struct fw_val *v)
{
	if (v->len > sizeof(v->lo)) {
		h->ok = false;
		return;
	}
	head(h, TAG_VAL, (uint64_t)v->len | (uint64_t)v->range << 8);
	raw(h, v->lo, v->len);
	if (v->range)
		raw(h, v->hi, v->len);
}

static const char *base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/* As the rule's comment prints it; without an id there is no comment. */
static void rule_origin(struct dg *h, const struct fw_origin *o)
{
	if (!o->id) {
		head(h, TAG_NO_ORIGIN, 0);
		return;
	}
	head(h, TAG_ORIGIN, o->loc.line);
	str(h, o->id);
	str(h, base(o->loc.file));
}

static void stmt(struct dg *h, const struct fw_stmt *s)
{
	if (s->n_sel > FW_MAX_CONCAT) {
		h->ok = false;
		return;
	}
	head(h, TAG_STMT, (uint64_t)s->kind | (uint64_t)s->n_sel << 8 | (uint64_t)s->neg << 16);
	for (uint8_t i = 0; i < s->n_sel; i++)
		word(h, (uint64_t)s->sel[i]);
	val(h, &s->val);
	word(h, (uint64_t)s->mask << 32 | s->bits);
	name(h, s->set, sizeof(s->set));
	word(h, (uint64_t)s->verdict);
	name(h, s->chain, sizeof(s->chain));
	word(h,
	     (uint64_t)s->log_group | (uint64_t)s->nat_family << 16 | (uint64_t)s->nat_port << 24);
	str(h, s->log_prefix);
	raw(h, s->nat_addr, sizeof(s->nat_addr));
}

static void chain(struct dg *h, const struct fw_plan_chain *c)
{
	name(h, c->name, sizeof(c->name));
	head(h, TAG_CHAIN, (uint64_t)c->hook | (uint64_t)c->type << 8 | (uint64_t)c->policy << 16);
	word(h, (uint64_t)(int64_t)c->prio);
	word(h, c->n_rules);
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct fw_plan_rule *r = &c->rules[i];

		head(h, TAG_RULE, r->n_stmts);
		rule_origin(h, &r->origin);
		for (size_t j = 0; j < r->n_stmts; j++)
			stmt(h, &r->stmts[j]);
	}
}

static void set_decl(struct dg *h, const struct fw_plan_set *s)
{
	if (s->n_key > FW_MAX_CONCAT) {
		h->ok = false;
		return;
	}
	name(h, s->name, sizeof(s->name));
	head(h, TAG_SETDECL,
	     (uint64_t)s->n_key | (uint64_t)s->interval << 8 | (uint64_t)s->vmap << 9 |
	         (uint64_t)s->counter << 10);
	for (uint8_t i = 0; i < s->n_key; i++)
		word(h, (uint64_t)s->key[i]);
}

/* The hot loop: every element of the plan passes here once per compile. */
static void elem(struct dg *h, const struct fw_elem *e, uint8_t n_key)
{
	head(h, TAG_ELEM, (uint64_t)e->verdict);
	for (uint8_t i = 0; i < n_key; i++)
		val(h, &e->key[i]);
	name(h, e->chain, sizeof(e->chain));
	str(h, e->origin.id);
}

static void init(struct dg *h)
{
	*h = (struct dg){.a = 0x6a09e667f3bcc908ull, .b = 0xbb67ae8584caa73bull, .ok = true};
}

static inline uint64_t fmix(uint64_t x)
{
	x ^= x >> 33;
	x *= M3;
	x ^= x >> 33;
	x *= M2;
	x ^= x >> 33;
	return x;
}

static void final(struct dg *h, uint64_t out[2])
{
	uint64_t a = fmix(h->a), b = fmix(h->b ^ M1);

	out[0] = a + b;
	out[1] = rotl(b, 32) ^ (a * M1);
}

static bool table(struct fw_plan_table *t)
{
	struct dg h;
	bool ok;

	init(&h);
	name(&h, t->name, sizeof(t->name));
	head(&h, TAG_TABLE, (uint64_t)t->family);
	word(&h, t->n_chains);
	word(&h, t->n_sets);
	for (size_t i = 0; i < t->n_chains; i++)
		chain(&h, &t->chains[i]);
	for (size_t i = 0; i < t->n_sets; i++)
		set_decl(&h, &t->sets[i]);
	final(&h, t->digest);
	ok = h.ok;
	for (size_t i = 0; ok && i < t->n_sets; i++) {
		struct fw_plan_set *s = &t->sets[i];

		init(&h);
		set_decl(&h, s);
		head(&h, TAG_SET, s->n_elems);
		for (size_t j = 0; h.ok && j < s->n_elems; j++) {
			/* the policy ids are scattered over the heap (a cache
			 * miss each, most of the time spent here): ask for the
			 * one a few elements ahead while hashing this one */
			if (j + PREFETCH < s->n_elems)
				__builtin_prefetch(s->elems[j + PREFETCH].origin.id);
			elem(&h, &s->elems[j], s->n_key);
		}
		final(&h, s->digest);
		ok = h.ok;
	}
	return ok;
}

void plan_digest(struct fw_plan *plan)
{
	for (size_t i = 0; plan && i < plan->n_tables; i++)
		plan->tables[i].digest_set = table(&plan->tables[i]);
}
