// SPDX-License-Identifier: GPL-2.0-or-later
/* nft_delta_table(): old plan vs new plan. With digests on both sides an
 * unchanged set is skipped without reading its elements and a changed one
 * is compared element by element; without them (plans built by hand)
 * everything is compared. No kernel involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/plan.h"
#include "nft_int.h"
#include "planbuild.h"

/* A table with two sets of n elements each and a chain looking them up. */
static void build(struct fw_plan *plan, unsigned n)
{
	static const enum fw_key k[] = {FW_KEY_IPV4, FW_KEY_PORT};
	static const enum fw_sel sel[] = {FW_SEL_IP_SADDR, FW_SEL_TH_DPORT};
	struct pb b = {.plan = plan};
	struct fw_plan_rule *r;

	memset(plan, 0, sizeof(*plan));
	pb_table(&b, FW_FAMILY_INET, "fwd_t", "t");
	for (unsigned s = 0; s < 2; s++) {
		size_t set = pb_set(&b, s ? "two" : "one", k, 2, false, false);

		for (unsigned i = 0; i < n; i++) {
			uint8_t a[16] = {10, (uint8_t)s, (uint8_t)(i >> 8), (uint8_t)i};
			struct fw_elem *e = pb_elem(&b, set);

			assert_non_null(e);
			e->key[0] = val_addr_range(4, a, a);
			e->key[1] = val_be16(443);
			e->origin.id = s ? "r2" : "r1";
		}
	}
	pb_chain(&b, "forward", FW_HOOK_FORWARD, FW_CHAIN_FILTER, 0, FW_VERDICT_DROP);
	r = pb_rule(&b, NULL);
	pb_lookup(&b, r, sel, 2, false, false, "one");
	pb_verdict(&b, r, FW_VERDICT_ACCEPT, NULL);
	assert_int_equal(b.err, 0);
}

static struct nft_table_delta delta(const struct fw_plan *o, const struct fw_plan *n)
{
	struct nft_table_delta d;

	assert_int_equal(nft_delta_table(&o->tables[0], &n->tables[0], &d), 0);
	return d;
}

static void test_one_element(void **state)
{
	struct fw_plan o, n;
	struct nft_table_delta d;

	(void)state;
	for (int digests = 0; digests < 2; digests++) {
		build(&o, 100);
		build(&n, 100);
		n.tables[0].sets[1].elems[40].key[1] = val_be16(444);
		if (digests) {
			plan_digest(&o);
			plan_digest(&n);
		}
		d = delta(&o, &n);
		assert_int_equal(d.action, NFT_ACT_ELEMS);
		assert_int_equal(d.n_sets, 1);
		assert_int_equal(d.sets[0].set, 1);
		assert_int_equal(d.sets[0].n_del, 1);
		assert_int_equal(d.sets[0].n_add, 1);
		assert_int_equal(d.sets[0].del[0], 40);
		assert_int_equal(d.sets[0].add[0], 40);
		nft_delta_free(&d);
		plan_clear(&o);
		plan_clear(&n);
	}
}

/* Equal digests stand for equal content: a set whose elements were changed
 * behind the digest's back is skipped, which shows its elements are not
 * read. Without the digest on either side the change is found. */
static void test_digests_decide(void **state)
{
	struct fw_plan o, n;
	struct nft_table_delta d;

	(void)state;
	build(&o, 50);
	build(&n, 50);
	plan_digest(&o);
	plan_digest(&n);
	n.tables[0].sets[0].elems[7].origin.id = "r9"; /* not digested again */
	d = delta(&o, &n);
	assert_int_equal(d.action, NFT_ACT_SKIP);
	nft_delta_free(&d);

	n.tables[0].digest_set = false;
	d = delta(&o, &n);
	assert_int_equal(d.action, NFT_ACT_ELEMS);
	assert_int_equal(d.n_sets, 1);
	assert_int_equal(d.sets[0].set, 0);
	nft_delta_free(&d);

	o.tables[0].digest_set = false;
	n.tables[0].digest_set = true;
	d = delta(&o, &n);
	assert_int_equal(d.action, NFT_ACT_ELEMS);
	nft_delta_free(&d);
	plan_clear(&o);
	plan_clear(&n);
}

/* A rule changed: the table digests differ and the table is replaced; the
 * same without digests. Equal plans: skipped either way. */
static void test_table_digest(void **state)
{
	struct fw_plan o, n;
	struct nft_table_delta d;

	(void)state;
	for (int digests = 0; digests < 2; digests++) {
		build(&o, 10);
		build(&n, 10);
		if (digests) {
			plan_digest(&o);
			plan_digest(&n);
		}
		d = delta(&o, &n);
		assert_int_equal(d.action, NFT_ACT_SKIP);
		nft_delta_free(&d);
		strcpy(n.tables[0].chains[0].rules[0].stmts[0].set, "two");
		if (digests)
			plan_digest(&n);
		d = delta(&o, &n);
		assert_int_equal(d.action, NFT_ACT_REPLACE);
		nft_delta_free(&d);
		plan_clear(&o);
		plan_clear(&n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_element),
	    cmocka_unit_test(test_digests_decide),
	    cmocka_unit_test(test_table_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
