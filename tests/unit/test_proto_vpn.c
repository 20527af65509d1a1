// SPDX-License-Identifier: GPL-2.0-or-later
/* The protocol's vpn-edit and vpn-list requests: exact refusals, and what
 * fwctl sends is what fwd reads. */
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
	expect_error(REQ("vpn-edit", "{\"vpn\":{\"op\":\"user-del\",\"name\":\"a\"}}"),
	             "args: 'vpn-edit' needs 'tenant'");
	expect_error(REQ("vpn-edit", "{\"tenant\":\"t\"}"),
	             "args.vpn: expected {\"op\", \"name\", ...} (user-add, user-del, site-add, "
	             "site-del)");
	expect_error(REQ("vpn-edit",
	                 "{\"tenant\":\"t\",\"vpn\":{\"op\":\"user-add\",\"name\":\"a\","
	                 "\"private_key\":\"x\"}}"),
	             "args.vpn: unknown key 'private_key'");
	expect_error(REQ("vpn-edit", "{\"tenant\":\"t\",\"vpn\":{\"op\":\"drop\",\"name\":\"a\"}}"),
	             "args.vpn.op: expected user-add, user-del, site-add or site-del");
	expect_error(REQ("vpn-edit", "{\"tenant\":\"t\",\"vpn\":{\"op\":\"user-del\"}}"),
	             "args.vpn: 'user-del' needs 'name'");
	expect_error(REQ("vpn-edit",
	                 "{\"tenant\":\"t\",\"vpn\":{\"op\":\"site-add\",\"name\":\"b\","
	                 "\"keepalive\":70000}}"),
	             "args.vpn.keepalive: expected seconds from 0 to 65535");
	expect_error(REQ("vpn-edit",
	                 "{\"tenant\":\"t\",\"vpn\":{\"op\":\"site-add\",\"name\":\"b\","
	                 "\"networks\":[1]}}"),
	             "args.vpn.networks[0]: expected a string of 1 to 1024 bytes");
	expect_error(REQ("vpn-list", "{\"vpn\":{}}"), "args: 'vpn-list' does not take 'vpn'");
}

static void test_round_trip(void **state)
{
	(void)state;
	struct fwp_request req = {.command = FWP_VPN_EDIT, .tenant = "roam", .has_vpn = true};
	struct fwp_request got;
	char err[256], *line;

	req.vpn =
	    (struct fwp_vpn_edit){.op = "site-add",
	                          .name = "branch",
	                          .public_key = "K2VA89/Vd9/5OyVOy6O/QcSL8aXTbQ35GJ1cb0QSOG0=",
	                          .endpoint = "198.51.100.20:51820",
	                          .networks = {"10.50.0.0/16", "10.51.0.0/16"},
	                          .n_networks = 2,
	                          .groups = {"it"},
	                          .n_groups = 1,
	                          .keepalive = 25};
	line = fwp_request_format(&req);
	assert_non_null(line);
	assert_int_equal(fwp_request_parse(line, strlen(line) - 1, &got, err, sizeof(err)), 0);
	assert_true(got.has_vpn);
	assert_string_equal(got.tenant, "roam");
	assert_string_equal(got.vpn.op, "site-add");
	assert_string_equal(got.vpn.name, "branch");
	assert_string_equal(got.vpn.public_key, req.vpn.public_key);
	assert_string_equal(got.vpn.endpoint, "198.51.100.20:51820");
	assert_int_equal(got.vpn.n_networks, 2);
	assert_string_equal(got.vpn.networks[1], "10.51.0.0/16");
	assert_int_equal(got.vpn.n_groups, 1);
	assert_string_equal(got.vpn.groups[0], "it");
	assert_int_equal(got.vpn.keepalive, 25);
	assert_null(got.vpn.address);
	fwp_request_free(&got);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
