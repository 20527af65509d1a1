// SPDX-License-Identifier: GPL-2.0-or-later
/* Control requests through the daemon's handlers, with a fake kernel. */
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

/* Send one request line as `uid`, return the parsed response. */
static json_t *call(uid_t uid, const char *line)
{
	return tu_daemon_call(&td, uid, line);
}

static const char *err_code(json_t *r)
{
	return json_string_value(json_object_get(json_object_get(r, "error"), "code"));
}

static void test_apply_status_history(void **state)
{
	json_t *r;
	const char *apply =
	    "{\"version\":1,\"id\":1,\"command\":\"apply\",\"args\":{\"files\":[{\"name\":\"t."
	    "yaml\","
	    "\"content\":\"tenant: {name: t, id: 1}\\nuplink: {interface: eth0}\\nzones:\\n  a: "
	    "{vlan: 10, subnet: 10.0.10.0/24}\\n\"}],\"confirm\":30}}";

	(void)state;
	r = call(0, "{\"version\":1,\"command\":\"show\"}");
	assert_string_equal(err_code(r), "ENOENT");
	json_decref(r);

	r = call(0, apply);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(r, "result"), "generation")), 1);
	json_decref(r);

	r = call(0, "{\"version\":1,\"command\":\"status\"}");
	json_t *res = json_object_get(r, "result");
	assert_int_equal(json_integer_value(json_object_get(res, "live")), 1);
	assert_int_equal(json_integer_value(json_object_get(res, "pending")), 1);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(res, "tenants"), 0), "name")),
	                    "t");
	json_decref(r);

	/* A second change waits for the confirmation. */
	r = call(0, apply);
	assert_string_equal(err_code(r), "EBUSY");
	json_decref(r);
	r = call(0, "{\"version\":1,\"command\":\"confirm\"}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);

	r = call(0, "{\"version\":1,\"command\":\"show\",\"args\":{\"tenant\":\"t\"}}");
	json_t *tables = json_object_get(json_object_get(r, "result"), "tables");
	assert_int_equal(json_array_size(tables), 1);
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_array_get(tables, 0), "ruleset")),
	           "table inet fwd_t {"));
	json_decref(r);

	r = call(0, "{\"version\":1,\"command\":\"history\"}");
	json_t *gens = json_object_get(json_object_get(r, "result"), "generations");
	assert_int_equal(json_array_size(gens), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(gens, 0), "who")),
	                    "root");
	json_decref(r);
}

static void test_errors_and_access(void **state)
{
	json_t *r;

	(void)state;
	/* A broken policy: refused with its diagnostics. */
	r = call(0,
	         "{\"version\":1,\"command\":\"apply\",\"args\":{\"files\":[{\"name\":\"bad.yaml\","
	         "\"content\":\"tenant: {name: t}\\n\"}]}}");
	assert_string_equal(err_code(r), "EINVAL");
	json_t *diag =
	    json_array_get(json_object_get(json_object_get(r, "error"), "diagnostics"), 0);
	assert_string_equal(json_string_value(json_object_get(diag, "file")), "bad.yaml");
	assert_int_equal(json_integer_value(json_object_get(diag, "line")), 1);
	json_decref(r);

	/* Someone outside root and the fwd group may look, not change. */
	r = call(4242, "{\"version\":1,\"command\":\"rollback\"}");
	assert_string_equal(err_code(r), "EACCES");
	json_decref(r);
	r = call(4242, "{\"version\":1,\"command\":\"status\"}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);

	r = call(0, "{\"version\":1,\"command\":\"confirm\"}");
	assert_string_equal(err_code(r), "ENOENT");
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_prestate_setup_teardown(test_apply_status_history, tu_daemon_setup,
	                                             tu_daemon_teardown, &td),
	    cmocka_unit_test_prestate_setup_teardown(test_errors_and_access, tu_daemon_setup,
	                                             tu_daemon_teardown, &td),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
