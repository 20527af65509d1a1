// SPDX-License-Identifier: GPL-2.0-or-later
/* diff, rule-add, rule-del and history GEN through the daemon's handlers,
 * with a fake kernel: exact answers, exact files, nothing changed on errors. */
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

#include "fwd/handlers.h"
#include "testutil.h"

static struct tu_daemon td;

/* The policy in parts, as rule-del leaves it without r1. */
#define POLICY_HEAD                                                                                \
	"tenant: {name: t, id: 1}\n"                                                               \
	"uplink: {interface: eth0, addresses: [203.0.113.5]}\n"                                    \
	"zones:\n"                                                                                 \
	"  a: {vlan: 10, subnet: 10.0.10.0/24}\n"                                                  \
	"  b: {vlan: 20, subnet: 10.0.20.0/24}\n"                                                  \
	"hosts:\n"                                                                                 \
	"  h1: {zone: a, address: 10.0.10.5}\n"                                                    \
	"  h2: {zone: b, address: 10.0.20.5}\n"                                                    \
	"rules:\n"
#define POLICY_R2                                                                                  \
	"  - id: r2\n"                                                                             \
	"    from: h2\n"                                                                           \
	"    to: h1\n"                                                                             \
	"    allow: https\n"

static const char policy[] = POLICY_HEAD "  - id: r1   # ssh for the admins\n"
                                         "    from: h1\n"
                                         "    to: h2\n"
                                         "    allow: ssh\n"
                                         "\n" POLICY_R2;
static const char without_r1[] = POLICY_HEAD POLICY_R2;

/* Send one request (a JSON object, stolen) as `uid`; the parsed response. */
static json_t *call(uid_t uid, json_t *request)
{
	return tu_daemon_call_json(&td, uid, request);
}

static json_t *files(const char *content)
{
	return json_pack("[{s:s, s:s}]", "name", "t.yaml", "content", content);
}

static json_t *result(json_t *r)
{
	if (!json_is_true(json_object_get(r, "ok")))
		fail_msg("not ok: %s", json_dumps(r, 0));
	return json_object_get(r, "result");
}

static const char *str(json_t *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	return json_string_value(o);
}

static size_t n_generations(void)
{
	json_t *r = call(0, json_pack("{s:s}", "command", "history"));
	size_t n = json_array_size(json_object_get(result(r), "generations"));

	json_decref(r);
	return n;
}

static void test_diff(void **state)
{
	json_t *r, *res;
	(void)state;

	/* Nothing live: everything is new. */
	r = call(1000,
	         json_pack("{s:s, s:{s:o}}", "command", "diff", "args", "files", files(policy)));
	res = result(r);
	assert_true(json_is_true(json_object_get(res, "changed")));
	assert_string_equal(str(res, "access.text"), "+ h1 → h2 tcp/22\n"
	                                             "+ h2 → h1 tcp/443\n");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(res, "tenants_changed"), 0)), "t");
	assert_non_null(strstr(str(res, "ruleset_diff"), "--- fwd_t (live)\n+++ fwd_t (new)\n"
	                                                 "@@ -0,0 +1,"));
	json_decref(r);
	assert_int_equal(n_generations(), 0); /* a diff applies nothing */

	r = call(0,
	         json_pack("{s:s, s:{s:o}}", "command", "apply", "args", "files", files(policy)));
	result(r);
	json_decref(r);

	/* The live policy again: no change. */
	r = call(1000,
	         json_pack("{s:s, s:{s:o}}", "command", "diff", "args", "files", files(policy)));
	res = result(r);
	assert_false(json_is_true(json_object_get(res, "changed")));
	assert_string_equal(str(res, "access.text"), "");
	assert_string_equal(str(res, "ruleset_diff"), "");
	assert_int_equal(json_array_size(json_object_get(res, "tenants_changed")), 0);
	json_decref(r);

	/* Without r1: its access, its set element. */
	r = call(1000, json_pack("{s:s, s:{s:o}}", "command", "diff", "args", "files",
	                         files(without_r1)));
	res = result(r);
	assert_true(json_is_true(json_object_get(res, "changed")));
	assert_string_equal(str(res, "access.text"), "- h1 → h2 tcp/22\n");
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(json_object_get(res, "access"), "removed"), 0)),
	                    "h1 → h2 tcp/22");
	assert_int_equal(json_array_size(json_object_get(json_object_get(res, "access"), "added")),
	                 0);
	assert_non_null(strstr(str(res, "ruleset_diff"),
	                       "\n-\t\t\t10.0.10.5 . 10.0.20.5 . tcp . 22 comment \"r1\"\n"));
	json_decref(r);

	/* Errors: the same diagnostics as apply. */
	r = call(1000, json_pack("{s:s, s:{s:o}}", "command", "diff", "args", "files",
	                         files("tenant: {name: t, id: 1}\nuplink: {interface: eth0}\n"
	                               "rules:\n  - {from: nobody, to: h, allow: ssh}\n")));
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(str(r, "error.message"), "policy refused: 3 errors");
	json_t *d = json_array_get(json_object_get(json_object_get(r, "error"), "diagnostics"), 1);
	assert_string_equal(str(d, "message"), "from: no host, group or zone named 'nobody'");
	assert_string_equal(str(d, "file"), "t.yaml");
	assert_int_equal(json_integer_value(json_object_get(d, "line")), 4);
	assert_int_equal(json_integer_value(json_object_get(d, "column")), 12);
	json_decref(r);
}

static json_t *rule_add(uid_t uid, const char *tenant, json_t *rule)
{
	return call(uid, json_pack("{s:s, s:{s:s, s:o}}", "command", "rule-add", "args", "tenant",
	                           tenant, "rule", rule));
}

static json_t *rule_del(const char *tenant, const char *id)
{
	return call(0, json_pack("{s:s, s:{s:s, s:s}}", "command", "rule-del", "args", "tenant",
	                         tenant, "id", id));
}

static char *live_file(uint64_t gen)
{
	char *text = NULL;
	size_t len;

	assert_int_equal(fw_state_read(td.dm->state, gen, "policy/t.yaml", &text, &len), 0);
	return text;
}

static void expect_error(json_t *r, const char *code, const char *message)
{
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(str(r, "error.code"), code);
	assert_string_equal(str(r, "error.message"), message);
	json_decref(r);
}

static void test_rule_del_add(void **state)
{
	json_t *r, *res;
	char *text;
	(void)state;

	r = call(0,
	         json_pack("{s:s, s:{s:o}}", "command", "apply", "args", "files", files(policy)));
	result(r);
	json_decref(r);

	r = rule_del("t", "r1");
	res = result(r);
	assert_int_equal(json_integer_value(json_object_get(res, "generation")), 2);
	assert_string_equal(str(res, "access.text"), "- h1 → h2 tcp/22\n");
	json_decref(r);
	text = live_file(2);
	assert_string_equal(text, without_r1);
	free(text);

	/* history 2: who, how, and what it changed */
	r = call(1000, json_pack("{s:s, s:{s:i}}", "command", "history", "args", "generation", 2));
	res = result(r);
	assert_string_equal(str(res, "generation.source"), "fwctl rule del");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(res, "generation"), "parent")), 1);
	const char *diff = str(res, "diff");
	assert_non_null(diff);
	assert_int_equal(
	    strncmp(diff, "- h1 → h2 tcp/22\n\n--- fwd_t (live)\n+++ fwd_t (new)\n@@ ",
	            strlen("- h1 → h2 tcp/22\n\n--- fwd_t (live)\n+++ fwd_t (new)\n@@ ")),
	    0);
	json_decref(r);

	/* and back, in its old place and with its old comment gone: the rule as given */
	r = rule_add(0, "t",
	             json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", "r1", "from", "h1", "to", "h2",
	                       "allow", "ssh", "before", "r2"));
	res = result(r);
	assert_int_equal(json_integer_value(json_object_get(res, "generation")), 3);
	assert_string_equal(str(res, "access.text"), "+ h1 → h2 tcp/22\n");
	json_decref(r);
	text = live_file(3);
	assert_string_equal(text, "tenant: {name: t, id: 1}\n"
	                          "uplink: {interface: eth0, addresses: [203.0.113.5]}\n"
	                          "zones:\n"
	                          "  a: {vlan: 10, subnet: 10.0.10.0/24}\n"
	                          "  b: {vlan: 20, subnet: 10.0.20.0/24}\n"
	                          "hosts:\n"
	                          "  h1: {zone: a, address: 10.0.10.5}\n"
	                          "  h2: {zone: b, address: 10.0.20.5}\n"
	                          "rules:\n"
	                          "  - id: r1\n"
	                          "    from: h1\n"
	                          "    to: h2\n"
	                          "    allow: ssh\n"
	                          "  - id: r2\n"
	                          "    from: h2\n"
	                          "    to: h1\n"
	                          "    allow: https\n");
	free(text);
	r = call(1000, json_pack("{s:s, s:{s:i}}", "command", "history", "args", "generation", 3));
	assert_string_equal(str(result(r), "generation.source"), "fwctl rule add");
	json_decref(r);
	assert_int_equal(n_generations(), 3);
}

static void test_rule_errors(void **state)
{
	json_t *r;
	(void)state;

	expect_error(rule_del("t", "r1"), "ENOENT", "no policy is live yet");
	r = call(0,
	         json_pack("{s:s, s:{s:o}}", "command", "apply", "args", "files", files(policy)));
	result(r);
	json_decref(r);

	expect_error(rule_add(0, "t",
	                      json_pack("{s:s, s:s, s:s, s:s}", "id", "r2", "from", "h1", "to",
	                                "h2", "allow", "http")),
	             "EEXIST", "rule add refused: t.yaml:15:9: id 'r2' is already taken");
	expect_error(
	    rule_add(0, "nobody",
	             json_pack("{s:s, s:s, s:s}", "from", "h1", "to", "h2", "allow", "http")),
	    "ENOENT", "rule add refused: no tenant 'nobody' is live");
	expect_error(rule_add(0, "t",
	                      json_pack("{s:s, s:s, s:s, s:s}", "from", "h1", "to", "h2", "allow",
	                                "http", "before", "r9")),
	             "ENOENT", "rule add refused: t.yaml: no rule 'r9' to insert before");
	expect_error(rule_del("t", "r9"), "ENOENT",
	             "rule del refused: tenant 't' has no rule 'r9'");

	/* The checker's errors, at their place in the edited file. */
	r = rule_add(0, "t",
	             json_pack("{s:s, s:[s, s], s:s, s:s}", "id", "new", "from", "h1", "ghost",
	                       "to", "h2", "allow", "nosuch"));
	assert_string_equal(str(r, "error.message"), "rule add refused: 2 errors");
	json_t *diags = json_object_get(json_object_get(r, "error"), "diagnostics");
	assert_string_equal(str(json_array_get(diags, 0), "message"),
	                    "from: no host, group or zone named 'ghost'");
	assert_string_equal(str(json_array_get(diags, 0), "file"), "t.yaml");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(diags, 0), "line")), 21);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(diags, 0), "column")),
	                 16);
	assert_string_equal(str(json_array_get(diags, 1), "message"),
	                    "allow: no service named 'nosuch' (not built in, not in 'services')");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(diags, 1), "line")), 23);
	json_decref(r);

	/* No YAML through a name: one (unknown) host named "x\n- evil". */
	r = rule_add(
	    0, "t",
	    json_pack("{s:s, s:s, s:s}", "from", "x\n- evil: 1", "to", "h2", "allow", "ssh"));
	diags = json_object_get(json_object_get(r, "error"), "diagnostics");
	assert_int_equal(json_array_size(diags), 1);
	assert_string_equal(str(json_array_get(diags, 0), "message"),
	                    "from: expected an address or prefix like 198.51.100.0/24, found "
	                    "'x\n- evil: 1'");
	json_decref(r);

	/* Changes need root or the fwd group. */
	expect_error(
	    rule_add(1000, "t",
	             json_pack("{s:s, s:s, s:s}", "from", "h1", "to", "h2", "allow", "http")),
	    "EACCES", "changes need root or the fwd group");

	/* Nothing of that changed anything. */
	assert_int_equal(n_generations(), 1);
	char *text = live_file(1);
	assert_string_equal(text, policy);
	free(text);
}

static void test_history_one(void **state)
{
	json_t *r;
	(void)state;

	expect_error(
	    call(0, json_pack("{s:s, s:{s:i}}", "command", "history", "args", "generation", 7)),
	    "ENOENT", "no such generation");
	r = call(0,
	         json_pack("{s:s, s:{s:o}}", "command", "apply", "args", "files", files(policy)));
	json_decref(r);
	r = call(0, json_pack("{s:s, s:{s:i}}", "command", "history", "args", "generation", 1));
	assert_int_equal(strncmp(str(result(r), "diff"), "+ h1 → h2 tcp/22\n+ h2 → h1 tcp/443\n\n",
	                         strlen("+ h1 → h2 tcp/22\n+ h2 → h1 tcp/443\n\n")),
	                 0);
	json_decref(r);
	/* the audit log counts the accesses */
	char path[128], *log;
	snprintf(path, sizeof(path), "%s/audit.log", td.dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	log = calloc(1, 65536);
	assert_true(fread(log, 1, 65535, f) > 0);
	fclose(f);
	assert_non_null(strstr(log, "\"event\":\"apply\",\"generation\":1,\"source\":\"fwctl\","
	                            "\"summary\":\"access +2 -0\""));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_prestate_setup_teardown(test_diff, tu_daemon_setup, tu_daemon_teardown,
	                                             &td),
	    cmocka_unit_test_prestate_setup_teardown(test_rule_del_add, tu_daemon_setup,
	                                             tu_daemon_teardown, &td),
	    cmocka_unit_test_prestate_setup_teardown(test_rule_errors, tu_daemon_setup,
	                                             tu_daemon_teardown, &td),
	    cmocka_unit_test_prestate_setup_teardown(test_history_one, tu_daemon_setup,
	                                             tu_daemon_teardown, &td),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
