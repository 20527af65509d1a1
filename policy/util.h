/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers private to the policy library. */
#ifndef FWD_POLICY_UTIL_H
#define FWD_POLICY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include "fwd/policy.h"

#define _cleanup_(f)  __attribute__((cleanup(f)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}

/* Strict unsigned decimal: digits only, no sign, no spaces, <= max. */
int fw_parse_ulong(const char *s, unsigned long max, unsigned long *ret);

/* Grow *v (of *cap elements of `size` bytes) to hold at least `need`.
 * New memory is zeroed. Returns 0 or -ENOMEM. */
int fw_grow(void **v, size_t *cap, size_t need, size_t size);

/* Append one zeroed element, return a pointer to it or NULL. */
void *fw_push(void **v, size_t *n, size_t *cap, size_t size);

char *fw_strdup(const char *s);
unsigned fw_edit_distance(const char *a, const char *b);

void fw_prefix_network(struct fw_prefix *p);
void fw_prefix_last(const struct fw_prefix *p, uint8_t out[16]);
bool fw_addr_add(struct fw_prefix *addr, uint32_t n);

/* A name -> index hash table over an array of named objects (open
 * addressing). Built once the names are known; rebuilt when their count
 * changed. */
struct name_index {
	size_t *slots; /* index + 1, 0 = empty */
	size_t n_slots;
	size_t built_for; /* number of names indexed */
};

typedef const char *(*name_at_fn)(const void *array, size_t i);
int name_index_build(struct name_index *ix, const void *array, size_t n, name_at_fn name_at);
ssize_t name_index_find(const struct name_index *ix, const void *array, name_at_fn name_at,
                        const char *name);
void name_index_free(struct name_index *ix);

#endif
