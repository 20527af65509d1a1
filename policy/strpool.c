// SPDX-License-Identifier: GPL-2.0-or-later
/* Interned strings (open addressing, FNV-1a). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strpool.h"

struct strpool {
	char **slots; /* NULL: free */
	size_t n_slots, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

int strpool_new(struct strpool **ret)
{
	struct strpool *sp = calloc(1, sizeof(*sp));

	if (!sp)
		return -ENOMEM;
	sp->n_slots = 64;
	sp->slots = calloc(sp->n_slots, sizeof(*sp->slots));
	if (!sp->slots) {
		free(sp);
		return -ENOMEM;
	}
	*ret = sp;
	return 0;
}

void strpool_free(struct strpool *sp)
{
	if (!sp)
		return;
	for (size_t i = 0; i < sp->n_slots; i++)
		free(sp->slots[i]);
	free(sp->slots);
	free(sp);
}

/* Double the table; strings move, their addresses do not. */
static int grow(struct strpool *sp)
{
	size_t n = sp->n_slots * 2;
	char **v = calloc(n, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < sp->n_slots; i++) {
		if (!sp->slots[i])
			continue;
		size_t j = hash_str(sp->slots[i]) & (n - 1);
		while (v[j])
			j = (j + 1) & (n - 1);
		v[j] = sp->slots[i];
	}
	free(sp->slots);
	sp->slots = v;
	sp->n_slots = n;
	return 0;
}

const char *strpool_get(struct strpool *sp, const char *s)
{
	size_t i;

	if (2 * (sp->n + 1) > sp->n_slots && grow(sp) < 0)
		return NULL;
	i = hash_str(s) & (sp->n_slots - 1);
	while (sp->slots[i]) {
		if (!strcmp(sp->slots[i], s))
			return sp->slots[i];
		i = (i + 1) & (sp->n_slots - 1);
	}
	sp->slots[i] = strdup(s);
	if (sp->slots[i])
		sp->n++;
	return sp->slots[i];
}
