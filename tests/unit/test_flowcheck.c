// SPDX-License-Identifier: GPL-2.0-or-later
/* Tracked connections and management access against the windows-stack plan
 * and edited copies of it: what is revoked, what stays, what locks out. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/flowcheck.h"
#include "testutil.h"

struct compiled {
	struct fw_policy *p;
	struct fw_plan *plan;
};

struct fixture {
	char *text; /* templates/windows-stack.yaml */
	struct compiled live;
};

static void compile_text(const char *text, struct compiled *c)
{
	struct fw_diags d = {0};

	assert_int_equal(policy_load_buffer("windows-stack.yaml", text, strlen(text), &d, &c->p),
	                 0);
	assert_int_equal(plan_compile(c->p, &d, &c->plan), 0);
	fw_diags_free(&d);
}

static void release(struct compiled *c)
{
	plan_free(c->plan);
	policy_free(c->p);
}

/* The template with the text from `from` up to (not including) `to` cut out. */
static void compile_without(const struct fixture *f, const char *from, const char *to,
                            struct compiled *c)
{
	const char *a = strstr(f->text, from), *b = a ? strstr(a + 1, to) : NULL;
	char *s;

	assert_non_null(a);
	assert_non_null(b);
	assert_true(asprintf(&s, "%.*s%s", (int)(a - f->text), f->text, b) > 0);
	compile_text(s, c);
	free(s);
}

/* The template with one occurrence of `old` replaced by `new`. */
static void compile_replaced(const struct fixture *f, const char *old, const char *new,
                             struct compiled *c)
{
	const char *a = strstr(f->text, old);
	char *s;

	assert_non_null(a);
	assert_true(asprintf(&s, "%.*s%s%s", (int)(a - f->text), f->text, new, a + strlen(old)) >
	            0);
	compile_text(s, c);
	free(s);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[512];

	snprintf(path, sizeof(path), "%s/templates/windows-stack.yaml", tu_source_dir());
	f->text = tu_read_file(path, NULL);
	compile_text(f->text, &f->live);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	release(&f->live);
	free(f->text);
	free(f);
	return 0;
}

static struct fw_flow flow(const char *src, uint16_t sport, const char *dst, const char *proto,
                           uint16_t dport)
{
	struct fw_flow fl = {.family = 4, .sport = sport, .dport = dport};

	assert_int_equal(inet_pton(AF_INET, src, fl.saddr), 1);
	assert_int_equal(inet_pton(AF_INET, dst, fl.daddr), 1);
	fl.proto = !strcmp(proto, "tcp") ? 6 : !strcmp(proto, "udp") ? 17 : 1;
	if (fl.proto == 1)
		fl.icmp_type = 8;
	return fl;
}

static struct fw_flow_check check(const struct compiled *c, const struct fw_flow *fl)
{
	struct fw_flow_check r;

	assert_int_equal(policy_flow_check(c->p, c->plan, fl, &r), 0);
	return r;
}

static void test_paths(void **state)
{
	struct fixture *f = *state;
	struct fw_flow fl = flow("10.10.120.20", 40001, "10.10.120.30", "tcp", 1433);
	struct fw_flow_check r = check(&f->live, &fl);

	/* app -> sql: inside the isolated servers zone, on the tenant's bridge
	 * (acme has a trunk): routed by the zone's gateway (proxy ARP) */
	assert_int_equal(r.verdict, FW_FLOW_ACCEPT);
	assert_string_equal(r.path,
	                    "forward acme: inside isolated zone servers, routed by its gateway");
	assert_string_equal(r.eval.table, "fwd_acme");
	assert_string_equal(r.eval.chain, "servers.servers");
	assert_string_equal(r.eval.origin.id, "app-to-sql");
	assert_string_equal(r.tenant->name, "acme");
	/* sql -> app on the same port: rules are directed */
	fl = flow("10.10.120.30", 40001, "10.10.120.20", "tcp", 1433);
	assert_int_equal(check(&f->live, &fl).verdict, FW_FLOW_DROP);

	/* admin-pc -> app erp: routed office -> servers */
	fl = flow("10.10.130.50", 40002, "10.10.120.20", "tcp", 8080);
	r = check(&f->live, &fl);
	assert_int_equal(r.verdict, FW_FLOW_ACCEPT);
	assert_string_equal(r.path, "forward acme: office -> servers");
	assert_string_equal(r.eval.origin.id, "office-to-erp");

	/* msp -> the firewall's public address that publishes nothing: input */
	fl = flow("198.51.100.7", 40003, "203.0.113.11", "tcp", 22);
	r = check(&f->live, &fl);
	assert_int_equal(r.verdict, FW_FLOW_ACCEPT);
	assert_string_equal(r.path, "input acme: from internet to the firewall");
	assert_string_equal(r.eval.origin.id, "admin-ssh");
	fl = flow("198.51.100.200", 40003, "203.0.113.11", "tcp", 22);
	assert_int_equal(check(&f->live, &fl).verdict, FW_FLOW_DROP);

	/* the internet -> 203.0.113.10:443, DNATed to web */
	fl = flow("198.51.100.200", 40004, "203.0.113.10", "tcp", 443);
	fl.dnat = true;
	assert_int_equal(inet_pton(AF_INET, "10.10.110.10", fl.real_daddr), 1);
	fl.real_dport = 443;
	r = check(&f->live, &fl);
	assert_int_equal(r.verdict, FW_FLOW_ACCEPT);
	assert_string_equal(r.path, "forward acme: internet -> dmz");
	assert_string_equal(r.eval.origin.id, "web-public");
	/* the same port tracked without a DNAT went to the firewall: dropped */
	fl.dnat = false;
	r = check(&f->live, &fl);
	assert_int_equal(r.verdict, FW_FLOW_DROP);
	assert_string_equal(r.path, "input acme: from internet to the firewall");
	/* a DNAT to a host the publish does not name is not accepted */
	fl.dnat = true;
	assert_int_equal(inet_pton(AF_INET, "10.10.110.20", fl.real_daddr), 1);
	assert_int_equal(check(&f->live, &fl).verdict, FW_FLOW_DROP);

	/* the SNATed office -> internet: decided in forward on the original tuple */
	fl = flow("10.10.130.50", 40005, "192.0.2.80", "udp", 4500);
	r = check(&f->live, &fl);
	assert_int_equal(r.verdict, FW_FLOW_ACCEPT);
	assert_string_equal(r.eval.origin.id, "office-out");
	fl = flow("10.10.120.20", 40006, "192.0.2.80", "icmp", 0);
	assert_int_equal(check(&f->live, &fl).verdict, FW_FLOW_DROP);
}

static void test_undecided(void **state)
{
	struct fixture *f = *state;
	struct fw_flow fl;
	struct fw_flow_check r;

	/* the firewall's own connections: from a gateway, a public address */
	fl = flow("10.10.120.1", 40000, "10.10.120.10", "udp", 53);
	r = check(&f->live, &fl);
	assert_int_equal(r.verdict, FW_FLOW_UNDECIDED);
	assert_null(r.tenant);
	fl = flow("203.0.113.11", 40000, "192.0.2.1", "tcp", 443);
	assert_int_equal(check(&f->live, &fl).verdict, FW_FLOW_UNDECIDED);
	/* neither end is the tenant's (the lab's transit network) */
	fl = flow("198.51.100.1", 40000, "198.51.100.200", "tcp", 80);
	assert_int_equal(check(&f->live, &fl).verdict, FW_FLOW_UNDECIDED);
	/* never decided, so never revoked, even by an empty-handed policy */
	struct compiled none;
	compile_without(f, "rules:\n", "# Published services", &none);
	assert_int_equal(policy_flow_revoked(f->live.p, f->live.plan, none.p, none.plan, &fl), 0);
	release(&none);
}

static void test_revoked(void **state)
{
	struct fixture *f = *state;
	struct compiled c;
	struct fw_flow app_sql = flow("10.10.120.20", 40001, "10.10.120.30", "tcp", 1433);
	struct fw_flow office_dc = flow("10.10.130.50", 40002, "10.10.120.10", "tcp", 445);
	struct fw_flow office_erp = flow("10.10.130.50", 40003, "10.10.120.20", "tcp", 8080);
	struct fw_flow https = flow("198.51.100.200", 40004, "203.0.113.10", "tcp", 443);
	struct fw_flow denied = flow("10.10.110.10", 40005, "10.10.120.30", "tcp", 1433);

	https.dnat = true;
	assert_int_equal(inet_pton(AF_INET, "10.10.110.10", https.real_daddr), 1);
	https.real_dport = 443;

	/* without app-to-sql: only that session goes */
	compile_without(f, "  - id: app-to-sql\n", "  - id: app-to-dc\n", &c);
	assert_int_equal(policy_flow_revoked(f->live.p, f->live.plan, c.p, c.plan, &app_sql), 1);
	assert_int_equal(policy_flow_revoked(f->live.p, f->live.plan, c.p, c.plan, &office_dc), 0);
	assert_int_equal(policy_flow_revoked(f->live.p, f->live.plan, c.p, c.plan, &office_erp), 0);
	assert_int_equal(policy_flow_revoked(f->live.p, f->live.plan, c.p, c.plan, &https), 0);
	/* never allowed: nothing to revoke */
	assert_int_equal(policy_flow_revoked(f->live.p, f->live.plan, c.p, c.plan, &denied), 0);
	/* the other way round, a rule added: nothing revoked */
	assert_int_equal(policy_flow_revoked(c.p, c.plan, f->live.p, f->live.plan, &app_sql), 0);
	release(&c);

	/* without office-to-erp: the routed session goes, office -> dc stays */
	compile_without(f, "  - id: office-to-erp\n", "  - id: office-to-mail\n", &c);
	assert_int_equal(policy_flow_revoked(f->live.p, f->live.plan, c.p, c.plan, &office_erp), 1);
	assert_int_equal(policy_flow_revoked(f->live.p, f->live.plan, c.p, c.plan, &office_dc), 0);
	release(&c);

	/* the website moved to the mail server: the open session to web goes */
	compile_replaced(f, "    allow: [http, https]\n    host: web\n",
	                 "    allow: [http, https]\n    host: mail\n", &c);
	assert_int_equal(policy_flow_revoked(f->live.p, f->live.plan, c.p, c.plan, &https), 1);
	release(&c);

	/* another tenant replaces acme: whatever acme allowed goes (the base
	 * table drops traffic of interfaces no tenant owns) */
	char path[512], *shop;
	snprintf(path, sizeof(path), "%s/templates/web-db-dmz.yaml", tu_source_dir());
	shop = tu_read_file(path, NULL);
	compile_text(shop, &c);
	free(shop);
	assert_int_equal(check(&c, &office_dc).verdict, FW_FLOW_UNDECIDED);
	assert_int_equal(policy_flow_revoked(f->live.p, f->live.plan, c.p, c.plan, &office_dc), 1);
	assert_int_equal(policy_flow_revoked(f->live.p, f->live.plan, c.p, c.plan, &https), 1);
	release(&c);
}

static struct fw_mgmt_origin origin_at(const char *from, const char *to, uint16_t port)
{
	struct fw_mgmt_origin a = {.family = 4, .port = port};

	assert_int_equal(inet_pton(AF_INET, from, a.from), 1);
	if (to) {
		assert_int_equal(inet_pton(AF_INET, to, a.to), 1);
		a.has_to = true;
	}
	return a;
}

static void test_lockout(void **state)
{
	struct fixture *f = *state;
	struct compiled c, keep;
	struct fw_mgmt_origin a = origin_at("198.51.100.7", "203.0.113.11", 22);
	char msg[256] = "";

	compile_without(f, "management:\n", "# WireGuard", &c);
	assert_int_equal(
	    policy_mgmt_lost(f->live.p, f->live.plan, c.p, c.plan, &a, msg, sizeof(msg)), 1);
	assert_string_equal(
	    msg, "it would cut management access from 198.51.100.7 to the firewall 203.0.113.11 "
	         "tcp/22");
	/* the same policy, or another change, keeps it */
	strcpy(msg, "untouched");
	assert_int_equal(policy_mgmt_lost(f->live.p, f->live.plan, f->live.p, f->live.plan, &a, msg,
	                                  sizeof(msg)),
	                 0);
	assert_string_equal(msg, "untouched");
	compile_without(f, "  - id: app-to-sql\n", "  - id: app-to-dc\n", &keep);
	assert_int_equal(
	    policy_mgmt_lost(f->live.p, f->live.plan, keep.p, keep.plan, &a, msg, sizeof(msg)), 0);
	release(&keep);

	/* no access before: nothing to lose */
	a = origin_at("198.51.100.200", "203.0.113.11", 22);
	assert_int_equal(
	    policy_mgmt_lost(f->live.p, f->live.plan, c.p, c.plan, &a, msg, sizeof(msg)), 0);
	/* another port than the one management allows */
	a = origin_at("198.51.100.7", "203.0.113.11", 2222);
	assert_int_equal(
	    policy_mgmt_lost(f->live.p, f->live.plan, c.p, c.plan, &a, msg, sizeof(msg)), 0);
	/* an address the plan does not decide (a separate management link) */
	a = origin_at("198.51.100.7", "198.51.100.1", 22);
	assert_int_equal(
	    policy_mgmt_lost(f->live.p, f->live.plan, c.p, c.plan, &a, msg, sizeof(msg)), 0);

	/* no TO: the gateway of the admin PC's zone, tcp/22 */
	a = origin_at("10.10.130.50", NULL, 0);
	assert_int_equal(
	    policy_mgmt_lost(f->live.p, f->live.plan, c.p, c.plan, &a, msg, sizeof(msg)), 1);
	assert_string_equal(
	    msg, "it would cut management access from 10.10.130.50 to the firewall 10.10.130.1 "
	         "tcp/22");
	/* from the internet: the tenant's first public address */
	a = origin_at("198.51.100.7", NULL, 0);
	assert_int_equal(
	    policy_mgmt_lost(f->live.p, f->live.plan, c.p, c.plan, &a, msg, sizeof(msg)), 1);
	assert_string_equal(
	    msg, "it would cut management access from 198.51.100.7 to the firewall 203.0.113.10 "
	         "tcp/22");
	/* narrowing management to the office keeps the admin PC in, not the MSP */
	release(&c);
	compile_replaced(f, "from: [it-admins, 198.51.100.0/28]", "from: [it-admins]", &c);
	a = origin_at("10.10.130.50", NULL, 0);
	assert_int_equal(
	    policy_mgmt_lost(f->live.p, f->live.plan, c.p, c.plan, &a, msg, sizeof(msg)), 0);
	a = origin_at("198.51.100.7", "203.0.113.11", 0);
	assert_int_equal(
	    policy_mgmt_lost(f->live.p, f->live.plan, c.p, c.plan, &a, msg, sizeof(msg)), 1);
	release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_undecided),
	    cmocka_unit_test(test_revoked),
	    cmocka_unit_test(test_lockout),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
