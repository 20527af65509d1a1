// SPDX-License-Identifier: GPL-2.0-or-later
/* Diagnostics: formatting, caps, sorting and ownership. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/diag.h"
#include "testutil.h"

static void expect_text(const struct fw_diags *d, const char *want)
{
	char *got = tu_diags_text(d);

	assert_string_equal(got, want);
	free(got);
}

static void test_format(void **state)
{
	struct fw_loc full = {.file = "a.yaml", .line = 3, .col = 7};
	struct fw_loc no_line = {.file = "a.yaml"};
	struct fw_loc no_file = {.line = 3, .col = 7};
	struct fw_diags d = {0};

	(void)state;
	assert_int_equal(fw_error(&d, &full, "bad %s %d", "thing", 42), 0);
	assert_int_equal(fw_warning(&d, &full, "odd"), 0);
	assert_int_equal(fw_error(&d, &no_line, "cannot read: %s", "No such file or directory"), 0);
	assert_int_equal(fw_warning(&d, &no_line, "w"), 0);
	assert_int_equal(fw_error(&d, NULL, "no place"), 0);
	assert_int_equal(fw_warning(&d, &no_file, "no file"), 0);
	expect_text(&d, "a.yaml:3:7: error: bad thing 42\n"
	                "a.yaml:3:7: warning: odd\n"
	                "a.yaml: error: cannot read: No such file or directory\n"
	                "a.yaml: warning: w\n"
	                "fwd: error: no place\n"
	                "fwd: warning: no file\n");
	assert_int_equal(d.n, 6);
	assert_int_equal(d.n_errors, 3);
	assert_int_equal(d.n_warnings, 3);
	assert_false(d.truncated);
	assert_true(fw_diags_has_errors(&d));

	char *one = fw_diag_format(&d.v[0]);
	assert_string_equal(one, "a.yaml:3:7: error: bad thing 42");
	free(one);
	fw_diags_free(&d);
}

static void test_empty_and_free(void **state)
{
	struct fw_diags d = {0};
	struct fw_loc loc = {.file = "x", .line = 1, .col = 1};

	(void)state;
	expect_text(&d, "");
	assert_false(fw_diags_has_errors(&d));
	fw_diags_free(NULL);
	fw_diags_free(&d);
	fw_diags_sort(&d);
	assert_int_equal(d.n, 0);

	/* Only warnings: no errors. */
	assert_int_equal(fw_warning(&d, &loc, "w"), 0);
	assert_false(fw_diags_has_errors(&d));
	fw_diags_free(&d);
	assert_null(d.v);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.cap, 0);
	assert_int_equal(d.n_errors, 0);
	assert_int_equal(d.n_warnings, 0);
	/* Freeing twice is harmless: the struct was reset. */
	fw_diags_free(&d);
}

/* The diagnostic keeps its own copy of the file name. */
static void test_owns_file_name(void **state)
{
	char *file = strdup("tenant.yaml");
	struct fw_loc loc = {.file = file, .line = 2, .col = 5};
	struct fw_diags d = {0};

	(void)state;
	assert_int_equal(fw_error(&d, &loc, "x"), 0);
	assert_ptr_not_equal(d.v[0].loc.file, file);
	memset(file, 'Z', strlen(file));
	free(file);
	expect_text(&d, "tenant.yaml:2:5: error: x\n");
	fw_diags_free(&d);
}

static void test_error_cap(void **state)
{
	struct fw_diags d = {.max_errors = 3};
	struct fw_loc loc = {.file = "f", .col = 1};

	(void)state;
	for (unsigned i = 1; i <= 6; i++) {
		loc.line = i;
		assert_int_equal(fw_error(&d, &loc, "e%u", i), 0);
		assert_int_equal(d.truncated, i > 3);
	}
	/* Warnings are still recorded after the error cap. */
	loc.line = 20;
	assert_int_equal(fw_warning(&d, &loc, "late warning"), 0);
	expect_text(&d, "f:1:1: error: e1\n"
	                "f:2:1: error: e2\n"
	                "f:3:1: error: e3\n"
	                "f:4:1: error: too many errors, stopping after 3\n"
	                "f:20:1: warning: late warning\n");
	assert_int_equal(d.n_errors, 6);
	assert_int_equal(d.n_warnings, 1);
	assert_int_equal(d.n, 5);
	fw_diags_free(&d);
}

static void test_default_error_cap(void **state)
{
	struct fw_diags d = {0};

	(void)state;
	for (unsigned i = 0; i < FW_DIAG_MAX_ERRORS + 50; i++)
		assert_int_equal(fw_error(&d, NULL, "e%u", i), 0);
	assert_int_equal(d.n, FW_DIAG_MAX_ERRORS + 1);
	assert_int_equal(d.n_errors, FW_DIAG_MAX_ERRORS + 50);
	assert_true(d.truncated);
	assert_string_equal(d.v[FW_DIAG_MAX_ERRORS - 1].msg, "e99");
	assert_string_equal(d.v[FW_DIAG_MAX_ERRORS].msg, "too many errors, stopping after 100");
	assert_null(d.v[FW_DIAG_MAX_ERRORS].loc.file);
	fw_diags_free(&d);
}

static void test_warning_cap(void **state)
{
	struct fw_diags d = {.max_errors = 2};

	(void)state;
	for (unsigned i = 0; i < 25; i++)
		assert_int_equal(fw_warning(&d, NULL, "w%u", i), 0);
	/* Capped silently at ten times the error cap, but all counted. */
	assert_int_equal(d.n, 20);
	assert_int_equal(d.n_warnings, 25);
	assert_string_equal(d.v[19].msg, "w19");
	assert_false(d.truncated);
	assert_false(fw_diags_has_errors(&d));
	/* Errors are not affected by the warning cap. */
	assert_int_equal(fw_error(&d, NULL, "e"), 0);
	assert_int_equal(d.n, 21);
	assert_true(fw_diags_has_errors(&d));
	fw_diags_free(&d);
}

static void test_sort(void **state)
{
	struct fw_diags d = {0};
	struct fw_loc b5 = {.file = "b.yaml", .line = 5, .col = 2};
	struct fw_loc b5c1 = {.file = "b.yaml", .line = 5, .col = 1};
	struct fw_loc a9 = {.file = "a.yaml", .line = 9, .col = 1};
	struct fw_loc a10 = {.file = "a.yaml", .line = 10, .col = 1};
	struct fw_loc a0 = {.file = "a.yaml"};

	(void)state;
	assert_int_equal(fw_error(&d, &b5, "first at b5"), 0);
	assert_int_equal(fw_error(&d, &a10, "a10"), 0);
	assert_int_equal(fw_warning(&d, &b5, "second at b5"), 0);
	assert_int_equal(fw_error(&d, NULL, "no file"), 0);
	assert_int_equal(fw_error(&d, &a9, "a9"), 0);
	assert_int_equal(fw_error(&d, &b5c1, "b5c1"), 0);
	assert_int_equal(fw_error(&d, &b5, "third at b5"), 0);
	assert_int_equal(fw_error(&d, &a0, "a0"), 0);
	fw_diags_sort(&d);
	/* NULL file first, then by file, line (10 after 9: numerically), column;
	 * equal places keep the order they were recorded in. */
	expect_text(&d, "fwd: error: no file\n"
	                "a.yaml: error: a0\n"
	                "a.yaml:9:1: error: a9\n"
	                "a.yaml:10:1: error: a10\n"
	                "b.yaml:5:1: error: b5c1\n"
	                "b.yaml:5:2: error: first at b5\n"
	                "b.yaml:5:2: warning: second at b5\n"
	                "b.yaml:5:2: error: third at b5\n");
	fw_diags_free(&d);
}

/* Many entries at few places: the sort is stable at any size. */
static void test_sort_large_stable(void **state)
{
	struct fw_diags d = {.max_errors = 5000};
	struct fw_loc loc = {.file = "f", .col = 1};
	uint32_t x = 7;

	(void)state;
	for (unsigned i = 0; i < 3000; i++) {
		x = x * 1664525u + 1013904223u;
		loc.line = 1 + (x >> 16) % 50;
		assert_int_equal(fw_error(&d, &loc, "%u", i), 0);
	}
	fw_diags_sort(&d);
	for (size_t i = 1; i < d.n; i++) {
		const struct fw_diag *p = &d.v[i - 1], *q = &d.v[i];
		assert_true(p->loc.line <= q->loc.line);
		if (p->loc.line == q->loc.line)
			assert_true(strtoul(p->msg, NULL, 10) < strtoul(q->msg, NULL, 10));
	}
	fw_diags_free(&d);
}

/* The "too many errors" note stays last: it says the list is cut short. */
static void test_sort_keeps_cap_note_last(void **state)
{
	struct fw_diags d = {.max_errors = 2};
	struct fw_loc l9 = {.file = "f", .line = 9, .col = 1};
	struct fw_loc l5 = {.file = "f", .line = 5, .col = 1};
	struct fw_loc l1 = {.file = "f", .line = 1, .col = 1};
	struct fw_loc l3 = {.file = "f", .line = 3, .col = 1};

	(void)state;
	assert_int_equal(fw_error(&d, &l9, "nine"), 0);
	assert_int_equal(fw_error(&d, &l5, "five"), 0);
	assert_int_equal(fw_error(&d, &l1, "one"), 0); /* becomes the note */
	assert_int_equal(fw_error(&d, &l1, "dropped"), 0);
	assert_int_equal(fw_warning(&d, &l3, "warning three"), 0);
	fw_diags_sort(&d);
	expect_text(&d, "f:3:1: warning: warning three\n"
	                "f:5:1: error: five\n"
	                "f:9:1: error: nine\n"
	                "f:1:1: error: too many errors, stopping after 2\n");
	assert_int_equal(d.n_errors, 4);
	fw_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_empty_and_free),
	    cmocka_unit_test(test_owns_file_name),
	    cmocka_unit_test(test_error_cap),
	    cmocka_unit_test(test_default_error_cap),
	    cmocka_unit_test(test_warning_cap),
	    cmocka_unit_test(test_sort),
	    cmocka_unit_test(test_sort_large_stable),
	    cmocka_unit_test(test_sort_keeps_cap_note_last),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
