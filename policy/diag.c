// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/diag.h"

static int push(struct fw_diags *d, enum fw_severity sev, const struct fw_loc *loc, char *msg)
{
	struct fw_diag *x;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		struct fw_diag *nv = realloc(d->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		d->v = nv;
		d->cap = ncap;
	}
	x = &d->v[d->n];
	memset(x, 0, sizeof(*x));
	x->sev = sev;
	if (loc) {
		x->loc = *loc;
		/* The diagnostic owns its file name: it outlives the policy that
		 * failed to load. */
		if (loc->file && !(x->loc.file = strdup(loc->file)))
			return -ENOMEM;
	}
	x->msg = msg;
	d->n++;
	return 0;
}

int fw_diag_add(struct fw_diags *d, enum fw_severity sev, const struct fw_loc *loc, const char *fmt,
                ...)
{
	size_t max = d->max_errors ? d->max_errors : FW_DIAG_MAX_ERRORS;
	va_list ap;
	char *msg;
	int r;

	if (sev == FW_SEV_ERROR) {
		d->n_errors++;
		if (d->truncated)
			return 0;
		if (d->n_errors > max) {
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
		if (d->n_warnings > max * 10)
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
	char *s;
	int r;

	if (!x->loc.file)
		r = asprintf(&s, "fwd: %s: %s", sev, x->msg);
	else if (x->loc.line == 0)
		r = asprintf(&s, "%s: %s: %s", x->loc.file, sev, x->msg);
	else
		r = asprintf(&s, "%s:%u:%u: %s: %s", x->loc.file, x->loc.line, x->loc.col, sev,
		             x->msg);
	return r < 0 ? NULL : s;
}

static int cmp_loc(const struct fw_diag *a, const struct fw_diag *b)
{
	int c;

	if (!a->loc.file || !b->loc.file)
		c = (a->loc.file != NULL) - (b->loc.file != NULL);
	else
		c = strcmp(a->loc.file, b->loc.file);
	if (c)
		return c;
	if (a->loc.line != b->loc.line)
		return a->loc.line < b->loc.line ? -1 : 1;
	if (a->loc.col != b->loc.col)
		return a->loc.col < b->loc.col ? -1 : 1;
	return 0;
}

void fw_diags_sort(struct fw_diags *d)
{
	/* Insertion sort: stable, and the lists are short. The "too many
	 * errors" note stays last. */
	size_t n = d->n - (d->truncated && d->n ? 1 : 0);

	for (size_t i = 1; i < n; i++) {
		struct fw_diag x = d->v[i];
		size_t j = i;
		while (j > 0 && cmp_loc(&d->v[j - 1], &x) > 0) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = x;
	}
}

bool fw_diags_has_errors(const struct fw_diags *d)
{
	return d->n_errors > 0;
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
