// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `expect:` entries: proved against the compiled plan, with the exact
 * counter-example and what decided it; refused with exact locations when
 * malformed; and a failing one refuses an apply (the engine, fake backend).
 */
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

#include "fwd/engine.h"
#include "fwd/expect.h"
#include "fwd/plan.h"
#include "fwd/policy.h"
#include "testutil.h"

/* Line numbers matter: the messages name them. */
#define BASE                                                                                       \
	"tenant: {name: t, id: 7}\n"                                             /*  1 */          \
	"uplink: {interface: eth0, addresses: [203.0.113.10, 203.0.113.11]}\n"   /*  2 */          \
	"zones:\n"                                                               /*  3 */          \
	"  dmz: {vlan: 110, subnet: 10.10.110.0/24, isolate: true}\n"            /*  4 */          \
	"  servers: {vlan: 120, subnet: 10.10.120.0/24, isolate: true}\n"        /*  5 */          \
	"  office: {vlan: 130, subnet: 10.10.130.0/24}\n"                        /*  6 */          \
	"hosts:\n"                                                               /*  7 */          \
	"  web: {zone: dmz, address: 10.10.110.10}\n"                            /*  8 */          \
	"  dc: {zone: servers, address: 10.10.120.10}\n"                         /*  9 */          \
	"  app: {zone: servers, address: 10.10.120.20}\n"                        /* 10 */          \
	"  sql: {zone: servers, address: 10.10.120.30}\n"                        /* 11 */          \
	"  pc1: {zone: office, address: 10.10.130.50}\n"                         /* 12 */          \
	"  pc2: {zone: office, address: 10.10.130.51}\n"                         /* 13 */          \
	"groups:\n"                                                              /* 14 */          \
	"  front: [app, web]\n"                                                  /* 15 */          \
	"rules:\n"                                                               /* 16 */          \
	"  - {id: app-to-sql, from: app, to: sql, allow: mssql}\n"               /* 17 */          \
	"  - {id: it-rdp, from: vpn:group:it, to: dc, allow: rdp}\n"             /* 18 */          \
	"publish:\n"                                                             /* 19 */          \
	"  - {id: web-public, address: 203.0.113.10, allow: https, host: web}\n" /* 20 */          \
	"egress:\n"                                                              /* 21 */          \
	"  - {id: office-out, from: office, snat: 203.0.113.11}\n"               /* 22 */          \
	"management:\n"                                                          /* 23 */          \
	"  - {id: ssh, from: vpn:group:it, allow: ssh}\n"                        /* 24 */          \
	"vpn:\n"                                                                 /* 25 */          \
	"  listen_port: 51820\n"                                                 /* 26 */          \
	"  pool: 10.10.99.0/24\n"                                                /* 27 */          \
	"  users: {alice: {address: 10.10.99.10, groups: [it]},\n"               /* 28 */          \
	"          bob: {address: 10.10.99.11, groups: [sales]}}\n"              /* 29 */          \
	"expect:\n"                                                              /* 30 */

/* Load BASE + entries (from line 31), compile, check; the diagnostics as
 * text and the check's return value. */
static char *run(const char *entries, int *ret)
{
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	char *text, *out;
	int r;

	assert_true(asprintf(&text, "%s%s", BASE, entries) > 0);
	r = policy_load_buffer("t.yaml", text, strlen(text), &d, &p);
	if (r == 0)
		r = plan_compile(p, &d, &plan);
	if (r == 0)
		r = policy_check_expectations(p, plan, &d);
	*ret = r;
	out = tu_diags_text(&d);
	plan_free(plan);
	policy_free(p);
	fw_diags_free(&d);
	free(text);
	return out;
}

static void expect_text(const char *entries, int want_r, const char *want)
{
	int r;
	char *got = run(entries, &r);

	if (strcmp(got, want))
		fprintf(stderr, "--- expected\n%s--- got\n%s", want, got);
	assert_string_equal(got, want);
	assert_int_equal(r, want_r);
	free(got);
}

static void test_hold(void **state)
{
	(void)state;
	expect_text("  - app → sql tcp/1433: allow\n"
	            "  - app → sql mssql: allow\n"
	            "  - app->sql tcp/1433: allow\n"
	            "  - web → sql mssql: deny\n"
	            "  - sql → app mssql: deny\n"
	            /* isolated zone: east-west denied, the whole zone */
	            "  - dc → sql any: deny\n"
	            "  - servers → dc any: deny\n"
	            /* not isolated: hosts talk directly */
	            "  - office → office any: allow\n"
	            /* published service: DNAT; the inside address is not published */
	            "  - internet → 203.0.113.10 https: allow\n"
	            "  - internet → 203.0.113.10 http: deny\n"
	            "  - internet → web https: deny\n"
	            "  - internet → servers any: deny\n"
	            /* egress with SNAT; nothing comes back unasked */
	            "  - office → internet any: allow\n"
	            "  - internet → office any: deny\n"
	            "  - dmz → internet any: deny\n"
	            /* VPN identities */
	            "  - vpn:group:it → dc rdp: allow\n"
	            "  - vpn:alice → dc rdp: allow\n"
	            "  - vpn:bob → dc rdp: deny\n"
	            "  - vpn:all → sql any: deny\n"
	            /* the firewall itself */
	            "  - vpn:group:it → firewall ssh: allow\n"
	            "  - office → firewall ssh: deny\n"
	            "  - internet → firewall tcp/1-65535: deny\n"
	            "  - internet → firewall wireguard: allow\n"
	            /* the other forms */
	            "  - {from: app, to: sql, service: mssql, result: allow}\n"
	            "  - {from: front, to: dc, service: [rdp, smb], result: deny}\n"
	            "  - 'app → sql tcp/1433: allow'\n",
	            0, "");
}

static void test_fail(void **state)
{
	(void)state;
	expect_text(
	    "  - app → sql tcp/1433: deny\n", -EINVAL,
	    "t.yaml:31:5: error: expectation failed: app → sql tcp/1433: expected deny, but "
	    "10.10.120.20 → 10.10.120.30 tcp/1433 is allowed by 'app-to-sql' at 17:5 (zone "
	    "servers isolated)\n");
	expect_text("  - web → sql mssql: allow\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: web → sql mssql: expected allow, but "
	            "10.10.110.10 → 10.10.120.30 tcp/1433 is dropped by default.deny (dmz → "
	            "servers)\n");
	/* An isolated zone: east-west traffic is dropped on the bridge. */
	expect_text("  - dc → sql mssql: allow\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: dc → sql mssql: expected allow, but "
	            "10.10.120.10 → 10.10.120.30 tcp/1433 is dropped by default.deny (zone servers "
	            "isolated)\n");
	/* Not isolated: nothing stops it. */
	expect_text("  - pc1 → pc2 any: deny\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: pc1 → pc2 any: expected deny, but "
	            "10.10.130.50 → 10.10.130.51 icmp is allowed (zone office is not "
	            "isolated)\n");
	/* A group: the member that breaks it is named. */
	expect_text("  - front → sql mssql: allow\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: front → sql mssql: expected allow, "
	            "but 10.10.110.10 → 10.10.120.30 tcp/1433 is dropped by default.deny (dmz → "
	            "servers)\n");
	/* A zone: every address of it, not only its hosts. */
	expect_text("  - servers → sql mssql: allow\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: servers → sql mssql: expected allow, "
	            "but 10.10.120.2 → 10.10.120.30 tcp/1433 is dropped by default.deny (zone "
	            "servers isolated)\n");
	/* Published: through the DNAT. */
	expect_text("  - internet → 203.0.113.10 https: deny\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: internet → 203.0.113.10 https: "
	            "expected deny, but 198.51.100.200 → 203.0.113.10 tcp/443 is allowed by "
	            "'web-public' at 20:5 (DNAT to 10.10.110.10 tcp/443, internet → dmz)\n");
	expect_text("  - internet → 203.0.113.10 http: allow\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: internet → 203.0.113.10 http: "
	            "expected allow, but 198.51.100.200 → 203.0.113.10 tcp/80 is dropped by "
	            "default.deny (internet → firewall)\n");
	expect_text("  - internet → web https: allow\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: internet → web https: expected "
	            "allow, but 198.51.100.200 → 10.10.110.10 tcp/443 is dropped by default.deny "
	            "(internet → dmz)\n");
	/* Egress with SNAT. */
	expect_text("  - office → internet smtp: deny\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: office → internet smtp: expected "
	            "deny, but 10.10.130.2 → 198.51.100.200 tcp/25 is allowed by 'office-out' at "
	            "22:5 (office → internet)\n");
	/* VPN identities: a group, a user. */
	expect_text("  - vpn:group:sales → dc rdp: allow\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: vpn:group:sales → dc rdp: expected "
	            "allow, but 10.10.99.11 → 10.10.120.10 tcp/3389 is dropped by default.deny "
	            "(vpn → servers)\n");
	expect_text("  - vpn:alice → dc rdp: deny\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: vpn:alice → dc rdp: expected deny, "
	            "but 10.10.99.10 → 10.10.120.10 tcp/3389 is allowed by 'it-rdp' at 18:5 (vpn "
	            "→ servers)\n");
	/* The firewall itself, and a deny of `any` finds the one open port. */
	expect_text("  - vpn:all → firewall any: deny\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: vpn:all → firewall any: expected "
	            "deny, but 10.10.99.10 → 10.10.99.1 tcp/22 is allowed by 'ssh' at 24:5 (vpn → "
	            "firewall)\n");
	/* One error per failing entry, at each; the ones that hold say nothing. */
	expect_text("  - app → sql mssql: allow\n"
	            "  - {from: web, to: sql, service: mssql, result: allow}\n"
	            "  - app → dc any: allow\n",
	            -EINVAL,
	            "t.yaml:32:5: error: expectation failed: web → sql mssql: expected allow, but "
	            "10.10.110.10 → 10.10.120.30 tcp/1433 is dropped by default.deny (dmz → "
	            "servers)\n"
	            "t.yaml:33:5: error: expectation failed: app → dc any: expected allow, but "
	            "10.10.120.20 → 10.10.120.10 icmp is dropped by default.deny (zone servers "
	            "isolated)\n");
}

/* A deny of a port range finds the stretch a rule opens inside it. */
static void test_ports(void **state)
{
	(void)state;
	expect_text("  - app → sql tcp/1000-2000: deny\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: app → sql tcp/1000-2000: expected "
	            "deny, but 10.10.120.20 → 10.10.120.30 tcp/1433 is allowed by 'app-to-sql' at "
	            "17:5 (zone servers isolated)\n");
	expect_text("  - app → sql tcp/1433-1434: allow\n", -EINVAL,
	            "t.yaml:31:5: error: expectation failed: app → sql tcp/1433-1434: expected "
	            "allow, but 10.10.120.20 → 10.10.120.30 tcp/1434 is dropped by default.deny "
	            "(zone servers isolated)\n");
	expect_text("  - app → sql udp/1-65535: deny\n  - app → sql icmp: deny\n", 0, "");
}

static void test_malformed(void **state)
{
	(void)state;
	/* The column of each part: "→" is one character. */
	expect_text(
	    "  - app → sqll tcp/1433: allow\n", -EINVAL,
	    "t.yaml:31:11: error: expect: no host, group or zone named 'sqll' (did you mean "
	    "'sql'?)\n");
	expect_text("  - app → sql msql: allow\n", -EINVAL,
	            "t.yaml:31:15: error: expect: no service named 'msql' (not built in, not in "
	            "'services')\n");
	expect_text("  - 'apx -> sql mssql: allow'\n", -EINVAL,
	            "t.yaml:31:6: error: expect: no host, group or zone named 'apx' (did you mean "
	            "'app'?)\n");
	expect_text("  - app → sql mssql: maybe\n", -EINVAL,
	            "t.yaml:31:22: error: expect: expected allow or deny, found 'maybe'\n");
	expect_text("  - app → sql: allow\n", -EINVAL,
	            "t.yaml:31:14: error: expect: the service is missing after the destination (a "
	            "service name, tcp/PORT, udp/PORT, icmp or any)\n");
	expect_text("  - app sql mssql: allow\n", -EINVAL,
	            "t.yaml:31:5: error: expect: expected 'FROM → TO SERVICE' (with → or ->), "
	            "found 'app sql mssql'\n");
	expect_text("  - app → sql mssql http: allow\n", -EINVAL,
	            "t.yaml:31:21: error: expect: unexpected 'http' after the service; one "
	            "service per entry (the mapping form takes a list)\n");
	expect_text("  - firewall → sql mssql: allow\n", -EINVAL,
	            "t.yaml:31:5: error: expect: traffic from the firewall itself is not "
	            "filtered; expected a host, group, zone, address, internet, vpn:USER, "
	            "vpn:group:NAME or site:NAME\n");
	expect_text("  - vpn:group:ops → dc rdp: allow\n", -EINVAL,
	            "t.yaml:31:5: error: expect: no VPN user is in a group named 'ops'\n");
	expect_text("  - internet → internet any: deny\n", -EINVAL,
	            "t.yaml:31:16: error: expect: traffic from the internet to the internet does "
	            "not pass this tenant\n");
	expect_text("  - app → sql mssql\n", -EINVAL,
	            "t.yaml:31:5: error: expect: the entry has no result; write ': allow' or "
	            "': deny' after the service\n");
	expect_text("  - {from: app, to: sql, service: mssql, result: allow, log: true}\n", -EINVAL,
	            "t.yaml:31:57: error: unknown key 'log' in an expect entry (expected one of: "
	            "from, to, service, result)\n");
	expect_text("  - {from: app, service: mssql, result: allow}\n", -EINVAL,
	            "t.yaml:31:5: error: an expect entry: missing required key 'to'\n");
	expect_text("  - {from: app, to: [sql, dc], service: mssql, result: yes}\n", -EINVAL,
	            "t.yaml:31:21: error: to: expected a string, found a list\n"
	            "t.yaml:31:56: error: result: expected allow or deny, found 'yes'\n");
	expect_text("  - [app, sql]\n", -EINVAL,
	            "t.yaml:31:5: error: expect: expected 'FROM → TO SERVICE: allow' (or deny) or "
	            "a mapping with from, to, service and result, found a list\n");
	expect_text("  {app: sql}\n", -EINVAL,
	            "t.yaml:31:3: error: expect: expected a list, found a mapping\n");
}

/* Limits: entries per file, and packets an entry may take to prove. */
static void test_limits(void **state)
{
	size_t cap = 64 * 1024, o = 0;
	char *buf = malloc(cap);
	int r;

	(void)state;
	assert_non_null(buf);
	for (int i = 0; i <= FW_EXPECT_MAX; i++)
		o += (size_t)snprintf(buf + o, cap - o, "  - app → sql mssql: allow\n");
	char *got = run(buf, &r);
	assert_string_equal(got, "t.yaml:31:3: error: expect: 1025 entries, more than 1024\n");
	assert_int_equal(r, -EINVAL);
	free(got);
	free(buf);
}

/* 400 hosts on each side: each host is a stretch of its own, so an entry
 * between the two zones stands for far too many packets. */
static void test_too_broad(void **state)
{
	size_t cap = 256 * 1024, o = 0;
	char *buf = malloc(cap);
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	char *got;

	(void)state;
	assert_non_null(buf);
	o += (size_t)snprintf(buf + o, cap - o,
	                      "tenant: {name: big, id: 9}\nuplink: {interface: eth0}\nzones:\n"
	                      "  a: {vlan: 10, subnet: 10.1.0.0/16}\n"
	                      "  b: {vlan: 20, subnet: 10.2.0.0/16}\nhosts:\n");
	for (int i = 0; i < 400; i++)
		o += (size_t)snprintf(buf + o, cap - o,
		                      "  a%d: {zone: a, address: 10.1.%d.%d}\n"
		                      "  b%d: {zone: b, address: 10.2.%d.%d}\n",
		                      i, i / 200, i % 200 + 2, i, i / 200, i % 200 + 2);
	o += (size_t)snprintf(buf + o, cap - o,
	                      "rules:\n  - {from: a, to: b, allow: https}\nexpect:\n"
	                      "  - a → b https: allow\n  - a0 → b any: deny\n");
	assert_int_equal(policy_load_buffer("big.yaml", buf, o, &d, &p), 0);
	assert_int_equal(plan_compile(p, &d, &plan), 0);
	assert_int_equal(policy_check_expectations(p, plan, &d), -EINVAL);
	got = tu_diags_text(&d);
	assert_string_equal(got, "big.yaml:810:5: error: expectation cannot be checked: a → b "
	                         "https: it stands for 161604 packets, more than 100000; name "
	                         "fewer hosts or services\n"
	                         "big.yaml:811:5: error: expectation failed: a0 → b any: expected "
	                         "deny, but 10.1.0.2 → 10.2.0.2 tcp/443 is allowed by 'rule-1' at "
	                         "808:5 (a → b)\n");
	free(got);
	plan_free(plan);
	policy_free(p);
	fw_diags_free(&d);
	free(buf);
}

/* --- the daemon's apply path refuses a policy whose assertion fails --- */

struct fake {
	char *ruleset;
	int calls;
};

static int fake_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                      struct fw_diags *d)
{
	struct fake *k = ctx;

	(void)old;
	(void)d;
	k->calls++;
	free(k->ruleset);
	k->ruleset = plan_render(plan);
	return 0;
}

static void test_engine_refuses(void **state)
{
	static const struct fw_state_meta who = {.who = "ci", .uid = 1001, .source = "fwctl"};
	char dir[64] = "/tmp/fwd-expect-test-XXXXXX", path[128], *good, *bad, *log;
	struct fake k = {0};
	struct fw_backend be = {fake_apply, &k, NULL};
	struct fw_state *st;
	struct fw_engine *e;
	struct fw_engine_status s;
	struct fw_diags d = {0};
	uint64_t gen = 0, cur;
	int r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&good, "%s  - app → sql mssql: allow\n", BASE) > 0);
	assert_true(asprintf(&bad, "%s  - web → sql mssql: allow\n", BASE) > 0);
	assert_int_equal(fw_state_open(dir, &st), 0);
	assert_int_equal(fw_engine_new(st, &be, &e), 0);

	struct fw_policy_source g = {"t.yaml", good, strlen(good)};
	assert_int_equal(fw_engine_apply(e, &g, 1, &who, 0, &d, &gen), 0);
	assert_int_equal(gen, 1);
	assert_int_equal(k.calls, 1);
	char *live = strdup(k.ruleset);

	struct fw_policy_source b = {"t.yaml", bad, strlen(bad)};
	r = fw_engine_apply(e, &b, 1, &who, 0, &d, &gen);
	assert_int_equal(r, -EINVAL);
	char *got = tu_diags_text(&d);
	assert_string_equal(got, "t.yaml:31:5: error: expectation failed: web → sql mssql: "
	                         "expected allow, but 10.10.110.10 → 10.10.120.30 tcp/1433 is "
	                         "dropped by default.deny (dmz → servers)\n");
	/* Nothing reached the kernel, nothing was recorded, the live one stays. */
	assert_int_equal(k.calls, 1);
	assert_string_equal(k.ruleset, live);
	fw_engine_status(e, &s);
	assert_int_equal(s.live, 1);
	assert_int_equal(fw_state_current(st, &cur), 0);
	assert_int_equal(cur, 1);
	snprintf(path, sizeof(path), "%s/history/000002", dir);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	log = tu_read_file(path, NULL);
	assert_non_null(strstr(log, "\"event\":\"refused\""));
	assert_non_null(strstr(log, "expectation failed: web → sql mssql"));

	free(log);
	free(got);
	free(live);
	fw_diags_free(&d);
	fw_engine_free(e);
	fw_state_close(st);
	free(k.ruleset);
	free(good);
	free(bad);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hold),           cmocka_unit_test(test_fail),
	    cmocka_unit_test(test_ports),          cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_limits),         cmocka_unit_test(test_too_broad),
	    cmocka_unit_test(test_engine_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
