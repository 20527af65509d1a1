// SPDX-License-Identifier: GPL-2.0-or-later
/* The plan as `nft -f` text: deterministic, one statement list per line. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/plan.h"

struct out {
	FILE *f;
	int err;
};

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

/* The key type a selector's values have, for printing them. */
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
		return -1;
	}
}

static void put_addr(struct out *o, const struct fw_val *v, int af)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	unsigned len = af == AF_INET ? 4 : 16;

	inet_ntop(af, v->lo, a, sizeof(a));
	if (!v->range) {
		fputs(a, o->f);
		return;
	}
	int p = fw_range_prefix_len(v->lo, v->hi, len);
	if (p >= 0) {
		fprintf(o->f, "%s/%d", a, p);
		return;
	}
	inet_ntop(af, v->hi, b, sizeof(b));
	fprintf(o->f, "%s-%s", a, b);
}

static void put_proto(struct out *o, uint8_t p)
{
	switch (p) {
	case 1:
		fputs("icmp", o->f);
		break;
	case 6:
		fputs("tcp", o->f);
		break;
	case 17:
		fputs("udp", o->f);
		break;
	case 58:
		fputs("icmpv6", o->f);
		break;
	default:
		fprintf(o->f, "%u", p);
	}
}

static void put_val(struct out *o, int key, const struct fw_val *v)
{
	switch (key) {
	case FW_KEY_IPV4:
		put_addr(o, v, AF_INET);
		return;
	case FW_KEY_IPV6:
		put_addr(o, v, AF_INET6);
		return;
	case FW_KEY_PROTO:
		if (v->range)
			fprintf(o->f, "%u-%u", v->lo[0], v->hi[0]);
		else
			put_proto(o, v->lo[0]);
		return;
	case FW_KEY_PORT: {
		unsigned lo = (unsigned)v->lo[0] << 8 | v->lo[1];
		unsigned hi = (unsigned)v->hi[0] << 8 | v->hi[1];
		if (v->range)
			fprintf(o->f, "%u-%u", lo, hi);
		else
			fprintf(o->f, "%u", lo);
		return;
	}
	case FW_KEY_IFNAME:
		fprintf(o->f, "\"%.16s\"", (const char *)v->lo);
		return;
	default:
		o->err = -EINVAL;
	}
}

/* Comments and log prefixes: printable, no quotes or backslashes, < 128. */
static void put_quoted(struct out *o, const char *s)
{
	fputc('"', o->f);
	for (size_t i = 0; i < 127 && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		fputc(c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ? '_' : c, o->f);
	}
	fputc('"', o->f);
}

static void put_verdict(struct out *o, enum fw_verdict v, const char *chain)
{
	switch (v) {
	case FW_VERDICT_ACCEPT:
		fputs("accept", o->f);
		break;
	case FW_VERDICT_DROP:
		fputs("drop", o->f);
		break;
	case FW_VERDICT_RETURN:
		fputs("return", o->f);
		break;
	case FW_VERDICT_JUMP:
		fprintf(o->f, "jump %s", chain);
		break;
	case FW_VERDICT_GOTO:
		fprintf(o->f, "goto %s", chain);
		break;
	default:
		o->err = -EINVAL;
	}
}

static void put_bits(struct out *o, const struct fw_stmt *s)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} ct[] = {{FW_CT_INVALID, "invalid"},
	          {FW_CT_ESTABLISHED, "established"},
	          {FW_CT_RELATED, "related"},
	          {FW_CT_NEW, "new"}},
	  tcp[] = {
	      {FW_TCP_FIN, "fin"}, {FW_TCP_SYN, "syn"}, {FW_TCP_RST, "rst"}, {FW_TCP_ACK, "ack"}};
	bool first = true;

	if (s->sel[0] == FW_SEL_CT_STATE) {
		/* Only the "any of these states" form: (state & mask) != 0. */
		if (!s->neg || s->bits) {
			o->err = -EINVAL;
			return;
		}
		fputs("ct state ", o->f);
		for (size_t i = 0; i < 4; i++)
			if (s->mask & ct[i].bit) {
				fprintf(o->f, "%s%s", first ? "" : ",", ct[i].name);
				first = false;
			}
		return;
	}
	if (s->sel[0] == FW_SEL_CT_STATUS) {
		/* "any of" form, like ct state; only dnat is used */
		if (!s->neg || s->bits || s->mask != FW_CT_STATUS_DNAT) {
			o->err = -EINVAL;
			return;
		}
		fputs("ct status dnat", o->f);
		return;
	}
	if (s->sel[0] != FW_SEL_TCP_FLAGS) {
		o->err = -EINVAL;
		return;
	}
	fputs("tcp flags & (", o->f);
	for (size_t i = 0; i < 4; i++)
		if (s->mask & tcp[i].bit) {
			fprintf(o->f, "%s%s", first ? "" : " | ", tcp[i].name);
			first = false;
		}
	fprintf(o->f, ") %s ", s->neg ? "!=" : "==");
	first = true;
	for (size_t i = 0; i < 4; i++)
		if (s->bits & tcp[i].bit) {
			fprintf(o->f, "%s%s", first ? "" : " | ", tcp[i].name);
			first = false;
		}
	if (first)
		fputs("0x0", o->f);
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

static void put_cmp(struct out *o, const struct fw_stmt *s)
{
	const char *name = sel_name(s->sel[0]);

	if (!name || s->n_sel != 1) {
		o->err = -EINVAL;
		return;
	}
	if (s->sel[0] == FW_SEL_FIB_RPF) {
		fprintf(o->f, "%s %s", name, s->neg ? "exists" : "missing");
		return;
	}
	fprintf(o->f, "%s %s", name, s->neg ? "!= " : "");
	switch (s->sel[0]) {
	case FW_SEL_NFPROTO:
		fputs(s->val.lo[0] == 10 ? "ipv6" : "ipv4", o->f);
		return;
	case FW_SEL_PROTOCOL: {
		unsigned et = (unsigned)s->val.lo[0] << 8 | s->val.lo[1];
		if (et == 0x0800)
			fputs("ip", o->f);
		else if (et == 0x86dd)
			fputs("ip6", o->f);
		else if (et == 0x0806)
			fputs("arp", o->f);
		else
			fprintf(o->f, "0x%04x", et);
		return;
	}
	case FW_SEL_ETHER_SADDR:
		fprintf(o->f, "%02x:%02x:%02x:%02x:%02x:%02x", s->val.lo[0], s->val.lo[1],
		        s->val.lo[2], s->val.lo[3], s->val.lo[4], s->val.lo[5]);
		return;
	case FW_SEL_ICMPV6_TYPE: {
		const char *t = icmpv6_name(s->val.lo[0]);
		if (t)
			fputs(t, o->f);
		else
			fprintf(o->f, "%u", s->val.lo[0]);
		return;
	}
	default:
		put_val(o, sel_key(s->sel[0]), &s->val);
	}
}

static void put_sels(struct out *o, const struct fw_stmt *s)
{
	if (s->n_sel == 0 || s->n_sel > FW_MAX_CONCAT) {
		o->err = -EINVAL;
		return;
	}
	for (uint8_t i = 0; i < s->n_sel; i++) {
		const char *n = sel_name(s->sel[i]);
		if (!n) {
			o->err = -EINVAL;
			return;
		}
		fprintf(o->f, "%s%s", i ? " . " : "", n);
	}
}

static void put_stmt(struct out *o, const struct fw_stmt *s)
{
	char a[INET6_ADDRSTRLEN];

	switch (s->kind) {
	case FW_ST_CMP:
		put_cmp(o, s);
		return;
	case FW_ST_BITS:
		put_bits(o, s);
		return;
	case FW_ST_LOOKUP:
		put_sels(o, s);
		fprintf(o->f, " %s@%s", s->neg ? "!= " : "", s->set);
		return;
	case FW_ST_VMAP:
		put_sels(o, s);
		fprintf(o->f, " vmap @%s", s->set);
		return;
	case FW_ST_COUNTER:
		fputs("counter", o->f);
		return;
	case FW_ST_LOG:
		fputs("log prefix ", o->f);
		put_quoted(o, s->log_prefix ? s->log_prefix : "");
		fprintf(o->f, " group %u", s->log_group);
		return;
	case FW_ST_VERDICT:
		put_verdict(o, s->verdict, s->chain);
		return;
	case FW_ST_DNAT:
	case FW_ST_SNAT:
		inet_ntop(s->nat_family == 6 ? AF_INET6 : AF_INET, s->nat_addr, a, sizeof(a));
		fprintf(o->f, "%s %s to ", s->kind == FW_ST_DNAT ? "dnat" : "snat",
		        s->nat_family == 6 ? "ip6" : "ip");
		if (s->nat_port && s->nat_family == 6)
			fprintf(o->f, "[%s]:%u", a, s->nat_port);
		else if (s->nat_port)
			fprintf(o->f, "%s:%u", a, s->nat_port);
		else
			fputs(a, o->f);
		return;
	case FW_ST_MASQ:
		fputs("masquerade", o->f);
		return;
	}
	o->err = -EINVAL;
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void put_rule(struct out *o, const struct fw_plan_rule *r)
{
	fputs("\t\t", o->f);
	for (size_t i = 0; i < r->n_stmts; i++) {
		if (i)
			fputc(' ', o->f);
		put_stmt(o, &r->stmts[i]);
	}
	if (r->origin.id) {
		char c[160];
		if (r->origin.loc.file)
			snprintf(c, sizeof(c), "%s %s:%u", r->origin.id,
			         basename_of(r->origin.loc.file), r->origin.loc.line);
		else
			snprintf(c, sizeof(c), "%s", r->origin.id);
		fputs(" comment ", o->f);
		put_quoted(o, c);
	}
	fputc('\n', o->f);
}

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
	default:
		return NULL;
	}
}

struct prio_name {
	int value;
	const char *name;
};

static const struct prio_name inet_prios[] = {
    {-300, "raw"}, {-150, "mangle"}, {-100, "dstnat"}, {0, "filter"}, {100, "srcnat"},
};
static const struct prio_name bridge_prios[] = {{-200, "filter"}};

static void put_prio(struct out *o, enum fw_family fam, int prio)
{
	const struct prio_name *t = fam == FW_FAMILY_BRIDGE ? bridge_prios : inet_prios;
	size_t n = fam == FW_FAMILY_BRIDGE ? 1 : 5;

	/* The exact name first, then the nearest name within 50. */
	for (size_t i = 0; i < n; i++)
		if (prio == t[i].value) {
			fputs(t[i].name, o->f);
			return;
		}
	for (size_t i = 0; i < n; i++) {
		int d = prio - t[i].value;
		if (d > 0 && d <= 50) {
			fprintf(o->f, "%s + %d", t[i].name, d);
			return;
		}
		if (d < 0 && d >= -50) {
			fprintf(o->f, "%s - %d", t[i].name, -d);
			return;
		}
	}
	fprintf(o->f, "%d", prio);
}

static void put_set(struct out *o, const struct fw_plan_set *s)
{
	if (s->n_key == 0 || s->n_key > FW_MAX_CONCAT) {
		o->err = -EINVAL;
		return;
	}
	fprintf(o->f, "\t%s %s {\n\t\ttype ", s->vmap ? "map" : "set", s->name);
	for (uint8_t i = 0; i < s->n_key; i++) {
		const char *k = key_name(s->key[i]);
		if (!k) {
			o->err = -EINVAL;
			return;
		}
		fprintf(o->f, "%s%s", i ? " . " : "", k);
	}
	fputs(s->vmap ? " : verdict\n" : "\n", o->f);
	if (s->interval)
		fputs("\t\tflags interval\n", o->f);
	if (s->counter)
		fputs("\t\tcounter\n", o->f);
	if (s->n_elems) {
		fputs("\t\telements = {\n", o->f);
		for (size_t e = 0; e < s->n_elems; e++) {
			const struct fw_elem *el = &s->elems[e];
			fputs("\t\t\t", o->f);
			for (uint8_t i = 0; i < s->n_key; i++) {
				if (i)
					fputs(" . ", o->f);
				put_val(o, (int)s->key[i], &el->key[i]);
			}
			if (s->vmap) {
				fputs(" : ", o->f);
				put_verdict(o, el->verdict, el->chain);
			} else if (el->origin.id) {
				fputs(" comment ", o->f);
				put_quoted(o, el->origin.id);
			}
			fputs(e + 1 < s->n_elems ? ",\n" : "\n", o->f);
		}
		fputs("\t\t}\n", o->f);
	}
	fputs("\t}\n", o->f);
}

static void put_chain(struct out *o, enum fw_family fam, const struct fw_plan_chain *c)
{
	fprintf(o->f, "\tchain %s {\n", c->name);
	if (c->hook != FW_HOOK_NONE) {
		const char *h = hook_name(c->hook);
		if (!h) {
			o->err = -EINVAL;
			return;
		}
		fprintf(o->f, "\t\ttype %s hook %s priority ",
		        c->type == FW_CHAIN_NAT ? "nat" : "filter", h);
		put_prio(o, fam, c->prio);
		if (c->type == FW_CHAIN_NAT)
			fputs(";\n", o->f);
		else
			fprintf(o->f, "; policy %s;\n",
			        c->policy == FW_VERDICT_DROP ? "drop" : "accept");
	}
	for (size_t i = 0; i < c->n_rules; i++)
		put_rule(o, &c->rules[i]);
	fputs("\t}\n", o->f);
}

static void put_table(struct out *o, const struct fw_plan_table *t)
{
	bool first = true;

	fprintf(o->f, "table %s %s {\n", t->family == FW_FAMILY_BRIDGE ? "bridge" : "inet",
	        t->name);
	for (size_t i = 0; i < t->n_sets; i++) {
		if (!first)
			fputc('\n', o->f);
		put_set(o, &t->sets[i]);
		first = false;
	}
	for (size_t i = 0; i < t->n_chains; i++) {
		if (!first)
			fputc('\n', o->f);
		put_chain(o, t->family, &t->chains[i]);
		first = false;
	}
	fputs("}\n", o->f);
}

/* open_memstream() publishes the buffer only at fclose(). */
static char *finish(struct out *o, char **buf)
{
	if (fclose(o->f) != 0 || o->err) {
		free(*buf);
		errno = o->err ? -o->err : ENOMEM;
		return NULL;
	}
	return *buf;
}

char *plan_render_table(const struct fw_plan_table *table)
{
	char *buf = NULL;
	size_t len = 0;
	struct out o = {.f = open_memstream(&buf, &len)};

	if (!o.f)
		return NULL;
	put_table(&o, table);
	return finish(&o, &buf);
}

char *plan_render(const struct fw_plan *plan)
{
	char *buf = NULL;
	size_t len = 0;
	struct out o = {.f = open_memstream(&buf, &len)};

	if (!o.f)
		return NULL;
	for (size_t i = 0; i < plan->n_tables; i++) {
		if (i)
			fputc('\n', o.f);
		put_table(&o, &plan->tables[i]);
	}
	return finish(&o, &buf);
}
