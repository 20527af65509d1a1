/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building a plan: the compiler's construction kit. Errors are sticky in
 * pb.err so the compiler can build straight-line and check once. */
#ifndef FWD_PLANBUILD_H
#define FWD_PLANBUILD_H

#include "fwd/plan.h"

struct pb {
	struct fw_plan *plan;
	int err;
	size_t t, c; /* current table, chain */
	size_t cap_tables, cap_sets, cap_chains, cap_stmts;
};

struct fw_plan_table *pb_table(struct pb *b, enum fw_family family, const char *name,
                               const char *tenant);
size_t pb_set(struct pb *b, const char *name, const enum fw_key *keys, uint8_t n_key, bool interval,
              bool vmap);
struct fw_elem *pb_elem(struct pb *b, size_t set);
size_t pb_chain(struct pb *b, const char *name, enum fw_hook hook, enum fw_chain_type type,
                int prio, enum fw_verdict policy);
void pb_use_chain(struct pb *b, size_t chain);
struct fw_plan_rule *pb_rule(struct pb *b, const struct fw_origin *origin);
void pb_cmp(struct pb *b, struct fw_plan_rule *r, enum fw_sel sel, bool neg,
            const struct fw_val *v);
void pb_bits(struct pb *b, struct fw_plan_rule *r, enum fw_sel sel, bool neg, uint32_t mask,
             uint32_t bits);
void pb_lookup(struct pb *b, struct fw_plan_rule *r, const enum fw_sel *sel, uint8_t n_sel,
               bool neg, bool vmap, const char *set);
void pb_counter(struct pb *b, struct fw_plan_rule *r);
void pb_log(struct pb *b, struct fw_plan_rule *r, const char *prefix);
void pb_verdict(struct pb *b, struct fw_plan_rule *r, enum fw_verdict v, const char *chain);
void pb_nat(struct pb *b, struct fw_plan_rule *r, enum fw_stmt_kind kind,
            const struct fw_prefix *addr, uint16_t port);

/* Frees what a plan holds but not the plan itself (plans built on the stack). */
void plan_clear(struct fw_plan *plan);

struct fw_val val_u8(uint8_t v);
struct fw_val val_u8_range(uint8_t lo, uint8_t hi);
struct fw_val val_port_range(uint16_t lo, uint16_t hi);
struct fw_val val_be16(uint16_t v);
struct fw_val val_ifname(const char *name);
struct fw_val val_addr_range(uint8_t alen, const uint8_t *lo, const uint8_t *hi);
struct fw_val val_prefix(const struct fw_prefix *p);

#endif
