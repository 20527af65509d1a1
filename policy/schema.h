/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Typed access to YAML nodes with errors that say where, what was found and
 * what was expected. Every accessor records its own error and returns false,
 * so section parsers keep going and report all problems of a file.
 */
#ifndef FWD_SCHEMA_H
#define FWD_SCHEMA_H

#include <stdbool.h>

#include "fwd/policy.h"
#include "ytree.h"

struct sctx {
	struct fw_diags *diags;
	struct fw_tenant *t; /* tenant being loaded: its file names every loc */
	int oom;             /* -ENOMEM once an allocation failed */
};

typedef void (*s_key_fn)(struct sctx *c, const struct ynode *val, void *obj);

struct s_key {
	const char *name;
	bool required;
	s_key_fn fn;
};

struct fw_loc s_loc(const struct sctx *c, const struct ynode *n);
void s_err(struct sctx *c, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void s_warn(struct sctx *c, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void s_err_at(struct sctx *c, const struct fw_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void s_warn_at(struct sctx *c, const struct fw_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "'text'" (shortened, escaped), "a mapping", "a list", "an empty value". */
const char *s_found(const struct ynode *n, char *buf, size_t size);

bool s_is_map(struct sctx *c, const struct ynode *n, const char *what);
bool s_is_seq(struct sctx *c, const struct ynode *n, const char *what);
bool s_is_null(const struct ynode *n);

/* Walk a mapping: unknown keys and missing required keys are errors.
 * `what` names the mapping in messages ("zone 'dmz'", "the tenant file"). */
void s_walk(struct sctx *c, const struct ynode *map, const char *what, const struct s_key *keys,
            size_t n_keys, void *obj);

bool s_str(struct sctx *c, const struct ynode *n, const char *key, const char **ret);
bool s_strdup(struct sctx *c, const struct ynode *n, const char *key, char **ret);
bool s_name(struct sctx *c, const struct ynode *n, const char *key, const char **ret);
bool s_uint(struct sctx *c, const struct ynode *n, const char *key, unsigned long lo,
            unsigned long hi, const char *desc, unsigned long *ret);
bool s_bool(struct sctx *c, const struct ynode *n, const char *key, bool *ret);
bool s_ifname(struct sctx *c, const struct ynode *n, const char *key, char ret[16]);
/* want: 0 any family, 4 or 6. host: a single address (no prefix length). */
bool s_addr(struct sctx *c, const struct ynode *n, const char *key, int want,
            struct fw_prefix *ret);
bool s_subnet(struct sctx *c, const struct ynode *n, const char *key, int want,
              struct fw_prefix *ret);

/* A scalar or a list of scalars: calls fn for every scalar item. */
void s_each_scalar(struct sctx *c, const struct ynode *n, const char *key,
                   void (*fn)(struct sctx *c, const struct ynode *item, void *obj), void *obj);

/* Name syntax: [a-z][a-z0-9_-]{0,31}; reserved words refused. */
bool s_valid_name(const char *s);

#endif
