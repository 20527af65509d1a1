/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building hand-made plans for the backend selftest (tests/support). */
#ifndef FWD_SELFTEST_BUILD_H
#define FWD_SELFTEST_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "fwd/plan.h"

extern const char *const file;
void *alloc(size_t n, size_t size);
void check(bool ok, const char *what);
struct fw_plan_table *table(struct fw_plan *p, enum fw_family f, const char *name);
struct fw_plan_set *set(struct fw_plan_table *t, const char *name, bool interval, bool vmap,
                        uint8_t n, const enum fw_key *keys);
struct fw_elem *elem(struct fw_plan_set *s, const char *id, unsigned line);
struct fw_plan_chain *chain(struct fw_plan_table *t, const char *name, enum fw_hook hook,
                            enum fw_chain_type type, int prio, enum fw_verdict policy);
struct fw_plan_rule *rule(struct fw_plan_chain *c, const char *id, unsigned line);
struct fw_stmt *stmt(struct fw_plan_rule *r, enum fw_stmt_kind kind);
struct fw_val ip4(const char *a);
struct fw_val ip6(const char *a);
struct fw_val range(struct fw_val lo, struct fw_val hi);
struct fw_val prefix(struct fw_val v, unsigned plen);
struct fw_val u8(uint8_t x);
struct fw_val port(uint16_t p);
struct fw_val be16(uint16_t x);
struct fw_val ifname(const char *n);
struct fw_val ether(const char *m);

/* selftest_delta.c: `nft_apply_selftest delta` with two copies of the kinds
 * plan (it changes b, frees both). Exit status. */
int selftest_delta(struct fw_plan *a, struct fw_plan *b);
void cmp(struct fw_plan_rule *r, enum fw_sel sel, bool neg, struct fw_val v);
void bits(struct fw_plan_rule *r, enum fw_sel sel, bool neg, uint32_t mask, uint32_t b);
void lookup(struct fw_plan_rule *r, enum fw_stmt_kind kind, const char *name, bool neg, uint8_t n,
            const enum fw_sel *sels);
void verdict(struct fw_plan_rule *r, enum fw_verdict v, const char *to);
void logs(struct fw_plan_rule *r, const char *prefix_text);
void nat(struct fw_plan_rule *r, enum fw_stmt_kind kind, struct fw_val addr, uint16_t p);

#define SELS(...)                                                                                  \
	(sizeof((enum fw_sel[]){__VA_ARGS__}) / sizeof(enum fw_sel)), (enum fw_sel[])              \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}
#define KEYS(...)                                                                                  \
	(sizeof((enum fw_key[]){__VA_ARGS__}) / sizeof(enum fw_key)), (enum fw_key[])              \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}

#endif
