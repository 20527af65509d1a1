// SPDX-License-Identifier: GPL-2.0-or-later
/* The YAML tree: locations, caps and hostile input. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "ytree.h"

/* ---- helpers ---- */

/* Parse and expect exactly one diagnostic with this text, -EINVAL and *ret
 * left alone. */
static void expect_error_len(const char *yaml, size_t len, const char *want)
{
	struct fw_diags d = {0};
	struct ydoc untouched;
	struct ydoc *doc = &untouched;

	assert_int_equal(ydoc_parse("t.yaml", yaml, len, &d, &doc), -EINVAL);
	assert_ptr_equal(doc, &untouched);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.n_errors, 1);
	char *got = tu_diags_text(&d);
	assert_string_equal(got, want);
	free(got);
	fw_diags_free(&d);
}

static void expect_error(const char *yaml, const char *want)
{
	expect_error_len(yaml, strlen(yaml), want);
}

/* Parse and expect success with no diagnostics. */
static struct ydoc *parse_ok(const char *yaml)
{
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;

	assert_int_equal(ydoc_parse("t.yaml", yaml, strlen(yaml), &d, &doc), 0);
	assert_non_null(doc);
	char *got = tu_diags_text(&d);
	assert_string_equal(got, "");
	free(got);
	fw_diags_free(&d);
	return doc;
}

static void assert_loc(const struct ynode *n, unsigned line, unsigned col)
{
	assert_non_null(n);
	assert_int_equal(n->loc.line, line);
	assert_int_equal(n->loc.col, col);
}

/* A growable string for generated documents. */
struct gen {
	char *buf;
	size_t len;
	FILE *f;
};

static void gen_open(struct gen *g)
{
	g->buf = NULL;
	g->len = 0;
	g->f = open_memstream(&g->buf, &g->len);
	assert_non_null(g->f);
}

static void gen_close(struct gen *g)
{
	assert_int_equal(fclose(g->f), 0);
	g->f = NULL;
}

/* ---- structure and locations ---- */

static void test_locations(void **state)
{
	const char *y = "a: 1\n"
	                "list:\n"
	                "  - x\n"
	                "  - 'q'\n"
	                "  - [p, \"r\"]\n"
	                "flow: {k: v, n: {m: 1}}\n"
	                "nested:\n"
	                "    deep:\n"
	                "      - key: val\n"
	                "        other: 2\n"
	                "text: |\n"
	                "  literal\n"
	                "folded: >\n"
	                "  folded\n"
	                "anchored: &a [z]\n"
	                "\"quoted key\": ok\n";
	struct ydoc *doc = parse_ok(y);
	struct ynode *root = doc->root;

	(void)state;
	assert_int_equal(root->kind, YN_MAP);
	assert_loc(root, 1, 1);
	assert_int_equal(root->n, 8);
	assert_loc(root->keys[0], 1, 1);
	assert_loc(root->vals[0], 1, 4);
	assert_loc(root->keys[1], 2, 1);

	struct ynode *list = ymap_get(root, "list");
	assert_int_equal(list->kind, YN_SEQ);
	assert_int_equal(list->n, 3);
	assert_loc(list, 3, 3);
	assert_loc(list->vals[0], 3, 5);
	assert_loc(list->vals[1], 4, 5);
	assert_string_equal(list->vals[1]->str, "q");
	assert_true(list->vals[0]->plain);
	assert_false(list->vals[1]->plain);
	struct ynode *inner = list->vals[2];
	assert_int_equal(inner->kind, YN_SEQ);
	assert_loc(inner, 5, 5);
	assert_loc(inner->vals[0], 5, 6);
	assert_loc(inner->vals[1], 5, 9);
	assert_true(inner->vals[0]->plain);
	assert_false(inner->vals[1]->plain);

	struct ynode *flow = ymap_get(root, "flow");
	assert_loc(flow, 6, 7);
	assert_loc(flow->keys[0], 6, 8);
	assert_loc(flow->vals[0], 6, 11);
	assert_loc(flow->keys[1], 6, 14);
	assert_loc(flow->vals[1], 6, 17);
	assert_loc(flow->vals[1]->keys[0], 6, 18);
	assert_string_equal(ymap_get(flow, "k")->str, "v");

	struct ynode *deep = ymap_get(ymap_get(root, "nested"), "deep");
	assert_loc(ymap_get(root, "nested")->keys[0], 8, 5);
	assert_loc(deep, 9, 7);
	assert_loc(deep->vals[0], 9, 9);
	assert_loc(deep->vals[0]->keys[1], 10, 9);
	assert_loc(ymap_get(deep->vals[0], "other"), 10, 16);

	struct ynode *text = ymap_get(root, "text");
	assert_loc(text, 11, 7);
	assert_string_equal(text->str, "literal\n");
	assert_false(text->plain);
	assert_false(ymap_get(root, "folded")->plain);
	/* An anchored node starts at its anchor. */
	assert_loc(ymap_get(root, "anchored"), 15, 11);
	assert_loc(ymap_get(root, "anchored")->vals[0], 15, 15);
	assert_loc(root->keys[7], 16, 1);
	assert_false(root->keys[7]->plain);
	assert_string_equal(ymap_get(root, "quoted key")->str, "ok");

	/* Every location names the document's own copy of the file name. */
	assert_string_equal(doc->file, "t.yaml");
	for (size_t i = 0; i < doc->n_arena; i++)
		assert_ptr_equal(doc->arena[i]->loc.file, doc->file);
	ydoc_free(doc);
}

static void test_scalars(void **state)
{
	const char *y = "- plain\n"
	                "- 'single'\n"
	                "- \"dq\\tx\"\n"
	                "- \"\"\n"
	                "- \"é✓\"\n"
	                "-\n";
	struct ydoc *doc = parse_ok(y);
	struct ynode *s = doc->root;

	(void)state;
	assert_int_equal(s->n, 6);
	assert_string_equal(s->vals[0]->str, "plain");
	assert_int_equal(s->vals[0]->len, 5);
	assert_true(s->vals[0]->plain);
	assert_string_equal(s->vals[1]->str, "single");
	assert_false(s->vals[1]->plain);
	assert_string_equal(s->vals[2]->str, "dq\tx");
	assert_int_equal(s->vals[2]->len, 4);
	assert_string_equal(s->vals[3]->str, "");
	assert_false(s->vals[3]->plain);
	assert_string_equal(s->vals[4]->str, "é✓");
	assert_int_equal(s->vals[4]->len, 5);
	/* An empty item is a plain empty scalar (null). */
	assert_int_equal(s->vals[5]->kind, YN_SCALAR);
	assert_int_equal(s->vals[5]->len, 0);
	assert_true(s->vals[5]->plain);
	/* Columns count characters, not bytes. */
	ydoc_free(doc);
	doc = parse_ok("{é✓: 1, x: 2}\n");
	assert_loc(doc->root->keys[1], 1, 9);
	ydoc_free(doc);
}

static void test_kind_names_and_get(void **state)
{
	const char *y = "m: {}\n"
	                "s: []\n"
	                "str: abc\n"
	                "num: 42\n"
	                "neg: -7\n"
	                "hex: 0x1F\n"
	                "float: 1.5\n"
	                "qnum: '42'\n"
	                "t: true\n"
	                "f: false\n"
	                "qt: \"true\"\n"
	                "Yes: yes\n"
	                "tilde: ~\n"
	                "null: null\n"
	                "empty:\n"
	                "qempty: ''\n"
	                "sign: '-'\n"
	                "plus: +\n";
	struct ydoc *doc = parse_ok(y);
	const struct ynode *r = doc->root;

	(void)state;
	assert_string_equal(ynode_kind_name(ymap_get(r, "m")), "a mapping");
	assert_string_equal(ynode_kind_name(ymap_get(r, "s")), "a list");
	assert_string_equal(ynode_kind_name(ymap_get(r, "str")), "a string");
	assert_string_equal(ynode_kind_name(ymap_get(r, "num")), "a number");
	assert_string_equal(ynode_kind_name(ymap_get(r, "neg")), "a number");
	assert_string_equal(ynode_kind_name(ymap_get(r, "hex")), "a number");
	assert_string_equal(ynode_kind_name(ymap_get(r, "float")), "a string");
	assert_string_equal(ynode_kind_name(ymap_get(r, "qnum")), "a string");
	assert_string_equal(ynode_kind_name(ymap_get(r, "t")), "a boolean");
	assert_string_equal(ynode_kind_name(ymap_get(r, "f")), "a boolean");
	assert_string_equal(ynode_kind_name(ymap_get(r, "qt")), "a string");
	assert_string_equal(ynode_kind_name(ymap_get(r, "Yes")), "a string");
	assert_string_equal(ynode_kind_name(ymap_get(r, "tilde")), "null");
	assert_string_equal(ynode_kind_name(ymap_get(r, "null")), "null");
	assert_string_equal(ynode_kind_name(ymap_get(r, "empty")), "null");
	assert_string_equal(ynode_kind_name(ymap_get(r, "qempty")), "a string");
	assert_string_equal(ynode_kind_name(ymap_get(r, "sign")), "a string");
	assert_string_equal(ynode_kind_name(ymap_get(r, "plus")), "a string");
	assert_string_equal(ynode_kind_name(NULL), "nothing");

	assert_null(ymap_get(r, "absent"));
	assert_null(ymap_get(r, "Str"));
	assert_null(ymap_get(ymap_get(r, "s"), "x"));
	assert_null(ymap_get(ymap_get(r, "str"), "abc"));
	assert_null(ymap_get(NULL, "x"));
	ydoc_free(doc);
}

/* ---- aliases ---- */

static void test_alias_shared(void **state)
{
	const char *y = "base: &b [tcp/80, tcp/443]\nweb: *b\nname: &n x\nalso: *n\n";
	struct ydoc *doc = parse_ok(y);
	struct ynode *root = doc->root;

	(void)state;
	assert_ptr_equal(ymap_get(root, "base"), ymap_get(root, "web"));
	assert_ptr_equal(ymap_get(root, "name"), ymap_get(root, "also"));
	/* Nodes are not copied: 1 map + 4 keys + 1 list + 2 items + 1 scalar. */
	assert_int_equal(doc->n_arena, 9);
	/* Weights count the expanded tree: map 1 + keys 4 + 3 + 3 + 1 + 1. */
	assert_int_equal(ymap_get(root, "base")->weight, 3);
	assert_int_equal(root->weight, 13);
	ydoc_free(doc);
}

static void test_alias_weights(void **state)
{
	const char *y = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	                "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	                "c: &c {k1: *b, k2: *b}\n";
	struct ydoc *doc = parse_ok(y);

	(void)state;
	assert_int_equal(ymap_get(doc->root, "a")->weight, 11);
	assert_int_equal(ymap_get(doc->root, "b")->weight, 111);
	assert_int_equal(ymap_get(doc->root, "c")->weight, 1 + 2 + 2 * 111);
	ydoc_free(doc);
}

static void test_alias_redefined(void **state)
{
	struct ydoc *doc = parse_ok("a: &x 1\nb: &x 2\nc: *x\n");

	(void)state;
	/* The later definition wins. */
	assert_ptr_equal(ymap_get(doc->root, "c"), ymap_get(doc->root, "b"));
	ydoc_free(doc);

	/* Redefined inside the collection that first carried the name: the
	 * alias names the inner, finished node, not the open outer one. */
	doc = parse_ok("a: &x [&x inner, *x]\nb: *x\n");
	struct ynode *a = ymap_get(doc->root, "a");
	assert_ptr_equal(a->vals[1], a->vals[0]);
	assert_ptr_equal(ymap_get(doc->root, "b"), a->vals[0]);
	ydoc_free(doc);
}

static void test_alias_undefined_and_recursive(void **state)
{
	(void)state;
	expect_error("a: *nope\n",
	             "t.yaml:1:4: error: alias '*nope' names no anchor defined before it\n");
	/* Defined only after its use. */
	expect_error("a: *later\nb: &later 1\n",
	             "t.yaml:1:4: error: alias '*later' names no anchor defined before it\n");
	/* Recursive: the collection is still open. */
	expect_error("a: &x [1, *x]\n",
	             "t.yaml:1:11: error: alias '*x' names no anchor defined before it\n");
	expect_error("a: &m\n  k:\n    j: *m\n",
	             "t.yaml:3:8: error: alias '*m' names no anchor defined before it\n");
	/* Redefined while open: the newest definition is still open. */
	expect_error("a: &x 1\nb: &x [*x]\n",
	             "t.yaml:2:8: error: alias '*x' names no anchor defined before it\n");
}

/* Billion laughs: 9 levels of 10 aliases each. */
static void test_alias_bomb(void **state)
{
	struct gen g;

	(void)state;
	gen_open(&g);
	fputs("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n", g.f);
	for (int i = 1; i < 9; i++) {
		fprintf(g.f, "l%d: &l%d [", i, i);
		for (int k = 0; k < 10; k++)
			fprintf(g.f, "%s*l%d", k ? ", " : "", i - 1);
		fputs("]\n", g.f);
	}
	gen_close(&g);
	/* Expanded so far: 10*11 + 10*111 + 10*1111 = 12330; each *l3 adds
	 * 11111, so the 8th one on line 5 passes 100000. */
	expect_error_len(g.buf, g.len,
	                 "t.yaml:5:45: error: aliases expand to more than 100000 nodes (limit: "
	                 "alias expansion)\n");
	free(g.buf);
}

/* Mapping keys count: the same bomb built from mappings stops sooner. */
static void test_alias_bomb_maps(void **state)
{
	struct gen g;

	(void)state;
	gen_open(&g);
	fputs("m0: &m0 {a: x, b: x, c: x, d: x, e: x, f: x, g: x, h: x, i: x, j: x}\n", g.f);
	for (int i = 1; i < 9; i++) {
		fprintf(g.f, "m%d: &m%d {", i, i);
		for (int k = 0; k < 10; k++)
			fprintf(g.f, "%s%c: *m%d", k ? ", " : "", 'a' + k, i - 1);
		fputs("}\n", g.f);
	}
	gen_close(&g);
	/* Weights 21, 221, 2221, 22221; expanded 210 + 2210 + 22210 = 24630,
	 * then 24630 + 4 * 22221 > 100000 at the 4th *m3 of line 5. */
	expect_error_len(g.buf, g.len,
	                 "t.yaml:5:37: error: aliases expand to more than 100000 nodes (limit: "
	                 "alias expansion)\n");
	free(g.buf);
}

/* Exactly at the cap is fine; one more node is not. */
static void test_alias_cap_boundary(void **state)
{
	struct gen g;

	(void)state;
	gen_open(&g);
	fputs("a: &a [", g.f);
	for (int i = 0; i < 999; i++)
		fputs(i ? ",x" : "x", g.f);
	fputs("]\nb: [", g.f); /* the anchored list weighs 1000 */
	for (int i = 0; i < 100; i++)
		fputs(i ? ",*a" : "*a", g.f);
	fputs("]\n", g.f);
	gen_close(&g);
	struct ydoc *doc = parse_ok(g.buf);
	assert_int_equal(ymap_get(doc->root, "b")->n, 100);
	ydoc_free(doc);
	free(g.buf);

	gen_open(&g);
	fputs("a: &a [", g.f);
	for (int i = 0; i < 999; i++)
		fputs(i ? ",x" : "x", g.f);
	fputs("]\nc: *a\nb: [", g.f);
	for (int i = 0; i < 100; i++)
		fputs(i ? ",*a" : "*a", g.f);
	fputs("]\n", g.f);
	gen_close(&g);
	expect_error_len(g.buf, g.len,
	                 "t.yaml:3:302: error: aliases expand to more than 100000 nodes (limit: "
	                 "alias expansion)\n");
	free(g.buf);
}

/* ---- mapping keys ---- */

static void test_duplicate_keys(void **state)
{
	const char *y = "a: 1\n"
	                "b: 2\n"
	                "a: 3\n"
	                "m:\n"
	                "  x: 1\n"
	                "  x: {deep: [1]}\n"
	                "  y: 2\n"
	                "f: {p: 1, q: 2, p: 3}\n"
	                "'b': quoted is the same string\n"
	                "a : again\n";
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;

	(void)state;
	assert_int_equal(ydoc_parse("t.yaml", y, strlen(y), &d, &doc), 0);
	assert_non_null(doc);
	char *got = tu_diags_text(&d);
	assert_string_equal(got, "t.yaml:3:1: error: duplicate key 'a' (first defined at 1:1)\n"
	                         "t.yaml:6:3: error: duplicate key 'x' (first defined at 5:3)\n"
	                         "t.yaml:8:17: error: duplicate key 'p' (first defined at 8:5)\n"
	                         "t.yaml:9:1: error: duplicate key 'b' (first defined at 2:1)\n"
	                         "t.yaml:10:1: error: duplicate key 'a' (first defined at 1:1)\n");
	free(got);
	assert_int_equal(d.n_errors, 5);
	/* The first definition wins; the duplicate pairs are left out. */
	struct ynode *root = doc->root;
	assert_int_equal(root->n, 4);
	assert_string_equal(ymap_get(root, "a")->str, "1");
	assert_string_equal(ymap_get(root, "b")->str, "2");
	assert_int_equal(ymap_get(root, "m")->n, 2);
	assert_string_equal(ymap_get(ymap_get(root, "m"), "x")->str, "1");
	assert_int_equal(ymap_get(root, "f")->n, 2);
	ydoc_free(doc);
	fw_diags_free(&d);
}

static void test_duplicate_keys_exact(void **state)
{
	/* Keys differing in case, spacing or type of quote-free content differ. */
	struct ydoc *doc = parse_ok("a: 1\nA: 2\n'a ': 3\n\"a\\tb\": 4\n1: 5\n'01': 6\n");

	(void)state;
	assert_int_equal(doc->root->n, 6);
	ydoc_free(doc);

	/* Control characters in a key are escaped in the message; long keys
	 * are cut. */
	const char *y =
	    "\"t\\tk\": 1\n\"t\\tk\": 2\n"
	    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: 1\n"
	    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: 2\n";
	struct fw_diags d = {0};
	assert_int_equal(ydoc_parse("t.yaml", y, strlen(y), &d, &doc), 0);
	char *got = tu_diags_text(&d);
	assert_string_equal(
	    got, "t.yaml:2:1: error: duplicate key 't\\x09k' (first defined at 1:1)\n"
	         "t.yaml:4:1: error: duplicate key "
	         "'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...' (first "
	         "defined at 3:1)\n");
	free(got);
	ydoc_free(doc);
	fw_diags_free(&d);
}

/* An alias key is written where the alias is. */
static void test_duplicate_alias_key(void **state)
{
	const char *y = "x: &k name\nm:\n  *k : 1\n  name: 2\n  other: 3\n  *k : 4\n";
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;

	(void)state;
	assert_int_equal(ydoc_parse("t.yaml", y, strlen(y), &d, &doc), 0);
	char *got = tu_diags_text(&d);
	assert_string_equal(got,
	                    "t.yaml:4:3: error: duplicate key 'name' (first defined at 3:3)\n"
	                    "t.yaml:6:3: error: duplicate key 'name' (first defined at 3:3)\n");
	free(got);
	assert_int_equal(ymap_get(doc->root, "m")->n, 2);
	assert_string_equal(ymap_get(ymap_get(doc->root, "m"), "name")->str, "1");
	ydoc_free(doc);
	fw_diags_free(&d);
}

/* Big mappings: duplicates found through the index, in document order. */
static void test_duplicate_keys_big_map(void **state)
{
	struct gen g;
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;

	(void)state;
	gen_open(&g);
	for (int i = 0; i < 20000; i++)
		fprintf(g.f, "key%d: %d\n", i, i);
	fputs("key7: dup\nkey19999: dup\nkey12345: dup\nnew: 1\n", g.f);
	gen_close(&g);
	assert_int_equal(ydoc_parse("t.yaml", g.buf, g.len, &d, &doc), 0);
	char *got = tu_diags_text(&d);
	assert_string_equal(got,
	                    "t.yaml:20001:1: error: duplicate key 'key7' (first defined at 8:1)\n"
	                    "t.yaml:20002:1: error: duplicate key 'key19999' (first defined at "
	                    "20000:1)\n"
	                    "t.yaml:20003:1: error: duplicate key 'key12345' (first defined at "
	                    "12346:1)\n");
	free(got);
	assert_int_equal(doc->root->n, 20001);
	assert_string_equal(ymap_get(doc->root, "key12345")->str, "12345");
	assert_string_equal(ymap_get(doc->root, "new")->str, "1");
	ydoc_free(doc);
	fw_diags_free(&d);
	free(g.buf);
}

/* A fatal error after duplicates is still the only diagnostic. */
static void test_duplicates_then_fatal(void **state)
{
	(void)state;
	expect_error("a: 1\na: 2\nb: [\n",
	             "t.yaml:4:1: error: invalid YAML: did not find expected node content\n");
	expect_error("a: 1\na: 2\nb: *x\n",
	             "t.yaml:3:4: error: alias '*x' names no anchor defined before it\n");
}

static void test_non_scalar_keys(void **state)
{
	(void)state;
	expect_error("? [a]\n: 1\n",
	             "t.yaml:1:3: error: mapping keys must be strings, found a list\n");
	expect_error("x: 1\n? {a: b}\n: 1\n",
	             "t.yaml:2:3: error: mapping keys must be strings, found a mapping\n");
	expect_error("{a: 1}: x\n",
	             "t.yaml:1:1: error: mapping keys must be strings, found a mapping\n");
	expect_error("m: {[a]: 1}\n",
	             "t.yaml:1:5: error: mapping keys must be strings, found a list\n");
	expect_error("m: &m {a: 1}\n*m : 2\n",
	             "t.yaml:2:1: error: mapping keys must be strings, found a mapping\n");
	expect_error("l: &l [a]\nn: {*l : 2}\n",
	             "t.yaml:2:5: error: mapping keys must be strings, found a list\n");
}

/* ---- caps ---- */

static void test_depth_cap(void **state)
{
	char y[200];
	int n = 0;

	(void)state;
	for (int i = 0; i < 40; i++)
		y[n++] = '[';
	for (int i = 0; i < 40; i++)
		y[n++] = ']';
	expect_error_len(y, (size_t)n,
	                 "t.yaml:1:33: error: nesting deeper than 32 levels (limit: depth)\n");

	/* 32 levels are allowed. */
	n = 0;
	for (int i = 0; i < 32; i++)
		y[n++] = '[';
	for (int i = 0; i < 32; i++)
		y[n++] = ']';
	y[n] = '\0';
	struct ydoc *doc = parse_ok(y);
	const struct ynode *x = doc->root;
	for (int i = 1; i < 32; i++)
		x = x->vals[0];
	assert_int_equal(x->kind, YN_SEQ);
	assert_int_equal(x->n, 0);
	ydoc_free(doc);
}

static void test_depth_cap_block(void **state)
{
	struct gen g;

	(void)state;
	/* Mapping level i (1-based) has its key indented by i - 1 spaces. */
	gen_open(&g);
	for (int i = 0; i < 40; i++)
		fprintf(g.f, "%*sk%d:\n", i, "", i);
	gen_close(&g);
	expect_error_len(g.buf, g.len,
	                 "t.yaml:33:33: error: nesting deeper than 32 levels (limit: depth)\n");
	free(g.buf);

	/* A sequence of mappings of sequences... */
	gen_open(&g);
	for (int i = 0; i < 20; i++)
		fprintf(g.f, "%*s- k:\n", 4 * i, "");
	gen_close(&g);
	expect_error_len(g.buf, g.len,
	                 "t.yaml:17:65: error: nesting deeper than 32 levels (limit: depth)\n");
	free(g.buf);
}

static void test_scalar_cap(void **state)
{
	char *y = malloc(6000);

	(void)state;
	memcpy(y, "k: ", 3);
	memset(y + 3, 'a', 5000);
	y[5003] = '\n';
	expect_error_len(
	    y, 5004,
	    "t.yaml:1:4: error: string of 5000 bytes is longer than 4096 (limit: string length)\n");

	/* 4096 is fine, 4097 is not. */
	y[3 + 4096] = '\0';
	struct ydoc *doc = parse_ok(y);
	assert_int_equal(ymap_get(doc->root, "k")->len, 4096);
	ydoc_free(doc);
	y[3 + 4096] = 'a';
	y[3 + 4097] = '\0';
	expect_error(
	    y,
	    "t.yaml:1:4: error: string of 4097 bytes is longer than 4096 (limit: string length)\n");

	/* Quoted strings and keys too, located at their start. */
	memcpy(y, "x: 1\ny: \"", 9);
	memset(y + 9, 'b', 4500);
	memcpy(y + 4509, "\"\n", 3);
	expect_error(
	    y,
	    "t.yaml:2:4: error: string of 4500 bytes is longer than 4096 (limit: string length)\n");
	memcpy(y, "x: 1\n? ", 7);
	memset(y + 7, 'k', 4200);
	memcpy(y + 4207, "\n: v\n", 6);
	expect_error(
	    y,
	    "t.yaml:2:3: error: string of 4200 bytes is longer than 4096 (limit: string length)\n");
	free(y);
}

static void test_file_size_cap(void **state)
{
	size_t len = YT_MAX_FILE_SIZE + 1;
	char *y = malloc(len);

	(void)state;
	memset(y, '#', len);
	y[len - 1] = '\n';
	expect_error_len(y, len,
	                 "t.yaml: error: file is 4194305 bytes, more than the limit of 4194304 "
	                 "(limit: file size)\n");

	/* Exactly at the cap: a document of comments, so empty. */
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;
	assert_int_equal(ydoc_parse("t.yaml", y + 1, len - 1, &d, &doc), 0);
	assert_null(doc->root);
	assert_int_equal(d.n, 0);
	ydoc_free(doc);
	free(y);
}

/* A million nodes are fine; one more is not. */
static void test_node_cap(void **state)
{
	const size_t items = YT_MAX_NODES; /* plus the list itself */
	char *y = malloc(items * 4 + 1);
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;

	(void)state;
	for (size_t i = 0; i < items; i++)
		memcpy(y + 4 * i, "- a\n", 4);
	y[4 * items] = '\0';
	expect_error_len(y, 4 * items,
	                 "t.yaml:1000000:3: error: more than 1000000 nodes (limit: node count)\n");

	assert_int_equal(ydoc_parse("t.yaml", y, 4 * (items - 1), &d, &doc), 0);
	assert_int_equal(doc->root->n, items - 1);
	assert_int_equal(doc->n_arena, YT_MAX_NODES);
	assert_int_equal(doc->root->weight, YT_MAX_NODES);
	ydoc_free(doc);
	fw_diags_free(&d);
	free(y);
}

/* A big realistic file and a huge flat mapping both parse whole. (No time
 * is asserted in a test: bench/bench_compile measures the parser with the
 * rest of a compile.) */
static void test_big_files(void **state)
{
	struct gen g;
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;
	int i;

	(void)state;
	gen_open(&g);
	fputs("hosts:\n", g.f);
	for (i = 0; g.len < YT_MAX_FILE_SIZE - 200; i++) {
		fprintf(g.f,
		        "  host%d:\n    address: 10.%d.%d.%d\n    zone: dmz\n"
		        "    ports: [tcp/80, tcp/443, 'udp/53']\n",
		        i, i >> 16 & 255, i >> 8 & 255, i & 255);
		fflush(g.f);
	}
	gen_close(&g);
	assert_int_equal(ydoc_parse("t.yaml", g.buf, g.len, &d, &doc), 0);
	assert_int_equal(ymap_get(doc->root, "hosts")->n, (size_t)i);
	ydoc_free(doc);
	free(g.buf);

	gen_open(&g);
	for (i = 0; g.len < YT_MAX_FILE_SIZE - 100; i++) {
		fprintf(g.f, "k%d: v\n", i);
		fflush(g.f);
	}
	gen_close(&g);
	assert_int_equal(ydoc_parse("t.yaml", g.buf, g.len, &d, &doc), 0);
	assert_int_equal(doc->root->n, (size_t)i);
	assert_int_equal(d.n, 0);
	ydoc_free(doc);
	free(g.buf);
}

/* ---- bad bytes ---- */

static void test_nul_bytes(void **state)
{
	(void)state;
	expect_error_len("a: b\0c\n", 7,
	                 "t.yaml:1:5: error: invalid YAML: control characters are not allowed\n");
	expect_error_len("\0", 1,
	                 "t.yaml:1:1: error: invalid YAML: control characters are not allowed\n");
	expect_error_len("a: 1\nbb: [x, y\0]\n", 16,
	                 "t.yaml:2:10: error: invalid YAML: control characters are not allowed\n");
	/* A "\0" escape cannot sneak one into a string either. */
	expect_error("a: \"b\\0c\"\n", "t.yaml:1:4: error: string contains a NUL character\n");
	expect_error("a: [\"\\x00\"]\n", "t.yaml:1:5: error: string contains a NUL character\n");
}

static void test_bad_utf8_and_controls(void **state)
{
	(void)state;
	expect_error("a: \xff\xfe\n",
	             "t.yaml:1:4: error: invalid YAML: invalid leading UTF-8 octet\n");
	expect_error("a: \xc3(\n",
	             "t.yaml:1:5: error: invalid YAML: invalid trailing UTF-8 octet\n");
	expect_error("a: \xc3",
	             "t.yaml:1:4: error: invalid YAML: incomplete UTF-8 octet sequence\n");
	expect_error("a: \xc0\xaf\n",
	             "t.yaml:1:4: error: invalid YAML: invalid length of a UTF-8 sequence\n");
	expect_error("a: \xed\xa0\x80\n",
	             "t.yaml:1:4: error: invalid YAML: invalid Unicode character\n");
	expect_error("a: b\x01\n",
	             "t.yaml:1:5: error: invalid YAML: control characters are not allowed\n");
	expect_error("a: b\x7f\n",
	             "t.yaml:1:5: error: invalid YAML: control characters are not allowed\n");
	/* Lines and columns count characters, as libyaml does elsewhere. */
	expect_error("é: ✓\nb: c\xff\n",
	             "t.yaml:2:5: error: invalid YAML: invalid leading UTF-8 octet\n");
	expect_error("a: 1\r\nb: 2\rc: \xff\n",
	             "t.yaml:3:4: error: invalid YAML: invalid leading UTF-8 octet\n");
	/* UTF-16 is not read. */
	expect_error_len("\xff\xfe"
	                 "a\0:\0 \0"
	                 "1\0",
	                 10, "t.yaml:1:1: error: invalid YAML: invalid leading UTF-8 octet\n");
}

static void test_utf8_bom(void **state)
{
	struct ydoc *doc = parse_ok("\xef\xbb\xbf"
	                            "a: 1\nb: [x]\n");

	(void)state;
	assert_loc(doc->root->keys[0], 1, 1);
	assert_loc(doc->root->vals[0], 1, 4);
	assert_loc(doc->root->vals[1]->vals[0], 2, 5);
	ydoc_free(doc);
	expect_error("\xef\xbb\xbf"
	             "a: \xff\n",
	             "t.yaml:1:4: error: invalid YAML: invalid leading UTF-8 octet\n");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	expect_error("a: [1, 2\n",
	             "t.yaml:2:1: error: invalid YAML: did not find expected ',' or ']'\n");
	expect_error("a:\n  b: 1\n c: 2\n",
	             "t.yaml:3:2: error: invalid YAML: did not find expected key\n");
	expect_error("a: 1\n\tb: 2\n",
	             "t.yaml:2:1: error: invalid YAML: found a tab character that violates "
	             "indentation\n");
	expect_error("a: 1\nb: @x\n",
	             "t.yaml:2:4: error: invalid YAML: found character that cannot start any "
	             "token\n");
	expect_error("a: 'open\n", "t.yaml:2:1: error: invalid YAML: found unexpected end of "
	                           "stream\n");
}

struct junk_rng {
	uint64_t x;
	unsigned defined; /* anchors &a0..&a2 written so far */
};

static unsigned junk_next(struct junk_rng *r, unsigned n)
{
	r->x ^= r->x << 13;
	r->x ^= r->x >> 7;
	r->x ^= r->x << 17;
	return (unsigned)(r->x % n);
}

/* Mostly valid flow YAML with anchors, aliases and repeated keys. */
static void junk_node(struct junk_rng *r, FILE *f, int depth, bool anchored)
{
	static const char *const scalars[] = {"a", "b", "1", "'q'", "\"d\\t\"", "~", "x y", "''"};
	static const char *const keys[] = {"k1", "k2", "k3", "'k1'", "*a0", "? k4"};
	unsigned what = junk_next(r, depth > 36 ? 5 : 10);

	if (what == 4) {
		unsigned a = junk_next(r, 3);
		if (r->defined & (1u << a) || !junk_next(r, 200))
			fprintf(f, "*a%u", a);
		else
			fputs("z", f);
	} else if (what == 9 && !anchored) {
		unsigned a = junk_next(r, 3);
		fprintf(f, "&a%u ", a);
		junk_node(r, f, depth, true);
		r->defined |= 1u << a;
	} else if (what >= 5) {
		bool map = what >= 7;
		unsigned n = junk_next(r, 5);

		fputc(map ? '{' : '[', f);
		for (unsigned i = 0; i < n; i++) {
			if (i)
				fputs(", ", f);
			if (map) {
				const char *k = keys[junk_next(r, 6)];
				fprintf(f, "%s: ", k[0] == '*' && !(r->defined & 1) ? "k1" : k);
			}
			junk_node(r, f, depth + 1, false);
		}
		fputc(map ? '}' : ']', f);
	} else {
		fputs(scalars[junk_next(r, 8)], f);
	}
}

/* Hostile input never crashes: a document (with only duplicate-key errors)
 * or exactly one error, and *ret untouched. A quarter of the inputs are
 * random bytes, a quarter generated YAML with a few random bytes in it. */
static void test_junk(void **state)
{
	struct junk_rng r = {.x = 0x2545f4914f6cdd1dull};
	unsigned parsed = 0, failed = 0, duplicates = 0;

	(void)state;
	for (int it = 0; it < 200; it++) {
		struct gen g;

		gen_open(&g);
		r.defined = 0;
		if (it % 4 == 0) {
			unsigned len = 1 + junk_next(&r, 4096);
			for (unsigned i = 0; i < len; i++)
				fputc((int)junk_next(&r, 256), g.f);
		} else {
			unsigned lines = 1 + junk_next(&r, 20);
			for (unsigned l = 0; l < lines; l++) {
				fprintf(g.f, "k%u: ", junk_next(&r, 8));
				junk_node(&r, g.f, 1, false);
				fputc('\n', g.f);
			}
		}
		gen_close(&g);
		if (it % 4 == 3) {
			unsigned m = 1 + junk_next(&r, 3);
			for (unsigned i = 0; i < m && g.len; i++)
				g.buf[junk_next(&r, (unsigned)g.len)] = (char)junk_next(&r, 256);
		}

		struct fw_diags d = {0};
		struct ydoc untouched;
		struct ydoc *doc = &untouched;
		int ret = ydoc_parse("junk.yaml", g.buf, g.len, &d, &doc);
		if (ret == 0) {
			assert_ptr_not_equal(doc, &untouched);
			for (size_t i = 0; i < d.n; i++)
				assert_non_null(strstr(d.v[i].msg, "duplicate key '"));
			duplicates += (unsigned)d.n;
			parsed++;
			ydoc_free(doc);
		} else {
			assert_int_equal(ret, -EINVAL);
			assert_ptr_equal(doc, &untouched);
			assert_int_equal(d.n, 1);
			assert_string_equal(d.v[0].loc.file, "junk.yaml");
			assert_true(d.v[0].loc.line >= 1);
			failed++;
		}
		fw_diags_free(&d);
		free(g.buf);
	}
	/* The generator reaches both outcomes, and duplicates. */
	assert_true(parsed >= 20);
	assert_true(failed >= 100);
	assert_true(duplicates >= 20);
}

/* ---- documents and tags ---- */

static void test_documents(void **state)
{
	(void)state;
	expect_error("a: 1\n---\nb: 2\n",
	             "t.yaml:2:1: error: expected a single YAML document, found another one\n");
	expect_error("---\na: 1\n---\n",
	             "t.yaml:3:1: error: expected a single YAML document, found another one\n");
	expect_error("--- a\n...\n--- b\n",
	             "t.yaml:3:1: error: expected a single YAML document, found another one\n");
	struct ydoc *doc = parse_ok("---\na: 1\n...\n");
	assert_string_equal(ymap_get(doc->root, "a")->str, "1");
	ydoc_free(doc);
}

static void test_empty_documents(void **state)
{
	static const char *const empty[] = {
	    "", "\n\n", "# only a comment\n", "---\n", "--- # c\n...\n", "%YAML 1.1\n---\n",
	};
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(empty) / sizeof(*empty); i++) {
		doc = parse_ok(empty[i]);
		assert_null(doc->root);
		assert_string_equal(doc->file, "t.yaml");
		ydoc_free(doc);
	}
	assert_int_equal(ydoc_parse("t.yaml", NULL, 0, &d, &doc), 0);
	assert_null(doc->root);
	ydoc_free(doc);
	/* A lone null or empty string is a value, not an empty document. */
	doc = parse_ok("~\n");
	assert_string_equal(doc->root->str, "~");
	ydoc_free(doc);
	doc = parse_ok("--- ''\n");
	assert_non_null(doc->root);
	assert_int_equal(doc->root->len, 0);
	assert_false(doc->root->plain);
	ydoc_free(doc);
	assert_int_equal(d.n, 0);
}

static void test_tags(void **state)
{
	(void)state;
	expect_error("a: !foo 1\n",
	             "t.yaml:1:4: error: YAML tags are not supported (found '!foo')\n");
	expect_error("a:\n  b: !!binary aGk=\n",
	             "t.yaml:2:6: error: YAML tags are not supported (found '!!binary')\n");
	expect_error("a: ! x\n", "t.yaml:1:4: error: YAML tags are not supported (found '!')\n");
	expect_error("s: !!set {a, b}\n",
	             "t.yaml:1:4: error: YAML tags are not supported (found '!!set')\n");
	expect_error("- !<tag:example.com,2000:x> [1]\n",
	             "t.yaml:1:3: error: YAML tags are not supported (found "
	             "'tag:example.com,2000:x')\n");
	expect_error("%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
	             "t.yaml:3:4: error: YAML tags are not supported (found "
	             "'tag:example.com,2000:x')\n");
	/* !! redirected elsewhere is not the standard !!str. */
	expect_error("%TAG !! tag:evil.example,2000:\n---\na: !!str 1\n",
	             "t.yaml:3:4: error: YAML tags are not supported (found "
	             "'tag:evil.example,2000:str')\n");

	struct ydoc *doc = parse_ok("!!map\ns: !!str 1\ni: !!int 2\nb: !!bool true\nn: !!null ~\n"
	                            "l: !!seq [a]\nm: !!map {k: v}\n"
	                            "v: !<tag:yaml.org,2002:str> x\n");
	assert_int_equal(doc->root->n, 7);
	assert_string_equal(ymap_get(doc->root, "s")->str, "1");
	assert_int_equal(ymap_get(doc->root, "l")->kind, YN_SEQ);
	ydoc_free(doc);
}

/* ---- files ---- */

static char *temp_file(const char *content, size_t len)
{
	char *path = strdup("/tmp/test_ytree.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, content + off, len - off);
		assert_true(n > 0);
		off += (size_t)n;
	}
	assert_int_equal(close(fd), 0);
	return path;
}

static void test_load_file(void **state)
{
	const char *y = "zones:\n  dmz: {vlan: 110}\n";
	char *path = temp_file(y, strlen(y));
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;

	(void)state;
	assert_int_equal(ydoc_load_file(path, &d, &doc), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(doc->file, path);
	struct ynode *vlan = ymap_get(ymap_get(ymap_get(doc->root, "zones"), "dmz"), "vlan");
	assert_loc(vlan, 2, 15);
	assert_ptr_equal(vlan->loc.file, doc->file);
	ydoc_free(doc);
	unlink(path);
	free(path);
}

static void test_load_file_errors(void **state)
{
	struct fw_diags d = {0};
	struct ydoc untouched;
	struct ydoc *doc = &untouched;
	char *got;

	(void)state;
	assert_int_equal(ydoc_load_file("/nonexistent/p.yaml", &d, &doc), -ENOENT);
	assert_ptr_equal(doc, &untouched);
	got = tu_diags_text(&d);
	assert_string_equal(got, "/nonexistent/p.yaml: error: cannot read: No such file or "
	                         "directory\n");
	free(got);
	fw_diags_free(&d);

	assert_int_equal(ydoc_load_file("/", &d, &doc), -EISDIR);
	got = tu_diags_text(&d);
	assert_string_equal(got, "/: error: cannot read: Is a directory\n");
	free(got);
	fw_diags_free(&d);

	/* Too big: refused before reading. */
	size_t len = YT_MAX_FILE_SIZE + 1;
	char *big = malloc(len);
	memset(big, '#', len);
	char *path = temp_file(big, len);
	free(big);
	assert_int_equal(ydoc_load_file(path, &d, &doc), -EINVAL);
	assert_ptr_equal(doc, &untouched);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].loc.file, path);
	assert_int_equal(d.v[0].loc.line, 0);
	assert_string_equal(d.v[0].msg, "file is 4194305 bytes, more than the limit of 4194304 "
	                                "(limit: file size)");
	fw_diags_free(&d);
	unlink(path);
	free(path);

	/* Syntax errors name the path. */
	path = temp_file("a: [\n", 5);
	assert_int_equal(ydoc_load_file(path, &d, &doc), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].loc.file, path);
	assert_int_equal(d.v[0].loc.line, 2);
	fw_diags_free(&d);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_locations),
	    cmocka_unit_test(test_scalars),
	    cmocka_unit_test(test_kind_names_and_get),
	    cmocka_unit_test(test_alias_shared),
	    cmocka_unit_test(test_alias_weights),
	    cmocka_unit_test(test_alias_redefined),
	    cmocka_unit_test(test_alias_undefined_and_recursive),
	    cmocka_unit_test(test_alias_bomb),
	    cmocka_unit_test(test_alias_bomb_maps),
	    cmocka_unit_test(test_alias_cap_boundary),
	    cmocka_unit_test(test_duplicate_keys),
	    cmocka_unit_test(test_duplicate_keys_exact),
	    cmocka_unit_test(test_duplicate_alias_key),
	    cmocka_unit_test(test_duplicate_keys_big_map),
	    cmocka_unit_test(test_duplicates_then_fatal),
	    cmocka_unit_test(test_non_scalar_keys),
	    cmocka_unit_test(test_depth_cap),
	    cmocka_unit_test(test_depth_cap_block),
	    cmocka_unit_test(test_scalar_cap),
	    cmocka_unit_test(test_file_size_cap),
	    cmocka_unit_test(test_node_cap),
	    cmocka_unit_test(test_big_files),
	    cmocka_unit_test(test_nul_bytes),
	    cmocka_unit_test(test_bad_utf8_and_controls),
	    cmocka_unit_test(test_utf8_bom),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_junk),
	    cmocka_unit_test(test_documents),
	    cmocka_unit_test(test_empty_documents),
	    cmocka_unit_test(test_tags),
	    cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_load_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
