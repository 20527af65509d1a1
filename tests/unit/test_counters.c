// SPDX-License-Identifier: GPL-2.0-or-later
/* `counters`: what the compiler counts, and the report made of the kernel's
 * sums (a fake reader stands for the kernel). */
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

#include "fwd/counters.h"
#include "fwd/handlers.h"
#include "fwd/plan.h"
#include "fwd/policy.h"
#include "testutil.h"

static const char tenant_t[] = "tenant: {name: t, id: 7}\n"
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
                               "  - {id: never, from: h1, to: h2, allow: ssh}\n"
                               "publish:\n"
                               "  - {id: p1, address: 203.0.113.5, allow: https, host: h3}\n";

static const char tenant_u[] = "tenant: {name: u, id: 8}\n"
                               "uplink: {interface: eth1, addresses: [203.0.113.6]}\n"
                               "zones:\n"
                               "  c: {vlan: 30, subnet: 10.0.30.0/24}\n"
                               "egress:\n"
                               "  - {id: r1, from: c, allow: https}\n";

struct fixture {
	struct fw_diags d;
	struct fw_policy *p;
	struct fw_plan *plan;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct fw_policy_source src[] = {
	    {"t.yaml", tenant_t, sizeof(tenant_t) - 1},
	    {"u.yaml", tenant_u, sizeof(tenant_u) - 1},
	};

	assert_non_null(f);
	assert_int_equal(policy_load_buffers(src, 2, &f->d, &f->p), 0);
	assert_int_equal(plan_compile(f->p, &f->d, &f->plan), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	plan_free(f->plan);
	policy_free(f->p);
	fw_diags_free(&f->d);
	free(f);
	return 0;
}

/* Every tenant chain that ends in a drop counts it under the default-deny
 * origin, at the tenant's name; every allowlist set counts per element and
 * names the item in each element. */
static void test_plan_counts(void **state)
{
	struct fixture *f = *state;
	size_t denies = 0, counted_sets = 0;

	for (size_t t = 0; t < f->plan->n_tables; t++) {
		const struct fw_plan_table *tb = &f->plan->tables[t];

		for (size_t c = 0; c < tb->n_chains; c++)
			for (size_t r = 0; r < tb->chains[c].n_rules; r++) {
				const struct fw_plan_rule *ru = &tb->chains[c].rules[r];
				const struct fw_stmt *last = &ru->stmts[ru->n_stmts - 1];

				if (!ru->origin.id || strcmp(ru->origin.id, FW_ORIGIN_DEFAULT_DENY))
					continue;
				assert_int_equal(ru->stmts[0].kind, FW_ST_COUNTER);
				assert_int_equal(last->kind, FW_ST_VERDICT);
				assert_int_equal(last->verdict, FW_VERDICT_DROP);
				assert_non_null(tb->tenant);
				assert_int_equal(ru->origin.loc.line, 1); /* name: t / name: u */
				denies++;
			}
		for (size_t s = 0; s < tb->n_sets; s++) {
			const struct fw_plan_set *set = &tb->sets[s];

			if (!set->counter)
				continue;
			counted_sets++;
			assert_false(set->vmap);
			for (size_t e = 0; e < set->n_elems; e++)
				assert_non_null(set->elems[e].origin.id);
		}
	}
	/* t: forward, in.internet, in.a, in.b, iso.b; u: forward, in.internet, in.c */
	assert_int_equal(denies, 8);
	assert_true(counted_sets >= 5);
}

static char *report(struct fixture *f, const char *tenant, const struct fw_counter *v, size_t n)
{
	json_t *o = fw_counters_report(f->p, f->plan, tenant, v, n);
	char *s;

	assert_non_null(o);
	s = json_dumps(json_object_get(o, "counters"), JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	assert_non_null(s);
	return s;
}

#define ROW(ten, idv, pk, by, el)                                                                  \
	{                                                                                          \
		.tenant = ten, .id = idv, .packets = pk, .bytes = by, .elements = el               \
	}
#define DENY(ten, tab, ch, pk, by)                                                                 \
	{                                                                                          \
		.tenant = ten, .id = FW_ORIGIN_DEFAULT_DENY, .table = tab, .chain = ch,            \
		.packets = pk, .bytes = by, .rules = 1                                             \
	}

/* Per tenant: every item in file order (zero without hits, rows of one id
 * summed), then each chain's default drop; other tenants' and unknown ids'
 * rows count nowhere. */
static void test_report(void **state)
{
	struct fixture *f = *state;
	const struct fw_counter v[] = {
	    ROW("t", "r1", 3, 180, 2),
	    ROW("u", "r1", 100, 6000, 1),
	    ROW("t", "r2", 4, 240, 1),
	    ROW("t", "r1", 2, 120, 1), /* r1's elements of another table */
	    ROW("t", "gone", 9, 9, 9),
	    DENY("t", "fwd_t", "forward", 5, 300),
	    DENY("t", "fwd_t_l2", "iso.b", 1, 60),
	    DENY("u", "fwd_u", "forward", 77, 77),
	};
	char *s = report(f, "t", v, sizeof(v) / sizeof(v[0]));

	assert_string_equal(
	    s,
	    "["
	    "{\"bytes\":0,\"elements\":0,\"file\":\"t.yaml\",\"line\":11,\"packets\":0,\"rule\":"
	    "\"m1\","
	    "\"tenant\":\"t\"},"
	    "{\"bytes\":240,\"elements\":1,\"file\":\"t.yaml\",\"line\":13,\"packets\":4,\"rule\":"
	    "\"r2\",\"tenant\":\"t\"},"
	    "{\"bytes\":300,\"elements\":3,\"file\":\"t.yaml\",\"line\":14,\"packets\":5,\"rule\":"
	    "\"r1\",\"tenant\":\"t\"},"
	    "{\"bytes\":0,\"elements\":0,\"file\":\"t.yaml\",\"line\":15,\"packets\":0,\"rule\":"
	    "\"never\",\"tenant\":\"t\"},"
	    "{\"bytes\":0,\"elements\":0,\"file\":\"t.yaml\",\"line\":17,\"packets\":0,\"rule\":"
	    "\"p1\","
	    "\"tenant\":\"t\"},"
	    "{\"bytes\":300,\"chain\":\"forward\",\"elements\":0,\"file\":\"t.yaml\",\"line\":1,"
	    "\"packets\":5,\"rule\":\"default.deny\",\"table\":\"fwd_t\",\"tenant\":\"t\"},"
	    "{\"bytes\":0,\"chain\":\"in.internet\",\"elements\":0,\"file\":\"t.yaml\",\"line\":1,"
	    "\"packets\":0,\"rule\":\"default.deny\",\"table\":\"fwd_t\",\"tenant\":\"t\"},"
	    "{\"bytes\":0,\"chain\":\"in.a\",\"elements\":0,\"file\":\"t.yaml\",\"line\":1,"
	    "\"packets\":0,\"rule\":\"default.deny\",\"table\":\"fwd_t\",\"tenant\":\"t\"},"
	    "{\"bytes\":0,\"chain\":\"in.b\",\"elements\":0,\"file\":\"t.yaml\",\"line\":1,"
	    "\"packets\":0,\"rule\":\"default.deny\",\"table\":\"fwd_t\",\"tenant\":\"t\"},"
	    "{\"bytes\":60,\"chain\":\"iso.b\",\"elements\":0,\"file\":\"t.yaml\",\"line\":1,"
	    "\"packets\":1,\"rule\":\"default.deny\",\"table\":\"fwd_t_l2\",\"tenant\":\"t\"}"
	    "]");
	free(s);

	/* all tenants: t's rows, then u's */
	s = report(f, NULL, v, sizeof(v) / sizeof(v[0]));
	assert_non_null(strstr(s, "\"packets\":100,\"rule\":\"r1\",\"tenant\":\"u\"}"));
	assert_non_null(strstr(s,
	                       "\"chain\":\"forward\",\"elements\":0,\"file\":\"u.yaml\",\"line\":"
	                       "1,\"packets\":77,"));
	assert_true(strstr(s, "\"tenant\":\"u\"") > strstr(s, "\"chain\":\"iso.b\""));
	free(s);

	/* no sums at all: every row is there, with zeros */
	s = report(f, "u", NULL, 0);
	assert_string_equal(
	    s,
	    "["
	    "{\"bytes\":0,\"elements\":0,\"file\":\"u.yaml\",\"line\":6,\"packets\":0,\"rule\":"
	    "\"r1\",\"tenant\":\"u\"},"
	    "{\"bytes\":0,\"chain\":\"forward\",\"elements\":0,\"file\":\"u.yaml\",\"line\":1,"
	    "\"packets\":0,\"rule\":\"default.deny\",\"table\":\"fwd_u\",\"tenant\":\"u\"},"
	    "{\"bytes\":0,\"chain\":\"in.internet\",\"elements\":0,\"file\":\"u.yaml\",\"line\":1,"
	    "\"packets\":0,\"rule\":\"default.deny\",\"table\":\"fwd_u\",\"tenant\":\"u\"},"
	    "{\"bytes\":0,\"chain\":\"in.c\",\"elements\":0,\"file\":\"u.yaml\",\"line\":1,"
	    "\"packets\":0,\"rule\":\"default.deny\",\"table\":\"fwd_u\",\"tenant\":\"u\"}"
	    "]");
	free(s);
}

/* --- the `counters` command through the daemon's handler --- */

/* What the fake kernel was asked, and what it answers. */
struct fake_kernel {
	const struct fw_plan *plan;
	char tenant[40]; /* "" for all */
	int calls;
	int fail; /* -errno to refuse */
};

static int fake_read(void *ctx, const struct fw_plan *plan, const char *tenant,
                     struct fw_counter **ret, size_t *ret_n, struct fw_diags *d)
{
	struct fake_kernel *k = ctx;
	struct fw_counter *v;

	k->calls++;
	k->plan = plan;
	snprintf(k->tenant, sizeof(k->tenant), "%s", tenant ? tenant : "");
	if (k->fail) {
		fw_error(d, NULL, "nft: counters of set inet fwd_t a.b.4p: %s", strerror(-k->fail));
		return k->fail;
	}
	v = calloc(2, sizeof(*v));
	assert_non_null(v);
	v[0] = (struct fw_counter)ROW("t", "r1", 6, 360, 2);
	v[1] = (struct fw_counter)DENY("t", "fwd_t_l2", "iso.b", 2, 120);
	*ret = v;
	*ret_n = 2;
	return 0;
}

/* A request as a reader: reading needs no rights. */
static json_t *call(struct tu_daemon *t, const char *line)
{
	return tu_daemon_call(t, 4242, line);
}

static const char *error_of(json_t *r, const char *key)
{
	return json_string_value(json_object_get(json_object_get(r, "error"), key));
}

static void test_handler(void **state)
{
	struct fw_policy_source src[] = {
	    {"t.yaml", tenant_t, sizeof(tenant_t) - 1},
	    {"u.yaml", tenant_u, sizeof(tenant_u) - 1},
	};
	struct fw_state_meta who = {.who = "root", .source = "test"};
	struct fake_kernel k = {0};
	struct tu_daemon t = {0};
	struct fw_daemon *dm;
	struct fw_diags d = {0};
	uint64_t gen;
	json_t *r, *rows;

	(void)state;
	assert_int_equal(tu_daemon_open(&t), 0);
	dm = t.dm;

	r = call(&t, "{\"version\":1,\"command\":\"counters\"}");
	assert_string_equal(error_of(r, "message"), "no policy is live yet");
	json_decref(r);

	assert_int_equal(fw_engine_apply(dm->engine, src, 2, &who, 0, &d, &gen), 0);
	r = call(&t, "{\"version\":1,\"command\":\"counters\"}");
	assert_string_equal(error_of(r, "message"), "this daemon reads no counters");
	json_decref(r);

	dm->counters = fake_read;
	dm->counters_ctx = &k;
	r = call(&t, "{\"version\":1,\"id\":3,\"command\":\"counters\",\"args\":{\"tenant\":"
	             "\"t\"}}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(k.calls, 1);
	assert_ptr_equal(k.plan, fw_engine_plan(dm->engine));
	assert_string_equal(k.tenant, "t");
	rows = json_object_get(json_object_get(r, "result"), "counters");
	assert_int_equal(json_array_size(rows), 10); /* 5 items, 5 default drops */
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 2), "rule")),
	                    "r1");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 2), "packets")),
	                 6);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 9), "packets")),
	                 2);
	json_decref(r);

	r = call(&t, "{\"version\":1,\"command\":\"counters\"}"); /* every tenant */
	assert_string_equal(k.tenant, "");
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "result"), "counters")),
	                 14);
	json_decref(r);

	r = call(&t, "{\"version\":1,\"command\":\"counters\",\"args\":{\"tenant\":\"v\"}}");
	assert_string_equal(error_of(r, "code"), "ENOENT");
	assert_string_equal(error_of(r, "message"), "no such tenant");
	json_decref(r);
	assert_int_equal(k.calls, 2); /* an unknown tenant never reaches the kernel */

	k.fail = -ENOENT;
	r = call(&t, "{\"version\":1,\"command\":\"counters\"}");
	assert_string_equal(error_of(r, "code"), "ENOENT");
	assert_string_equal(error_of(r, "message"),
	                    "counters: nft: counters of set inet fwd_t a.b.4p: No such file or "
	                    "directory");
	json_decref(r);

	fw_diags_free(&d);
	assert_int_equal(tu_daemon_close(&t), 0);
}

/* The request is validated before anything runs. */
static void test_request(void **state)
{
	struct fwp_request req;
	char err[256];
	const char *bad[][2] = {
	    {"{\"version\":1,\"command\":\"counters\",\"args\":{\"tenant\":7}}",
	     "args.tenant: expected a tenant name"},
	    {"{\"version\":1,\"command\":\"counters\",\"args\":{\"tenant\":\"\"}}",
	     "args.tenant: expected a tenant name"},
	    {"{\"version\":1,\"command\":\"counters\",\"args\":{\"follow\":true}}",
	     "args: 'counters' does not take 'follow'"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    fwp_request_parse(bad[i][0], strlen(bad[i][0]), &req, err, sizeof(err)),
		    -EINVAL);
		assert_string_equal(err, bad[i][1]);
	}
	const char *ok = "{\"version\":1,\"command\":\"counters\"}";

	assert_int_equal(fwp_request_parse(ok, strlen(ok), &req, err, sizeof(err)), 0);
	assert_int_equal(req.command, FWP_COUNTERS);
	assert_null(req.tenant);
	fwp_request_free(&req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_plan_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report, setup, teardown),
	    cmocka_unit_test(test_handler),
	    cmocka_unit_test(test_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
