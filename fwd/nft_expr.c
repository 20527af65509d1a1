// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The expressions of a rule, from the items nft_rule.c prepared (plain
 * comparisons, possibly merged, and plan statements), exactly as nft 1.0.x
 * linearises them:
 *
 *  - prefixes on byte boundaries load only the prefix bytes, others are
 *    masked; ranges are two comparisons (or a range expression for !=);
 *  - host byte order integers (meta l4proto) are converted with a byteorder
 *    expression where a concatenation is looked up in an interval set;
 *  - registers: 32-bit register numbering, reported as 128-bit register
 *    numbers where they coincide; NAT values get a 128-bit register each.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/expr.h>

#include "nft_rule.h"

/* nft numbers 32-bit registers and reports them as 128-bit ones where a
 * 32-bit register starts one. */
static uint32_t reg32(unsigned r)
{
	return r % 4 == 0 ? NFT_REG_1 + r / 4 : NFT_REG32_00 + r;
}

/* --- expressions --- */

static int add(struct xl *x, struct nftnl_expr *e)
{
	if (!e)
		return nft_fail(x, -ENOMEM, "out of memory");
	if (x->out->n >= NFT_MAX_EXPRS) {
		nftnl_expr_free(e);
		return nft_fail(x, -E2BIG, "more than %d expressions in one rule", NFT_MAX_EXPRS);
	}
	x->out->v[x->out->n++] = e;
	return 0;
}

static int add_checked(struct xl *x, struct nftnl_expr *e, int set_err)
{
	if (e && set_err < 0) {
		nftnl_expr_free(e);
		return nft_fail(x, -ENOMEM, "out of memory");
	}
	return add(x, e);
}

static int e_meta(struct xl *x, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	}
	return add(x, e);
}

static int e_payload(struct xl *x, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	}
	return add(x, e);
}

static int e_ct(struct xl *x, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	}
	return add(x, e);
}

/* fib saddr . iif oif, as a boolean: "does a route back exist" */
static int e_fib(struct xl *x, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("fib");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, dreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_OIF);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS,
		                   NFTA_FIB_F_SADDR | NFTA_FIB_F_IIF | NFTA_FIB_F_PRESENT);
	}
	return add(x, e);
}

static int e_cmp(struct xl *x, uint32_t sreg, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");
	int r = 0;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		r = nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return add_checked(x, e, r);
}

static int e_range_neq(struct xl *x, uint32_t sreg, const void *from, const void *to, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("range");
	int r = 0;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_NEQ);
		r = nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, from, len);
		if (r >= 0)
			r = nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, to, len);
	}
	return add_checked(x, e, r);
}

/* reg = (reg & mask) ^ 0; nft names the operation only for `a & b`
 * expressions (binop), not for prefixes and flag lists */
static int e_bitwise(struct xl *x, uint32_t reg, uint32_t len, const void *mask, bool binop)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	int r = 0;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
		if (binop)
			nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		r = nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
		if (r >= 0)
			r = nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	}
	return add_checked(x, e, r);
}

/* nft's conversion of a host order integer to network order; for a one-byte
 * value it is a no-op (len 1, element size 2), but nft emits it. */
static int e_hton(struct xl *x, uint32_t reg, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("byteorder");
	uint32_t size = len % 8 == 0 ? 8 : len % 4 == 0 ? 4 : 2;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, size);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	}
	return add(x, e);
}

static int e_lookup(struct xl *x, uint32_t sreg, bool vmap, const char *set, uint32_t id, bool inv)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");
	int r = 0;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
		if (vmap)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
		r = nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
		if (inv)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	}
	return add_checked(x, e, r);
}

static int e_imm_data(struct xl *x, uint32_t dreg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	int r = 0;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
		r = nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
	}
	return add_checked(x, e, r);
}

int nft_verdict_code(enum fw_verdict v)
{
	switch (v) {
	case FW_VERDICT_ACCEPT:
		return NF_ACCEPT;
	case FW_VERDICT_DROP:
		return NF_DROP;
	case FW_VERDICT_RETURN:
		return NFT_RETURN;
	case FW_VERDICT_JUMP:
		return NFT_JUMP;
	case FW_VERDICT_GOTO:
		return NFT_GOTO;
	default:
		return NFT_VERDICT_NONE;
	}
}

static int e_verdict(struct xl *x, enum fw_verdict v, const char *chain)
{
	struct nftnl_expr *e;
	int code = nft_verdict_code(v), r = 0;

	if (code == NFT_VERDICT_NONE)
		return nft_fail(x, -EINVAL, "statement without a verdict");
	if ((code == NFT_JUMP || code == NFT_GOTO) && !chain[0])
		return nft_fail(x, -EINVAL, "jump or goto without a chain");
	e = nftnl_expr_alloc("immediate");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)code);
		if (code == NFT_JUMP || code == NFT_GOTO)
			r = nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	}
	return add_checked(x, e, r);
}

static int e_log(struct xl *x, const struct fw_stmt *s)
{
	struct nftnl_expr *e = nftnl_expr_alloc("log");
	char prefix[NFT_TEXT_MAX];
	int r = 0;

	nft_text(prefix, s->log_prefix ? s->log_prefix : "");
	if (e) {
		r = nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, prefix);
		nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, s->log_group);
	}
	return add_checked(x, e, r);
}

/* dnat|snat ip|ip6 to ADDR[:PORT]: the address in register 1, the port in
 * register 2 (nft gives each value a 128-bit register). */
static int e_nat(struct xl *x, const struct fw_stmt *s)
{
	bool six = s->nat_family == 6;
	uint16_t port = htons(s->nat_port);
	struct nftnl_expr *e;
	int r;

	r = e_imm_data(x, NFT_REG_1, s->nat_addr, six ? 16 : 4);
	if (r == 0 && s->nat_port)
		r = e_imm_data(x, NFT_REG_2, &port, sizeof(port));
	if (r < 0)
		return r;
	e = nftnl_expr_alloc("nat");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE,
		                   s->kind == FW_ST_DNAT ? NFT_NAT_DNAT : NFT_NAT_SNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, six ? NFPROTO_IPV6 : NFPROTO_IPV4);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		if (s->nat_port) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
		}
	}
	return add(x, e);
}

static int load(struct xl *x, enum fw_sel sel, uint32_t dreg)
{
	const struct sel_desc *d = &nft_sels[sel];

	switch (d->src) {
	case SRC_META:
		return e_meta(x, d->key, dreg);
	case SRC_PAYLOAD:
		return e_payload(x, d->base, d->off, d->len, dreg);
	case SRC_CT:
		return e_ct(x, d->key, dreg);
	case SRC_FIB:
		return e_fib(x, dreg);
	}
	return nft_fail(x, -EINVAL, "selector %d cannot be loaded", (int)sel);
}

/* --- linearisation --- */

static bool is_addr(enum fw_sel sel)
{
	return nft_sels[sel].key_type == FW_KEY_IPV4 || nft_sels[sel].key_type == FW_KEY_IPV6;
}

static int emit_cmp(struct xl *x, const struct fw_stmt *s)
{
	enum fw_sel sel = s->sel[0];
	const struct sel_desc *d = &nft_sels[sel];
	uint32_t op = s->neg ? NFT_CMP_NEQ : NFT_CMP_EQ;
	int plen, r;

	if (sel == FW_SEL_FIB_RPF) {
		/* exists : missing, a boolean as wide as the result (oif) */
		uint32_t v = s->neg ? 1 : 0;

		r = e_fib(x, NFT_REG_1);
		return r < 0 ? r : e_cmp(x, NFT_REG_1, NFT_CMP_EQ, &v, sizeof(v));
	}
	plen = is_addr(sel) ? fw_range_prefix_len(s->val.lo, s->val.hi, d->len) : -1;
	if (plen > 0 && plen % 8 == 0) {
		/* only the prefix's bytes */
		r = e_payload(x, d->base, d->off, (uint32_t)plen / 8, NFT_REG_1);
		return r < 0 ? r : e_cmp(x, NFT_REG_1, op, s->val.lo, (uint32_t)plen / 8);
	}
	if (plen >= 0) {
		uint8_t mask[16] = {0};

		for (int b = 0; b < plen; b++)
			mask[b / 8] |= (uint8_t)(0x80u >> (b % 8));
		r = e_payload(x, d->base, d->off, d->len, NFT_REG_1);
		if (r == 0)
			r = e_bitwise(x, NFT_REG_1, d->len, mask, false);
		return r < 0 ? r : e_cmp(x, NFT_REG_1, op, s->val.lo, d->len);
	}
	r = load(x, sel, NFT_REG_1);
	if (r < 0)
		return r;
	if (s->neg)
		return e_range_neq(x, NFT_REG_1, s->val.lo, s->val.hi, d->len);
	r = e_cmp(x, NFT_REG_1, NFT_CMP_GTE, s->val.lo, d->len);
	return r < 0 ? r : e_cmp(x, NFT_REG_1, NFT_CMP_LTE, s->val.hi, d->len);
}

static int emit_bits(struct xl *x, const struct fw_stmt *s)
{
	int r;

	if (s->sel[0] == FW_SEL_TCP_FLAGS) {
		const uint32_t known = FW_TCP_FIN | FW_TCP_SYN | FW_TCP_RST | FW_TCP_ACK;
		uint8_t mask = (uint8_t)(s->mask & known), bits = (uint8_t)(s->bits & known);

		r = load(x, FW_SEL_TCP_FLAGS, NFT_REG_1);
		if (r == 0)
			r = e_bitwise(x, NFT_REG_1, 1, &mask, true);
		return r < 0 ? r : e_cmp(x, NFT_REG_1, s->neg ? NFT_CMP_NEQ : NFT_CMP_EQ, &bits, 1);
	} else {
		/* ct state/status: host order 32-bit bit fields, "any of" */
		uint32_t mask = s->sel[0] == FW_SEL_CT_STATE ? s->mask & 0x0fu : s->mask, zero = 0;

		r = load(x, s->sel[0], NFT_REG_1);
		if (r == 0)
			r = e_bitwise(x, NFT_REG_1, 4, &mask, false);
		return r < 0 ? r : e_cmp(x, NFT_REG_1, NFT_CMP_NEQ, &zero, 4);
	}
}

static int emit_lookup(struct xl *x, const struct fw_stmt *s)
{
	const struct fw_plan_set *set = plan_find_set(x->t, s->set);
	uint32_t id = x->set_id_base + (uint32_t)(set - x->t->sets);
	unsigned w = 0;

	for (uint8_t i = 0; i < s->n_sel; i++) {
		const struct sel_desc *d = &nft_sels[s->sel[i]];
		uint32_t reg = reg32(w);
		int r = load(x, s->sel[i], reg);

		/* interval sets want every field in network order */
		if (r == 0 && set->interval && s->n_sel > 1 && d->host_int)
			r = e_hton(x, reg, d->len);
		if (r < 0)
			return r;
		w += (d->len + 3u) / 4u;
	}
	return e_lookup(x, NFT_REG_1, s->kind == FW_ST_VMAP, set->name, id,
	                s->kind == FW_ST_LOOKUP && s->neg);
}

static int emit_stmt(struct xl *x, const struct fw_stmt *s)
{
	switch (s->kind) {
	case FW_ST_CMP:
		return emit_cmp(x, s);
	case FW_ST_BITS:
		return emit_bits(x, s);
	case FW_ST_LOOKUP:
	case FW_ST_VMAP:
		return emit_lookup(x, s);
	case FW_ST_COUNTER:
		return add(x, nftnl_expr_alloc("counter"));
	case FW_ST_LOG:
		return e_log(x, s);
	case FW_ST_VERDICT:
		return e_verdict(x, s->verdict, s->chain);
	case FW_ST_DNAT:
	case FW_ST_SNAT:
		return e_nat(x, s);
	case FW_ST_MASQ:
		return add(x, nftnl_expr_alloc("masq"));
	}
	return nft_fail(x, -EINVAL, "unknown statement kind %d", (int)s->kind);
}

int nft_emit(struct xl *x)
{
	for (size_t i = 0; i < x->n_it; i++) {
		const struct item *it = &x->it[i];
		uint32_t op = it->neq ? NFT_CMP_NEQ : NFT_CMP_EQ;
		int r;

		if (it->dead)
			continue;
		switch (it->kind) {
		case IT_PAYLOAD:
			r = e_payload(x, it->base, it->off, it->len, NFT_REG_1);
			if (r == 0)
				r = e_cmp(x, NFT_REG_1, op, it->data, it->len);
			break;
		case IT_META:
			r = e_meta(x, it->key, NFT_REG_1);
			if (r == 0)
				r = e_cmp(x, NFT_REG_1, op, it->data, it->len);
			break;
		default:
			r = emit_stmt(x, it->st);
		}
		if (r < 0)
			return r;
	}
	return 0;
}
