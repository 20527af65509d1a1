// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The `expect:` section: assertions about what the compiled plan does.
 *
 *   expect:
 *     - app → sql tcp/1433: allow           (or "->"; one mapping key)
 *     - {from: mail, to: dc, service: any, result: deny}
 *
 * The short form is one YAML key, so each part's column is worked out from
 * the key's own (characters, as libyaml counts them) and the references are
 * resolved by the loader's own functions at that place: an unknown name is
 * reported exactly where it is written, with the same words as in a rule.
 */
#include <stdio.h>
#include <string.h>

#include "fwd/expect.h"
#include "load.h"
#include "util.h"

#define ARROW_UTF8 "\xe2\x86\x92" /* → */

static const char expect_forms[] =
    "expected 'FROM → TO SERVICE: allow' (or deny) or a mapping with from, to, service and "
    "result";

static void expect_clear(struct fw_expect *e)
{
	free(e->text);
	free(e->from.text);
	free(e->to.text);
	fw_svc_refs_free(e->svc, e->n_svc);
	memset(e, 0, sizeof(*e));
}

void fw_expects_free(struct fw_expect *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		expect_clear(&v[i]);
	free(v);
}

/* A piece of a scalar: where it starts (bytes) and how long it is. */
struct piece {
	size_t off, len;
};

/* Columns count characters: UTF-8 continuation bytes do not advance. */
static unsigned piece_col(const struct ynode *n, size_t off)
{
	unsigned col = n->loc.col + (n->plain ? 0 : 1);

	for (size_t i = 0; i < off && i < n->len; i++)
		if (((unsigned char)n->str[i] & 0xc0) != 0x80)
			col++;
	return col;
}

/* A scalar node standing for a piece of n, at the piece's own column. */
struct sub {
	struct ynode node;
	char *str;
};

static bool sub_make(struct sctx *c, const struct ynode *n, const struct piece *p, struct sub *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->str = strndup(n->str + p->off, p->len);
	if (!ret->str) {
		c->oom = -ENOMEM;
		return false;
	}
	ret->node.kind = YN_SCALAR;
	ret->node.str = ret->str;
	ret->node.len = p->len;
	ret->node.plain = true;
	ret->node.loc = n->loc;
	ret->node.loc.col = piece_col(n, p->off);
	return true;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Split s[from, to) at white space into at most max pieces; returns how
 * many there were (may be more than max). */
static size_t split_words(const char *s, size_t from, size_t to, struct piece *out, size_t max)
{
	size_t n = 0;

	for (size_t i = from; i < to;) {
		size_t start;

		while (i < to && is_space(s[i]))
			i++;
		if (i >= to)
			break;
		start = i;
		while (i < to && !is_space(s[i]))
			i++;
		if (n < max)
			out[n] = (struct piece){start, i - start};
		n++;
	}
	return n;
}

/* The first "→" or "->": its offset and length, or false. */
static bool find_arrow(const char *s, size_t *off, size_t *len)
{
	const char *u = strstr(s, ARROW_UTF8), *a = strstr(s, "->");

	if (!u && !a)
		return false;
	if (u && (!a || u < a)) {
		*off = (size_t)(u - s);
		*len = 3;
	} else {
		*off = (size_t)(a - s);
		*len = 2;
	}
	return true;
}

static bool resolve_from(struct load_state *ls, const struct ynode *n, const char *key,
                         struct fw_expect *e)
{
	if (!strcmp(n->str, "firewall")) {
		s_err(
		    &ls->c, n,
		    "%s: traffic from the firewall itself is not filtered; expected a host, group, "
		    "zone, address, internet, vpn:USER, vpn:group:NAME or site:NAME",
		    key);
		return false;
	}
	return load_ref(ls, n, key, &e->from);
}

static bool resolve_to(struct load_state *ls, const struct ynode *n, const char *key,
                       struct fw_expect *e)
{
	if (!strcmp(n->str, "firewall")) {
		e->to_firewall = true;
		return true;
	}
	if (!load_ref(ls, n, key, &e->to))
		return false;
	if (e->from.text && e->from.kind == FW_REF_INTERNET && e->to.kind == FW_REF_INTERNET) {
		s_err(&ls->c, n,
		      "%s: traffic from the internet to the internet does not pass this "
		      "tenant",
		      key);
		return false;
	}
	return true;
}

static bool resolve_result(struct sctx *c, const struct ynode *n, const char *key,
                           struct fw_expect *e)
{
	char fb[64];

	if (n && n->kind == YN_SCALAR && n->plain && !strcmp(n->str, "allow")) {
		e->allow = true;
		return true;
	}
	if (n && n->kind == YN_SCALAR && n->plain && !strcmp(n->str, "deny")) {
		e->allow = false;
		return true;
	}
	s_err(c, n, "%s: expected allow or deny, found %s", key, s_found(n, fb, sizeof(fb)));
	return false;
}

static bool resolve_piece(struct load_state *ls, const struct ynode *n, const struct piece *p,
                          struct fw_expect *e, int which)
{
	struct sub s;
	bool ok;

	if (!sub_make(&ls->c, n, p, &s))
		return false;
	if (which == 0)
		ok = resolve_from(ls, &s.node, "expect", e);
	else if (which == 1)
		ok = resolve_to(ls, &s.node, "expect", e);
	else {
		load_svc_refs(ls, &s.node, "expect", &e->svc, &e->n_svc);
		ok = e->n_svc == 1;
	}
	free(s.str);
	return ok;
}

/* "FROM → TO SERVICE" in scalar n, up to byte `end`. */
static bool parse_flow(struct load_state *ls, const struct ynode *n, size_t end,
                       struct fw_expect *e)
{
	struct sctx *c = &ls->c;
	struct piece left[2], right[3];
	size_t a_off, a_len, nl, nr;
	char fb[64];
	bool ok;

	if (!find_arrow(n->str, &a_off, &a_len) || a_off >= end) {
		s_err(c, n, "expect: expected 'FROM → TO SERVICE' (with → or ->), found %s",
		      s_found(n, fb, sizeof(fb)));
		return false;
	}
	nl = split_words(n->str, 0, a_off, left, 2);
	nr = split_words(n->str, a_off + a_len, end, right, 3);
	if (nl != 1) {
		struct sub s;
		if (nl == 0) {
			struct fw_loc loc = s_loc(c, n);
			loc.col = piece_col(n, a_off);
			s_err_at(c, &loc, "expect: the source is missing before the arrow");
		} else if (sub_make(c, n, &left[1], &s)) {
			s_err(c, &s.node,
			      "expect: expected one source before the arrow, found '%s' too",
			      s.str);
			free(s.str);
		}
		return false;
	}
	if (nr < 2) {
		struct fw_loc loc = s_loc(c, n);
		loc.col = piece_col(n, nr ? right[0].off + right[0].len : a_off + a_len);
		s_err_at(c, &loc,
		         nr ? "expect: the service is missing after the destination (a service "
		              "name, tcp/PORT, udp/PORT, icmp or any)"
		            : "expect: the destination is missing after the arrow");
		return false;
	}
	if (nr > 2) {
		struct sub s;
		if (sub_make(c, n, &right[2], &s)) {
			s_err(c, &s.node,
			      "expect: unexpected '%s' after the service; one service per entry "
			      "(the mapping form takes a list)",
			      s.str);
			free(s.str);
		}
		return false;
	}
	ok = resolve_piece(ls, n, &left[0], e, 0);
	ok &= resolve_piece(ls, n, &right[0], e, 1);
	ok &= resolve_piece(ls, n, &right[1], e, 2);
	return ok;
}

/* The mapping form: {from, to, service, result}. */
struct map_nodes {
	const struct ynode *from, *to, *service, *result;
};

#define NODE_SETTER(field)                                                                         \
	static void k_##field(struct sctx *c, const struct ynode *v, void *obj)                    \
	{                                                                                          \
		(void)c;                                                                           \
		((struct map_nodes *)obj)->field = v;                                              \
	}
NODE_SETTER(from)
NODE_SETTER(to)
NODE_SETTER(service)
NODE_SETTER(result)

static bool parse_map(struct load_state *ls, const struct ynode *n, struct fw_expect *e)
{
	static const struct s_key keys[] = {
	    {"from", true, k_from},
	    {"to", true, k_to},
	    {"service", true, k_service},
	    {"result", true, k_result},
	};
	struct sctx *c = &ls->c;
	struct map_nodes m = {0};
	const char *s;
	size_t errors = c->diags->n_errors;
	bool ok = true;

	s_walk(c, n, "an expect entry", keys, ARRAY_SIZE(keys), &m);
	if (m.from)
		ok &= s_str(c, m.from, "from", &s) && resolve_from(ls, m.from, "from", e);
	if (m.to)
		ok &= s_str(c, m.to, "to", &s) && resolve_to(ls, m.to, "to", e);
	if (m.service) {
		size_t before = c->diags->n_errors;
		load_svc_refs(ls, m.service, "service", &e->svc, &e->n_svc);
		ok &= c->diags->n_errors == before && e->n_svc > 0;
	}
	if (m.result)
		ok &= resolve_result(c, m.result, "result", e);
	return ok && c->diags->n_errors == errors;
}

static bool is_map_form(const struct ynode *n)
{
	static const char *const keys[] = {"from", "to", "service", "result"};

	for (size_t i = 0; i < n->n; i++)
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
			if (!strcmp(n->keys[i]->str, keys[k]))
				return true;
	return n->n != 1;
}

/* "app → sql tcp/1433" for messages, from what was resolved. */
static int make_text(struct fw_expect *e)
{
	char svc[256];
	size_t o = 0;

	svc[0] = '\0';
	for (size_t i = 0; i < e->n_svc && o < sizeof(svc); i++)
		o += (size_t)snprintf(svc + o, sizeof(svc) - o, "%s%s", i ? "," : "",
		                      e->svc[i].text);
	if (asprintf(&e->text, "%s → %s %s", e->from.text, e->to_firewall ? "firewall" : e->to.text,
	             svc) < 0) {
		e->text = NULL;
		return -ENOMEM;
	}
	return 0;
}

static bool parse_entry(struct load_state *ls, const struct ynode *n, struct fw_expect *e)
{
	struct sctx *c = &ls->c;
	char fb[64];
	bool ok;

	e->loc = s_loc(c, n);
	if (n->kind == YN_MAP && n->n > 0 && is_map_form(n)) {
		ok = parse_map(ls, n, e);
	} else if (n->kind == YN_MAP && n->n == 1) {
		const struct ynode *k = n->keys[0];
		ok = parse_flow(ls, k, k->len, e);
		ok &= resolve_result(c, n->vals[0], "expect", e);
	} else if (n->kind == YN_SCALAR && !s_is_null(n)) {
		/* "FROM → TO SERVICE: allow" quoted as one string */
		const char *colon = NULL;
		for (const char *p = strstr(n->str, ": "); p; p = strstr(p + 1, ": "))
			colon = p;
		if (!colon) {
			size_t a_off, a_len;
			if (find_arrow(n->str, &a_off, &a_len))
				s_err(c, n,
				      "expect: the entry has no result; write ': allow' or "
				      "': deny' after the service");
			else
				s_err(c, n, "expect: %s, found %s", expect_forms,
				      s_found(n, fb, sizeof(fb)));
			return false;
		}
		size_t end = (size_t)(colon - n->str);
		struct piece rp = {end + 2, n->len - end - 2};
		struct sub s;
		ok = parse_flow(ls, n, end, e);
		while (rp.len && is_space(n->str[rp.off])) {
			rp.off++;
			rp.len--;
		}
		if (!sub_make(c, n, &rp, &s))
			return false;
		ok &= resolve_result(c, &s.node, "expect", e);
		free(s.str);
	} else {
		s_err(c, n, "expect: %s, found %s", expect_forms,
		      n->kind == YN_MAP ? "an empty mapping" : s_found(n, fb, sizeof(fb)));
		return false;
	}
	if (ok && make_text(e) < 0) {
		c->oom = -ENOMEM;
		ok = false;
	}
	return ok;
}

void load_expect(struct load_state *ls)
{
	struct sctx *c = &ls->c;
	struct fw_tenant *t = c->t;
	const struct ynode *es = ls->s.expect;

	if (!es || !s_is_seq(c, es, "expect"))
		return;
	if (es->n > FW_EXPECT_MAX) {
		s_err(c, es, "expect: %zu entries, more than %d", es->n, FW_EXPECT_MAX);
		return;
	}
	t->expects = calloc(es->n ? es->n : 1, sizeof(*t->expects));
	if (!t->expects) {
		c->oom = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < es->n && !c->oom; i++) {
		struct fw_expect *e = &t->expects[t->n_expects];

		if (parse_entry(ls, es->vals[i], e)) {
			t->n_expects++;
			continue;
		}
		expect_clear(e);
	}
}
