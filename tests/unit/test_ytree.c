// SPDX-License-Identifier: GPL-2.0-or-later
/* The YAML tree: locations, caps and hostile input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "ytree.h"

/* Parse and expect exactly one error with this text. */
static void expect_error(const char *yaml, size_t len, const char *want)
{
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;

	assert_int_equal(ydoc_parse("t.yaml", yaml, len, &d, &doc), -EINVAL);
	assert_null(doc);
	char *got = tu_diags_text(&d);
	assert_string_equal(got, want);
	free(got);
	fw_diags_free(&d);
}

static void test_locations(void **state)
{
	const char *y = "a: 1\nlist:\n  - x\n  - 'q'\nflow: {k: v}\n";
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;

	(void)state;
	assert_int_equal(ydoc_parse("t.yaml", y, strlen(y), &d, &doc), 0);
	assert_int_equal(d.n, 0);
	struct ynode *root = doc->root;
	assert_int_equal(root->kind, YN_MAP);
	assert_int_equal(root->n, 3);
	assert_int_equal(root->keys[1]->loc.line, 2);
	assert_int_equal(root->keys[1]->loc.col, 1);
	struct ynode *list = ymap_get(root, "list");
	assert_int_equal(list->kind, YN_SEQ);
	assert_int_equal(list->vals[1]->loc.line, 4);
	assert_int_equal(list->vals[1]->loc.col, 5);
	assert_true(list->vals[0]->plain);
	assert_false(list->vals[1]->plain);
	struct ynode *flow = ymap_get(root, "flow");
	assert_int_equal(flow->keys[0]->loc.col, 8);
	assert_string_equal(ymap_get(flow, "k")->str, "v");
	assert_string_equal(root->keys[0]->loc.file, "t.yaml");
	assert_string_equal(ynode_kind_name(list), "a list");
	ydoc_free(doc);
	fw_diags_free(&d);
}

static void test_duplicate_keys_all_reported(void **state)
{
	const char *y = "a: 1\nb: 2\na: 3\nm:\n  x: 1\n  x: 2\n";
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;

	(void)state;
	assert_int_equal(ydoc_parse("t.yaml", y, strlen(y), &d, &doc), 0);
	assert_non_null(doc);
	char *got = tu_diags_text(&d);
	assert_string_equal(got, "t.yaml:3:1: error: duplicate key 'a' (first defined at 1:1)\n"
	                         "t.yaml:6:3: error: duplicate key 'x' (first defined at 5:3)\n");
	/* The first definition wins; the duplicate pair is left out. */
	assert_string_equal(ymap_get(doc->root, "a")->str, "1");
	assert_int_equal(doc->root->n, 3);
	free(got);
	ydoc_free(doc);
	fw_diags_free(&d);
}

static void test_depth_cap(void **state)
{
	char y[200];
	int n = 0;

	(void)state;
	for (int i = 0; i < 40; i++)
		y[n++] = '[';
	for (int i = 0; i < 40; i++)
		y[n++] = ']';
	y[n] = '\0';
	expect_error(y, (size_t)n,
	             "t.yaml:1:33: error: nesting deeper than 32 levels (limit: depth)\n");
}

static void test_alias_bomb(void **state)
{
	char *y = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&y, &len);

	(void)state;
	fputs("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n", f);
	for (int i = 1; i < 9; i++) {
		fprintf(f, "l%d: &l%d [", i, i);
		for (int k = 0; k < 10; k++)
			fprintf(f, "%s*l%d", k ? ", " : "", i - 1);
		fputs("]\n", f);
	}
	fclose(f);
	expect_error(y, len,
	             "t.yaml:5:45: error: aliases expand to more than 100000 nodes (limit: alias "
	             "expansion)\n");
	free(y);
}

static void test_alias_shared_within_cap(void **state)
{
	const char *y = "base: &b [tcp/80, tcp/443]\nweb: *b\n";
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;

	(void)state;
	assert_int_equal(ydoc_parse("t.yaml", y, strlen(y), &d, &doc), 0);
	assert_ptr_equal(ymap_get(doc->root, "base"), ymap_get(doc->root, "web"));
	ydoc_free(doc);
	fw_diags_free(&d);
}

static void test_recursive_and_undefined_alias(void **state)
{
	(void)state;
	expect_error("a: &x [1, *x]\n", 14,
	             "t.yaml:1:11: error: alias '*x' names no anchor defined before it\n");
	expect_error("a: *nope\n", 9,
	             "t.yaml:1:4: error: alias '*nope' names no anchor defined before it\n");
}

static void test_scalar_cap(void **state)
{
	char *y = malloc(6000);

	(void)state;
	memcpy(y, "k: ", 3);
	memset(y + 3, 'a', 5000);
	y[5003] = '\n';
	expect_error(
	    y, 5004,
	    "t.yaml:1:4: error: string of 5000 bytes is longer than 4096 (limit: string length)\n");
	free(y);
}

static void test_file_size_cap(void **state)
{
	size_t len = YT_MAX_FILE_SIZE + 1;
	char *y = malloc(len);

	(void)state;
	memset(y, '#', len);
	expect_error(y, len,
	             "t.yaml: error: file is 4194305 bytes, more than the limit of 4194304 (limit: "
	             "file size)\n");
	free(y);
}

static void test_nul_and_control(void **state)
{
	(void)state;
	expect_error("a: b\0c\n", 7,
	             "t.yaml:1:5: error: invalid YAML: control characters are not allowed\n");
	expect_error("a: \"b\\0c\"\n", 10, "t.yaml:1:4: error: string contains a NUL character\n");
	expect_error("a: \xff\xfe\n", 6,
	             "t.yaml:1:4: error: invalid YAML: invalid leading UTF-8 octet\n");
}

static void test_documents_and_tags(void **state)
{
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;

	(void)state;
	expect_error("a: 1\n---\nb: 2\n", 14,
	             "t.yaml:2:1: error: expected a single YAML document, found another one\n");
	expect_error("a: !foo 1\n", 10,
	             "t.yaml:1:4: error: YAML tags are not supported (found '!foo')\n");
	expect_error("? [a]\n: 1\n", 9,
	             "t.yaml:1:3: error: mapping keys must be strings, found a list\n");
	assert_int_equal(ydoc_parse("t.yaml", "# only a comment\n", 17, &d, &doc), 0);
	assert_null(doc->root);
	ydoc_free(doc);
	fw_diags_free(&d);
}

/* Random junk never crashes: either a document or exactly one error. */
static void test_junk(void **state)
{
	uint32_t x = 42;
	char buf[4096];

	(void)state;
	for (int it = 0; it < 300; it++) {
		size_t len = 1 + (x % sizeof(buf));
		for (size_t i = 0; i < len; i++) {
			x = x * 1664525u + 1013904223u;
			/* Mostly YAML punctuation, sometimes any byte. */
			static const char alphabet[] = "ab:- \n[]{},&*!'\"#|>?\t09";
			buf[i] = (x >> 24) % 5 ? alphabet[(x >> 8) % (sizeof(alphabet) - 1)]
			                       : (char)(x >> 16);
		}
		struct fw_diags d = {0};
		struct ydoc *doc = NULL;
		int r = ydoc_parse("junk.yaml", buf, len, &d, &doc);
		if (r == 0)
			assert_non_null(doc);
		else
			assert_int_equal(d.n, 1);
		ydoc_free(doc);
		fw_diags_free(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_locations),
	    cmocka_unit_test(test_duplicate_keys_all_reported),
	    cmocka_unit_test(test_depth_cap),
	    cmocka_unit_test(test_alias_bomb),
	    cmocka_unit_test(test_alias_shared_within_cap),
	    cmocka_unit_test(test_recursive_and_undefined_alias),
	    cmocka_unit_test(test_scalar_cap),
	    cmocka_unit_test(test_file_size_cap),
	    cmocka_unit_test(test_nul_and_control),
	    cmocka_unit_test(test_documents_and_tags),
	    cmocka_unit_test(test_junk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
