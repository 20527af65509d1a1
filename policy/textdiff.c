// SPDX-License-Identifier: GPL-2.0-or-later
/* Unified line diff: Myers' linear-space algorithm (see fwd/textdiff.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/textdiff.h"

struct line {
	const char *s;
	size_t len;
};

struct lines {
	struct line *v;
	size_t n;
};

enum op { OP_EQ, OP_DEL, OP_INS };

struct td {
	uint32_t *a, *b; /* line classes: equal lines, equal numbers */
	size_t n, m;
	bool *keep_a, *keep_b; /* on the longest common subsequence */
	long *vf, *vb;         /* furthest x per diagonal, forward and reverse */
	long lim;              /* d steps the search may take */
};

struct snake {
	long xs, ys, xe, ye;
};

static int split(const char *text, struct lines *ret)
{
	size_t n = 0, i = 0;
	const char *p = text;

	for (const char *q = text; *q; q++)
		n += *q == '\n';
	if (*text && text[strlen(text) - 1] != '\n')
		n++;
	if (n > FW_TEXTDIFF_MAX_LINES)
		return -E2BIG;
	ret->v = calloc(n ? n : 1, sizeof(*ret->v));
	if (!ret->v)
		return -ENOMEM;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		ret->v[i++] = (struct line){p, len};
		p += len + (nl ? 1 : 0);
	}
	ret->n = i;
	return 0;
}

/* A line as compared: s[0, from) and s[to, len). */
struct key {
	const char *s;
	size_t len, from, to;
};

static struct key key_of(const struct line *l, fw_textdiff_ignore_fn ignore)
{
	struct key k = {l->s, l->len, l->len, l->len};

	if (ignore) {
		ignore(l->s, l->len, &k.from, &k.to);
		if (k.from > k.to || k.to > l->len)
			k.from = k.to = l->len;
	}
	return k;
}

static uint64_t hash_key(const struct key *k)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < k->len; i++)
		if (i < k->from || i >= k->to)
			h = (h ^ (unsigned char)k->s[i]) * 1099511628211ull;
	return h;
}

static bool key_eq(const struct key *a, const struct key *b)
{
	return a->from == b->from && a->len - a->to == b->len - b->to &&
	       !memcmp(a->s, b->s, a->from) && !memcmp(a->s + a->to, b->s + b->to, a->len - a->to);
}

/* Number the lines of both sides so that equal lines get equal numbers. */
static int classify(const struct lines *la, const struct lines *lb, fw_textdiff_ignore_fn ignore,
                    uint32_t *a, uint32_t *b)
{
	size_t total = la->n + lb->n, n_slots = 16;
	struct key *slot;
	bool *used;
	uint32_t *ids, next = 0;

	while (n_slots < 2 * total)
		n_slots *= 2;
	slot = calloc(n_slots, sizeof(*slot));
	used = calloc(n_slots, sizeof(*used));
	ids = calloc(n_slots, sizeof(*ids));
	if (!slot || !used || !ids) {
		free(slot);
		free(used);
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < total; i++) {
		struct key l = key_of(i < la->n ? &la->v[i] : &lb->v[i - la->n], ignore);
		size_t k = hash_key(&l) & (n_slots - 1);

		while (used[k] && !key_eq(&slot[k], &l))
			k = (k + 1) & (n_slots - 1);
		if (!used[k]) {
			used[k] = true;
			slot[k] = l;
			ids[k] = next++;
		}
		if (i < la->n)
			a[i] = ids[k];
		else
			b[i - la->n] = ids[k];
	}
	free(slot);
	free(used);
	free(ids);
	return 0;
}

/*
 * The middle snake of a[a0, a0+N) -> b[b0, b0+M): search from both ends at
 * once, d edits at a time, until the forward and reverse paths meet on a
 * diagonal. Reverse coordinates count from the end, so the reverse diagonal
 * of forward diagonal k is delta - k. -E2BIG past t->lim steps.
 */
static int middle_snake(struct td *t, size_t a0, long N, size_t b0, long M, struct snake *ret)
{
	const uint32_t *A = t->a + a0, *B = t->b + b0;
	long delta = N - M, dmax = (N + M + 1) / 2;
	bool odd = delta & 1;
	long *vf = t->vf + t->lim + 1, *vb = t->vb + t->lim + 1;

	vf[1] = 0;
	vb[1] = 0;
	for (long d = 0; d <= dmax; d++) {
		if (d > t->lim)
			return -E2BIG;
		for (long k = -d; k <= d; k += 2) {
			long x = (k == -d || (k != d && vf[k - 1] < vf[k + 1])) ? vf[k + 1]
			                                                        : vf[k - 1] + 1;
			long y = x - k, xs = x, ys = y;

			while (x < N && y < M && A[x] == B[y]) {
				x++;
				y++;
			}
			vf[k] = x;
			if (odd && k >= delta - (d - 1) && k <= delta + (d - 1) &&
			    vf[k] + vb[delta - k] >= N) {
				*ret = (struct snake){xs, ys, x, y};
				return 0;
			}
		}
		for (long k = -d; k <= d; k += 2) {
			long x = (k == -d || (k != d && vb[k - 1] < vb[k + 1])) ? vb[k + 1]
			                                                        : vb[k - 1] + 1;
			long y = x - k, xs = x, ys = y;

			while (x < N && y < M && A[N - 1 - x] == B[M - 1 - y]) {
				x++;
				y++;
			}
			vb[k] = x;
			if (!odd && k >= delta - d && k <= delta + d &&
			    vb[k] + vf[delta - k] >= N) {
				*ret = (struct snake){N - x, M - y, N - xs, M - ys};
				return 0;
			}
		}
	}
	return -E2BIG; /* not reached: the paths meet by d = dmax */
}

/* Mark the longest common subsequence of a[a0, a0+N) and b[b0, b0+M).
 * Each half has at most half the edits: the depth is log2(D). */
static int lcs(struct td *t, size_t a0, long N, size_t b0, long M)
{
	struct snake s;
	int r;

	while (N > 0 && M > 0 && t->a[a0] == t->b[b0]) {
		t->keep_a[a0++] = t->keep_b[b0++] = true;
		N--;
		M--;
	}
	while (N > 0 && M > 0 && t->a[a0 + (size_t)N - 1] == t->b[b0 + (size_t)M - 1]) {
		t->keep_a[a0 + (size_t)N - 1] = t->keep_b[b0 + (size_t)M - 1] = true;
		N--;
		M--;
	}
	if (N == 0 || M == 0)
		return 0;
	if ((r = middle_snake(t, a0, N, b0, M, &s)) < 0)
		return r;
	for (long i = 0; i < s.xe - s.xs; i++)
		t->keep_a[a0 + (size_t)(s.xs + i)] = t->keep_b[b0 + (size_t)(s.ys + i)] = true;
	if ((r = lcs(t, a0, s.xs, b0, s.ys)) < 0)
		return r;
	return lcs(t, a0 + (size_t)s.xe, N - s.xe, b0 + (size_t)s.ye, M - s.ye);
}

static void range(FILE *f, size_t start, size_t count)
{
	/* As diff -u: one line is "L", otherwise "L,N"; an empty range names
	 * the line before it. */
	if (count == 1)
		fprintf(f, "%zu", start + 1);
	else
		fprintf(f, "%zu,%zu", count ? start + 1 : start, count);
}

static void emit_line(FILE *f, char c, const struct line *l)
{
	fputc(c, f);
	fwrite(l->s, 1, l->len, f);
	fputc('\n', f);
}

/* Hunks of the edit script ops[0, n_ops). */
static void hunks(FILE *f, const uint8_t *ops, size_t n_ops, const struct lines *la,
                  const struct lines *lb)
{
	const size_t ctx = FW_TEXTDIFF_CONTEXT;
	size_t p = 0, ai = 0, bj = 0; /* p: first op not printed; ai, bj: its lines */

	for (;;) {
		size_t c = p, start, end, na = 0, nb = 0, sa, sb;

		while (c < n_ops && ops[c] == OP_EQ)
			c++;
		if (c == n_ops)
			return;
		start = c - (c - p < ctx ? c - p : ctx);
		/* Extend over changes separated by at most 2 * ctx equal lines. */
		end = c;
		for (;;) {
			size_t same = 0;
			while (end < n_ops && ops[end] != OP_EQ)
				end++;
			while (end + same < n_ops && ops[end + same] == OP_EQ)
				same++;
			if (end + same == n_ops || same > 2 * ctx) {
				end += same < ctx ? same : ctx;
				break;
			}
			end += same;
		}
		for (size_t i = p; i < start; i++) {
			ai++;
			bj++;
		}
		for (size_t i = start; i < end; i++) {
			na += ops[i] != OP_INS;
			nb += ops[i] != OP_DEL;
		}
		fputs("@@ -", f);
		range(f, ai, na);
		fputs(" +", f);
		range(f, bj, nb);
		fputs(" @@\n", f);
		sa = ai;
		sb = bj;
		for (size_t i = start; i < end; i++) {
			if (ops[i] == OP_EQ) {
				emit_line(f, ' ', &la->v[sa++]);
				sb++;
			} else if (ops[i] == OP_DEL) {
				emit_line(f, '-', &la->v[sa++]);
			} else {
				emit_line(f, '+', &lb->v[sb++]);
			}
		}
		ai = sa;
		bj = sb;
		p = end;
	}
}

static int script(const struct td *t, uint8_t **ret, size_t *ret_n)
{
	uint8_t *ops = malloc(t->n + t->m + 1);
	size_t i = 0, j = 0, n = 0;

	if (!ops)
		return -ENOMEM;
	while (i < t->n || j < t->m) {
		if (i < t->n && !t->keep_a[i]) {
			ops[n++] = OP_DEL;
			i++;
		} else if (j < t->m && !t->keep_b[j]) {
			ops[n++] = OP_INS;
			j++;
		} else {
			ops[n++] = OP_EQ; /* kept lines pair up in order */
			i++;
			j++;
		}
	}
	*ret = ops;
	*ret_n = n;
	return 0;
}

static void td_free(struct td *t)
{
	free(t->a);
	free(t->b);
	free(t->keep_a);
	free(t->keep_b);
	free(t->vf);
	free(t->vb);
}

/* Print the hunks into f; returns the number of changed lines, -E2BIG
 * when there are too many. */
static long run(const struct lines *la, const struct lines *lb, size_t max_edits,
                fw_textdiff_ignore_fn ignore, FILE *f)
{
	struct td t = {.n = la->n, .m = lb->n};
	long half = (long)((t.n + t.m + 1) / 2 + 1);
	uint8_t *ops = NULL;
	size_t n_ops, edits = 0;
	int r;

	t.lim = (long)(max_edits + 1) / 2 + 1;
	if (t.lim > half)
		t.lim = half;
	t.a = calloc(t.n ? t.n : 1, sizeof(*t.a));
	t.b = calloc(t.m ? t.m : 1, sizeof(*t.b));
	t.keep_a = calloc(t.n ? t.n : 1, sizeof(*t.keep_a));
	t.keep_b = calloc(t.m ? t.m : 1, sizeof(*t.keep_b));
	t.vf = calloc((size_t)(2 * t.lim + 3), sizeof(*t.vf));
	t.vb = calloc((size_t)(2 * t.lim + 3), sizeof(*t.vb));
	if (!t.a || !t.b || !t.keep_a || !t.keep_b || !t.vf || !t.vb) {
		td_free(&t);
		return -ENOMEM;
	}
	r = classify(la, lb, ignore, t.a, t.b);
	if (r == 0)
		r = lcs(&t, 0, (long)t.n, 0, (long)t.m);
	if (r == 0)
		r = script(&t, &ops, &n_ops);
	if (r == 0) {
		for (size_t i = 0; i < n_ops; i++)
			edits += ops[i] != OP_EQ;
		if (edits > max_edits)
			r = -E2BIG;
		else
			hunks(f, ops, n_ops, la, lb);
	}
	free(ops);
	td_free(&t);
	return r < 0 ? r : (long)edits;
}

int fw_textdiff(const char *a, const char *b, const char *label_a, const char *label_b,
                size_t max_edits, fw_textdiff_ignore_fn ignore, char **ret)
{
	struct lines la = {0}, lb = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	long r;

	if (!max_edits)
		max_edits = FW_TEXTDIFF_MAX_EDITS;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "--- %s\n+++ %s\n", label_a, label_b);
	r = split(a, &la);
	if (r == 0)
		r = split(b, &lb);
	if (r == 0)
		r = run(&la, &lb, max_edits, ignore, f);
	if (r == -E2BIG) {
		fprintf(f, "diff too large: more than %zu changed lines\n", max_edits);
		r = 1;
	}
	free(la.v);
	free(lb.v);
	if (fclose(f) != 0 && r >= 0)
		r = -ENOMEM;
	if (r <= 0) {
		free(buf);
		if (r == 0)
			*ret = NULL;
		return (int)r;
	}
	*ret = buf;
	return 1;
}
