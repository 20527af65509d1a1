// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The backend stack with fake layers: the order of applies, the way back
 * when a later layer fails, the first apply (nothing to go back to), and
 * drift checks added up.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend_stack.h"
#include "testutil.h"

/* What every layer was asked, in order: "nft:A>B l2:A>B ..." */
static char journal[512];

struct fake {
	const char *name;
	const struct fw_plan *holds; /* the plan the fake "kernel" has */
	int fail;                    /* refuse applies of this plan */
	const struct fw_plan *fail_plan;
	struct fw_drift drift; /* what its check finds */
	int check_r;
};

static const struct fw_plan plan_a, plan_b;

static const char *pname(const struct fw_plan *p)
{
	return p == &plan_a ? "A" : p == &plan_b ? "B" : "-";
}

static int fake_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                      struct fw_diags *d)
{
	struct fake *f = ctx;
	size_t n = strlen(journal);

	snprintf(journal + n, sizeof(journal) - n, "%s:%s>%s ", f->name, pname(old), pname(plan));
	if (f->fail && plan == f->fail_plan) {
		fw_error(d, NULL, "%s: refused", f->name);
		return f->fail;
	}
	f->holds = plan;
	return 0;
}

static int fake_check(void *ctx, const struct fw_plan *plan, struct fw_drift *ret,
                      struct fw_diags *d)
{
	struct fake *f = ctx;

	(void)plan;
	(void)d;
	*ret = f->drift;
	return f->check_r;
}

struct world {
	struct fake nft, l2, vpn;
	struct backend_stack s;
};

static void build(struct world *w)
{
	memset(w, 0, sizeof(*w));
	journal[0] = '\0';
	w->nft.name = "nft";
	w->l2.name = "l2";
	w->vpn.name = "vpn";
	assert_int_equal(
	    backend_stack_push(&w->s, "nft", &(struct fw_backend){fake_apply, &w->nft, fake_check}),
	    0);
	assert_int_equal(
	    backend_stack_push(&w->s, "l2", &(struct fw_backend){fake_apply, &w->l2, fake_check}),
	    0);
	assert_int_equal(
	    backend_stack_push(&w->s, "vpn", &(struct fw_backend){fake_apply, &w->vpn, NULL}), 0);
}

static void test_order(void **state)
{
	struct fw_diags d = {0};
	struct world w;

	(void)state;
	build(&w);
	assert_int_equal(backend_stack_apply(&w.s, &plan_a, &plan_b, &d), 0);
	assert_string_equal(journal, "nft:A>B l2:A>B vpn:A>B ");
	assert_ptr_equal(w.l2.holds, &plan_b);
	fw_diags_free(&d);
}

/* l2 refuses B: nft goes back to A, vpn is never asked. */
static void test_l2_fails(void **state)
{
	struct fw_diags d = {0};
	struct world w;
	char *text;

	(void)state;
	build(&w);
	w.nft.holds = w.l2.holds = &plan_a;
	w.l2.fail = -EOPNOTSUPP;
	w.l2.fail_plan = &plan_b;
	assert_int_equal(backend_stack_apply(&w.s, &plan_a, &plan_b, &d), -EOPNOTSUPP);
	assert_string_equal(journal, "nft:A>B l2:A>B nft:B>A ");
	assert_ptr_equal(w.nft.holds, &plan_a);
	text = tu_diags_text(&d);
	assert_string_equal(text, "fwd: error: l2: refused\n");
	free(text);
	fw_diags_free(&d);
}

/* The last layer fails: the two before go back, the last applied first. */
static void test_vpn_fails(void **state)
{
	struct fw_diags d = {0};
	struct world w;

	(void)state;
	build(&w);
	w.vpn.fail = -EIO;
	w.vpn.fail_plan = &plan_b;
	assert_int_equal(backend_stack_apply(&w.s, &plan_a, &plan_b, &d), -EIO);
	assert_string_equal(journal, "nft:A>B l2:A>B vpn:A>B l2:B>A nft:B>A ");
	fw_diags_free(&d);
}

/* Going back fails too: said, and the first error is what is returned. */
static void test_way_back_fails(void **state)
{
	struct fw_diags d = {0};
	struct world w;
	char *text;

	(void)state;
	build(&w);
	w.l2.fail = -EOPNOTSUPP;
	w.l2.fail_plan = &plan_b;
	w.nft.fail = -ENOBUFS;
	w.nft.fail_plan = &plan_a;
	assert_int_equal(backend_stack_apply(&w.s, &plan_a, &plan_b, &d), -EOPNOTSUPP);
	text = tu_diags_text(&d);
	assert_string_equal(text,
	                    "fwd: error: l2: refused\n"
	                    "fwd: error: nft: refused\n"
	                    "fwd: error: nft: the previous policy could not be put back after "
	                    "the failure above: No buffer space available\n");
	free(text);
	fw_diags_free(&d);
}

/* The first apply (or the boot): nothing to go back to, nft keeps B. */
static void test_no_old(void **state)
{
	struct fw_diags d = {0};
	struct world w;
	char *text;

	(void)state;
	build(&w);
	w.l2.fail = -EOPNOTSUPP;
	w.l2.fail_plan = &plan_b;
	assert_int_equal(backend_stack_apply(&w.s, NULL, &plan_b, &d), -EOPNOTSUPP);
	assert_string_equal(journal, "nft:->B l2:->B ");
	assert_ptr_equal(w.nft.holds, &plan_b);
	text = tu_diags_text(&d);
	assert_string_equal(text, "fwd: error: l2: refused\n"
	                          "fwd: warning: l2 failed with no previous policy to go back to: "
	                          "what nft applied stays\n");
	free(text);
	fw_diags_free(&d);
}

static void test_check(void **state)
{
	struct fw_diags d = {0};
	struct fw_drift dr;
	struct world w;

	(void)state;
	build(&w);
	assert_int_equal(backend_stack_check(&w.s, &plan_a, &dr, &d), 0);
	assert_int_equal(dr.tables + dr.l2_steps, 0);
	assert_false(dr.repaired);
	w.nft.drift = (struct fw_drift){.tables = 1,
	                                .repaired = true,
	                                .read_back = true,
	                                .detail = "fwd_acme: table is missing"};
	w.l2.drift = (struct fw_drift){.l2_steps = 2,
	                               .repaired = true,
	                               .detail = "l2: vlan120: set up; eth1: add VLAN 120 tagged"};
	assert_int_equal(backend_stack_check(&w.s, &plan_a, &dr, &d), 0);
	assert_int_equal(dr.tables, 1);
	assert_int_equal(dr.l2_steps, 2);
	assert_true(dr.repaired && dr.read_back);
	assert_string_equal(dr.detail, "fwd_acme: table is missing; l2: vlan120: set up; eth1: add "
	                               "VLAN 120 tagged");
	/* one layer could not repair: the whole is not repaired, its error returned */
	w.l2.drift.repaired = false;
	w.l2.check_r = -EPERM;
	assert_int_equal(backend_stack_check(&w.s, &plan_a, &dr, &d), -EPERM);
	assert_false(dr.repaired);
	fw_diags_free(&d);
}

static void test_full(void **state)
{
	struct backend_stack s = {0};
	struct fw_backend b = {fake_apply, NULL, NULL};

	(void)state;
	for (int i = 0; i < BACKEND_STACK_MAX; i++)
		assert_int_equal(backend_stack_push(&s, "x", &b), 0);
	assert_int_equal(backend_stack_push(&s, "x", &b), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order),     cmocka_unit_test(test_l2_fails),
	    cmocka_unit_test(test_vpn_fails), cmocka_unit_test(test_way_back_fails),
	    cmocka_unit_test(test_no_old),    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
