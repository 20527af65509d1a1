// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>

#include "util.h"

int fw_parse_ulong(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && s[1] != '\0')
		return -EINVAL; /* no leading zeros: "010" is ambiguous */
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -ERANGE;
	}
	*ret = v;
	return 0;
}

int fw_grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 4;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size)
			return -ENOMEM;
		ncap *= 2;
	}
	nv = realloc(*v, ncap * size);
	if (!nv)
		return -ENOMEM;
	memset((char *)nv + *cap * size, 0, (ncap - *cap) * size);
	*v = nv;
	*cap = ncap;
	return 0;
}

void *fw_push(void **v, size_t *n, size_t *cap, size_t size)
{
	if (fw_grow(v, cap, *n + 1, size) < 0)
		return NULL;
	return (char *)*v + (*n)++ * size;
}

char *fw_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

unsigned fw_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned prev = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cur = row[j];
			unsigned best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static size_t name_hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

int name_index_build(struct name_index *ix, const void *array, size_t n, name_at_fn name_at)
{
	size_t want = 16;

	while (want < n * 2)
		want *= 2;
	free(ix->slots);
	ix->slots = calloc(want, sizeof(*ix->slots));
	if (!ix->slots) {
		ix->n_slots = ix->built_for = 0;
		return -ENOMEM;
	}
	ix->n_slots = want;
	for (size_t i = 0; i < n; i++) {
		const char *name = name_at(array, i);
		if (!name)
			continue;
		size_t h = name_hash(name) & (want - 1);
		while (ix->slots[h])
			h = (h + 1) & (want - 1);
		ix->slots[h] = i + 1;
	}
	ix->built_for = n;
	return 0;
}

ssize_t name_index_find(const struct name_index *ix, const void *array, name_at_fn name_at,
                        const char *name)
{
	if (!ix->n_slots)
		return -1;
	for (size_t h = name_hash(name) & (ix->n_slots - 1); ix->slots[h];
	     h = (h + 1) & (ix->n_slots - 1)) {
		const char *cand = name_at(array, ix->slots[h] - 1);
		if (cand && !strcmp(cand, name))
			return (ssize_t)(ix->slots[h] - 1);
	}
	return -1;
}

void name_index_free(struct name_index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->n_slots = ix->built_for = 0;
}
