// SPDX-License-Identifier: GPL-2.0-or-later
/* One rule into or out of a tenant file's text (fwd/edit.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit_int.h"
#include "fwd/edit.h"
#include "util.h"
#include "ytree.h"

enum rules_form {
	RULES_MISSING, /* no rules: section */
	RULES_EMPTY,   /* rules: with nothing, or rules: [] */
	RULES_BLOCK,   /* a block list: "- ..." items */
};

struct rules {
	struct ydoc *doc;
	enum rules_form form;
	const struct ynode *key, *val;
	unsigned *start, *end; /* lines of each item, inclusive */
	size_t n;
	unsigned dash_indent, key_indent;
	bool spaced;          /* a blank line between rules */
	unsigned root_indent; /* of the top-level keys (RULES_MISSING) */
};

struct err {
	char *buf;
	size_t size;
};

static int fail(struct err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->buf, e->size, fmt, ap);
	va_end(ap);
	return code;
}

static size_t indent_of(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] == ' ')
		i++;
	return i;
}

static bool line_blank(const struct edit_text *t, unsigned L)
{
	size_t len;
	const char *s = edit_text_line(t, L, &len);

	return indent_of(s, len) == len;
}

/* A comment line indented at most `indent`: it belongs to what follows. */
static bool line_outer_comment(const struct edit_text *t, unsigned L, size_t indent)
{
	size_t len;
	const char *s = edit_text_line(t, L, &len);
	size_t i = indent_of(s, len);

	return i < len && s[i] == '#' && i <= indent;
}

/* The last line any node of the subtree was written on. */
static unsigned last_line(const struct ynode *n, unsigned depth)
{
	unsigned m = n->loc.line;

	for (size_t i = 0; depth < YT_MAX_DEPTH && n->kind != YN_SCALAR && i < n->n; i++) {
		unsigned k = last_line(n->vals[i], depth + 1);
		if (k > m)
			m = k;
	}
	return m;
}

static void rules_free(struct rules *r)
{
	ydoc_free(r->doc);
	free(r->start);
	free(r->end);
}

/* Where each rule of a block list starts and ends. */
static int block_items(const struct edit_text *t, struct rules *r, unsigned limit, struct err *e)
{
	const struct ynode *seq = r->val;
	const struct edit_lines lines = {t->s, t->len, t->off, t->n_lines};
	unsigned prev = seq->loc.line - 1;
	int rc;

	r->n = seq->n;
	r->start = calloc(r->n ? r->n : 1, sizeof(*r->start));
	r->end = calloc(r->n ? r->n : 1, sizeof(*r->end));
	if (!r->start || !r->end)
		return -ENOMEM;
	/* r->end first holds where each rule's last token ends */
	if ((rc = edit_item_ends(&lines, r->key->loc.line, r->key->loc.col, r->end, r->n)) < 0)
		return rc == -ENOMEM ? rc : fail(e, rc, "%s: cannot read the rules", r->doc->file);
	r->dash_indent = seq->loc.col - 1;
	r->key_indent = r->dash_indent + 2;
	for (size_t i = 0; i < r->n; i++) {
		const struct ynode *it = seq->vals[i];
		unsigned L = it->loc.line, s;

		/* An alias (or something stranger) is not written in place. */
		if (L <= prev)
			return fail(e, -EINVAL, "%s:%u:%u: rule %zu is not written in place",
			            r->doc->file, L, it->loc.col, i + 1);
		for (s = L; s > prev; s--) {
			size_t len;
			const char *p = edit_text_line(t, s, &len);
			if (indent_of(p, len) == r->dash_indent && len > r->dash_indent &&
			    p[r->dash_indent] == '-')
				break;
		}
		if (s == prev)
			return fail(e, -EINVAL, "%s:%u:%u: cannot find the '-' of rule %zu",
			            r->doc->file, L, it->loc.col, i + 1);
		r->start[i] = s;
		if (r->end[i] < last_line(it, 0))
			r->end[i] = last_line(it, 0);
		prev = r->end[i];
		if (i == 0 && it->kind == YN_MAP)
			r->key_indent = it->loc.col - 1;
	}
	for (size_t i = 0; i < r->n; i++) {
		unsigned end = i + 1 < r->n ? r->start[i + 1] - 1 : limit;
		unsigned min = r->end[i];

		while (end > min &&
		       (line_blank(t, end) || line_outer_comment(t, end, r->dash_indent)))
			end--;
		r->end[i] = end;
		for (unsigned L = i > 0 ? r->end[i - 1] + 1 : r->start[i]; L < r->start[i]; L++)
			r->spaced |= line_blank(t, L);
	}
	if (r->key_indent <= r->dash_indent)
		r->key_indent = r->dash_indent + 2;
	return 0;
}

static int rules_find(const char *file, const struct edit_text *t, struct rules *r, struct err *e)
{
	struct fw_diags d = {0};
	const struct ynode *root;
	const char *p;
	size_t len;
	unsigned limit;
	int ret = ydoc_parse(file, t->s, t->len, &d, &r->doc);

	if (ret < 0 || fw_diags_has_errors(&d)) {
		char *msg = d.n ? fw_diag_format(&d.v[0]) : NULL;
		fail(e, -EINVAL, "%s", msg ? msg : "the file does not parse");
		free(msg);
		fw_diags_free(&d);
		return -EINVAL;
	}
	fw_diags_free(&d);
	root = r->doc->root;
	if (!root || root->kind != YN_MAP)
		return fail(e, -EINVAL, "%s: not a tenant file (expected a mapping)", file);
	p = edit_text_line(t, root->loc.line, &len);
	if (root->loc.col - 1 < len && p[root->loc.col - 1] == '{')
		return fail(e, -EINVAL,
		            "%s:%u:%u: the file is one flow mapping ({...}); fwctl does not edit "
		            "it; edit the file",
		            file, root->loc.line, root->loc.col);
	for (size_t i = 0; i < root->n; i++)
		if (!strcmp(root->keys[i]->str, "rules")) {
			r->key = root->keys[i];
			r->val = root->vals[i];
		}
	if (!r->key) {
		/* A new section goes at the end, as indented as the others. */
		r->form = RULES_MISSING;
		p = root->n ? edit_text_line(t, root->keys[0]->loc.line, &len) : NULL;
		r->root_indent = p ? (unsigned)indent_of(p, len) : 0;
		return 0;
	}
	/* The list ends before the next top-level key written after it. */
	limit = t->n_lines;
	for (size_t i = 0; i < root->n; i++)
		if (root->keys[i]->loc.line > r->key->loc.line &&
		    root->keys[i]->loc.line - 1 < limit)
			limit = root->keys[i]->loc.line - 1;
	if (r->val->kind == YN_SCALAR && r->val->plain && r->val->len == 0 &&
	    r->val->loc.line == r->key->loc.line) {
		r->form = RULES_EMPTY;
		return 0;
	}
	if (r->val->kind == YN_SEQ) {
		char c;

		p = edit_text_line(t, r->val->loc.line, &len);
		c = r->val->loc.col - 1 < len ? p[r->val->loc.col - 1] : 0;

		if (c == '-') {
			int rc = block_items(t, r, limit, e);
			if (rc < 0)
				return rc;
			r->form = RULES_BLOCK;
			return 0;
		}
		if (c == '[' && r->val->n == 0 && r->val->loc.line == r->key->loc.line) {
			r->form = RULES_EMPTY;
			return 0;
		}
	}
	return fail(e, -EINVAL,
	            "%s:%u:%u: rules: written in a form fwctl does not edit (a flow list or "
	            "not a list); edit the file",
	            file, r->val->loc.line, r->val->loc.col);
}

/* The id of item i of a section ("rule-3" when it has none). */
static const char *item_id(const struct ynode *it, const char *prefix, size_t i, char *buf,
                           size_t size, const struct ynode **ret_node)
{
	const struct ynode *id = it->kind == YN_MAP ? ymap_get(it, "id") : NULL;

	*ret_node = id && id->kind == YN_SCALAR ? id : it;
	if (id && id->kind == YN_SCALAR)
		return id->str;
	snprintf(buf, size, "%s-%zu", prefix, i + 1);
	return buf;
}

/* An id is unique in the tenant: rules, publish, egress and management. */
static int check_id_free(const char *file, const struct ydoc *doc, const char *id, struct err *e)
{
	static const char *const sections[][2] = {
	    {"rules", "rule"},
	    {"publish", "publish"},
	    {"egress", "egress"},
	    {"management", "management"},
	};
	char buf[64];

	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		const struct ynode *seq = ymap_get(doc->root, sections[s][0]), *at;
		for (size_t i = 0; seq && seq->kind == YN_SEQ && i < seq->n; i++)
			if (!strcmp(item_id(seq->vals[i], sections[s][1], i, buf, sizeof(buf), &at),
			            id))
				return fail(e, -EEXIST, "%s:%u:%u: id '%s' is already taken", file,
				            at->loc.line, at->loc.col, id);
	}
	return 0;
}

static bool ends_with_nl(const struct edit_text *t)
{
	return t->len && t->s[t->len - 1] == '\n';
}

static int add_to(const struct edit_text *t, const struct rules *r, const struct fw_rule_spec *s,
                  FILE *f, size_t *ret_a, size_t *ret_b, struct err *e)
{
	if (r->form == RULES_BLOCK) {
		size_t at = SIZE_MAX;
		char buf[64];
		const struct ynode *node;

		for (size_t i = 0; s->before && i < r->n; i++)
			if (!strcmp(item_id(r->val->vals[i], "rule", i, buf, sizeof(buf), &node),
			            s->before))
				at = i;
		if (s->before && at == SIZE_MAX)
			return fail(e, -ENOENT, "%s: no rule '%s' to insert before", r->doc->file,
			            s->before);
		if (s->before) {
			edit_put_item(f, s, r->dash_indent, r->key_indent, t->nl);
			if (r->spaced)
				fputs(t->nl, f);
			*ret_a = *ret_b = t->off[r->start[at] - 1];
			return 0;
		}
		unsigned end = r->end[r->n - 1];
		if (end == t->n_lines && !ends_with_nl(t))
			fputs(t->nl, f);
		if (r->spaced)
			fputs(t->nl, f);
		edit_put_item(f, s, r->dash_indent, r->key_indent, t->nl);
		*ret_a = *ret_b = t->off[end];
		return 0;
	}
	if (s->before)
		return fail(e, -ENOENT, "%s: no rule '%s' to insert before", r->doc->file,
		            s->before);
	if (r->form == RULES_MISSING) {
		if (t->len && !ends_with_nl(t))
			fputs(t->nl, f);
		if (t->n_lines && !line_blank(t, t->n_lines))
			fputs(t->nl, f);
		fprintf(f, "%*srules:%s", (int)r->root_indent, "", t->nl);
		edit_put_item(f, s, r->root_indent + 2, r->root_indent + 4, t->nl);
		*ret_a = *ret_b = t->len;
		return 0;
	}
	/* rules: or rules: [] -- the list goes after the key's line, and the
	 * "[]" (with the blanks before it) goes away; a comment stays. */
	unsigned L = r->key->loc.line, ki = r->key->loc.col - 1;
	size_t len, start = t->off[L - 1];
	const char *p = edit_text_line(t, L, &len);
	size_t end = (size_t)(p - t->s) + len, a = end, rest = end;

	if (r->val->kind == YN_SEQ) {
		size_t open = start + r->val->loc.col - 1;
		const char *close = memchr(t->s + open, ']', end - open);

		if (!close)
			return fail(e, -EINVAL, "%s:%u: rules: cannot find the ']'", r->doc->file,
			            L);
		rest = (size_t)(close - t->s) + 1;
		a = open;
		while (a > start && t->s[a - 1] == ' ')
			a--;
	}
	fwrite(t->s + rest, 1, end - rest, f);
	fputs(t->nl, f);
	edit_put_item(f, s, ki + 2, ki + 4, t->nl);
	*ret_a = a;
	*ret_b = t->off[L];
	return 0;
}

int fw_edit_rule_add(const char *file, const char *text, size_t len,
                     const struct fw_rule_spec *spec, char **ret, size_t *ret_len, char *err,
                     size_t err_size)
{
	struct err e = {err, err_size};
	struct edit_text t = {0};
	struct rules r = {0};
	char *ins = NULL, *out = NULL;
	size_t ins_len = 0, a = 0, b = 0, out_len = 0;
	FILE *f = NULL;
	int rc;

	err[0] = '\0';
	rc = edit_check_spec(spec, err, err_size);
	if (!rc)
		rc = edit_text_index(file, text, len, &t, e.buf, e.size);
	if (!rc)
		rc = rules_find(file, &t, &r, &e);
	if (!rc && spec->id)
		rc = check_id_free(file, r.doc, spec->id, &e);
	if (!rc && !(f = open_memstream(&ins, &ins_len)))
		rc = -ENOMEM;
	if (!rc)
		rc = add_to(&t, &r, spec, f, &a, &b, &e);
	if (f && fclose(f) != 0 && !rc)
		rc = -ENOMEM;
	if (!rc)
		rc = edit_text_splice(&t, a, ins, ins_len, a, b, &out, &out_len);
	if (!rc)
		rc = edit_text_reads_back(file, out, out_len, e.buf, e.size);
	if (!rc) {
		*ret = out;
		*ret_len = out_len;
	} else {
		free(out);
	}
	if (rc == -ENOMEM && !err[0])
		fail(&e, rc, "out of memory");
	free(ins);
	free(t.off);
	rules_free(&r);
	return rc;
}

int fw_edit_rule_del(const char *file, const char *text, size_t len, const char *id, char **ret,
                     size_t *ret_len, char *err, size_t err_size)
{
	struct err e = {err, err_size};
	struct edit_text t = {0};
	struct rules r = {0};
	size_t at = SIZE_MAX, out_len = 0;
	char buf[64], *out = NULL;
	const struct ynode *node;
	int rc;

	err[0] = '\0';
	rc = edit_check_value("id", id, err, err_size);
	if (!rc)
		rc = edit_text_index(file, text, len, &t, e.buf, e.size);
	if (!rc)
		rc = rules_find(file, &t, &r, &e);
	for (size_t i = 0; !rc && r.form == RULES_BLOCK && i < r.n; i++)
		if (!strcmp(item_id(r.val->vals[i], "rule", i, buf, sizeof(buf), &node), id))
			at = i;
	if (!rc && at == SIZE_MAX)
		rc = fail(&e, -ENOENT, "%s: no rule '%s'", file, id);
	if (!rc) {
		unsigned s = r.start[at], end = r.end[at];
		size_t klen, colon_at;
		const char *p = edit_text_line(&t, r.key->loc.line, &klen);
		const char *colon =
		    memchr(p + r.key->loc.col - 1, ':', klen - (r.key->loc.col - 1));

		if (r.n == 1 && colon) {
			/* The last rule: "rules: []" keeps the section a list;
			 * whatever else is on the key's line and before the rule stays. */
			colon_at = (size_t)(colon - t.s) + 1;
			rc = edit_text_splice(&t, colon_at, " []", 3, t.off[s - 1], t.off[end],
			                      &out, &out_len);
		} else {
			size_t b = t.off[end];
			/* No doubled blank line, and none left between a heading
			 * (or "rules:") and the next rule. */
			if (end < t.n_lines && s > 1 && line_blank(&t, end + 1) &&
			    (line_blank(&t, s - 1) ||
			     (at + 1 < r.n && (line_outer_comment(&t, s - 1, SIZE_MAX) ||
			                       s - 1 == r.key->loc.line))))
				b = t.off[end + 1];
			rc = edit_text_splice(&t, t.off[s - 1], "", 0, t.off[s - 1], b, &out,
			                      &out_len);
		}
	}
	if (!rc)
		rc = edit_text_reads_back(file, out, out_len, e.buf, e.size);
	if (!rc) {
		*ret = out;
		*ret_len = out_len;
	} else {
		free(out);
	}
	if (rc == -ENOMEM && !err[0])
		fail(&e, rc, "out of memory");
	free(t.off);
	rules_free(&r);
	return rc;
}
