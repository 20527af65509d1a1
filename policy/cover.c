// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cover.h"
#include "util.h"

#define N_BUCKETS  4096u
#define MAX_PIECES 65536u /* a guard against pathological fragmentation */

void cover_init(struct cover *c, uint8_t alen, bool ports)
{
	memset(c, 0, sizeof(*c));
	c->alen = alen;
	c->ports = ports;
}

void cover_free(struct cover *c)
{
	if (!c)
		return;
	free(c->v);
	free(c->buckets);
	free(c->next);
	free(c->wide);
	memset(c, 0, sizeof(*c));
}

void box_from_prefixes(struct box *b, const struct fw_prefix *s, const struct fw_prefix *d)
{
	memcpy(b->s_lo, s->a, 16);
	fw_prefix_last(s, b->s_hi);
	memcpy(b->d_lo, d->a, 16);
	fw_prefix_last(d, b->d_hi);
}

static bool range_overlap(const uint8_t *alo, const uint8_t *ahi, const uint8_t *blo,
                          const uint8_t *bhi, size_t len)
{
	return memcmp(alo, bhi, len) <= 0 && memcmp(blo, ahi, len) <= 0;
}

static bool box_overlap(const struct box *a, const struct box *b, uint8_t alen, bool ports)
{
	return range_overlap(a->s_lo, a->s_hi, b->s_lo, b->s_hi, alen) &&
	       range_overlap(a->d_lo, a->d_hi, b->d_lo, b->d_hi, alen) && a->p_lo <= b->p_hi &&
	       b->p_lo <= a->p_hi &&
	       (!ports || (a->port_lo <= b->port_hi && b->port_lo <= a->port_hi));
}

bool box_contains_point(const struct box *b, uint8_t alen, const uint8_t *s, const uint8_t *d,
                        uint8_t proto, uint16_t port, bool ports)
{
	return memcmp(b->s_lo, s, alen) <= 0 && memcmp(s, b->s_hi, alen) <= 0 &&
	       memcmp(b->d_lo, d, alen) <= 0 && memcmp(d, b->d_hi, alen) <= 0 && b->p_lo <= proto &&
	       proto <= b->p_hi && (!ports || (b->port_lo <= port && port <= b->port_hi));
}

static void be_dec(uint8_t *a, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (a[i]-- != 0)
			break;
}

static void be_inc(uint8_t *a, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (++a[i] != 0)
			break;
}

struct pieces {
	struct box *v;
	size_t n, cap;
};

static int piece_push(struct pieces *p, const struct box *b)
{
	struct box *slot;

	if (p->n >= MAX_PIECES)
		return -E2BIG;
	slot = fw_push((void **)&p->v, &p->n, &p->cap, sizeof(*p->v));
	if (!slot)
		return -ENOMEM;
	*slot = *b;
	return 0;
}

/* Push a - b (they overlap) as up to 8 disjoint boxes. */
static int box_subtract(struct pieces *out, const struct box *a, const struct box *b, uint8_t alen,
                        bool ports)
{
	struct box rest = *a, piece;
	int r;

	/* source */
	if (memcmp(rest.s_lo, b->s_lo, alen) < 0) {
		piece = rest;
		memcpy(piece.s_hi, b->s_lo, 16);
		be_dec(piece.s_hi, alen);
		if ((r = piece_push(out, &piece)) < 0)
			return r;
		memcpy(rest.s_lo, b->s_lo, 16);
	}
	if (memcmp(rest.s_hi, b->s_hi, alen) > 0) {
		piece = rest;
		memcpy(piece.s_lo, b->s_hi, 16);
		be_inc(piece.s_lo, alen);
		if ((r = piece_push(out, &piece)) < 0)
			return r;
		memcpy(rest.s_hi, b->s_hi, 16);
	}
	/* destination */
	if (memcmp(rest.d_lo, b->d_lo, alen) < 0) {
		piece = rest;
		memcpy(piece.d_hi, b->d_lo, 16);
		be_dec(piece.d_hi, alen);
		if ((r = piece_push(out, &piece)) < 0)
			return r;
		memcpy(rest.d_lo, b->d_lo, 16);
	}
	if (memcmp(rest.d_hi, b->d_hi, alen) > 0) {
		piece = rest;
		memcpy(piece.d_lo, b->d_hi, 16);
		be_inc(piece.d_lo, alen);
		if ((r = piece_push(out, &piece)) < 0)
			return r;
		memcpy(rest.d_hi, b->d_hi, 16);
	}
	/* protocol */
	if (rest.p_lo < b->p_lo) {
		piece = rest;
		piece.p_hi = (uint8_t)(b->p_lo - 1);
		if ((r = piece_push(out, &piece)) < 0)
			return r;
		rest.p_lo = b->p_lo;
	}
	if (rest.p_hi > b->p_hi) {
		piece = rest;
		piece.p_lo = (uint8_t)(b->p_hi + 1);
		if ((r = piece_push(out, &piece)) < 0)
			return r;
		rest.p_hi = b->p_hi;
	}
	if (!ports)
		return 0;
	if (rest.port_lo < b->port_lo) {
		piece = rest;
		piece.port_hi = (uint16_t)(b->port_lo - 1);
		if ((r = piece_push(out, &piece)) < 0)
			return r;
		rest.port_lo = b->port_lo;
	}
	if (rest.port_hi > b->port_hi) {
		piece = rest;
		piece.port_lo = (uint16_t)(b->port_hi + 1);
		if ((r = piece_push(out, &piece)) < 0)
			return r;
	}
	return 0;
}

static size_t hash_addr(const uint8_t *a, uint8_t alen)
{
	uint32_t h = 2166136261u;

	for (uint8_t i = 0; i < alen; i++)
		h = (h ^ a[i]) * 16777619u;
	return h % N_BUCKETS;
}

static bool single_dest(const struct box *b, uint8_t alen)
{
	return !memcmp(b->d_lo, b->d_hi, alen);
}

static void note_origin(struct cover_result *res, const struct fw_origin *o)
{
	if (!res->covered) {
		res->covered = true;
		res->covered_by = *o;
	} else if (res->covered_by.id != o->id) {
		res->several = true;
	}
}

/* Subtract every box of `c` that overlaps from the pieces. */
static int subtract_all(const struct cover *c, struct pieces *cur, const struct box *b,
                        struct cover_result *res)
{
	struct pieces next = {0};
	int r = 0;

	if (!c || c->n == 0)
		return 0;
	/* Candidates: the destination's bucket plus the wide boxes, or all. */
	size_t *cand = NULL, n_cand = 0, cap_cand = 0;
	if (c->buckets && single_dest(b, c->alen)) {
		for (size_t i = c->buckets[hash_addr(b->d_lo, c->alen)]; i != SIZE_MAX;
		     i = c->next[i]) {
			size_t *s = fw_push((void **)&cand, &n_cand, &cap_cand, sizeof(*cand));
			if (!s) {
				r = -ENOMEM;
				goto out;
			}
			*s = i;
		}
		for (size_t w = 0; w < c->n_wide; w++) {
			size_t *s = fw_push((void **)&cand, &n_cand, &cap_cand, sizeof(*cand));
			if (!s) {
				r = -ENOMEM;
				goto out;
			}
			*s = c->wide[w];
		}
	} else {
		cand = malloc((c->n ? c->n : 1) * sizeof(*cand));
		if (!cand)
			return -ENOMEM;
		for (size_t i = 0; i < c->n; i++)
			cand[n_cand++] = i;
	}
	for (size_t k = 0; k < n_cand && cur->n; k++) {
		const struct box *e = &c->v[cand[k]];
		bool hit = false;

		if (!box_overlap(b, e, c->alen, c->ports))
			continue;
		next.n = 0;
		for (size_t i = 0; i < cur->n; i++) {
			if (!box_overlap(&cur->v[i], e, c->alen, c->ports)) {
				if ((r = piece_push(&next, &cur->v[i])) < 0)
					goto out;
				continue;
			}
			hit = true;
			if ((r = box_subtract(&next, &cur->v[i], e, c->alen, c->ports)) < 0)
				goto out;
		}
		if (hit)
			note_origin(res, &e->origin);
		struct pieces tmp = *cur;
		*cur = next;
		next = tmp;
	}
out:
	free(cand);
	free(next.v);
	return r;
}

static int index_add(struct cover *c, size_t idx)
{
	if (!c->buckets) {
		c->buckets = malloc(N_BUCKETS * sizeof(*c->buckets));
		if (!c->buckets)
			return -ENOMEM;
		for (size_t i = 0; i < N_BUCKETS; i++)
			c->buckets[i] = SIZE_MAX;
	}
	if (fw_grow((void **)&c->next, &c->n_buckets, c->n, sizeof(*c->next)) < 0)
		return -ENOMEM;
	if (single_dest(&c->v[idx], c->alen)) {
		size_t h = hash_addr(c->v[idx].d_lo, c->alen);
		c->next[idx] = c->buckets[h];
		c->buckets[h] = idx;
		return 0;
	}
	c->next[idx] = SIZE_MAX;
	size_t *w = fw_push((void **)&c->wide, &c->n_wide, &c->cap_wide, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = idx;
	return 0;
}

int cover_insert(struct cover *c, const struct box *b, const struct cover *also,
                 struct cover_result *res)
{
	struct pieces cur = {0};
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = piece_push(&cur, b)) < 0)
		return r;
	if ((r = subtract_all(c, &cur, b, res)) < 0)
		goto out;
	if ((r = subtract_all(also, &cur, b, res)) < 0)
		goto out;
	for (size_t i = 0; i < cur.n; i++) {
		struct box *slot = fw_push((void **)&c->v, &c->n, &c->cap, sizeof(*c->v));
		if (!slot) {
			r = -ENOMEM;
			goto out;
		}
		*slot = cur.v[i];
		if ((r = index_add(c, c->n - 1)) < 0)
			goto out;
		res->added++;
	}
out:
	free(cur.v);
	return r;
}
