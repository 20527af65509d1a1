// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The malformed-policy corpus: every tests/malformed/NAME.yaml must be
 * refused, with exactly the diagnostics in NAME.expected (file:line:col and
 * text), and never a policy handed back. FWD_REGEN=1 rewrites the expected
 * files (review the diff before committing).
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fwd/plan.h"
#include "fwd/policy.h"
#include "testutil.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_corpus(void **state)
{
	char dir[4096];
	DIR *d;
	struct dirent *de;
	char *names[512] = {0};
	size_t n = 0, failed = 0;
	bool regen = getenv("FWD_REGEN") != NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tests/malformed", tu_source_dir());
	assert_int_equal(chdir(dir), 0);
	d = opendir(".");
	assert_non_null(d);
	while ((de = readdir(d)) && n < 512) {
		size_t len = strlen(de->d_name);
		if (len > 5 && !strcmp(de->d_name + len - 5, ".yaml"))
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	assert_true(n >= 50);

	for (size_t i = 0; i < n; i++) {
		struct fw_diags diags = {0};
		struct fw_policy *p = NULL;
		const char *path = names[i];
		char expected_path[600];
		int r = policy_load_paths(&path, 1, &diags, &p);

		if (r == 0) {
			struct fw_plan *plan = NULL;
			if (plan_compile(p, &diags, &plan) == 0)
				plan_free(plan);
		}
		char *got = tu_diags_text(&diags);
		snprintf(expected_path, sizeof(expected_path), "%.*s.expected",
		         (int)(strlen(path) - 5), path);
		if (regen) {
			FILE *f = fopen(expected_path, "w");
			assert_non_null(f);
			fputs(got, f);
			fclose(f);
		} else {
			size_t len;
			char *want = tu_read_file(expected_path, &len);
			if (strcmp(got, want) != 0) {
				fprintf(stderr, "--- %s: expected\n%s--- got\n%s", path, want, got);
				failed++;
			}
			free(want);
		}
		/* Refused means refused: no policy, at least one error. */
		if (r == 0 || p != NULL || diags.n_errors == 0) {
			fprintf(stderr, "--- %s: was accepted (r=%d, %zu errors)\n", path, r,
			        diags.n_errors);
			failed++;
		}
		policy_free(p);
		free(got);
		fw_diags_free(&diags);
		free(names[i]);
	}
	printf("malformed corpus: %zu files, %zu failures\n", n, failed);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
