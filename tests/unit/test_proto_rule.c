// SPDX-License-Identifier: GPL-2.0-or-later
/* The protocol's diff, rule-add, rule-del and history GEN requests: exact
 * refusals, and what fwctl sends is what fwd reads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/proto.h"

static void expect_error(const char *line, const char *msg)
{
	struct fwp_request req;
	char err[256] = "";

	assert_int_equal(fwp_request_parse(line, strlen(line), &req, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
}

#define REQ(cmd, args) "{\"version\":1,\"command\":\"" cmd "\",\"args\":" args "}"

static void test_refusals(void **state)
{
	(void)state;
	expect_error(REQ("diff", "{}"), "args: 'diff' needs 'files'");
	expect_error(
	    REQ("diff", "{\"files\":[{\"name\":\"a.yaml\",\"content\":\"\"}],\"confirm\":5}"),
	    "args: 'diff' does not take 'confirm'");
	expect_error(REQ("rule-add", "{\"rule\":{\"from\":\"a\",\"to\":\"b\",\"allow\":\"ssh\"}}"),
	             "args: 'rule-add' needs 'tenant'");
	expect_error(REQ("rule-add", "{\"tenant\":\"t\"}"), "args: 'rule-add' needs 'rule'");
	expect_error(REQ("rule-add", "{\"tenant\":\"t\",\"rule\":[]}"),
	             "args.rule: expected {\"from\", \"to\", \"allow\"} and optionally \"id\", "
	             "\"log\", \"comment\", \"before\"");
	expect_error(REQ("rule-add", "{\"tenant\":\"t\",\"rule\":{\"from\":\"a\",\"to\":\"b\","
	                             "\"allow\":\"ssh\",\"counter\":true}}"),
	             "args.rule: unknown key 'counter'");
	expect_error(
	    REQ("rule-add", "{\"tenant\":\"t\",\"rule\":{\"to\":\"b\",\"allow\":\"ssh\"}}"),
	    "args.rule.from: expected a string or a list of 1 to 32 strings");
	expect_error(
	    REQ("rule-add",
	        "{\"tenant\":\"t\",\"rule\":{\"from\":[\"a\",7],\"to\":\"b\",\"allow\":\"x\"}}"),
	    "args.rule.from[1]: expected a string of 1 to 1024 bytes");
	expect_error(REQ("rule-add", "{\"tenant\":\"t\",\"rule\":{\"from\":\"a\",\"to\":\"\","
	                             "\"allow\":\"x\"}}"),
	             "args.rule.to: expected a string or a list of 1 to 32 strings");
	expect_error(REQ("rule-add", "{\"tenant\":\"t\",\"rule\":{\"from\":\"a\",\"to\":\"b\","
	                             "\"allow\":\"x\",\"log\":1}}"),
	             "args.rule.log: expected true or false");
	expect_error(REQ("rule-add", "{\"tenant\":\"t\",\"rule\":{\"from\":\"a\",\"to\":\"b\","
	                             "\"allow\":\"x\",\"comment\":\"\"}}"),
	             "args.rule.comment: expected a string of 1 to 1024 bytes");
	expect_error(REQ("rule-add", "{\"tenant\":\"t\",\"id\":\"x\",\"rule\":{\"from\":\"a\","
	                             "\"to\":\"b\",\"allow\":\"x\"}}"),
	             "args: 'rule-add' does not take 'id'");
	expect_error(REQ("rule-del", "{\"tenant\":\"t\"}"), "args: 'rule-del' needs 'id'");
	expect_error(REQ("rule-del", "{\"tenant\":\"t\",\"id\":3}"),
	             "args.id: expected a string of 1 to 1024 bytes");
	expect_error(REQ("history", "{\"generation\":0}"),
	             "args.generation: expected a generation number");
}

/* What fwctl formats, fwd parses back field for field. */
static void test_round_trip(void **state)
{
	struct fwp_request req = {
	    .command = FWP_RULE_ADD, .tenant = "acme", .confirm = 30, .has_rule = true};
	struct fwp_request back;
	char err[256], *line;
	(void)state;

	req.rule = (struct fwp_rule){.id = "app-to-sql",
	                             .comment = "x\n- evil",
	                             .before = "b",
	                             .from = {"app", "web"},
	                             .n_from = 2,
	                             .to = {"sql"},
	                             .n_to = 1,
	                             .allow = {"mssql"},
	                             .n_allow = 1,
	                             .log = true};
	line = fwp_request_format(&req);
	assert_non_null(line);
	assert_int_equal(fwp_request_parse(line, strlen(line) - 1, &back, err, sizeof(err)), 0);
	free(line);
	assert_int_equal(back.command, FWP_RULE_ADD);
	assert_string_equal(back.tenant, "acme");
	assert_int_equal(back.confirm, 30);
	assert_true(back.has_rule);
	assert_string_equal(back.rule.id, "app-to-sql");
	assert_string_equal(back.rule.comment, "x\n- evil");
	assert_string_equal(back.rule.before, "b");
	assert_int_equal(back.rule.n_from, 2);
	assert_string_equal(back.rule.from[1], "web");
	assert_string_equal(back.rule.to[0], "sql");
	assert_string_equal(back.rule.allow[0], "mssql");
	assert_true(back.rule.log);
	fwp_request_free(&back);

	req = (struct fwp_request){.command = FWP_RULE_DEL, .tenant = "acme", .rule_id = "r1"};
	line = fwp_request_format(&req);
	assert_int_equal(fwp_request_parse(line, strlen(line) - 1, &back, err, sizeof(err)), 0);
	free(line);
	assert_int_equal(back.command, FWP_RULE_DEL);
	assert_string_equal(back.rule_id, "r1");
	assert_false(back.has_rule);
	fwp_request_free(&back);

	req = (struct fwp_request){.command = FWP_HISTORY, .generation = 12};
	line = fwp_request_format(&req);
	assert_int_equal(fwp_request_parse(line, strlen(line) - 1, &back, err, sizeof(err)), 0);
	free(line);
	assert_int_equal(back.generation, 12);
	fwp_request_free(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
