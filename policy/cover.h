/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A set of allowed flows as pairwise-disjoint boxes.
 *
 * nftables refuses overlapping elements in a concatenated interval set, and
 * we want to know when a rule adds nothing new (shadowed). So every new box
 * (source range x destination range x protocol range x port range) has the
 * boxes already in the set subtracted from it; what is left is added with
 * the new box's origin, and the caller learns which earlier origins covered
 * it. Boxes with a full port range and boxes with ports live in separate
 * covers (nft cannot match th dport on ICMP), see compile.c.
 */
#ifndef FWD_COVER_H
#define FWD_COVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/plan.h"

struct box {
	uint8_t s_lo[16], s_hi[16];
	uint8_t d_lo[16], d_hi[16];
	uint8_t p_lo, p_hi;
	uint16_t port_lo, port_hi; /* host order */
	struct fw_origin origin;
};

struct cover {
	uint8_t alen; /* 4 or 16 */
	bool ports;   /* the port dimension is used */
	struct box *v;
	size_t n, cap;
	/* Index: boxes whose destination is one address, by hash; others "wide". */
	size_t *buckets; /* heads, SIZE_MAX = empty */
	size_t *next;
	size_t n_buckets;
	size_t *wide;
	size_t n_wide, cap_wide;
};

struct cover_result {
	size_t added;                /* pieces added */
	bool covered;                /* an earlier box overlapped */
	struct fw_origin covered_by; /* a copy: the cover's array moves as it grows */
	bool several;                /* more than one distinct earlier origin overlapped */
};

void cover_init(struct cover *c, uint8_t alen, bool ports);
/* Insert `b` minus everything already present. `also` (may be NULL) is a
 * second cover whose boxes also count as present (not modified). */
int cover_insert(struct cover *c, const struct box *b, const struct cover *also,
                 struct cover_result *res);
void cover_free(struct cover *c);

void box_from_prefixes(struct box *b, const struct fw_prefix *s, const struct fw_prefix *d);
bool box_contains_point(const struct box *b, uint8_t alen, const uint8_t *s, const uint8_t *d,
                        uint8_t proto, uint16_t port, bool ports);

#endif
