// SPDX-License-Identifier: GPL-2.0-or-later
/* Disjoint covers: what nft accepts in an interval set, and shadowing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cover.h"

static struct box B(const char *s, const char *d, uint8_t proto, uint16_t lo, uint16_t hi,
                    const char *id) {
	struct fw_prefix ps, pd;
	struct box b = {.p_lo = proto, .p_hi = proto, .port_lo = lo, .port_hi = hi};

	assert_int_equal(fw_prefix_parse(s, false, &ps), 0);
	assert_int_equal(fw_prefix_parse(d, false, &pd), 0);
	box_from_prefixes(&b, &ps, &pd);
	b.origin.id = id;
	return b;
}

static bool
disjoint(const struct cover *c)
{
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < i; j++) {
			const struct box *a = &c->v[i], *b = &c->v[j];
			bool ov = memcmp(a->s_lo, b->s_hi, c->alen) <= 0 &&
			          memcmp(b->s_lo, a->s_hi, c->alen) <= 0 &&
			          memcmp(a->d_lo, b->d_hi, c->alen) <= 0 &&
			          memcmp(b->d_lo, a->d_hi, c->alen) <= 0 && a->p_lo <= b->p_hi &&
			          b->p_lo <= a->p_hi && a->port_lo <= b->port_hi &&
			          b->port_lo <= a->port_hi;
			if (ov)
				return false;
		}
	return true;
}

static bool covers(const struct cover *c, const char *s, const char *d, uint16_t port,
                   const char **id)
{
	struct fw_prefix ps, pd;

	fw_prefix_parse(s, false, &ps);
	fw_prefix_parse(d, false, &pd);
	for (size_t i = 0; i < c->n; i++)
		if (box_contains_point(&c->v[i], 4, ps.a, pd.a, 6, port, true)) {
			*id = c->v[i].origin.id;
			return true;
		}
	return false;
}

static void test_subset_is_shadowed(void **state)
{
	struct cover c;
	struct cover_result r;
	struct box zone = B("10.0.0.0/24", "10.0.1.5", 6, 1433, 1433, "zone");
	struct box host = B("10.0.0.7", "10.0.1.5", 6, 1433, 1433, "host");

	(void)state;
	cover_init(&c, 4, true);
	assert_int_equal(cover_insert(&c, &zone, NULL, &r), 0);
	assert_int_equal(r.added, 1);
	assert_false(r.covered);
	assert_int_equal(cover_insert(&c, &host, NULL, &r), 0);
	assert_int_equal(r.added, 0);
	assert_true(r.covered);
	assert_string_equal(r.covered_by.id, "zone");
	assert_int_equal(c.n, 1);
	cover_free(&c);
}

static void test_partial_overlap_split(void **state)
{
	struct cover c;
	struct cover_result r;
	struct box a = B("10.0.0.0/24", "10.0.1.5", 6, 1000, 2000, "a");
	struct box b = B("10.0.0.0/24", "10.0.1.5", 6, 1500, 2500, "b");
	const char *id;

	(void)state;
	cover_init(&c, 4, true);
	cover_insert(&c, &a, NULL, &r);
	cover_insert(&c, &b, NULL, &r);
	assert_int_equal(r.added, 1); /* 2001-2500 */
	assert_true(disjoint(&c));
	assert_true(covers(&c, "10.0.0.9", "10.0.1.5", 1700, &id));
	assert_string_equal(id, "a");
	assert_true(covers(&c, "10.0.0.9", "10.0.1.5", 2400, &id));
	assert_string_equal(id, "b");
	assert_false(covers(&c, "10.0.0.9", "10.0.1.5", 2501, &id));
	cover_free(&c);
}

/* A wider box inserted after a narrower one fragments around it. */
static void test_wider_after_narrower(void **state)
{
	struct cover c;
	struct cover_result r;
	struct box host = B("10.0.0.7", "10.0.1.5", 6, 22, 22, "host");
	struct box zone = B("10.0.0.0/24", "10.0.1.0/24", 6, 1, 1024, "zone");
	const char *id;

	(void)state;
	cover_init(&c, 4, true);
	cover_insert(&c, &host, NULL, &r);
	cover_insert(&c, &zone, NULL, &r);
	assert_true(r.added >= 2);
	assert_string_equal(r.covered_by.id, "host");
	assert_true(disjoint(&c));
	assert_true(covers(&c, "10.0.0.7", "10.0.1.5", 22, &id));
	assert_string_equal(id, "host");
	assert_true(covers(&c, "10.0.0.8", "10.0.1.5", 22, &id));
	assert_string_equal(id, "zone");
	assert_true(covers(&c, "10.0.0.7", "10.0.1.6", 80, &id));
	assert_true(covers(&c, "10.0.0.255", "10.0.1.255", 1024, &id));
	assert_false(covers(&c, "10.0.0.7", "10.0.1.5", 1025, &id));
	cover_free(&c);
}

/* Many host-to-host boxes stay fast and disjoint (index by destination). */
static void test_many(void **state)
{
	struct cover c;
	struct cover_result r;
	char s[32], d[32];

	(void)state;
	cover_init(&c, 4, true);
	for (int i = 0; i < 2000; i++) {
		snprintf(s, sizeof(s), "10.0.%d.%d", i % 7, i % 200 + 1);
		snprintf(d, sizeof(d), "10.1.%d.%d", i % 5, i % 250 + 1);
		struct box b =
		    B(s, d, 6, (uint16_t)(1 + i % 50), (uint16_t)(1 + i % 50 + i % 3), "x");
		assert_int_equal(cover_insert(&c, &b, NULL, &r), 0);
	}
	assert_true(disjoint(&c));
	cover_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_subset_is_shadowed),
	    cmocka_unit_test(test_partial_overlap_split),
	    cmocka_unit_test(test_wider_after_narrower),
	    cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
