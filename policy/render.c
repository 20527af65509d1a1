// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan as `nft -f` text: deterministic, one rule per line.
 *
 * Everything is checked while it is printed. A malformed plan (an unknown
 * enum value, a name nft would not read as one identifier, a value of the
 * wrong size, a lookup of a missing set or with the wrong key types, a jump
 * to a missing or base chain, ...) gives NULL with errno EINVAL rather than
 * text that nft refuses or, worse, reads differently.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/plan.h"

/* nft refuses comments and log prefixes longer than 127 bytes. */
#define TEXT_MAX 127

#define NO_KEY (-1)

struct name_ix {
	const char *name;
	size_t i;
};

struct out {
	FILE *f;
	int err; /* the first error, a negative errno */
	const struct fw_plan_table *t;
	struct name_ix *sets, *chains; /* the table's names, sorted */
};

static void fail(struct out *o)
{
	if (!o->err)
		o->err = -EINVAL;
}

/* --- names --- */

/* One nft identifier (scanner.l: ({letter}|[_.])({letter}|{digit}|[/\-_.])*),
 * NUL-terminated within max bytes. */
static bool name_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n == 0 || n == max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		if (letter || c == '_' || c == '.')
			continue;
		if (i > 0 && ((c >= '0' && c <= '9') || c == '/' || c == '-'))
			continue;
		return false;
	}
	return true;
}

static int ix_cmp(const void *a, const void *b)
{
	return strcmp(((const struct name_ix *)a)->name, ((const struct name_ix *)b)->name);
}

/* Sorted index of n names at base + i * stride; -EINVAL on a bad or
 * duplicate name, -ENOMEM. */
static int ix_build(const char *base, size_t stride, size_t n, struct name_ix **ret)
{
	struct name_ix *ix;

	*ret = NULL;
	if (n == 0)
		return 0;
	ix = calloc(n, sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ix[i].name = base + i * stride;
		ix[i].i = i;
		if (!name_ok(ix[i].name, FW_OBJ_NAME_MAX)) {
			free(ix);
			return -EINVAL;
		}
	}
	qsort(ix, n, sizeof(*ix), ix_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(ix[i - 1].name, ix[i].name)) {
			free(ix);
			return -EINVAL;
		}
	*ret = ix;
	return 0;
}

/* Index of `name` in the table's sets or chains, or -1. */
static long ix_find(const struct name_ix *ix, size_t n, const char *name)
{
	struct name_ix key = {.name = name};
	const struct name_ix *hit;

	if (!ix || !name_ok(name, FW_OBJ_NAME_MAX))
		return -1;
	hit = bsearch(&key, ix, n, sizeof(*ix), ix_cmp);
	return hit ? (long)hit->i : -1;
}

static const struct fw_plan_set *find_set(const struct out *o, const char *name)
{
	long i = ix_find(o->sets, o->t->n_sets, name);

	return i < 0 ? NULL : &o->t->sets[i];
}

static const struct fw_plan_chain *find_chain(const struct out *o, const char *name)
{
	long i = ix_find(o->chains, o->t->n_chains, name);

	return i < 0 ? NULL : &o->t->chains[i];
}

/* --- quoted text: comments and log prefixes --- */

struct text {
	char s[TEXT_MAX];
	size_t n;
	bool cut;
};

/* Append s; '"', '\\' and control characters become '_' (nft has no
 * escapes in quoted strings); past TEXT_MAX bytes the rest is cut. */
static void text_add(struct text *t, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (t->n == TEXT_MAX) {
			t->cut = true;
			return;
		}
		t->s[t->n++] = c < 0x20 || c == 0x7f || c == '"' || c == '\\' ? '_' : (char)c;
	}
}

static void put_text(struct out *o, struct text *t)
{
	/* A cut never leaves half a UTF-8 sequence behind. */
	if (t->cut) {
		size_t i = t->n;

		while (i > 0 && t->n - i < 3 && ((unsigned char)t->s[i - 1] & 0xc0) == 0x80)
			i--;
		if (i > 0 && (unsigned char)t->s[i - 1] >= 0xc0) {
			unsigned char lead = (unsigned char)t->s[i - 1];
			size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;

			if (t->n - (i - 1) < need)
				t->n = i - 1;
		}
	}
	fprintf(o->f, "\"%.*s\"", (int)t->n, t->s);
}

static void put_quoted(struct out *o, const char *s)
{
	struct text t = {.n = 0};

	text_add(&t, s);
	put_text(o, &t);
}

/* --- values --- */

static const char *key_name(enum fw_key k)
{
	switch (k) {
	case FW_KEY_IPV4:
		return "ipv4_addr";
	case FW_KEY_IPV6:
		return "ipv6_addr";
	case FW_KEY_PROTO:
		return "inet_proto";
	case FW_KEY_PORT:
		return "inet_service";
	case FW_KEY_IFNAME:
		return "ifname";
	}
	return NULL;
}

static unsigned key_len(enum fw_key k)
{
	switch (k) {
	case FW_KEY_IPV4:
		return 4;
	case FW_KEY_IPV6:
		return 16;
	case FW_KEY_PROTO:
		return 1;
	case FW_KEY_PORT:
		return 2;
	case FW_KEY_IFNAME:
		return 16;
	}
	return 0;
}

/* The value has len bytes and, if a range, lo <= hi. Sets *single when it
 * is one value (not a range, or a range of one). */
static bool val_ok(const struct fw_val *v, unsigned len, bool *single)
{
	int c;

	if (v->len != len || len == 0 || len > sizeof(v->lo))
		return false;
	if (!v->range) {
		*single = true;
		return true;
	}
	c = memcmp(v->lo, v->hi, len);
	*single = c == 0;
	return c <= 0;
}

/* A range that is exactly one CIDR block: its prefix length, else -1. */
static int cidr_len(const uint8_t *lo, const uint8_t *hi, unsigned len)
{
	unsigned bits = len * 8, p = 0;

	while (p < bits && ((lo[p / 8] ^ hi[p / 8]) & (0x80u >> (p % 8))) == 0)
		p++;
	for (unsigned q = p; q < bits; q++) {
		unsigned m = 0x80u >> (q % 8);

		if ((lo[q / 8] & m) != 0 || (hi[q / 8] & m) == 0)
			return -1;
	}
	return (int)p;
}

static void put_addr(struct out *o, int af, const struct fw_val *v, bool single)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	unsigned len = af == AF_INET ? 4 : 16;
	int p;

	if (!inet_ntop(af, v->lo, a, sizeof(a))) {
		fail(o);
		return;
	}
	if (single) {
		fputs(a, o->f);
		return;
	}
	p = cidr_len(v->lo, v->hi, len);
	if (p >= 0) {
		fprintf(o->f, "%s/%d", a, p);
		return;
	}
	if (!inet_ntop(af, v->hi, b, sizeof(b))) {
		fail(o);
		return;
	}
	fprintf(o->f, "%s-%s", a, b);
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmpv6";
	default:
		return NULL;
	}
}

/* An interface name: 1 to 15 bytes, NUL-padded to 16, nothing nft would
 * read as a quote, an escape or a wildcard, no space or control character. */
static bool ifname_ok(const uint8_t *b)
{
	size_t n = strnlen((const char *)b, 16);

	if (n == 0 || n == 16)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b[i] <= 0x20 || b[i] >= 0x7f || b[i] == '"' || b[i] == '\\' || b[i] == '*')
			return false;
	for (size_t i = n; i < 16; i++)
		if (b[i])
			return false;
	return true;
}

/* One value of a key type: a set element's key part or a compared value.
 * Ranges (a range of one is a single value) only where allowed. */
static void put_val(struct out *o, int key, const struct fw_val *v, bool allow_range)
{
	bool single;
	unsigned lo, hi;
	const char *name;

	if (key == NO_KEY || !key_name((enum fw_key)key) ||
	    !val_ok(v, key_len((enum fw_key)key), &single) || (!single && !allow_range)) {
		fail(o);
		return;
	}
	switch ((enum fw_key)key) {
	case FW_KEY_IPV4:
		put_addr(o, AF_INET, v, single);
		return;
	case FW_KEY_IPV6:
		put_addr(o, AF_INET6, v, single);
		return;
	case FW_KEY_PROTO:
		name = proto_name(v->lo[0]);
		if (!single)
			fprintf(o->f, "%u-%u", v->lo[0], v->hi[0]);
		else if (name)
			fputs(name, o->f);
		else
			fprintf(o->f, "%u", v->lo[0]);
		return;
	case FW_KEY_PORT:
		lo = (unsigned)v->lo[0] << 8 | v->lo[1];
		hi = (unsigned)v->hi[0] << 8 | v->hi[1];
		if (single)
			fprintf(o->f, "%u", lo);
		else
			fprintf(o->f, "%u-%u", lo, hi);
		return;
	case FW_KEY_IFNAME:
		if (!single || !ifname_ok(v->lo)) {
			fail(o);
			return;
		}
		fprintf(o->f, "\"%s\"", (const char *)v->lo);
		return;
	}
	fail(o);
}

/* --- selectors and statements --- */

static const char *sel_name(enum fw_sel s)
{
	switch (s) {
	case FW_SEL_IIFNAME:
		return "iifname";
	case FW_SEL_OIFNAME:
		return "oifname";
	case FW_SEL_NFPROTO:
		return "meta nfproto";
	case FW_SEL_PROTOCOL:
		return "meta protocol";
	case FW_SEL_L4PROTO:
		return "meta l4proto";
	case FW_SEL_IP_SADDR:
		return "ip saddr";
	case FW_SEL_IP_DADDR:
		return "ip daddr";
	case FW_SEL_IP6_SADDR:
		return "ip6 saddr";
	case FW_SEL_IP6_DADDR:
		return "ip6 daddr";
	case FW_SEL_TH_SPORT:
		return "th sport";
	case FW_SEL_TH_DPORT:
		return "th dport";
	case FW_SEL_CT_STATE:
		return "ct state";
	case FW_SEL_CT_STATUS:
		return "ct status";
	case FW_SEL_TCP_FLAGS:
		return "tcp flags";
	case FW_SEL_ICMPV6_TYPE:
		return "icmpv6 type";
	case FW_SEL_FIB_RPF:
		return "fib saddr . iif oif";
	case FW_SEL_ETHER_SADDR:
		return "ether saddr";
	case FW_SEL_ARP_SADDR_IP:
		return "arp saddr ip";
	}
	return NULL;
}

/* The set key type of a selector, NO_KEY if it cannot be a set key. */
static int sel_key(enum fw_sel s)
{
	switch (s) {
	case FW_SEL_IIFNAME:
	case FW_SEL_OIFNAME:
		return FW_KEY_IFNAME;
	case FW_SEL_IP_SADDR:
	case FW_SEL_IP_DADDR:
	case FW_SEL_ARP_SADDR_IP:
		return FW_KEY_IPV4;
	case FW_SEL_IP6_SADDR:
	case FW_SEL_IP6_DADDR:
		return FW_KEY_IPV6;
	case FW_SEL_L4PROTO:
		return FW_KEY_PROTO;
	case FW_SEL_TH_SPORT:
	case FW_SEL_TH_DPORT:
		return FW_KEY_PORT;
	default:
		return NO_KEY;
	}
}

static const char *icmpv6_name(uint8_t t)
{
	switch (t) {
	case 128:
		return "echo-request";
	case 129:
		return "echo-reply";
	case 133:
		return "nd-router-solicit";
	case 134:
		return "nd-router-advert";
	case 135:
		return "nd-neighbor-solicit";
	case 136:
		return "nd-neighbor-advert";
	default:
		return NULL;
	}
}

/* The value of a CMP on a selector without a set key type. */
static void put_special(struct out *o, enum fw_sel sel, const struct fw_val *v)
{
	bool single;
	unsigned et;
	const char *name;

	switch (sel) {
	case FW_SEL_NFPROTO:
		if (!val_ok(v, 1, &single) || !single)
			break;
		if (v->lo[0] == 2)
			fputs("ipv4", o->f);
		else if (v->lo[0] == 10)
			fputs("ipv6", o->f);
		else
			fprintf(o->f, "%u", v->lo[0]);
		return;
	case FW_SEL_PROTOCOL:
		if (!val_ok(v, 2, &single) || !single)
			break;
		et = (unsigned)v->lo[0] << 8 | v->lo[1];
		if (et == 0x0800)
			fputs("ip", o->f);
		else if (et == 0x86dd)
			fputs("ip6", o->f);
		else if (et == 0x0806)
			fputs("arp", o->f);
		else
			fprintf(o->f, "0x%04x", et);
		return;
	case FW_SEL_ETHER_SADDR:
		if (!val_ok(v, 6, &single) || !single)
			break;
		fprintf(o->f, "%02x:%02x:%02x:%02x:%02x:%02x", v->lo[0], v->lo[1], v->lo[2],
		        v->lo[3], v->lo[4], v->lo[5]);
		return;
	case FW_SEL_ICMPV6_TYPE:
		if (!val_ok(v, 1, &single))
			break;
		name = icmpv6_name(v->lo[0]);
		if (!single)
			fprintf(o->f, "%u-%u", v->lo[0], v->hi[0]);
		else if (name)
			fputs(name, o->f);
		else
			fprintf(o->f, "%u", v->lo[0]);
		return;
	default:
		break;
	}
	fail(o);
}

static void put_cmp(struct out *o, const struct fw_stmt *s)
{
	enum fw_sel sel = s->sel[0];
	const char *name = sel_name(sel);

	if (s->n_sel != 1 || !name || sel == FW_SEL_CT_STATE || sel == FW_SEL_TCP_FLAGS) {
		fail(o);
		return;
	}
	if (sel == FW_SEL_FIB_RPF) {
		/* Only "has no route back" (== 0) and its negation. */
		if (s->val.range || s->val.len > sizeof(s->val.lo)) {
			fail(o);
			return;
		}
		for (unsigned i = 0; i < s->val.len; i++)
			if (s->val.lo[i]) {
				fail(o);
				return;
			}
		fprintf(o->f, "%s %s", name, s->neg ? "exists" : "missing");
		return;
	}
	fprintf(o->f, "%s %s", name, s->neg ? "!= " : "");
	if (sel_key(sel) == NO_KEY)
		put_special(o, sel, &s->val);
	else
		put_val(o, sel_key(sel), &s->val, true);
}

struct flag {
	uint32_t bit;
	const char *name;
};

struct flags {
	const struct flag *v;
	size_t n;
};

static const struct flag ct_flags[] = {
    {FW_CT_INVALID, "invalid"},
    {FW_CT_ESTABLISHED, "established"},
    {FW_CT_RELATED, "related"},
    {FW_CT_NEW, "new"},
};

static const struct flag ct_status_flags[] = {
    {FW_CT_STATUS_DNAT, "dnat"},
};

static const struct flag tcp_flags[] = {
    {FW_TCP_FIN, "fin"},
    {FW_TCP_SYN, "syn"},
    {FW_TCP_RST, "rst"},
    {FW_TCP_ACK, "ack"},
};

#define FLAGS(a) ((struct flags){a, sizeof(a) / sizeof((a)[0])})

/* The flags in bits, by bit value, joined by sep; how many. */
static unsigned put_flags(struct out *o, struct flags fl, uint32_t bits, const char *sep)
{
	unsigned n = 0;

	for (size_t i = 0; i < fl.n; i++)
		if (bits & fl.v[i].bit)
			fprintf(o->f, "%s%s", n++ ? sep : "", fl.v[i].name);
	return n;
}

static unsigned bit_count(uint32_t x)
{
	unsigned n = 0;

	for (; x; x &= x - 1)
		n++;
	return n;
}

/*
 * (sel & mask) == bits, or != with neg. The usual "any of these states",
 * neg with bits 0, is nft's flag list `ct state established,related`.
 * Everything else takes the explicit form nft 1.0.6 accepts for both
 * selectors: `ct state & (established | related) == 0`,
 * `tcp flags & (syn | ack) == syn`, `tcp flags & (syn | ack) != (syn | ack)`.
 * (`ct state != established,related` would compare the whole state word.)
 */
static void put_bits(struct out *o, const struct fw_stmt *s)
{
	const struct flag *fl;
	uint32_t all = 0;

	if (s->n_sel != 1) {
		fail(o);
		return;
	}
	if (s->sel[0] == FW_SEL_CT_STATE)
		fl = ct_flags;
	else if (s->sel[0] == FW_SEL_TCP_FLAGS)
		fl = tcp_flags;
	else {
		fail(o);
		return;
	}
	for (size_t i = 0; i < 4; i++)
		all |= fl[i].bit;
	if (s->mask == 0 || (s->mask & ~all) || (s->bits & ~s->mask)) {
		fail(o);
		return;
	}
	fprintf(o->f, "%s ", sel_name(s->sel[0]));
	if (fl == ct_flags && s->neg && s->bits == 0) {
		put_flags(o, fl, s->mask, ",");
		return;
	}
	fputs("& (", o->f);
	put_flags(o, fl, s->mask, " | ");
	fprintf(o->f, ") %s ", s->neg ? "!=" : "==");
	if (s->bits == 0) {
		fputc('0', o->f);
	} else if (bit_count(s->bits) == 1) {
		put_flags(o, fl, s->bits, " | ");
	} else {
		fputc('(', o->f);
		put_flags(o, fl, s->bits, " | ");
		fputc(')', o->f);
	}
}

/* sel[0] . sel[1] ... for a set of matching key types. */
static void put_lookup(struct out *o, const struct fw_stmt *s, bool vmap)
{
	const struct fw_plan_set *set = find_set(o, s->set);

	if (!set || set->vmap != vmap || (vmap && s->neg) || s->n_sel == 0 ||
	    s->n_sel > FW_MAX_CONCAT || s->n_sel != set->n_key) {
		fail(o);
		return;
	}
	for (uint8_t i = 0; i < s->n_sel; i++) {
		int k = sel_key(s->sel[i]);

		if (k == NO_KEY || k != (int)set->key[i]) {
			fail(o);
			return;
		}
		fprintf(o->f, "%s%s", i ? " . " : "", sel_name(s->sel[i]));
	}
	if (vmap)
		fprintf(o->f, " vmap @%s", set->name);
	else
		fprintf(o->f, " %s@%s", s->neg ? "!= " : "", set->name);
}

/* A verdict; jumps and gotos only to a regular chain of the same table. */
static void put_verdict(struct out *o, enum fw_verdict v, const char *chain)
{
	const struct fw_plan_chain *c;

	switch (v) {
	case FW_VERDICT_ACCEPT:
		fputs("accept", o->f);
		return;
	case FW_VERDICT_DROP:
		fputs("drop", o->f);
		return;
	case FW_VERDICT_RETURN:
		fputs("return", o->f);
		return;
	case FW_VERDICT_JUMP:
	case FW_VERDICT_GOTO:
		c = find_chain(o, chain);
		if (!c || c->hook != FW_HOOK_NONE)
			break;
		fprintf(o->f, "%s %s", v == FW_VERDICT_JUMP ? "jump" : "goto", c->name);
		return;
	case FW_VERDICT_NONE:
		break;
	}
	fail(o);
}

static void put_nat(struct out *o, const struct fw_stmt *s)
{
	char a[INET6_ADDRSTRLEN];
	bool six = s->nat_family == 6;

	if ((s->nat_family != 4 && s->nat_family != 6) ||
	    !inet_ntop(six ? AF_INET6 : AF_INET, s->nat_addr, a, sizeof(a))) {
		fail(o);
		return;
	}
	fprintf(o->f, "%s %s to ", s->kind == FW_ST_DNAT ? "dnat" : "snat", six ? "ip6" : "ip");
	if (!s->nat_port)
		fputs(a, o->f);
	else if (six)
		fprintf(o->f, "[%s]:%u", a, s->nat_port);
	else
		fprintf(o->f, "%s:%u", a, s->nat_port);
}

static void put_stmt(struct out *o, const struct fw_stmt *s)
{
	switch (s->kind) {
	case FW_ST_CMP:
		put_cmp(o, s);
		return;
	case FW_ST_BITS:
		put_bits(o, s);
		return;
	case FW_ST_LOOKUP:
		put_lookup(o, s, false);
		return;
	case FW_ST_VMAP:
		put_lookup(o, s, true);
		return;
	case FW_ST_COUNTER:
		fputs("counter", o->f);
		return;
	case FW_ST_LOG:
		/* No prefix: nft's default (none), rather than an empty one. */
		if (s->log_prefix) {
			fputs("log prefix ", o->f);
			put_quoted(o, s->log_prefix);
			fprintf(o->f, " group %u", s->log_group);
		} else {
			fprintf(o->f, "log group %u", s->log_group);
		}
		return;
	case FW_ST_VERDICT:
		put_verdict(o, s->verdict, s->chain);
		return;
	case FW_ST_DNAT:
	case FW_ST_SNAT:
		put_nat(o, s);
		return;
	case FW_ST_MASQ:
		fputs("masquerade", o->f);
		return;
	}
	fail(o);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void put_rule(struct out *o, const struct fw_plan_rule *r)
{
	if (r->n_stmts == 0 || !r->stmts) {
		fail(o);
		return;
	}
	fputs("\t\t", o->f);
	for (size_t i = 0; i < r->n_stmts && !o->err; i++) {
		if (i)
			fputc(' ', o->f);
		put_stmt(o, &r->stmts[i]);
	}
	if (r->origin.id) {
		struct text t = {.n = 0};

		text_add(&t, r->origin.id);
		if (r->origin.loc.file) {
			char line[16];

			snprintf(line, sizeof(line), ":%u", r->origin.loc.line);
			text_add(&t, " ");
			text_add(&t, base_name(r->origin.loc.file));
			text_add(&t, line);
		}
		fputs(" comment ", o->f);
		put_text(o, &t);
	}
	fputc('\n', o->f);
}

/* --- chains, sets, tables --- */

static const char *hook_name(enum fw_hook h)
{
	switch (h) {
	case FW_HOOK_PREROUTING:
		return "prerouting";
	case FW_HOOK_INPUT:
		return "input";
	case FW_HOOK_FORWARD:
		return "forward";
	case FW_HOOK_OUTPUT:
		return "output";
	case FW_HOOK_POSTROUTING:
		return "postrouting";
	case FW_HOOK_NONE:
		break;
	}
	return NULL;
}

struct prio_name {
	int value;
	const char *name;
	enum fw_hook only; /* nft allows the name on this hook only; NONE: any */
};

/* nft 1.0.6 takes dstnat on prerouting and srcnat on postrouting only. */
static const struct prio_name inet_prios[] = {
    {-300, "raw", FW_HOOK_NONE},          {-150, "mangle", FW_HOOK_NONE},
    {-100, "dstnat", FW_HOOK_PREROUTING}, {0, "filter", FW_HOOK_NONE},
    {100, "srcnat", FW_HOOK_POSTROUTING},
};
static const struct prio_name bridge_prios[] = {{-200, "filter", FW_HOOK_NONE}};

/* The nearest name the family and hook allow, within 50 (a tie goes to
 * the lower name): "filter", "filter + 10", "mangle - 5"; else the number. */
static void put_prio(struct out *o, enum fw_family fam, enum fw_hook hook, int prio)
{
	const struct prio_name *t = fam == FW_FAMILY_BRIDGE ? bridge_prios : inet_prios;
	size_t n = fam == FW_FAMILY_BRIDGE ? sizeof(bridge_prios) / sizeof(bridge_prios[0])
	                                   : sizeof(inet_prios) / sizeof(inet_prios[0]);
	const struct prio_name *best = NULL;
	long long best_d = 0;

	for (size_t i = 0; i < n; i++) {
		long long d = (long long)prio - t[i].value;

		if (t[i].only != FW_HOOK_NONE && t[i].only != hook)
			continue;
		if (d < -50 || d > 50)
			continue;
		if (!best || llabs(d) < llabs(best_d)) {
			best = &t[i];
			best_d = d;
		}
	}
	if (!best)
		fprintf(o->f, "%d", prio);
	else if (best_d > 0)
		fprintf(o->f, "%s + %lld", best->name, best_d);
	else if (best_d < 0)
		fprintf(o->f, "%s - %lld", best->name, -best_d);
	else
		fputs(best->name, o->f);
}

static void put_chain(struct out *o, const struct fw_plan_chain *c)
{
	/* The name was checked when the table's chains were indexed. */
	fprintf(o->f, "\tchain %s {\n", c->name);
	if (c->hook != FW_HOOK_NONE) {
		const char *h = hook_name(c->hook);

		if (!h || (c->type != FW_CHAIN_FILTER && c->type != FW_CHAIN_NAT) ||
		    (c->type == FW_CHAIN_FILTER && c->policy != FW_VERDICT_ACCEPT &&
		     c->policy != FW_VERDICT_DROP)) {
			fail(o);
			return;
		}
		fprintf(o->f, "\t\ttype %s hook %s priority ",
		        c->type == FW_CHAIN_NAT ? "nat" : "filter", h);
		put_prio(o, o->t->family, c->hook, c->prio);
		if (c->type == FW_CHAIN_NAT)
			fputs(";\n", o->f);
		else
			fprintf(o->f, "; policy %s;\n",
			        c->policy == FW_VERDICT_DROP ? "drop" : "accept");
	}
	if (c->n_rules && !c->rules) {
		fail(o);
		return;
	}
	for (size_t i = 0; i < c->n_rules && !o->err; i++)
		put_rule(o, &c->rules[i]);
	fputs("\t}\n", o->f);
}

static void put_elem(struct out *o, const struct fw_plan_set *s, const struct fw_elem *e)
{
	fputs("\t\t\t", o->f);
	for (uint8_t i = 0; i < s->n_key && !o->err; i++) {
		if (i)
			fputs(" . ", o->f);
		/* Ranges need an interval set. */
		put_val(o, (int)s->key[i], &e->key[i], s->interval);
	}
	if (s->vmap) {
		fputs(" : ", o->f);
		put_verdict(o, e->verdict, e->chain);
	} else if (e->origin.id) {
		fputs(" comment ", o->f);
		put_quoted(o, e->origin.id);
	}
}

static void put_set(struct out *o, const struct fw_plan_set *s)
{
	if (s->n_key == 0 || s->n_key > FW_MAX_CONCAT || (s->n_elems && !s->elems)) {
		fail(o);
		return;
	}
	/* The name was checked when the table's sets were indexed. */
	fprintf(o->f, "\t%s %s {\n\t\ttype ", s->vmap ? "map" : "set", s->name);
	for (uint8_t i = 0; i < s->n_key; i++) {
		const char *k = key_name(s->key[i]);

		if (!k) {
			fail(o);
			return;
		}
		fprintf(o->f, "%s%s", i ? " . " : "", k);
	}
	fputs(s->vmap ? " : verdict\n" : "\n", o->f);
	if (s->interval)
		fputs("\t\tflags interval\n", o->f);
	if (s->n_elems) {
		fputs("\t\telements = {\n", o->f);
		for (size_t e = 0; e < s->n_elems && !o->err; e++) {
			put_elem(o, s, &s->elems[e]);
			fputs(e + 1 < s->n_elems ? ",\n" : "\n", o->f);
		}
		fputs("\t\t}\n", o->f);
	}
	fputs("\t}\n", o->f);
}

static void put_table(struct out *o, const struct fw_plan_table *t)
{
	bool first = true;
	int err;

	if ((t->family != FW_FAMILY_INET && t->family != FW_FAMILY_BRIDGE) ||
	    !name_ok(t->name, FW_OBJ_NAME_MAX) || (t->n_sets && !t->sets) ||
	    (t->n_chains && !t->chains)) {
		fail(o);
		return;
	}
	o->t = t;
	err = ix_build(t->sets ? t->sets[0].name : NULL, sizeof(t->sets[0]), t->n_sets, &o->sets);
	if (!err)
		err = ix_build(t->chains ? t->chains[0].name : NULL, sizeof(t->chains[0]),
		               t->n_chains, &o->chains);
	if (err) {
		o->err = err;
		goto out;
	}
	fprintf(o->f, "table %s %s {\n", t->family == FW_FAMILY_BRIDGE ? "bridge" : "inet",
	        t->name);
	for (size_t i = 0; i < t->n_sets && !o->err; i++) {
		if (!first)
			fputc('\n', o->f);
		put_set(o, &t->sets[i]);
		first = false;
	}
	for (size_t i = 0; i < t->n_chains && !o->err; i++) {
		if (!first)
			fputc('\n', o->f);
		put_chain(o, &t->chains[i]);
		first = false;
	}
	fputs("}\n", o->f);
out:
	free(o->sets);
	free(o->chains);
	o->sets = o->chains = NULL;
	o->t = NULL;
}

/* --- entry points --- */

static bool start(struct out *o, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	o->f = open_memstream(buf, len);
	return o->f != NULL;
}

/* open_memstream() publishes the buffer only at fclose(). */
static char *finish(struct out *o, char **buf)
{
	bool werr = ferror(o->f) != 0;

	if (fclose(o->f) != 0 || werr || o->err || !*buf) {
		free(*buf);
		errno = o->err ? -o->err : ENOMEM;
		return NULL;
	}
	return *buf;
}

char *plan_render_table(const struct fw_plan_table *table)
{
	struct out o = {.f = NULL};
	char *buf;
	size_t len;

	if (!table) {
		errno = EINVAL;
		return NULL;
	}
	if (!start(&o, &buf, &len))
		return NULL;
	put_table(&o, table);
	return finish(&o, &buf);
}

char *plan_render(const struct fw_plan *plan)
{
	struct out o = {.f = NULL};
	char *buf;
	size_t len;

	if (!plan || (plan->n_tables && !plan->tables)) {
		errno = EINVAL;
		return NULL;
	}
	if (!start(&o, &buf, &len))
		return NULL;
	for (size_t i = 0; i < plan->n_tables && !o.err; i++) {
		if (i)
			fputc('\n', o.f);
		put_table(&o, &plan->tables[i]);
	}
	return finish(&o, &buf);
}
