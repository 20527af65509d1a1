/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Interned strings: each distinct string stored once, compared by pointer
 * inside one pool. Used where many records share few names (accesses). */
#ifndef FWD_POLICY_STRPOOL_H
#define FWD_POLICY_STRPOOL_H

#include <stddef.h>

struct strpool;

int strpool_new(struct strpool **ret);
void strpool_free(struct strpool *sp);
/* The pool's copy of s (NULL on allocation failure). */
const char *strpool_get(struct strpool *sp, const char *s);

#endif
