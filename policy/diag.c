// SPDX-License-Identifier: GPL-2.0-or-later
/* Diagnostics: a growing list of located errors and warnings. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/diag.h"

/* Warnings are capped too, at this many times the error cap. */
#define WARNING_CAP_FACTOR 10

static size_t max_errors(const struct fw_diags *d)
{
	return d->max_errors ? d->max_errors : FW_DIAG_MAX_ERRORS;
}

/* Append a diagnostic; takes ownership of msg only on success. */
static int push(struct fw_diags *d, enum fw_severity sev, const struct fw_loc *loc, char *msg)
{
	struct fw_diag *x;
	char *file = NULL;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		struct fw_diag *nv;

		if (ncap > SIZE_MAX / sizeof(*nv))
			return -ENOMEM;
		nv = realloc(d->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		d->v = nv;
		d->cap = ncap;
	}
	/* The diagnostic owns its file name: it outlives what was loaded. */
	if (loc && loc->file && !(file = strdup(loc->file)))
		return -ENOMEM;
	x = &d->v[d->n++];
	memset(x, 0, sizeof(*x));
	x->sev = sev;
	if (loc) {
		x->loc.line = loc->line;
		x->loc.col = loc->col;
	}
	x->loc.file = file;
	x->msg = msg;
	return 0;
}

int fw_diag_add(struct fw_diags *d, enum fw_severity sev, const struct fw_loc *loc, const char *fmt,
                ...)
{
	size_t max = max_errors(d);
	va_list ap;
	char *msg;
	int r;

	if (sev == FW_SEV_ERROR) {
		d->n_errors++;
		if (d->truncated)
			return 0;
		if (d->n_errors > max) {
			/* One last entry says why the rest is missing. */
			d->truncated = true;
			if (asprintf(&msg, "too many errors, stopping after %zu", max) < 0)
				return -ENOMEM;
			r = push(d, FW_SEV_ERROR, loc, msg);
			if (r < 0)
				free(msg);
			return r;
		}
	} else {
		d->n_warnings++;
		if (max > SIZE_MAX / WARNING_CAP_FACTOR || d->n_warnings > max * WARNING_CAP_FACTOR)
			return 0;
	}
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = push(d, sev, loc, msg);
	if (r < 0)
		free(msg);
	return r;
}

char *fw_diag_format(const struct fw_diag *x)
{
	const char *sev = x->sev == FW_SEV_ERROR ? "error" : "warning";
	const char *msg = x->msg ? x->msg : "";
	char *s;
	int r;

	if (!x->loc.file)
		r = asprintf(&s, "fwd: %s: %s", sev, msg);
	else if (x->loc.line == 0)
		r = asprintf(&s, "%s: %s: %s", x->loc.file, sev, msg);
	else
		r = asprintf(&s, "%s:%u:%u: %s: %s", x->loc.file, x->loc.line, x->loc.col, sev,
		             msg);
	return r < 0 ? NULL : s;
}

static int cmp_loc(const struct fw_diag *a, const struct fw_diag *b)
{
	if (a->loc.file != b->loc.file) {
		int c;

		if (!a->loc.file)
			return -1;
		if (!b->loc.file)
			return 1;
		c = strcmp(a->loc.file, b->loc.file);
		if (c)
			return c;
	}
	if (a->loc.line != b->loc.line)
		return a->loc.line < b->loc.line ? -1 : 1;
	if (a->loc.col != b->loc.col)
		return a->loc.col < b->loc.col ? -1 : 1;
	return 0;
}

static void insertion_sort(struct fw_diag *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct fw_diag x = v[i];
		size_t j = i;

		while (j > 0 && cmp_loc(&v[j - 1], &x) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* Bottom-up merge sort: stable and O(n log n) whatever max_errors is. */
static void merge_sort(struct fw_diag *v, size_t n)
{
	struct fw_diag *tmp, *src = v, *dst;

	if (n < 16) {
		insertion_sort(v, n);
		return;
	}
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp) {
		insertion_sort(v, n);
		return;
	}
	dst = tmp;
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = mid + width < n ? mid + width : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				dst[k++] = cmp_loc(&src[j], &src[i]) < 0 ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		struct fw_diag *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
}

void fw_diags_sort(struct fw_diags *d)
{
	size_t note;

	if (!d || d->n < 2)
		return;
	note = d->n;
	/* The "too many errors" note is the last error recorded (only warnings
	 * can follow it): it stays at the very end, after the sorted rest. */
	if (d->truncated) {
		for (size_t i = d->n; i-- > 0;)
			if (d->v[i].sev == FW_SEV_ERROR) {
				note = i;
				break;
			}
	}
	if (note < d->n) {
		struct fw_diag x = d->v[note];

		memmove(&d->v[note], &d->v[note + 1], (d->n - note - 1) * sizeof(*d->v));
		d->v[d->n - 1] = x;
		merge_sort(d->v, d->n - 1);
	} else {
		merge_sort(d->v, d->n);
	}
}

bool fw_diags_has_errors(const struct fw_diags *d)
{
	return d && d->n_errors > 0;
}

void fw_diags_free(struct fw_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free((char *)d->v[i].loc.file);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void fw_diags_print(const struct fw_diags *d, FILE *f, const char *prefix)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = fw_diag_format(&d->v[i]);

		fprintf(f, "%s%s\n", prefix, s ? s : "out of memory");
		free(s);
	}
}

int fw_errf(char *err, size_t size, int code, const char *fmt, ...)
{
	va_list ap;

	if (size) {
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return code;
}
