// SPDX-License-Identifier: GPL-2.0-or-later
/* Hash indexes of the YAML tree builder: mapping keys (duplicate detection in
 * O(1) per key, seeded against crafted collisions) and anchors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util.h"
#include "ytree_build.h"

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

/* Seeded so that colliding keys cannot be prepared in advance. */
uint64_t yt_hash_bytes(uint64_t seed, const char *s, size_t len)
{
	uint64_t h = mix64(seed ^ (uint64_t)len);
	uint64_t w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = rotl64(h ^ ((w ^ seed) * 0x9e3779b97f4a7c15ull), 31) * 0x87c37b91114253d5ull;
	}
	w = 0;
	memcpy(&w, s, len);
	return mix64(h ^ ((w ^ seed) * 0x9e3779b97f4a7c15ull));
}

uint64_t yt_make_seed(void)
{
	uint64_t seed = 0;
	struct timespec ts = {0};

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uintptr_t)&seed);
}

static bool same_key(const struct ynode *a, const struct ynode *b)
{
	return a == b || (a->len == b->len && !memcmp(a->str, b->str, a->len));
}

void yt_index_insert(struct frame *f, uint64_t hash, size_t idx)
{
	size_t mask = f->cap_index - 1;
	size_t i = (size_t)hash & mask;

	while (f->index[i].idx)
		i = (i + 1) & mask;
	f->index[i].hash = hash;
	f->index[i].idx = idx + 1;
}

/* (Re)build the key index of f with room for at least `need` keys. */
int yt_index_build(struct builder *b, struct frame *f, size_t need)
{
	const struct ynode *map = f->node;
	size_t cap = 16;

	while (cap / 2 < need) {
		if (cap > SIZE_MAX / 2 / sizeof(*f->index))
			return -ENOMEM;
		cap *= 2;
	}
	if (cap > f->cap_index_alloc) {
		struct key_slot *ni = realloc(f->index, cap * sizeof(*ni));
		if (!ni)
			return -ENOMEM;
		f->index = ni;
		f->cap_index_alloc = cap;
	}
	memset(f->index, 0, cap * sizeof(*f->index));
	f->cap_index = cap;
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->keys[i];
		yt_index_insert(f, yt_hash_bytes(b->seed, k->str, k->len), i);
	}
	return 0;
}

/* Index of a key equal to `key` already in the open mapping, or -1. */
ssize_t yt_find_key(struct builder *b, struct frame *f, const struct ynode *key)
{
	const struct ynode *map = f->node;

	if (!f->cap_index) {
		for (size_t i = 0; i < map->n; i++)
			if (same_key(map->keys[i], key))
				return (ssize_t)i;
		return -1;
	}
	f->key_hash = yt_hash_bytes(b->seed, key->str, key->len);
	for (size_t i = (size_t)f->key_hash & (f->cap_index - 1); f->index[i].idx;
	     i = (i + 1) & (f->cap_index - 1)) {
		const struct key_slot *s = &f->index[i];
		if (s->hash == f->key_hash && same_key(map->keys[s->idx - 1], key))
			return (ssize_t)(s->idx - 1);
	}
	return -1;
}

struct anchor *yt_anchor_find(const struct builder *b, const char *name, uint64_t hash)
{
	size_t mask = b->cap_anchor_index - 1;

	if (!b->cap_anchor_index)
		return NULL;
	for (size_t i = (size_t)hash & mask; b->anchor_index[i]; i = (i + 1) & mask) {
		struct anchor *a = &b->anchors[b->anchor_index[i] - 1];
		if (a->hash == hash && !strcmp(a->name, name))
			return a;
	}
	return NULL;
}

static int anchor_index_grow(struct builder *b)
{
	size_t cap = b->cap_anchor_index ? b->cap_anchor_index * 2 : 64;
	size_t *ni;

	if (cap > SIZE_MAX / sizeof(*ni))
		return -ENOMEM;
	ni = calloc(cap, sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	for (size_t k = 0; k < b->n_anchors; k++) {
		size_t i = (size_t)b->anchors[k].hash & (cap - 1);
		while (ni[i])
			i = (i + 1) & (cap - 1);
		ni[i] = k + 1;
	}
	free(b->anchor_index);
	b->anchor_index = ni;
	b->cap_anchor_index = cap;
	return 0;
}

/* Define (or redefine: the later definition wins) an anchor. Returns
 * 1 + its index, or -ENOMEM. */
ssize_t yt_anchor_define(struct builder *b, const char *name, struct ynode *n, bool open)
{
	uint64_t hash = yt_hash_bytes(b->seed, name, strlen(name));
	struct anchor *a = yt_anchor_find(b, name, hash);

	if (!a) {
		if ((b->n_anchors + 1) * 2 > b->cap_anchor_index && anchor_index_grow(b) < 0)
			return -ENOMEM;
		a = fw_push((void **)&b->anchors, &b->n_anchors, &b->cap_anchors, sizeof(*a));
		if (!a)
			return -ENOMEM;
		a->name = strdup(name);
		if (!a->name) {
			b->n_anchors--;
			return -ENOMEM;
		}
		a->hash = hash;
		size_t i = (size_t)hash & (b->cap_anchor_index - 1);
		while (b->anchor_index[i])
			i = (i + 1) & (b->cap_anchor_index - 1);
		b->anchor_index[i] = b->n_anchors;
	}
	a->node = n;
	a->seq = b->anchor_seq++;
	a->open = open;
	return (ssize_t)(a - b->anchors) + 1;
}
