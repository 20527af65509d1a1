// SPDX-License-Identifier: GPL-2.0-or-later
/* The unified line diff: exact hunks, context, limits, time on large input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/textdiff.h"

static char *diff(const char *a, const char *b, size_t max_edits, int want)
{
	char *out = (char *)"unset";

	assert_int_equal(fw_textdiff(a, b, "x (live)", "x (new)", max_edits, NULL, &out), want);
	return out;
}

static void test_equal(void **state)
{
	(void)state;
	assert_null(diff("a\nb\n", "a\nb\n", 0, 0));
	assert_null(diff("", "", 0, 0));
	/* a missing last line break is no difference */
	assert_null(diff("a\nb", "a\nb\n", 0, 0));
}

static void test_one_change_with_context(void **state)
{
	(void)state;
	char *d = diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n", 0, 1);

	assert_string_equal(d, "--- x (live)\n"
	                       "+++ x (new)\n"
	                       "@@ -2,7 +2,7 @@\n"
	                       " 2\n"
	                       " 3\n"
	                       " 4\n"
	                       "-5\n"
	                       "+five\n"
	                       " 6\n"
	                       " 7\n"
	                       " 8\n");
	free(d);
}

/* Changes more than 6 lines apart: two hunks; closer: one. */
static void test_hunks(void **state)
{
	(void)state;
	char *d = diff("a\n1\n2\n3\n4\n5\n6\n7\nb\n", "A\n1\n2\n3\n4\n5\n6\n7\nB\n", 0, 1);

	assert_string_equal(d, "--- x (live)\n"
	                       "+++ x (new)\n"
	                       "@@ -1,4 +1,4 @@\n"
	                       "-a\n"
	                       "+A\n"
	                       " 1\n"
	                       " 2\n"
	                       " 3\n"
	                       "@@ -6,4 +6,4 @@\n"
	                       " 5\n"
	                       " 6\n"
	                       " 7\n"
	                       "-b\n"
	                       "+B\n");
	free(d);
	d = diff("a\n1\n2\n3\n4\n5\n6\nb\n", "A\n1\n2\n3\n4\n5\n6\nB\n", 0, 1);
	assert_string_equal(d, "--- x (live)\n"
	                       "+++ x (new)\n"
	                       "@@ -1,8 +1,8 @@\n"
	                       "-a\n"
	                       "+A\n"
	                       " 1\n"
	                       " 2\n"
	                       " 3\n"
	                       " 4\n"
	                       " 5\n"
	                       " 6\n"
	                       "-b\n"
	                       "+B\n");
	free(d);
}

/* Empty ranges name the line before them; one-line ranges have no count. */
static void test_ranges(void **state)
{
	(void)state;
	char *d = diff("", "new\n", 0, 1);

	assert_string_equal(d, "--- x (live)\n+++ x (new)\n@@ -0,0 +1 @@\n+new\n");
	free(d);
	d = diff("a\nb\n", "", 0, 1);
	assert_string_equal(d, "--- x (live)\n+++ x (new)\n@@ -1,2 +0,0 @@\n-a\n-b\n");
	free(d);
	d = diff("1\n2\n3\n4\n5\n", "1\n2\n3\n4\n5\n6\n", 0, 1);
	assert_string_equal(d, "--- x (live)\n+++ x (new)\n@@ -3,3 +3,4 @@\n 3\n 4\n 5\n+6\n");
	free(d);
	d = diff("1\n2\n3\n4\n5\n", "1\n2\n4\n5\n", 0, 1);
	assert_string_equal(d, "--- x (live)\n+++ x (new)\n@@ -1,5 +1,4 @@\n 1\n 2\n-3\n 4\n 5\n");
	free(d);
}

/* The minimal script: a moved line is one deletion and one insertion. */
static void test_minimal(void **state)
{
	(void)state;
	char *d = diff("a\nb\nc\nd\n", "b\nc\nd\na\n", 0, 1);

	assert_string_equal(d, "--- x (live)\n+++ x (new)\n@@ -1,4 +1,4 @@\n-a\n b\n c\n d\n+a\n");
	free(d);
}

static void test_too_large(void **state)
{
	(void)state;
	char *d = diff("a\nb\nc\n", "x\ny\nz\n", 2, 1);

	assert_string_equal(d, "--- x (live)\n+++ x (new)\n"
	                       "diff too large: more than 2 changed lines\n");
	free(d);
	d = diff("a\nb\nc\n", "a\ny\nc\n", 2, 1);
	assert_string_equal(d, "--- x (live)\n+++ x (new)\n@@ -1,3 +1,3 @@\n a\n-b\n+y\n c\n");
	free(d);
}

/* Everything after '#' is not compared. */
static void ignore_hash(const char *s, size_t len, size_t *from, size_t *to)
{
	const char *h = memchr(s, '#', len);

	if (h) {
		*from = (size_t)(h - s);
		*to = len;
	}
}

static void test_ignore(void **state)
{
	char *d = NULL;
	(void)state;

	assert_int_equal(fw_textdiff("a #1\nb #2\n", "a #7\nb #8\n", "l", "r", 0, ignore_hash, &d),
	                 0);
	assert_null(d);
	assert_int_equal(
	    fw_textdiff("a #1\nb #2\nc\n", "a #7\nB #8\nc\n", "l", "r", 0, ignore_hash, &d), 1);
	/* context in the old version */
	assert_string_equal(d, "--- l\n+++ r\n@@ -1,3 +1,3 @@\n a #1\n-b #2\n+B #8\n c\n");
	free(d);
}

static char *ruleset(size_t n, size_t skip, size_t shift)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fputs("table inet fwd_acme {\n\tset allow {\n\t\telements = {\n", f);
	for (size_t i = 0; i < n; i++)
		if (i != skip)
			fprintf(f, "\t\t\t10.%zu.%zu.1 . 10.9.9.9 . tcp . %zu comment \"r%zu\",\n",
			        (i + shift) / 250, (i + shift) % 250, 1000 + i, i);
	fputs("\t\t}\n\t}\n}\n", f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* 10,000 rules: one removed is found; all different stops at the limit.
 * (No time is asserted in a test.) */
static void test_large(void **state)
{
	char *a = ruleset(10000, SIZE_MAX, 0), *b = ruleset(10000, 5000, 0),
	     *c = ruleset(10000, SIZE_MAX, 7), *d = NULL;

	(void)state;

	assert_int_equal(fw_textdiff(a, b, "l", "r", 0, NULL, &d), 1);
	assert_non_null(strstr(d, "@@ -5001,7 +5001,6 @@\n"));
	assert_non_null(
	    strstr(d, "\n-\t\t\t10.20.0.1 . 10.9.9.9 . tcp . 6000 comment \"r5000\",\n"));
	free(d);
	assert_int_equal(fw_textdiff(a, c, "l", "r", 0, NULL, &d), 1);
	assert_string_equal(d, "--- l\n+++ r\ndiff too large: more than 10000 changed lines\n");
	free(d);
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_equal),   cmocka_unit_test(test_one_change_with_context),
	    cmocka_unit_test(test_hunks),   cmocka_unit_test(test_ranges),
	    cmocka_unit_test(test_minimal), cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_ignore),  cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
