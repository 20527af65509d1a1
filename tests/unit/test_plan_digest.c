// SPDX-License-Identifier: GPL-2.0-or-later
/* plan_digest(): every field the nft backend reads changes the digest of
 * its table or set (and nothing else's), what it does not read leaves it
 * alone, and the same policy compiled twice gives the same digests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/plan.h"
#include "fwd/policy.h"
#include "planbuild.h"

/* --- a hand-built plan: a table with an interval set, a verdict map, and a
 * chain whose rule has every statement kind the backend translates --- */

enum { SET_S, SET_M, N_SETS };

static const char *const file = "/etc/fwd/acme.yaml";

static void build(struct fw_plan *plan)
{
	static const enum fw_key ks[] = {FW_KEY_IPV4, FW_KEY_PORT};
	static const enum fw_key km[] = {FW_KEY_IFNAME};
	static const enum fw_sel sel[] = {FW_SEL_IP_SADDR, FW_SEL_TH_DPORT};
	struct fw_origin o = {.id = "r1", .loc = {.file = file, .line = 12, .col = 5}};
	uint8_t lo[16] = {10, 0, 0, 0}, hi[16] = {10, 0, 0, 255};
	struct pb b = {.plan = plan};
	struct fw_prefix a = {.family = 4, .len = 32, .a = {192, 0, 2, 1}};
	struct fw_plan_rule *r;
	struct fw_elem *e;
	struct fw_val v;
	size_t s, m;

	memset(plan, 0, sizeof(*plan));
	pb_table(&b, FW_FAMILY_INET, "fwd_acme", "acme");
	s = pb_set(&b, "allow", ks, 2, true, false);
	plan->tables[0].sets[s].counter = true;
	for (unsigned i = 0; i < 3; i++) {
		e = pb_elem(&b, s);
		assert_non_null(e);
		lo[2] = hi[2] = (uint8_t)i;
		e->key[0] = val_addr_range(4, lo, hi);
		e->key[1] = val_be16((uint16_t)(80 + i));
		e->origin = (struct fw_origin){"r1", {file, 20 + i, 3}};
	}
	m = pb_set(&b, "sides", km, 1, false, true);
	e = pb_elem(&b, m);
	assert_non_null(e);
	e->key[0] = val_ifname("vlan10");
	e->verdict = FW_VERDICT_JUMP;
	strcpy(e->chain, "in.dmz");
	pb_chain(&b, "forward", FW_HOOK_FORWARD, FW_CHAIN_FILTER, 10, FW_VERDICT_DROP);
	r = pb_rule(&b, &o);
	v = val_port_range(1000, 2000);
	pb_cmp(&b, r, FW_SEL_TH_DPORT, false, &v);
	pb_bits(&b, r, FW_SEL_CT_STATE, false, FW_CT_NEW, FW_CT_NEW);
	pb_lookup(&b, r, sel, 2, false, false, "allow");
	pb_log(&b, r, "fwd:acme:r1 ");
	pb_verdict(&b, r, FW_VERDICT_JUMP, "in.dmz");
	pb_chain(&b, "in.dmz", FW_HOOK_NONE, FW_CHAIN_FILTER, 0, FW_VERDICT_NONE);
	pb_chain(&b, "nat", FW_HOOK_PREROUTING, FW_CHAIN_NAT, -100, FW_VERDICT_ACCEPT);
	pb_nat(&b, pb_rule(&b, NULL), FW_ST_DNAT, &a, 8443);
	assert_int_equal(b.err, 0);
	assert_int_equal(plan->tables[0].n_sets, N_SETS);
}

struct digests {
	uint64_t table[2], set[N_SETS][2];
	bool digest_set;
};

static struct digests take(struct fw_plan *plan)
{
	struct fw_plan_table *t = &plan->tables[0];
	struct digests d;

	plan_digest(plan);
	memcpy(d.table, t->digest, sizeof(d.table));
	for (size_t i = 0; i < N_SETS; i++)
		memcpy(d.set[i], t->sets[i].digest, sizeof(d.set[i]));
	d.digest_set = t->digest_set;
	return d;
}

static bool same(const uint64_t a[2], const uint64_t b[2])
{
	return a[0] == b[0] && a[1] == b[1];
}

/* What a mutation must change: the table's digest, one set's, or nothing. */
enum what { TABLE = -1, NOTHING = -2 };

struct mutation {
	const char *name;
	void (*fn)(struct fw_plan_table *t);
	int changes; /* TABLE, NOTHING or a set index */
};

static struct fw_elem *el(struct fw_plan_table *t, int set, size_t i)
{
	return &t->sets[set].elems[i];
}

static struct fw_stmt *st(struct fw_plan_table *t, size_t i)
{
	return &t->chains[0].rules[0].stmts[i];
}

/* element fields: in the kernel (keys, data, the comment's id) */
static void key_byte(struct fw_plan_table *t)
{
	el(t, SET_S, 1)->key[0].lo[3] ^= 1;
}
static void range_end(struct fw_plan_table *t)
{
	el(t, SET_S, 2)->key[0].hi[3] = 128;
}
static void port_byte(struct fw_plan_table *t)
{
	el(t, SET_S, 0)->key[1].lo[1] ^= 1;
}
static void made_range(struct fw_plan_table *t)
{
	el(t, SET_S, 0)->key[1].range = true;
}
static void elem_verdict(struct fw_plan_table *t)
{
	el(t, SET_M, 0)->verdict = FW_VERDICT_GOTO;
}
static void elem_chain(struct fw_plan_table *t)
{
	strcpy(el(t, SET_M, 0)->chain, "in.lan");
}
static void elem_id(struct fw_plan_table *t)
{
	el(t, SET_S, 1)->origin.id = "r2";
}
static void elem_id_none(struct fw_plan_table *t)
{
	el(t, SET_S, 1)->origin.id = NULL;
}
static void elem_count(struct fw_plan_table *t)
{
	t->sets[SET_S].n_elems--;
}
/* element fields the kernel never sees */
static void elem_id_copy(struct fw_plan_table *t)
{
	static char copy[] = "r1";

	el(t, SET_S, 1)->origin.id = copy; /* another pointer, the same text */
}
static void elem_line(struct fw_plan_table *t)
{
	el(t, SET_S, 1)->origin.loc.line = 99;
}
static void elem_file(struct fw_plan_table *t)
{
	el(t, SET_S, 1)->origin.loc.file = "other.yaml";
}
static void hi_of_a_value(struct fw_plan_table *t)
{
	el(t, SET_S, 0)->key[1].hi[0] ^= 0xff; /* not a range: hi unused */
}
/* the rest of the table: declarations, rules and their comments */
static void rule_id(struct fw_plan_table *t)
{
	t->chains[0].rules[0].origin.id = "r9";
}
static void rule_line(struct fw_plan_table *t)
{
	t->chains[0].rules[0].origin.loc.line = 13;
}
static void rule_file(struct fw_plan_table *t)
{
	t->chains[0].rules[0].origin.loc.file = "/etc/fwd/other.yaml";
}
static void rule_dir(struct fw_plan_table *t)
{
	t->chains[0].rules[0].origin.loc.file = "/srv/git/acme.yaml"; /* the comment has the name */
}
static void rule_col(struct fw_plan_table *t)
{
	t->chains[0].rules[0].origin.loc.col = 9;
}
static void stmt_range_end(struct fw_plan_table *t)
{
	st(t, 0)->val.hi[1] ^= 1;
}
static void stmt_bits(struct fw_plan_table *t)
{
	st(t, 1)->bits = 0;
}
static void stmt_set(struct fw_plan_table *t)
{
	strcpy(st(t, 2)->set, "allow2");
}
static void stmt_neg(struct fw_plan_table *t)
{
	st(t, 2)->neg = true;
}
static void stmt_prefix(struct fw_plan_table *t)
{
	st(t, 3)->log_prefix[4] = 'X';
}
static void stmt_verdict(struct fw_plan_table *t)
{
	st(t, 4)->verdict = FW_VERDICT_GOTO;
}
static void stmt_chain(struct fw_plan_table *t)
{
	strcpy(st(t, 4)->chain, "in.lan");
}
static void nat_port(struct fw_plan_table *t)
{
	t->chains[2].rules[0].stmts[0].nat_port = 8444;
}
static void nat_addr(struct fw_plan_table *t)
{
	t->chains[2].rules[0].stmts[0].nat_addr[3] = 2;
}
static void chain_prio(struct fw_plan_table *t)
{
	t->chains[0].prio = 11;
}
static void chain_policy(struct fw_plan_table *t)
{
	t->chains[0].policy = FW_VERDICT_ACCEPT;
}
static void chain_name(struct fw_plan_table *t)
{
	strcpy(t->chains[1].name, "in.lan");
}
static void rule_dropped(struct fw_plan_table *t)
{
	t->chains[0].rules[0].n_stmts--;
}
static void set_counter(struct fw_plan_table *t)
{
	t->sets[SET_S].counter = false;
}
static void set_interval(struct fw_plan_table *t)
{
	t->sets[SET_S].interval = false;
}
static void set_key(struct fw_plan_table *t)
{
	t->sets[SET_S].key[1] = FW_KEY_PROTO;
}
static void table_name(struct fw_plan_table *t)
{
	strcpy(t->name, "fwd_other");
}
static void table_family(struct fw_plan_table *t)
{
	t->family = FW_FAMILY_BRIDGE;
}

static const struct mutation mutations[] = {
    {"element key byte", key_byte, SET_S},
    {"element range end", range_end, SET_S},
    {"element port", port_byte, SET_S},
    {"element value made a range", made_range, SET_S},
    {"element verdict", elem_verdict, SET_M},
    {"element chain", elem_chain, SET_M},
    {"element origin id", elem_id, SET_S},
    {"element without origin id", elem_id_none, SET_S},
    {"one element less", elem_count, SET_S},
    {"element origin id, same text", elem_id_copy, NOTHING},
    {"element line", elem_line, NOTHING},
    {"element file", elem_file, NOTHING},
    {"high end of a single value", hi_of_a_value, NOTHING},
    {"rule origin id", rule_id, TABLE},
    {"rule line", rule_line, TABLE},
    {"rule file name", rule_file, TABLE},
    {"rule file directory", rule_dir, NOTHING},
    {"rule column", rule_col, NOTHING},
    {"statement range end", stmt_range_end, TABLE},
    {"statement bits", stmt_bits, TABLE},
    {"statement set", stmt_set, TABLE},
    {"statement negated", stmt_neg, TABLE},
    {"log prefix", stmt_prefix, TABLE},
    {"statement verdict", stmt_verdict, TABLE},
    {"statement chain", stmt_chain, TABLE},
    {"nat port", nat_port, TABLE},
    {"nat address", nat_addr, TABLE},
    {"chain priority", chain_prio, TABLE},
    {"chain policy", chain_policy, TABLE},
    {"chain name", chain_name, TABLE},
    {"one statement less", rule_dropped, TABLE},
    {"set counter", set_counter, TABLE},
    {"set interval", set_interval, TABLE},
    {"set key type", set_key, TABLE},
    {"table name", table_name, TABLE},
    {"table family", table_family, TABLE},
};

static void test_every_field(void **state)
{
	struct fw_plan plan;

	(void)state;
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		const struct mutation *mu = &mutations[i];
		struct digests before, after;
		int sets_changed = 0;

		bool table_changed, set_changed = false;

		build(&plan);
		before = take(&plan);
		mu->fn(&plan.tables[0]);
		after = take(&plan);
		if (!before.digest_set || !after.digest_set)
			fail_msg("%s: no digest", mu->name);
		table_changed = !same(before.table, after.table);
		for (int s = 0; s < N_SETS; s++) {
			bool changed = !same(before.set[s], after.set[s]);

			sets_changed += changed;
			set_changed |= changed && mu->changes == s;
		}
		/* a set's declaration is in both its digest and the table's */
		if (table_changed != (mu->changes == TABLE))
			fail_msg("%s: the table's digest %s", mu->name,
			         table_changed ? "changed" : "did not change");
		if (mu->changes >= 0 && (!set_changed || sets_changed != 1))
			fail_msg("%s: %d set digests changed, expected set %d's alone", mu->name,
			         sets_changed, mu->changes);
		if (mu->changes == NOTHING && sets_changed)
			fail_msg("%s: %d set digests changed, expected none", mu->name,
			         sets_changed);
		plan_clear(&plan);
	}
}

/* Out of range (what the backend refuses anyway): no digest, so the backend
 * compares in full. */
static void test_out_of_range(void **state)
{
	struct fw_plan plan;

	(void)state;
	build(&plan);
	plan.tables[0].sets[SET_S].elems[0].key[0].len = 17;
	plan_digest(&plan);
	assert_false(plan.tables[0].digest_set);
	plan_clear(&plan);
	build(&plan);
	plan.tables[0].chains[0].rules[0].stmts[2].n_sel = FW_MAX_CONCAT + 1;
	plan_digest(&plan);
	assert_false(plan.tables[0].digest_set);
	plan_clear(&plan);
	/* and a plan never digested has none */
	build(&plan);
	assert_false(plan.tables[0].digest_set);
	plan_clear(&plan);
}

/* --- compiled plans --- */

static const char tenant[] = "tenant: {name: t, id: 7}\n"
                             "uplink: {interface: eth0, addresses: [203.0.113.5]}\n"
                             "zones:\n"
                             "  a: {vlan: 10, subnet: 10.0.10.0/24}\n"
                             "  b: {vlan: 20, subnet: 10.0.20.0/24, isolate: true}\n"
                             "hosts:\n"
                             "  h1: {zone: a, address: 10.0.10.5}\n"
                             "  h2: {zone: b, address: 10.0.20.5}\n"
                             "  h3: {zone: b, address: 10.0.20.6}\n"
                             "management:\n"
                             "  - {id: m1, from: h1, allow: ssh}\n"
                             "rules:\n"
                             "  - {id: r2, from: h2, to: h3, allow: tcp/8080, counter: true}\n"
                             "  - {id: r1, from: h1, to: h2, allow: [ssh, icmp]}\n"
                             "  - {id: r3, from: a, to: b, allow: tcp/9000-9100}\n"
                             "publish:\n"
                             "  - {id: p1, address: 203.0.113.5, allow: https, host: h3}\n";

struct compiled {
	struct fw_diags d;
	struct fw_policy *p;
	struct fw_plan *plan;
};

static void compile(struct compiled *c, const char *name, const char *text)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(policy_load_buffer(name, text, strlen(text), &c->d, &c->p), 0);
	assert_int_equal(plan_compile(c->p, &c->d, &c->plan), 0);
}

static void compiled_free(struct compiled *c)
{
	plan_free(c->plan);
	policy_free(c->p);
	fw_diags_free(&c->d);
}

static bool elems_equal(const struct fw_plan_set *a, const struct fw_plan_set *b)
{
	if (a->n_elems != b->n_elems)
		return false;
	for (size_t i = 0; i < a->n_elems; i++) {
		const struct fw_elem *x = &a->elems[i], *y = &b->elems[i];

		for (uint8_t k = 0; k < a->n_key; k++)
			if (x->key[k].len != y->key[k].len || x->key[k].range != y->key[k].range ||
			    memcmp(x->key[k].lo, y->key[k].lo, x->key[k].len) ||
			    (x->key[k].range && memcmp(x->key[k].hi, y->key[k].hi, x->key[k].len)))
				return false;
		if (x->verdict != y->verdict || strcmp(x->chain, y->chain) ||
		    (x->origin.id != y->origin.id &&
		     (!x->origin.id || !y->origin.id || strcmp(x->origin.id, y->origin.id))))
			return false;
	}
	return true;
}

static void test_compiled_twice(void **state)
{
	struct compiled a, b;

	(void)state;
	/* other policy objects (other string pointers), another directory */
	compile(&a, "/etc/fwd/t.yaml", tenant);
	compile(&b, "/srv/git/t.yaml", tenant);
	assert_int_equal(a.plan->n_tables, b.plan->n_tables);
	assert_true(a.plan->n_tables >= 2);
	for (size_t i = 0; i < a.plan->n_tables; i++) {
		const struct fw_plan_table *x = &a.plan->tables[i], *y = &b.plan->tables[i];

		assert_true(x->digest_set && y->digest_set);
		assert_true(same(x->digest, y->digest));
		assert_int_equal(x->n_sets, y->n_sets);
		for (size_t s = 0; s < x->n_sets; s++)
			assert_true(same(x->sets[s].digest, y->sets[s].digest));
	}
	compiled_free(&a);
	compiled_free(&b);
}

/* One rule's port changed: the tables' digests stay, and the sets whose
 * digest changed are exactly those whose elements did. */
static void test_compiled_one_rule(void **state)
{
	char *text = strdup(tenant);
	char *port = strstr(text, "tcp/9000-9100");
	struct compiled a, b;
	size_t changed = 0;

	(void)state;
	assert_non_null(port);
	memcpy(port, "tcp/9000-9101", 13);
	compile(&a, "t.yaml", tenant);
	compile(&b, "t.yaml", text);
	assert_int_equal(a.plan->n_tables, b.plan->n_tables);
	for (size_t i = 0; i < a.plan->n_tables; i++) {
		const struct fw_plan_table *x = &a.plan->tables[i], *y = &b.plan->tables[i];

		assert_true(same(x->digest, y->digest));
		assert_int_equal(x->n_sets, y->n_sets);
		for (size_t s = 0; s < x->n_sets; s++) {
			bool eq = elems_equal(&x->sets[s], &y->sets[s]);

			assert_int_equal(same(x->sets[s].digest, y->sets[s].digest), eq);
			changed += !eq;
		}
	}
	assert_int_equal(changed, 1);
	compiled_free(&a);
	compiled_free(&b);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_field),
	    cmocka_unit_test(test_out_of_range),
	    cmocka_unit_test(test_compiled_twice),
	    cmocka_unit_test(test_compiled_one_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
