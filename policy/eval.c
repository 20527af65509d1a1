// SPDX-License-Identifier: GPL-2.0-or-later
/* A small nftables interpreter over the plan (see fwd/explain.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwd/explain.h"
#include "util.h"

#define MAX_JUMPS 16 /* the kernel allows 16 levels too */

/* The packet's value for a selector, as bytes in network order. */
static int sel_value(const struct fw_packet *p, enum fw_sel sel, uint8_t *out, uint8_t *len)
{
	switch (sel) {
	case FW_SEL_IIFNAME:
	case FW_SEL_OIFNAME:
		memset(out, 0, 16);
		memcpy(out, sel == FW_SEL_IIFNAME ? p->iif : p->oif,
		       strnlen(sel == FW_SEL_IIFNAME ? p->iif : p->oif, 15));
		*len = 16;
		return 0;
	case FW_SEL_NFPROTO:
		out[0] = p->family == 4 ? 2 : 10;
		*len = 1;
		return 0;
	case FW_SEL_PROTOCOL:
		out[0] = p->family == 4 ? 0x08 : 0x86;
		out[1] = p->family == 4 ? 0x00 : 0xdd;
		*len = 2;
		return 0;
	case FW_SEL_L4PROTO:
		out[0] = p->proto;
		*len = 1;
		return 0;
	case FW_SEL_IP_SADDR:
	case FW_SEL_IP_DADDR:
		if (p->family != 4)
			return -ENOENT;
		memcpy(out, sel == FW_SEL_IP_SADDR ? p->saddr : p->daddr, 4);
		*len = 4;
		return 0;
	case FW_SEL_IP6_SADDR:
	case FW_SEL_IP6_DADDR:
		if (p->family != 6)
			return -ENOENT;
		memcpy(out, sel == FW_SEL_IP6_SADDR ? p->saddr : p->daddr, 16);
		*len = 16;
		return 0;
	case FW_SEL_TH_SPORT:
	case FW_SEL_TH_DPORT: {
		uint16_t v = sel == FW_SEL_TH_SPORT ? p->sport : p->dport;
		if (p->proto != 6 && p->proto != 17)
			return -ENOENT;
		out[0] = (uint8_t)(v >> 8);
		out[1] = (uint8_t)v;
		*len = 2;
		return 0;
	}
	case FW_SEL_ICMPV6_TYPE:
		if (p->proto != 58)
			return -ENOENT;
		out[0] = p->icmp_type;
		*len = 1;
		return 0;
	case FW_SEL_FIB_RPF:
		/* Packets are built entering where their source routes. */
		memset(out, 0, 4);
		out[3] = 1;
		*len = 4;
		return 0;
	case FW_SEL_CT_STATE:
	case FW_SEL_CT_STATUS:
	case FW_SEL_TCP_FLAGS:
	case FW_SEL_ETHER_SADDR: /* explain packets are IP, without link layer */
	case FW_SEL_ARP_SADDR_IP:
		return -ENOENT;
	}
	return -ENOENT;
}

static bool val_match(const struct fw_val *v, const uint8_t *x, uint8_t len)
{
	uint8_t n = v->len < len ? v->len : len;

	return memcmp(v->lo, x, n) <= 0 && memcmp(x, v->hi, n) <= 0;
}

/* Find the element matching the packet's concatenated key. */
static const struct fw_elem *set_lookup(const struct fw_plan_set *s, const struct fw_stmt *st,
                                        const struct fw_packet *p)
{
	uint8_t k[FW_MAX_CONCAT][16], len[FW_MAX_CONCAT];

	if (st->n_sel != s->n_key)
		return NULL;
	for (uint8_t i = 0; i < st->n_sel; i++)
		if (sel_value(p, st->sel[i], k[i], &len[i]) < 0)
			return NULL;
	for (size_t e = 0; e < s->n_elems; e++) {
		bool ok = true;
		for (uint8_t i = 0; ok && i < st->n_sel; i++)
			ok = val_match(&s->elems[e].key[i], k[i], len[i]);
		if (ok)
			return &s->elems[e];
	}
	return NULL;
}

enum step {
	STEP_NEXT,    /* statement matched, go on */
	STEP_NOMATCH, /* rule does not match */
	STEP_VERDICT, /* a verdict was reached */
};

struct run {
	const struct fw_plan_table *t;
	struct fw_packet *p;
	struct fw_eval *ev;
	struct fw_origin elem_origin; /* from the last matching set element */
	unsigned depth;
};

static int run_chain(struct run *r, const struct fw_plan_chain *c, enum fw_verdict *ret);

static enum step do_verdict(struct run *r, enum fw_verdict v, const char *chain,
                            const struct fw_plan_rule *rule, enum fw_verdict *out)
{
	if (v == FW_VERDICT_JUMP || v == FW_VERDICT_GOTO) {
		const struct fw_plan_chain *c = plan_find_chain(r->t, chain);
		enum fw_verdict sub = FW_VERDICT_NONE;

		if (!c || r->depth >= MAX_JUMPS || run_chain(r, c, &sub) < 0) {
			*out = FW_VERDICT_DROP;
			return STEP_VERDICT;
		}
		if (sub == FW_VERDICT_NONE || sub == FW_VERDICT_RETURN)
			return v == FW_VERDICT_GOTO ? (*out = FW_VERDICT_RETURN, STEP_VERDICT)
			                            : STEP_NEXT;
		*out = sub;
		return STEP_VERDICT;
	}
	*out = v;
	if (v == FW_VERDICT_ACCEPT || v == FW_VERDICT_DROP) {
		r->ev->origin = r->elem_origin.id ? r->elem_origin : rule->origin;
		snprintf(r->ev->table, sizeof(r->ev->table), "%s", r->t->name);
		r->ev->by_policy = false;
	}
	return STEP_VERDICT;
}

static enum step run_stmt(struct run *r, const struct fw_plan_rule *rule, const struct fw_stmt *s,
                          enum fw_verdict *out)
{
	uint8_t v[16], len;

	switch (s->kind) {
	case FW_ST_CMP:
		if (sel_value(r->p, s->sel[0], v, &len) < 0)
			return STEP_NOMATCH;
		return val_match(&s->val, v, len) != s->neg ? STEP_NEXT : STEP_NOMATCH;
	case FW_ST_BITS: {
		uint32_t x;
		if (s->sel[0] == FW_SEL_CT_STATE)
			x = r->p->ct_state;
		else if (s->sel[0] == FW_SEL_CT_STATUS)
			x = r->p->ct_status;
		else if (s->sel[0] == FW_SEL_TCP_FLAGS && r->p->proto == 6)
			x = r->p->tcp_flags;
		else
			return STEP_NOMATCH;
		return ((x & s->mask) == s->bits) != s->neg ? STEP_NEXT : STEP_NOMATCH;
	}
	case FW_ST_LOOKUP: {
		const struct fw_plan_set *set = plan_find_set(r->t, s->set);
		const struct fw_elem *e = set ? set_lookup(set, s, r->p) : NULL;
		if (e && !s->neg)
			r->elem_origin = e->origin;
		return (e != NULL) != s->neg ? STEP_NEXT : STEP_NOMATCH;
	}
	case FW_ST_VMAP: {
		const struct fw_plan_set *set = plan_find_set(r->t, s->set);
		const struct fw_elem *e = set ? set_lookup(set, s, r->p) : NULL;
		if (!e)
			return STEP_NOMATCH;
		enum step st = do_verdict(r, e->verdict, e->chain, rule, out);
		return st == STEP_NEXT ? STEP_NOMATCH : st; /* vmap ends the rule */
	}
	case FW_ST_COUNTER:
	case FW_ST_LOG:
		return STEP_NEXT;
	case FW_ST_VERDICT:
		return do_verdict(r, s->verdict, s->chain, rule, out);
	case FW_ST_DNAT:
		memcpy(r->p->daddr, s->nat_addr, 16);
		if (s->nat_port)
			r->p->dport = s->nat_port;
		r->ev->nat = true;
		r->p->ct_status |= FW_CT_STATUS_DNAT;
		r->ev->origin = rule->origin;
		*out = FW_VERDICT_ACCEPT;
		return STEP_VERDICT;
	case FW_ST_SNAT:
	case FW_ST_MASQ:
		*out = FW_VERDICT_ACCEPT;
		return STEP_VERDICT;
	}
	return STEP_NOMATCH;
}

static int run_chain(struct run *r, const struct fw_plan_chain *c, enum fw_verdict *ret)
{
	r->depth++;
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct fw_plan_rule *rule = &c->rules[i];
		enum fw_verdict v = FW_VERDICT_NONE;
		enum step st = STEP_NEXT;

		r->elem_origin = (struct fw_origin){0};
		for (size_t k = 0; k < rule->n_stmts && st == STEP_NEXT; k++)
			st = run_stmt(r, rule, &rule->stmts[k], &v);
		if (st == STEP_VERDICT && v != FW_VERDICT_NONE) {
			if (v != FW_VERDICT_RETURN && r->ev->chain[0] == '\0')
				snprintf(r->ev->chain, sizeof(r->ev->chain), "%s", c->name);
			*ret = v;
			r->depth--;
			return 0;
		}
	}
	r->depth--;
	*ret = FW_VERDICT_NONE;
	return 0;
}

struct base {
	const struct fw_plan_table *t;
	const struct fw_plan_chain *c;
};

static int cmp_base(const void *a, const void *b)
{
	const struct base *x = a, *y = b;

	return (x->c->prio > y->c->prio) - (x->c->prio < y->c->prio);
}

int plan_eval(const struct fw_plan *plan, enum fw_family family, enum fw_hook hook,
              enum fw_chain_type type, struct fw_packet *pkt, struct fw_eval *ret)
{
	struct base *bases = NULL;
	size_t n = 0, cap = 0;
	struct fw_eval ev = {.verdict = FW_VERDICT_ACCEPT};

	for (size_t t = 0; t < plan->n_tables; t++) {
		const struct fw_plan_table *tb = &plan->tables[t];
		if (tb->family != family)
			continue;
		for (size_t c = 0; c < tb->n_chains; c++)
			if (tb->chains[c].hook == hook && tb->chains[c].type == type) {
				struct base *b = fw_push((void **)&bases, &n, &cap, sizeof(*b));
				if (!b) {
					free(bases);
					return -ENOMEM;
				}
				b->t = tb;
				b->c = &tb->chains[c];
			}
	}
	/* Stable by priority: equal priorities keep plan order. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && cmp_base(&bases[j - 1], &bases[j]) > 0; j--) {
			struct base tmp = bases[j];
			bases[j] = bases[j - 1];
			bases[j - 1] = tmp;
		}
	for (size_t i = 0; i < n; i++) {
		struct fw_eval one = {0};
		struct run r = {.t = bases[i].t, .p = pkt, .ev = &one};
		enum fw_verdict v;

		run_chain(&r, bases[i].c, &v);
		if (v == FW_VERDICT_NONE || v == FW_VERDICT_RETURN) {
			v = bases[i].c->policy;
			snprintf(one.table, sizeof(one.table), "%s", bases[i].t->name);
			snprintf(one.chain, sizeof(one.chain), "%s", bases[i].c->name);
			one.by_policy = true;
		}
		one.verdict = v;
		if (one.nat) {
			ev = one;
			break; /* the first NAT rule wins, as in the kernel */
		}
		if (v == FW_VERDICT_DROP) {
			ev = one;
			break;
		}
		/* Keep the most telling accept: one that names a policy item. */
		if (one.origin.id || !ev.origin.id)
			ev = one;
	}
	free(bases);
	*ret = ev;
	return 0;
}
