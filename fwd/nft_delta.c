// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Old plan vs new plan, one table at a time: what the batch must do.
 *
 *  - identical: nothing (the table is not in the batch; its counters go on
 *    counting, its handles stay);
 *  - the same chains, rules and set declarations, only elements differ:
 *    delete the old elements that are gone and add the new ones, when that
 *    is fewer objects than the table itself (the other elements keep their
 *    counters);
 *  - anything else: replace the table.
 *
 * Equality is decided on everything the translation reads (a superset is
 * safe: a difference the kernel would not see only costs a replace). The
 * rules' comments (policy id, file name, line) are part of a rule, the
 * elements' (policy id) part of an element.
 *
 * Digests: a compiled plan carries a digest per table (everything but the
 * elements) and per set (plan_digest(), over exactly what this file
 * compares). When both tables have them, the digests decide: a different
 * table digest replaces the table, an equal set digest skips the set without
 * reading one of its elements, so a one-rule change reads the one set it
 * changed. Plans without digests (built by hand) are compared in full.
 *
 * Elements: plans keep the elements of a set in a stable order, so the
 * common prefix and suffix are skipped in one pass; what remains in the
 * middle is matched by hash.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nft_int.h"

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool val_eq(const struct fw_val *a, const struct fw_val *b)
{
	if (a->len != b->len || a->range != b->range || a->len > sizeof(a->lo))
		return false;
	return !memcmp(a->lo, b->lo, a->len) && (!a->range || !memcmp(a->hi, b->hi, a->len));
}

static bool stmt_eq(const struct fw_stmt *a, const struct fw_stmt *b)
{
	if (a->kind != b->kind || a->n_sel != b->n_sel || a->neg != b->neg ||
	    a->n_sel > FW_MAX_CONCAT)
		return false;
	for (uint8_t i = 0; i < a->n_sel; i++)
		if (a->sel[i] != b->sel[i])
			return false;
	return val_eq(&a->val, &b->val) && a->mask == b->mask && a->bits == b->bits &&
	       !strncmp(a->set, b->set, sizeof(a->set)) && a->verdict == b->verdict &&
	       !strncmp(a->chain, b->chain, sizeof(a->chain)) && a->log_group == b->log_group &&
	       str_eq(a->log_prefix, b->log_prefix) && a->nat_family == b->nat_family &&
	       !memcmp(a->nat_addr, b->nat_addr, sizeof(a->nat_addr)) && a->nat_port == b->nat_port;
}

static const char *base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/* What the rule's comment is made of (nft_rule_comment): id, file name,
 * line. Cheaper than printing both comments. */
static bool origin_eq(const struct fw_origin *a, const struct fw_origin *b)
{
	if (!a->id || !b->id)
		return !a->id && !b->id;
	return !strcmp(a->id, b->id) && a->loc.line == b->loc.line &&
	       str_eq(base(a->loc.file), base(b->loc.file));
}

static bool rule_eq(const struct fw_plan_rule *a, const struct fw_plan_rule *b)
{
	if (a->n_stmts != b->n_stmts || !origin_eq(&a->origin, &b->origin))
		return false;
	for (size_t i = 0; i < a->n_stmts; i++)
		if (!stmt_eq(&a->stmts[i], &b->stmts[i]))
			return false;
	return true;
}

static bool chain_eq(const struct fw_plan_chain *a, const struct fw_plan_chain *b)
{
	if (strncmp(a->name, b->name, sizeof(a->name)) || a->hook != b->hook ||
	    a->type != b->type || a->prio != b->prio || a->policy != b->policy ||
	    a->n_rules != b->n_rules)
		return false;
	for (size_t i = 0; i < a->n_rules; i++)
		if (!rule_eq(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

static bool set_decl_eq(const struct fw_plan_set *a, const struct fw_plan_set *b)
{
	if (strncmp(a->name, b->name, sizeof(a->name)) || a->n_key != b->n_key ||
	    a->n_key > FW_MAX_CONCAT || a->interval != b->interval || a->vmap != b->vmap ||
	    a->counter != b->counter)
		return false;
	for (uint8_t i = 0; i < a->n_key; i++)
		if (a->key[i] != b->key[i])
			return false;
	return true;
}

/* Everything but the elements. */
static bool structure_eq(const struct fw_plan_table *a, const struct fw_plan_table *b)
{
	if (a->family != b->family || strncmp(a->name, b->name, sizeof(a->name)) ||
	    a->n_chains != b->n_chains || a->n_sets != b->n_sets)
		return false;
	for (size_t i = 0; i < a->n_chains; i++)
		if (!chain_eq(&a->chains[i], &b->chains[i]))
			return false;
	for (size_t i = 0; i < a->n_sets; i++)
		if (!set_decl_eq(&a->sets[i], &b->sets[i]))
			return false;
	return true;
}

/* The hot loop of a change: every element of both plans passes here once. */
static bool elem_eq(const struct fw_elem *a, const struct fw_elem *b, uint8_t n_key)
{
	for (uint8_t i = 0; i < n_key; i++)
		if (!val_eq(&a->key[i], &b->key[i]))
			return false;
	return a->verdict == b->verdict && a->chain[0] == b->chain[0] &&
	       (!a->chain[0] || !strncmp(a->chain, b->chain, sizeof(a->chain))) &&
	       str_eq(a->origin.id, b->origin.id);
}

struct keyed {
	uint64_t h;
	size_t i;
};

static uint64_t elem_key(const struct fw_elem *e, uint8_t n_key)
{
	uint64_t h = 7;

	for (uint8_t i = 0; i < n_key; i++) {
		const struct fw_val *v = &e->key[i];
		size_t len = v->len <= sizeof(v->lo) ? v->len : sizeof(v->lo);

		nft_hash(&h, i, v->lo, len);
		if (v->range)
			nft_hash(&h, 8 + i, v->hi, len);
	}
	nft_hash(&h, 16, &e->verdict, sizeof(e->verdict));
	nft_hash(&h, 17, e->chain, strnlen(e->chain, sizeof(e->chain)));
	if (e->origin.id)
		nft_hash(&h, 18, e->origin.id, strlen(e->origin.id));
	return h;
}

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->h != y->h)
		return (x->h > y->h) - (x->h < y->h);
	return (x->i > y->i) - (x->i < y->i);
}

static struct keyed *keyed(const struct fw_plan_set *s, size_t from, size_t to)
{
	struct keyed *v = malloc((to > from ? to - from : 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = from; i < to; i++)
		v[i - from] = (struct keyed){elem_key(&s->elems[i], s->n_key), i};
	qsort(v, to - from, sizeof(*v), cmp_keyed);
	return v;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* The middle parts o[a, oe) and n[a, ne) matched by hash; what has no
 * equal on the other side is deleted or added. */
static int match(const struct fw_plan_set *o, const struct fw_plan_set *n, size_t a, size_t oe,
                 size_t ne, struct nft_set_delta *sd)
{
	struct keyed *ko = keyed(o, a, oe), *kn = keyed(n, a, ne);
	size_t i = 0, j = 0;
	int r = -ENOMEM;

	sd->del = malloc((oe > a ? oe - a : 1) * sizeof(size_t));
	sd->add = malloc((ne > a ? ne - a : 1) * sizeof(size_t));
	if (!ko || !kn || !sd->del || !sd->add)
		goto out;
	while (i < oe - a || j < ne - a) {
		if (j == ne - a || (i < oe - a && ko[i].h < kn[j].h)) {
			sd->del[sd->n_del++] = ko[i++].i;
		} else if (i == oe - a || kn[j].h < ko[i].h) {
			sd->add[sd->n_add++] = kn[j++].i;
		} else if (elem_eq(&o->elems[ko[i].i], &n->elems[kn[j].i], n->n_key)) {
			i++, j++;
		} else {
			/* the same hash, not the same element */
			sd->del[sd->n_del++] = ko[i++].i;
			sd->add[sd->n_add++] = kn[j++].i;
		}
	}
	/* in plan order: messages (and errors) follow the policy */
	qsort(sd->del, sd->n_del, sizeof(size_t), cmp_size);
	qsort(sd->add, sd->n_add, sizeof(size_t), cmp_size);
	r = 0;
out:
	free(ko);
	free(kn);
	return r;
}

static int diff_set(const struct fw_plan_set *o, const struct fw_plan_set *n,
                    struct nft_set_delta *sd)
{
	size_t a = 0, oe = o->n_elems, ne = n->n_elems;

	while (a < oe && a < ne && elem_eq(&o->elems[a], &n->elems[a], n->n_key))
		a++;
	while (oe > a && ne > a && elem_eq(&o->elems[oe - 1], &n->elems[ne - 1], n->n_key))
		oe--, ne--;
	if (a == oe && a == ne)
		return 0;
	return match(o, n, a, oe, ne, sd);
}

void nft_delta_free(struct nft_table_delta *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_sets; i++) {
		free(d->sets[i].del);
		free(d->sets[i].add);
	}
	free(d->sets);
	d->sets = NULL;
	d->n_sets = 0;
}

static size_t table_size(const struct fw_plan_table *t)
{
	size_t n = 1 + t->n_chains + t->n_sets;

	for (size_t i = 0; i < t->n_chains; i++)
		n += t->chains[i].n_rules;
	for (size_t i = 0; i < t->n_sets; i++)
		n += t->sets[i].n_elems;
	return n;
}

static bool digest_eq(const uint64_t a[2], const uint64_t b[2])
{
	return a[0] == b[0] && a[1] == b[1];
}

int nft_delta_table(const struct fw_plan_table *o, const struct fw_plan_table *t,
                    struct nft_table_delta *ret)
{
	struct nft_table_delta d = {.action = NFT_ACT_REPLACE};
	/* the digest is a function of what structure_eq() reads: different
	 * digests are different structures */
	bool digests = o && o->digest_set && t->digest_set;

	if (!o || (digests ? !digest_eq(o->digest, t->digest) : !structure_eq(o, t))) {
		*ret = d;
		return 0;
	}
	d.sets = calloc(t->n_sets ? t->n_sets : 1, sizeof(*d.sets));
	if (!d.sets)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_sets; i++) {
		struct nft_set_delta *sd = &d.sets[d.n_sets];
		int r;

		if (digests && digest_eq(o->sets[i].digest, t->sets[i].digest))
			continue; /* unchanged: its elements are not read */
		*sd = (struct nft_set_delta){.set = i};
		r = diff_set(&o->sets[i], &t->sets[i], sd);
		if (r < 0) {
			d.n_sets++;
			nft_delta_free(&d);
			return r;
		}
		if (sd->n_del || sd->n_add) {
			d.changes += sd->n_del + sd->n_add;
			d.n_sets++;
		} else {
			free(sd->del);
			free(sd->add);
		}
	}
	if (d.changes == 0)
		d.action = NFT_ACT_SKIP;
	else if (d.changes < table_size(t))
		d.action = NFT_ACT_ELEMS;
	if (d.action != NFT_ACT_ELEMS)
		nft_delta_free(&d);
	*ret = d;
	return 0;
}
