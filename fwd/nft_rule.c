// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Plan rules to nftables rules: nft's semantics.
 *
 * The reference is what nft(8) 1.0.x makes of the text plan_render() prints,
 * so that a ruleset loaded by this backend and one loaded with `nft -f` are
 * the same in the kernel. On top of the plain translation (nft_expr.c) that
 * means doing what nft's evaluation does:
 *
 *  - protocol dependencies: a payload match needs the protocol below it to
 *    be known. nft tracks, per rule, which network and transport protocol
 *    earlier matches established (`meta nfproto ipv4`, `meta l4proto tcp`,
 *    and the dependencies it inserted itself) and inserts a match just
 *    before the statement that needs one: `meta nfproto` in inet tables,
 *    `meta protocol` (IPv4/IPv6) or `ether type` (ARP, and IPv6 below a bare
 *    ICMPv6 match) in bridge tables, `meta l4proto` below TCP and ICMPv6
 *    headers. `th` is a raw header and has none;
 *  - payload merging: within a run of match statements, equality (or
 *    inequality) matches of constant values on adjacent header fields are
 *    merged into one load when nft finds it cheaper (always on the link
 *    layer, up to 4 bytes elsewhere): `ether saddr M arp ...` loads the
 *    source address and the type field in one 8-byte load.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>

#include <libnftnl/expr.h>

#include "nft_rule.h"

/* What each selector loads, what it needs below it, what its values are. */
const struct sel_desc nft_sels[FW_SEL_ARP_SADDR_IP + 1] = {
    [FW_SEL_IIFNAME] = {"iifname", SRC_META, .key = NFT_META_IIFNAME, .len = 16, .l4 = -1,
                        .key_type = FW_KEY_IFNAME},
    [FW_SEL_OIFNAME] = {"oifname", SRC_META, .key = NFT_META_OIFNAME, .len = 16, .l4 = -1,
                        .key_type = FW_KEY_IFNAME},
    [FW_SEL_NFPROTO] = {"meta nfproto", SRC_META, .key = NFT_META_NFPROTO, .len = 1, .l4 = -1,
                        .host_int = true, .key_type = -1},
    [FW_SEL_PROTOCOL] = {"meta protocol", SRC_META, .key = NFT_META_PROTOCOL, .len = 2, .l4 = -1,
                         .key_type = -1},
    [FW_SEL_L4PROTO] = {"meta l4proto", SRC_META, .key = NFT_META_L4PROTO, .len = 1, .l4 = -1,
                        .host_int = true, .key_type = FW_KEY_PROTO},
    [FW_SEL_IP_SADDR] = {"ip saddr", SRC_PAYLOAD, .base = NFT_PAYLOAD_NETWORK_HEADER, .off = 12,
                         .len = 4, .net = NET_IP, .l4 = -1, .key_type = FW_KEY_IPV4},
    [FW_SEL_IP_DADDR] = {"ip daddr", SRC_PAYLOAD, .base = NFT_PAYLOAD_NETWORK_HEADER, .off = 16,
                         .len = 4, .net = NET_IP, .l4 = -1, .key_type = FW_KEY_IPV4},
    [FW_SEL_IP6_SADDR] = {"ip6 saddr", SRC_PAYLOAD, .base = NFT_PAYLOAD_NETWORK_HEADER, .off = 8,
                          .len = 16, .net = NET_IP6, .l4 = -1, .key_type = FW_KEY_IPV6},
    [FW_SEL_IP6_DADDR] = {"ip6 daddr", SRC_PAYLOAD, .base = NFT_PAYLOAD_NETWORK_HEADER, .off = 24,
                          .len = 16, .net = NET_IP6, .l4 = -1, .key_type = FW_KEY_IPV6},
    /* th: a raw transport header, no dependency */
    [FW_SEL_TH_SPORT] = {"th sport", SRC_PAYLOAD, .base = NFT_PAYLOAD_TRANSPORT_HEADER, .off = 0,
                         .len = 2, .l4 = -1, .key_type = FW_KEY_PORT},
    [FW_SEL_TH_DPORT] = {"th dport", SRC_PAYLOAD, .base = NFT_PAYLOAD_TRANSPORT_HEADER, .off = 2,
                         .len = 2, .l4 = -1, .key_type = FW_KEY_PORT},
    [FW_SEL_CT_STATE] = {"ct state", SRC_CT, .key = NFT_CT_STATE, .len = 4, .l4 = -1,
                         .host_int = true, .key_type = -1},
    [FW_SEL_CT_STATUS] = {"ct status", SRC_CT, .key = NFT_CT_STATUS, .len = 4, .l4 = -1,
                          .host_int = true, .key_type = -1},
    [FW_SEL_TCP_FLAGS] = {"tcp flags", SRC_PAYLOAD, .base = NFT_PAYLOAD_TRANSPORT_HEADER, .off = 13,
                          .len = 1, .l4 = IPPROTO_TCP, .key_type = -1},
    [FW_SEL_ICMPV6_TYPE] = {"icmpv6 type", SRC_PAYLOAD, .base = NFT_PAYLOAD_TRANSPORT_HEADER,
                            .off = 0, .len = 1, .l4 = IPPROTO_ICMPV6, .key_type = -1},
    /* a boolean as wide as its result, the output interface index */
    [FW_SEL_FIB_RPF] = {"fib saddr . iif oif", SRC_FIB, .len = 4, .l4 = -1, .key_type = -1},
    [FW_SEL_ETHER_SADDR] = {"ether saddr", SRC_PAYLOAD, .base = NFT_PAYLOAD_LL_HEADER, .off = 6,
                            .len = 6, .l4 = -1, .key_type = -1},
    [FW_SEL_ARP_SADDR_IP] = {"arp saddr ip", SRC_PAYLOAD, .base = NFT_PAYLOAD_NETWORK_HEADER,
                             .off = 14, .len = 4, .net = NET_ARP, .l4 = -1,
                             .key_type = FW_KEY_IPV4},
};

int nft_fail(struct xl *x, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, NFT_ERR_MAX, fmt, ap);
	va_end(ap);
	return e;
}

/* --- nft's statements, dependencies and protocol context --- */

static struct item *push(struct xl *x, enum item_kind kind, bool match)
{
	struct item *it;

	if (x->n_it == x->cap_it) {
		size_t cap = x->cap_it ? 2 * x->cap_it : 16;
		struct item *v = realloc(x->it, cap * sizeof(*v));
		if (!v)
			return NULL;
		x->it = v;
		x->cap_it = cap;
	}
	it = &x->it[x->n_it++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->match = match;
	return it;
}

static int push_meta(struct xl *x, uint32_t key, const void *data, uint32_t len, bool neq,
                     bool protocol)
{
	struct item *it = push(x, IT_META, true);

	if (!it)
		return nft_fail(x, -ENOMEM, "out of memory");
	it->key = key;
	it->len = len;
	it->neq = neq;
	it->protocol = protocol;
	memcpy(it->data, data, len);
	return 0;
}

static int push_payload(struct xl *x, uint8_t base, uint32_t off, const void *data, uint32_t len,
                        bool neq, bool protocol)
{
	struct item *it = push(x, IT_PAYLOAD, true);

	if (!it)
		return nft_fail(x, -ENOMEM, "out of memory");
	it->base = base;
	it->off = off;
	it->len = len;
	it->neq = neq;
	it->protocol = protocol;
	memcpy(it->data, data, len);
	return 0;
}

static int push_stmt(struct xl *x, const struct fw_stmt *s, bool match)
{
	struct item *it = push(x, IT_STMT, match);

	if (!it)
		return nft_fail(x, -ENOMEM, "out of memory");
	it->st = s;
	return 0;
}

static const char *net_name(enum net_proto p)
{
	switch (p) {
	case NET_IP:
		return "ip";
	case NET_IP6:
		return "ip6";
	case NET_ARP:
		return "arp";
	default:
		return "unknown";
	}
}

static void set_l4(struct xl *x, int proto)
{
	if (x->l4 < 0)
		x->n_l4 = 1;
	else if (x->l4 != proto)
		x->n_l4++;
	x->l4 = proto;
}

/* The network header a payload match needs. */
static int need_net(struct xl *x, enum net_proto want)
{
	static const uint8_t et_arp[2] = {0x08, 0x06};

	if (x->net == want)
		return 0;
	if (x->net != NET_NONE)
		return nft_fail(x, -EINVAL, "conflicting protocols specified: %s vs. %s",
		                net_name(x->net), net_name(want));
	if (x->t->family == FW_FAMILY_INET) {
		uint8_t nfproto = want == NET_IP6 ? NFPROTO_IPV6 : NFPROTO_IPV4;

		if (want != NET_IP && want != NET_IP6)
			return nft_fail(x, -EINVAL, "%s headers cannot be matched in inet tables",
			                net_name(want));
		if (push_meta(x, NFT_META_NFPROTO, &nfproto, 1, false, true) < 0)
			return -ENOMEM;
	} else if (want == NET_IP || want == NET_IP6) {
		/* bridge: nft prefers skb->protocol (it also sees VLAN-tagged
		 * frames) for IPv4 and IPv6 */
		uint16_t proto = htons(want == NET_IP ? 0x0800 : 0x86dd);

		if (push_meta(x, NFT_META_PROTOCOL, &proto, 2, false, true) < 0)
			return -ENOMEM;
	} else if (push_payload(x, NFT_PAYLOAD_LL_HEADER, 12, et_arp, 2, false, true) < 0) {
		return -ENOMEM;
	}
	x->net = want;
	return 0;
}

/* The transport header a payload match needs. */
static int need_l4(struct xl *x, int proto)
{
	uint8_t p = (uint8_t)proto;

	if (x->l4 >= 0) {
		if (x->n_l4 > 1 || x->l4 != proto)
			return nft_fail(
			    x, -EINVAL,
			    "conflicting protocols specified: transport protocol %d vs. %d", x->l4,
			    proto);
		return 0;
	}
	if (x->net == NET_NONE && proto == IPPROTO_ICMPV6) {
		/* ICMPv6 also needs IPv6 below it; in bridge tables from the
		 * ethernet header, not skb->protocol */
		static const uint8_t et_ip6[2] = {0x86, 0xdd};
		uint8_t nfproto = NFPROTO_IPV6;
		int r;

		if (x->t->family == FW_FAMILY_INET)
			r = push_meta(x, NFT_META_NFPROTO, &nfproto, 1, false, true);
		else
			r = push_payload(x, NFT_PAYLOAD_LL_HEADER, 12, et_ip6, 2, false, true);
		if (r < 0)
			return r;
		x->net = NET_IP6;
	} else if (x->net != NET_NONE && x->net != NET_IP && x->net != NET_IP6) {
		return nft_fail(x, -EINVAL, "conflicting protocols specified: %s vs. transport %d",
		                net_name(x->net), proto);
	}
	if (push_meta(x, NFT_META_L4PROTO, &p, 1, false, true) < 0)
		return -ENOMEM;
	set_l4(x, proto);
	return 0;
}

static int deps(struct xl *x, enum fw_sel sel)
{
	const struct sel_desc *d = &nft_sels[sel];

	if (d->src != SRC_PAYLOAD)
		return 0;
	if (d->base == NFT_PAYLOAD_LL_HEADER) {
		if (x->t->family != FW_FAMILY_BRIDGE)
			return nft_fail(x, -EINVAL, "%s can only be matched in bridge tables",
			                d->name);
		return 0;
	}
	if (d->net != NET_NONE)
		return need_net(x, d->net);
	if (d->l4 >= 0)
		return need_l4(x, d->l4);
	return 0; /* th: a raw transport header, no dependency */
}

/* An equality match on a protocol field updates nft's protocol context. */
static void ctx_nfproto(struct xl *x, uint8_t v)
{
	if (x->t->family != FW_FAMILY_INET)
		x->net = NET_OTHER;
	else
		x->net = v == NFPROTO_IPV4 ? NET_IP : v == NFPROTO_IPV6 ? NET_IP6 : NET_OTHER;
}

static void ctx_ethertype(struct xl *x, const uint8_t *v)
{
	unsigned et = (unsigned)v[0] << 8 | v[1];

	if (x->t->family != FW_FAMILY_BRIDGE)
		return;
	x->net = et == 0x0800   ? NET_IP
	         : et == 0x86dd ? NET_IP6
	         : et == 0x0806 ? NET_ARP
	                        : NET_OTHER;
}

static int xl_ifname(struct xl *x, const struct fw_stmt *s)
{
	uint8_t name[16] = {0};
	size_t n = strnlen((const char *)s->val.lo, sizeof(s->val.lo));

	if (s->val.range)
		return nft_fail(x, -EINVAL, "%s cannot match a range", nft_sels[s->sel[0]].name);
	if (n == 0 || n >= 16)
		return nft_fail(x, -EINVAL, "interface name of %zu bytes", n);
	memcpy(name, s->val.lo, n);
	/* nft: a trailing '*' matches every name that starts with the rest */
	if (name[n - 1] == '*') {
		if (n == 1)
			return nft_fail(x, -EINVAL, "interface name \"*\"");
		return push_meta(x, nft_sels[s->sel[0]].key, name, (uint32_t)n - 1, s->neg, false);
	}
	return push_meta(x, nft_sels[s->sel[0]].key, name, 16, s->neg, false);
}

static int xl_cmp(struct xl *x, const struct fw_stmt *s)
{
	enum fw_sel sel = s->sel[0];
	const struct sel_desc *d;
	uint8_t v;
	int r;

	if (s->n_sel != 1 || (size_t)sel >= sizeof(nft_sels) / sizeof(nft_sels[0]))
		return nft_fail(x, -EINVAL, "a comparison needs exactly one known selector");
	d = &nft_sels[sel];
	switch (sel) {
	case FW_SEL_FIB_RPF:
		return push_stmt(x, s, true);
	case FW_SEL_CT_STATE:
	case FW_SEL_CT_STATUS:
	case FW_SEL_TCP_FLAGS:
		return nft_fail(x, -EINVAL, "%s is matched with a bit mask, not compared", d->name);
	case FW_SEL_IIFNAME:
	case FW_SEL_OIFNAME:
		return xl_ifname(x, s);
	case FW_SEL_NFPROTO:
		/* plan_render() prints "ipv6" for 10 and "ipv4" for anything else */
		v = s->val.lo[0] == NFPROTO_IPV6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
		r = push_meta(x, d->key, &v, 1, s->neg, true);
		if (r == 0 && !s->neg)
			ctx_nfproto(x, v);
		return r;
	case FW_SEL_PROTOCOL:
		r = push_meta(x, d->key, s->val.lo, 2, s->neg, true);
		if (r == 0 && !s->neg)
			ctx_ethertype(x, s->val.lo);
		return r;
	case FW_SEL_L4PROTO:
		if (s->val.range)
			return push_stmt(x, s, true);
		r = push_meta(x, d->key, s->val.lo, 1, s->neg, true);
		if (r == 0 && !s->neg)
			set_l4(x, s->val.lo[0]);
		return r;
	default:
		break;
	}
	r = deps(x, sel);
	if (r < 0)
		return r;
	/* values (ether addresses and ICMPv6 types are printed as values
	 * even in a range) are plain comparisons; prefixes and ranges not */
	if (!s->val.range || sel == FW_SEL_ETHER_SADDR || sel == FW_SEL_ICMPV6_TYPE)
		return push_payload(x, d->base, d->off, s->val.lo, d->len, s->neg, false);
	if (memcmp(s->val.lo, s->val.hi, d->len) > 0)
		return nft_fail(x, -EINVAL, "%s: range has zero or negative size", d->name);
	return push_stmt(x, s, true);
}

static int xl_bits(struct xl *x, const struct fw_stmt *s)
{
	if (s->n_sel != 1)
		return nft_fail(x, -EINVAL, "a bit mask match needs exactly one selector");
	switch (s->sel[0]) {
	case FW_SEL_CT_STATE:
		/* only "any of these states"; plan_render() prints the four known ones */
		if (!s->neg || s->bits || !(s->mask & 0x0fu))
			return nft_fail(x, -EINVAL,
			                "ct state: only the \"any of\" form is supported");
		return push_stmt(x, s, true);
	case FW_SEL_CT_STATUS:
		if (!s->neg || s->bits || s->mask != FW_CT_STATUS_DNAT)
			return nft_fail(x, -EINVAL,
			                "ct status: only \"ct status dnat\" is supported");
		return push_stmt(x, s, true);
	case FW_SEL_TCP_FLAGS: {
		const uint32_t known = FW_TCP_FIN | FW_TCP_SYN | FW_TCP_RST | FW_TCP_ACK;
		int r;

		if (!(s->mask & known))
			return nft_fail(x, -EINVAL, "tcp flags: empty mask");
		r = deps(x, FW_SEL_TCP_FLAGS);
		return r < 0 ? r : push_stmt(x, s, true);
	}
	default:
		return nft_fail(x, -EINVAL, "%s is not a bit field", nft_sels[s->sel[0]].name);
	}
}

static int xl_lookup(struct xl *x, const struct fw_stmt *s)
{
	const struct fw_plan_set *set = plan_find_set(x->t, s->set);
	unsigned words = 0;

	if (!set)
		return nft_fail(x, -EINVAL, "no set or map \"%s\" in the table", s->set);
	if (set->vmap != (s->kind == FW_ST_VMAP))
		return nft_fail(x, -EINVAL, "\"%s\" is %s", s->set,
		                set->vmap ? "a verdict map, not a set"
		                          : "a set, not a verdict map");
	if (s->n_sel == 0 || s->n_sel != set->n_key)
		return nft_fail(x, -EINVAL, "%u selectors for the %u fields of \"%s\"",
		                (unsigned)s->n_sel, (unsigned)set->n_key, s->set);
	for (uint8_t i = 0; i < s->n_sel; i++) {
		enum fw_sel sel = s->sel[i];
		int r;

		if ((size_t)sel >= sizeof(nft_sels) / sizeof(nft_sels[0]) ||
		    nft_sels[sel].key_type != (int)set->key[i])
			return nft_fail(x, -EINVAL, "field %u of \"%s\": datatype mismatch",
			                (unsigned)i + 1, s->set);
		words += (nft_sels[sel].len + 3u) / 4u;
		r = deps(x, sel);
		if (r < 0)
			return r;
	}
	if (words > NFT_REG32_15 - NFT_REG32_00 + 1)
		return nft_fail(x, -EINVAL, "key of \"%s\" does not fit the registers", s->set);
	return push_stmt(x, s, s->kind == FW_ST_LOOKUP);
}

static int xl_nat(struct xl *x, const struct fw_stmt *s)
{
	if (x->t->family != FW_FAMILY_INET)
		return nft_fail(x, -EINVAL, "NAT is only supported in inet tables");
	if (s->kind != FW_ST_MASQ) {
		if (s->nat_family != 4 && s->nat_family != 6)
			return nft_fail(x, -EINVAL, "NAT address family %u",
			                (unsigned)s->nat_family);
		if ((x->net == NET_IP && s->nat_family == 6) ||
		    (x->net == NET_IP6 && s->nat_family == 4))
			return nft_fail(x, -EINVAL, "conflicting protocols specified: %s vs. %s",
			                net_name(x->net), s->nat_family == 6 ? "ip6" : "ip");
		if (s->nat_port && x->l4 < 0)
			return nft_fail(x, -EINVAL,
			                "transport protocol mapping is only valid after "
			                "transport protocol match");
	}
	return push_stmt(x, s, false);
}

static int xl_stmt(struct xl *x, const struct fw_stmt *s)
{
	switch (s->kind) {
	case FW_ST_CMP:
		return xl_cmp(x, s);
	case FW_ST_BITS:
		return xl_bits(x, s);
	case FW_ST_LOOKUP:
	case FW_ST_VMAP:
		return xl_lookup(x, s);
	case FW_ST_COUNTER:
	case FW_ST_LOG:
		return push_stmt(x, s, false);
	case FW_ST_VERDICT:
		if (s->verdict == FW_VERDICT_NONE)
			return nft_fail(x, -EINVAL, "statement without a verdict");
		return push_stmt(x, s, false);
	case FW_ST_DNAT:
	case FW_ST_SNAT:
	case FW_ST_MASQ:
		return xl_nat(x, s);
	}
	return nft_fail(x, -EINVAL, "unknown statement kind %d", (int)s->kind);
}

/* --- nft's merging of adjacent payload comparisons --- */

static bool can_merge(const struct item *a, const struct item *b)
{
	uint32_t total = a->len + b->len;

	if (a->base != b->base || a->off + a->len != b->off)
		return false;
	if (total > 16)
		return false;
	/* a load of up to 4 bytes is on the kernel's fast path anyway */
	if (total <= 4)
		return true;
	return a->base == NFT_PAYLOAD_LL_HEADER || a->len > 4 || b->len > 4;
}

static void merge_run(struct item *it, size_t *sa, size_t n)
{
	size_t last, j = 0;

	/* by header and offset (insertion sort: stable, runs are short) */
	for (size_t i = 1; i < n; i++) {
		size_t v = sa[i], k = i;

		while (k > 0 &&
		       (it[sa[k - 1]].base > it[v].base ||
		        (it[sa[k - 1]].base == it[v].base && it[sa[k - 1]].off > it[v].off))) {
			sa[k] = sa[k - 1];
			k--;
		}
		sa[k] = v;
	}
	last = sa[0];
	for (size_t i = 1; i < n; i++) {
		size_t cur = sa[i], keep = last, drop = cur;
		uint8_t data[16];
		uint32_t off = it[last].off, len = it[last].len + it[cur].len;
		bool proto = false;

		if (!can_merge(&it[last], &it[cur]) || it[last].neq != it[cur].neq) {
			last = cur;
			j = i;
			continue;
		}
		memcpy(data, it[last].data, it[last].len);
		memcpy(data + it[last].len, it[cur].data, it[cur].len);
		/* the merged match takes the place of a protocol key match, so
		 * the dependency still comes before what needs it */
		if (it[cur].protocol) {
			keep = cur;
			drop = sa[j];
			proto = true;
			j = i;
		}
		it[keep].off = off;
		it[keep].len = len;
		memcpy(it[keep].data, data, len);
		it[keep].protocol = proto;
		it[drop].dead = true;
		last = keep;
	}
}

static int merge(struct xl *x)
{
	size_t *sa, n = 0;

	if (x->n_it < 2)
		return 0;
	sa = calloc(x->n_it, sizeof(*sa));
	if (!sa)
		return nft_fail(x, -ENOMEM, "out of memory");
	for (size_t i = 0; i < x->n_it; i++) {
		if (!x->it[i].match) {
			/* nft: a run of fewer than two candidates carries on */
			if (n < 2)
				continue;
			merge_run(x->it, sa, n);
			n = 0;
			continue;
		}
		if (x->it[i].kind == IT_PAYLOAD)
			sa[n++] = i;
	}
	if (n > 1)
		merge_run(x->it, sa, n);
	free(sa);
	return 0;
}

void nft_exprs_free(struct nft_exprs *e)
{
	for (unsigned i = 0; i < e->n; i++)
		nftnl_expr_free(e->v[i]);
	e->n = 0;
}

int nft_rule_exprs(struct nft_exprs *out, const struct fw_plan_table *t,
                   const struct fw_plan_rule *rule, uint32_t set_id_base, char err[NFT_ERR_MAX])
{
	struct xl x = {
	    .t = t, .set_id_base = set_id_base, .out = out, .net = NET_NONE, .l4 = -1, .err = err};
	int ret = 0;

	out->n = 0;
	err[0] = '\0';
	if (rule->n_stmts == 0)
		return nft_fail(&x, -EINVAL, "empty rule");
	for (size_t i = 0; i < rule->n_stmts && ret == 0; i++)
		ret = xl_stmt(&x, &rule->stmts[i]);
	if (ret == 0)
		ret = merge(&x);
	if (ret == 0)
		ret = nft_emit(&x);
	free(x.it);
	if (ret < 0)
		nft_exprs_free(out);
	return ret;
}
