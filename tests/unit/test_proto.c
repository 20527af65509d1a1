// SPDX-License-Identifier: GPL-2.0-or-later
/* The control protocol: every request validated, exact messages, round trips. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/proto.h"

static void expect_error(const char *req, int code, const char *msg)
{
	struct fwp_request r;
	char err[256];

	assert_int_equal(fwp_request_parse(req, strlen(req), &r, err, sizeof(err)), code);
	assert_string_equal(err, msg);
}

static void test_valid(void **state)
{
	struct fwp_request r;
	char err[256];
	const char *apply = "{\"version\":1,\"id\":7,\"command\":\"apply\",\"args\":{\"files\":"
	                    "[{\"name\":\"acme.yaml\",\"content\":\"tenant: x\\n\"}],"
	                    "\"confirm\":60}}";

	(void)state;
	assert_int_equal(fwp_request_parse(apply, strlen(apply), &r, err, sizeof(err)), 0);
	assert_int_equal(r.id, 7);
	assert_int_equal(r.command, FWP_APPLY);
	assert_int_equal(r.n_files, 1);
	assert_string_equal(r.files[0].name, "acme.yaml");
	assert_int_equal(r.files[0].len, 10);
	assert_int_equal(r.confirm, 60);
	fwp_request_free(&r);

	const char *st = "{\"version\":1,\"command\":\"status\"}";
	assert_int_equal(fwp_request_parse(st, strlen(st), &r, err, sizeof(err)), 0);
	assert_int_equal(r.command, FWP_STATUS);
	assert_int_equal(r.id, 0);
	fwp_request_free(&r);

	const char *lg = "{\"version\":1,\"command\":\"show\",\"args\":{\"tenant\":\"acme\"}}";
	assert_int_equal(fwp_request_parse(lg, strlen(lg), &r, err, sizeof(err)), 0);
	assert_string_equal(r.tenant, "acme");
	assert_int_equal(r.command, FWP_SHOW);
	fwp_request_free(&r);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("{\"version\":1", -EINVAL,
	             "request is not JSON: '}' expected near end of file (column 12)");
	expect_error("[1]", -EINVAL, "request: expected a JSON object");
	expect_error("{\"command\":\"status\"}", -EINVAL, "request: expected \"version\": 1");
	expect_error("{\"version\":2,\"command\":\"status\"}", -EPROTO,
	             "protocol version 2 is not supported, this fwd speaks version 1");
	expect_error("{\"version\":1,\"command\":\"reboot\"}", -EINVAL,
	             "unknown command 'reboot' (expected status, apply, confirm, rollback, "
	             "history, show, logs, counters, diff, rule-add, rule-del, vpn-status, "
	             "sync, vpn-edit or vpn-list)");
	expect_error("{\"version\":1,\"command\":\"status\",\"extra\":1}", -EINVAL,
	             "request: unknown key 'extra' (expected version, id, command, args)");
	expect_error("{\"version\":1,\"command\":\"status\",\"args\":{\"tenant\":\"x\"}}", -EINVAL,
	             "args: 'status' does not take 'tenant'");
	expect_error("{\"version\":1,\"command\":\"apply\"}", -EINVAL,
	             "args: 'apply' needs 'files'");
	expect_error("{\"version\":1,\"command\":\"apply\",\"args\":{\"files\":[]}}", -EINVAL,
	             "args.files: expected at least one policy file");
	expect_error("{\"version\":1,\"command\":\"apply\",\"args\":{\"files\":[{\"name\":\"../x\","
	             "\"content\":\"\"}]}}",
	             -EINVAL, "args.files[0].name: expected a file name without '/'");
	expect_error("{\"version\":1,\"command\":\"apply\",\"args\":{\"files\":[{\"name\":\"a\","
	             "\"content\":\"\"}],\"confirm\":0}}",
	             -EINVAL, "args.confirm: expected seconds from 1 to 3600");
	expect_error("{\"version\":1,\"command\":\"rollback\",\"args\":{\"generation\":\"x\"}}",
	             -EINVAL, "args.generation: expected a generation number");
	expect_error("{\"version\":1,\"version\":1,\"command\":\"status\"}", -EINVAL,
	             "request is not JSON: duplicate object key near '\"version\"' (column 22)");
	expect_error("{\"version\":1,\"id\":-1,\"command\":\"status\"}", -EINVAL,
	             "request: \"id\" must be a non-negative integer");
}

static void test_round_trip(void **state)
{
	struct fwp_file files[] = {{"a.yaml", "x: \"1\"\n", 7}, {"b.yaml", "", 0}};
	struct fwp_request in = {
	    .id = 42, .command = FWP_APPLY, .files = files, .n_files = 2, .confirm = 30};
	struct fwp_request out;
	char err[256];
	char *line = fwp_request_format(&in);

	(void)state;
	assert_non_null(line);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_int_equal(fwp_request_parse(line, strlen(line) - 1, &out, err, sizeof(err)), 0);
	assert_int_equal(out.id, 42);
	assert_int_equal(out.n_files, 2);
	assert_string_equal(out.files[0].content, "x: \"1\"\n");
	assert_int_equal(out.confirm, 30);
	fwp_request_free(&out);
	free(line);
}

static void test_responses(void **state)
{
	char *ok = fwp_response_ok(3, json_pack("{s:i}", "generation", 12));
	char *er = fwp_response_error(4, -EACCES, "not in group fwd", NULL);

	(void)state;
	assert_string_equal(
	    ok, "{\"id\":3,\"ok\":true,\"result\":{\"generation\":12},\"version\":1}\n");
	assert_string_equal(er, "{\"error\":{\"code\":\"EACCES\",\"message\":\"not in group fwd\"},"
	                        "\"id\":4,\"ok\":false,\"version\":1}\n");
	free(ok);
	free(er);
}

/* logs: follow, tenant, limit; each validated, and they survive a round trip. */
static void test_logs(void **state)
{
	struct fwp_request r, back;
	char err[256], *line;
	const char *lg = "{\"version\":1,\"id\":3,\"command\":\"logs\",\"args\":{\"follow\":true,"
	                 "\"tenant\":\"acme\",\"limit\":0}}";

	(void)state;
	assert_int_equal(fwp_request_parse(lg, strlen(lg), &r, err, sizeof(err)), 0);
	assert_int_equal(r.command, FWP_LOGS);
	assert_true(r.follow);
	assert_true(r.has_limit);
	assert_int_equal(r.limit, 0);
	assert_string_equal(r.tenant, "acme");
	line = fwp_request_format(&r);
	assert_string_equal(line, "{\"args\":{\"follow\":true,\"limit\":0,\"tenant\":\"acme\"},"
	                          "\"command\":\"logs\",\"id\":3,\"version\":1}\n");
	assert_int_equal(fwp_request_parse(line, strlen(line) - 1, &back, err, sizeof(err)), 0);
	assert_true(back.follow && back.has_limit && back.limit == 0);
	fwp_request_free(&back);
	free(line);
	fwp_request_free(&r);

	const char *plain = "{\"version\":1,\"command\":\"logs\"}";
	assert_int_equal(fwp_request_parse(plain, strlen(plain), &r, err, sizeof(err)), 0);
	assert_false(r.follow);
	assert_false(r.has_limit);
	assert_null(r.tenant);
	fwp_request_free(&r);

	expect_error("{\"version\":1,\"command\":\"logs\",\"args\":{\"follow\":1}}", -EINVAL,
	             "args.follow: expected true or false");
	expect_error("{\"version\":1,\"command\":\"logs\",\"args\":{\"limit\":1025}}", -EINVAL,
	             "args.limit: expected records from 0 to 1024");
	expect_error("{\"version\":1,\"command\":\"logs\",\"args\":{\"limit\":-1}}", -EINVAL,
	             "args.limit: expected records from 0 to 1024");
	expect_error("{\"version\":1,\"command\":\"logs\",\"args\":{\"limit\":\"5\"}}", -EINVAL,
	             "args.limit: expected records from 0 to 1024");
	expect_error("{\"version\":1,\"command\":\"logs\",\"args\":{\"tenant\":\"\"}}", -EINVAL,
	             "args.tenant: expected a tenant name");
	expect_error("{\"version\":1,\"command\":\"logs\",\"args\":{\"files\":[]}}", -EINVAL,
	             "args: 'logs' does not take 'files'");
	expect_error("{\"version\":1,\"command\":\"show\",\"args\":{\"follow\":true}}", -EINVAL,
	             "args: 'show' does not take 'follow'");
}

/* apply and rollback: origin (where the engineer is) and force. */
static void test_origin(void **state)
{
	struct fwp_request r, back;
	char err[256], *line;
	const char *ap = "{\"version\":1,\"id\":5,\"command\":\"apply\",\"args\":{\"files\":"
	                 "[{\"name\":\"a.yaml\",\"content\":\"\"}],\"origin\":{\"address\":"
	                 "\"198.51.100.5\",\"to\":\"203.0.113.11\",\"port\":2222},\"force\":true}}";
	const uint8_t from[4] = {198, 51, 100, 5}, to[4] = {203, 0, 113, 11};

	(void)state;
	assert_int_equal(fwp_request_parse(ap, strlen(ap), &r, err, sizeof(err)), 0);
	assert_true(r.has_origin);
	assert_int_equal(r.origin.family, 4);
	assert_memory_equal(r.origin.from, from, 4);
	assert_true(r.origin.has_to);
	assert_memory_equal(r.origin.to, to, 4);
	assert_int_equal(r.origin.port, 2222);
	assert_true(r.force);
	line = fwp_request_format(&r);
	assert_string_equal(line, "{\"args\":{\"files\":[{\"content\":\"\",\"name\":\"a.yaml\"}],"
	                          "\"force\":true,\"origin\":{\"address\":\"198.51.100.5\","
	                          "\"port\":2222,\"to\":\"203.0.113.11\"}},\"command\":\"apply\","
	                          "\"id\":5,\"version\":1}\n");
	assert_int_equal(fwp_request_parse(line, strlen(line) - 1, &back, err, sizeof(err)), 0);
	assert_memory_equal(&back.origin, &r.origin, sizeof(r.origin));
	fwp_request_free(&back);
	free(line);
	fwp_request_free(&r);

	/* rollback takes them too; to and port are optional; IPv6 */
	const char *rb = "{\"version\":1,\"command\":\"rollback\",\"args\":{\"origin\":"
	                 "{\"address\":\"2001:db8::5\"},\"force\":false}}";
	assert_int_equal(fwp_request_parse(rb, strlen(rb), &r, err, sizeof(err)), 0);
	assert_true(r.has_origin);
	assert_int_equal(r.origin.family, 6);
	assert_false(r.origin.has_to);
	assert_int_equal(r.origin.port, 0);
	assert_false(r.force);
	line = fwp_request_format(&r);
	assert_string_equal(line, "{\"args\":{\"origin\":{\"address\":\"2001:db8::5\"}},"
	                          "\"command\":\"rollback\",\"id\":0,\"version\":1}\n");
	free(line);
	fwp_request_free(&r);

#define APPLY_WITH(x)                                                                              \
	"{\"version\":1,\"command\":\"apply\",\"args\":{\"files\":[{\"name\":\"a\",\"content\":"   \
	"\"\"}]," x "}}"
	expect_error(APPLY_WITH("\"force\":1"), -EINVAL, "args.force: expected true or false");
	expect_error(APPLY_WITH("\"origin\":\"198.51.100.5\""), -EINVAL,
	             "args.origin: expected {\"address\": IP, \"to\": IP, \"port\": 1-65535} (to "
	             "and port optional)");
	expect_error(APPLY_WITH("\"origin\":{\"to\":\"198.51.100.5\"}"), -EINVAL,
	             "args.origin: expected {\"address\": IP, \"to\": IP, \"port\": 1-65535} (to "
	             "and port optional)");
	expect_error(APPLY_WITH("\"origin\":{\"address\":\"198.51.100.5\",\"via\":1}"), -EINVAL,
	             "args.origin: expected {\"address\": IP, \"to\": IP, \"port\": 1-65535} (to "
	             "and port optional)");
	expect_error(APPLY_WITH("\"origin\":{\"address\":\"198.51.100.5/24\"}"), -EINVAL,
	             "args.origin.address: expected an IPv4 or IPv6 address");
	expect_error(APPLY_WITH("\"origin\":{\"address\":5}"), -EINVAL,
	             "args.origin.address: expected an IPv4 or IPv6 address");
	expect_error(APPLY_WITH("\"origin\":{\"address\":\"198.51.100.5\",\"to\":\"2001:db8::1\"}"),
	             -EINVAL, "args.origin.to: expected an IPv4 address like args.origin.address");
	expect_error(APPLY_WITH("\"origin\":{\"address\":\"198.51.100.5\",\"port\":0}"), -EINVAL,
	             "args.origin.port: expected a tcp port from 1 to 65535");
	expect_error(APPLY_WITH("\"origin\":{\"address\":\"198.51.100.5\",\"port\":65536}"),
	             -EINVAL, "args.origin.port: expected a tcp port from 1 to 65535");
	expect_error("{\"version\":1,\"command\":\"confirm\",\"args\":{\"force\":true}}", -EINVAL,
	             "args: 'confirm' does not take 'force'");
	expect_error("{\"version\":1,\"command\":\"status\",\"args\":{\"origin\":{}}}", -EINVAL,
	             "args: 'status' does not take 'origin'");
#undef APPLY_WITH
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_origin),    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_errors),    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_responses), cmocka_unit_test(test_logs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
