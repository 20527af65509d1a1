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

/* An apply that a layer refuses: old (NULL: the first apply) to plan_b,
 * the layers' "kernels" holding old. */
struct refusal {
	const struct fw_plan *old;
	int l2_fail, vpn_fail; /* refuse plan_b */
	int nft_back_fail;     /* refuse to go back to plan_a */
	int ret;               /* backend_stack_apply's answer */
	const char *journal, *diags;
	const struct fw_plan *nft_holds; /* afterwards */
};

static void test_refused(void **state)
{
	const struct refusal *c = *state;
	struct fw_diags d = {0};
	struct world w;
	char *text;

	build(&w);
	w.nft.holds = w.l2.holds = w.vpn.holds = c->old;
	w.l2.fail = c->l2_fail;
	w.l2.fail_plan = &plan_b;
	w.vpn.fail = c->vpn_fail;
	w.vpn.fail_plan = &plan_b;
	w.nft.fail = c->nft_back_fail;
	w.nft.fail_plan = &plan_a;
	assert_int_equal(backend_stack_apply(&w.s, c->old, &plan_b, &d), c->ret);
	assert_string_equal(journal, c->journal);
	assert_ptr_equal(w.nft.holds, c->nft_holds);
	text = tu_diags_text(&d);
	assert_string_equal(text, c->diags);
	free(text);
	fw_diags_free(&d);
}

static const struct refusal refusals[] = {
    /* l2 refuses B: nft goes back to A, vpn is never asked. */
    {&plan_a, -EOPNOTSUPP, 0, 0, -EOPNOTSUPP, "nft:A>B l2:A>B nft:B>A ",
     "fwd: error: l2: refused\n", &plan_a},
    /* The last layer fails: the two before go back, the last applied first. */
    {&plan_a, 0, -EIO, 0, -EIO, "nft:A>B l2:A>B vpn:A>B l2:B>A nft:B>A ",
     "fwd: error: vpn: refused\n", &plan_a},
    /* Going back fails too: said, and the first error is what is returned. */
    {&plan_a, -EOPNOTSUPP, 0, -ENOBUFS, -EOPNOTSUPP, "nft:A>B l2:A>B nft:B>A ",
     "fwd: error: l2: refused\n"
     "fwd: error: nft: refused\n"
     "fwd: error: nft: the previous policy could not be put back after "
     "the failure above: No buffer space available\n",
     &plan_b},
    /* The first apply (or the boot): nothing to go back to, nft keeps B. */
    {NULL, -EOPNOTSUPP, 0, 0, -EOPNOTSUPP, "nft:->B l2:->B ",
     "fwd: error: l2: refused\n"
     "fwd: warning: l2 failed with no previous policy to go back to: "
     "what nft applied stays\n",
     &plan_b},
};

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
	    cmocka_unit_test(test_order),
	    {"test_l2_fails", test_refused, NULL, NULL, (void *)&refusals[0]},
	    {"test_vpn_fails", test_refused, NULL, NULL, (void *)&refusals[1]},
	    {"test_way_back_fails", test_refused, NULL, NULL, (void *)&refusals[2]},
	    {"test_no_old", test_refused, NULL, NULL, (void *)&refusals[3]},
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
