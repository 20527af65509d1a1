// SPDX-License-Identifier: GPL-2.0-or-later
/* Editing a tenant file's VPN users and sites: the exact YAML, and errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/edit_vpn.h"
#include "fwd/policy.h"
#include "testutil.h"

#define K1 "Js7MhckIztulSbaDc5U0Oc3zJo8HhX9mE1vUwoqAhoQ="
#define K2 "ke/YWuJ8AvA4KrN+uLLTitKxnp8eitTLppT/a5yho6U="

/* The tenant file, in parts: the expected results below are these parts
 * with what an edit adds or removes between them. */
#define HEAD                                                                                       \
	"tenant: {name: roam, id: 4}\n"                                                            \
	"uplink: {interface: eth0, addresses: [203.0.113.40]}\n"                                   \
	"zones:\n"                                                                                 \
	"  servers: {vlan: 410, subnet: 10.41.10.0/24}\n"                                          \
	"\n"                                                                                       \
	"vpn:\n"                                                                                   \
	"  listen_port: 51840   # unique\n"                                                        \
	"  pool: 10.41.99.0/24\n"                                                                  \
	"  users:\n"                                                                               \
	"    # IT\n"
#define CAROL                                                                                      \
	"    carol:\n"                                                                             \
	"      address: 10.41.99.10   # her laptop\n"                                              \
	"      public_key: \"" K1 "\"\n"                                                           \
	"      groups: [it]\n"
#define TAIL                                                                                       \
	"\n"                                                                                       \
	"# what this tenant promises\n"                                                            \
	"expect: []\n"

static const char base[] = HEAD CAROL TAIL;

static const char *const sales[] = {"sales", "crm-users"};
static const char *const nets[] = {"10.50.0.0/16", "fd50::/48"};

static char *user_add(const char *text, const struct fw_vpn_user_spec *s)
{
	char *out = NULL, err[256];
	size_t len = 0;
	int r = fw_edit_vpn_user_add("f.yaml", text, strlen(text), s, &out, &len, err, sizeof(err));

	if (r != 0)
		fail_msg("user add: %d %s", r, err);
	assert_int_equal(len, strlen(out));
	return out;
}

static char *user_del(const char *text, const char *name)
{
	char *out = NULL, err[256];
	size_t len = 0;
	int r =
	    fw_edit_vpn_user_del("f.yaml", text, strlen(text), name, &out, &len, err, sizeof(err));

	if (r != 0)
		fail_msg("user del: %d %s", r, err);
	return out;
}

static void user_add_fails(const char *text, const struct fw_vpn_user_spec *s, int code,
                           const char *msg)
{
	char *out = (char *)"untouched", err[256];
	size_t len = 0;

	assert_int_equal(
	    fw_edit_vpn_user_add("f.yaml", text, strlen(text), s, &out, &len, err, sizeof(err)),
	    code);
	assert_string_equal(err, msg);
	assert_string_equal(out, "untouched");
}

/* The result still loads as a policy (the loader checks the rest). */
static void loads(const char *text)
{
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	int r = policy_load_buffer("f.yaml", text, strlen(text), &d, &p);

	if (r != 0) {
		char *t = tu_diags_text(&d);
		fail_msg("does not load: %s\n%s", t, text);
	}
	policy_free(p);
	fw_diags_free(&d);
}

static void test_user_add_after_last(void **state)
{
	(void)state;
	struct fw_vpn_user_spec u = {
	    .name = "dave", .public_key = K2, .groups = sales, .n_groups = 2};
	char *out = user_add(base, &u);

	assert_string_equal(out, HEAD CAROL "    dave:\n"
	                                    "      address: auto\n"
	                                    "      public_key: \"" K2 "\"\n"
	                                    "      groups: [sales, crm-users]\n" TAIL);
	loads(out);
	/* and out again: the original, byte for byte */
	char *back = user_del(out, "dave");
	assert_string_equal(back, base);
	free(back);
	free(out);
}

static void test_user_add_fixed_address_no_groups(void **state)
{
	(void)state;
	struct fw_vpn_user_spec u = {.name = "erin", .address = "10.41.99.21", .public_key = K2};
	char *out = user_add(base, &u);

	assert_non_null(strstr(out, "      groups: [it]\n"
	                            "    erin:\n"
	                            "      address: 10.41.99.21\n"
	                            "      public_key: \"" K2 "\"\n"
	                            "\n# what"));
	loads(out);
	free(out);
}

static void test_user_add_new_users_section(void **state)
{
	(void)state;
	const char *text = "tenant: {name: t, id: 1}\n"
	                   "uplink: {interface: eth0}\n"
	                   "zones: {a: {vlan: 10, subnet: 10.0.10.0/24}}\n"
	                   "vpn:\n"
	                   "  listen_port: 51820\n"
	                   "  pool: 10.9.0.0/24 # clients\n";
	struct fw_vpn_user_spec u = {.name = "ann", .public_key = K1};
	char *out = user_add(text, &u);

	assert_string_equal(out, "tenant: {name: t, id: 1}\n"
	                         "uplink: {interface: eth0}\n"
	                         "zones: {a: {vlan: 10, subnet: 10.0.10.0/24}}\n"
	                         "vpn:\n"
	                         "  listen_port: 51820\n"
	                         "  pool: 10.9.0.0/24 # clients\n"
	                         "  users:\n"
	                         "    ann:\n"
	                         "      address: auto\n"
	                         "      public_key: \"" K1 "\"\n");
	loads(out);
	/* the last user out: the section stays, an empty mapping */
	char *back = user_del(out, "ann");
	assert_string_equal(back, "tenant: {name: t, id: 1}\n"
	                          "uplink: {interface: eth0}\n"
	                          "zones: {a: {vlan: 10, subnet: 10.0.10.0/24}}\n"
	                          "vpn:\n"
	                          "  listen_port: 51820\n"
	                          "  pool: 10.9.0.0/24 # clients\n"
	                          "  users: {}\n");
	loads(back);
	/* and an empty mapping takes a user again */
	char *again = user_add(back, &u);
	assert_string_equal(again, out);
	free(again);
	free(back);
	free(out);
}

static void test_user_del_middle_keeps_comments(void **state)
{
	(void)state;
	struct fw_vpn_user_spec u = {.name = "dave", .public_key = K2};
	char *two = user_add(base, &u);
	char *out = user_del(two, "carol");

	assert_string_equal(out, HEAD "    dave:\n"
	                              "      address: auto\n"
	                              "      public_key: \"" K2 "\"\n" TAIL);
	loads(out);
	free(out);
	free(two);
}

static void test_user_errors(void **state)
{
	/* user add: file (NULL: base), name, key, address; the answer */
	static const struct {
		const char *text, *name, *key, *address;
		int code;
		const char *msg;
	} cases[] = {
	    {NULL, "carol", K2, NULL, -EEXIST, "f.yaml:11:5: VPN user 'carol' already exists"},
	    {NULL, "Carol", K2, NULL, -EINVAL,
	     "VPN user name: expected a name (a lowercase letter, then up to 31 of a-z "
	     "0-9 - _; not all/any/firewall/internet), found 'Carol'"},
	    {NULL, "dave", "not-a-key", NULL, -EINVAL,
	     "public key: expected a WireGuard public key (44 characters of base64), "
	     "found 'not-a-key'"},
	    {NULL, "dave", K2, "10.41.99.0/24", -EINVAL,
	     "address: expected an address or auto, found '10.41.99.0/24'"},
	    {"tenant: {name: t, id: 1}\nuplink: {interface: eth0}\n", "dave", K2, NULL, -ENOENT,
	     "f.yaml: the tenant has no vpn: section (listen_port, pool); add it first"},
	    {"tenant: {name: t, id: 1}\nvpn: {listen_port: 1, pool: 10.0.0.0/24}\n", "dave", K2,
	     NULL, -EINVAL,
	     "f.yaml:2:6: vpn: written as a flow mapping ({...}); fwctl does not edit "
	     "it; edit the file"},
	    /* positions are counted in "\n" lines: other line breaks are refused */
	    {"tenant: {name: t, id: 1}\nvpn:\r  listen_port: 1\n", "dave", K2, NULL, -EINVAL,
	     "f.yaml:2: a line break other than LF or CR LF (a lone CR, NEL, LS or PS); fwctl "
	     "does not edit such files"},
	    {"tenant: {name: t, id: 1}\n# \xe2\x80\xa8\n", "dave", K2, NULL, -EINVAL,
	     "f.yaml:2: a line break other than LF or CR LF (a lone CR, NEL, LS or PS); fwctl "
	     "does not edit such files"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fw_vpn_user_spec u = {
		    .name = cases[i].name, .public_key = cases[i].key, .address = cases[i].address};

		user_add_fails(cases[i].text ? cases[i].text : base, &u, cases[i].code,
		               cases[i].msg);
	}

	char *out = NULL, err[256];
	size_t len;
	assert_int_equal(
	    fw_edit_vpn_user_del("f.yaml", base, strlen(base), "zed", &out, &len, err, sizeof(err)),
	    -ENOENT);
	assert_string_equal(err, "f.yaml: no VPN user 'zed'");
	assert_null(out);
}

static void test_site_add_del(void **state)
{
	(void)state;
	struct fw_vpn_site_spec s = {.name = "branch",
	                             .public_key = K2,
	                             .networks = nets,
	                             .n_networks = 2,
	                             .endpoint = "198.51.100.20:51820",
	                             .keepalive = 25};
	char *out = NULL, *back = NULL, err[256];
	size_t len;

	assert_int_equal(
	    fw_edit_vpn_site_add("f.yaml", base, strlen(base), &s, &out, &len, err, sizeof(err)),
	    0);
	assert_string_equal(out, HEAD CAROL "  sites:\n"
	                                    "    branch:\n"
	                                    "      endpoint: \"198.51.100.20:51820\"\n"
	                                    "      public_key: \"" K2 "\"\n"
	                                    "      networks: [10.50.0.0/16, fd50::/48]\n"
	                                    "      keepalive: 25\n" TAIL);
	loads(out);
	assert_int_equal(
	    fw_edit_vpn_site_add("f.yaml", out, strlen(out), &s, &back, &len, err, sizeof(err)),
	    -EEXIST);
	assert_string_equal(err, "f.yaml:16:5: VPN site 'branch' already exists");
	s.n_networks = 0;
	assert_int_equal(
	    fw_edit_vpn_site_add("f.yaml", base, strlen(base), &s, &back, &len, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "networks: expected 1 to 32 prefixes");
	assert_int_equal(fw_edit_vpn_site_del("f.yaml", out, strlen(out), "branch", &back, &len,
	                                      err, sizeof(err)),
	                 0);
	/* "sites: {}" stays: the section was added, and is now empty */
	assert_non_null(strstr(back, "      groups: [it]\n  sites: {}\n\n# what"));
	loads(back);
	free(back);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_user_add_after_last),
	    cmocka_unit_test(test_user_add_fixed_address_no_groups),
	    cmocka_unit_test(test_user_add_new_users_section),
	    cmocka_unit_test(test_user_del_middle_keeps_comments),
	    cmocka_unit_test(test_user_errors),
	    cmocka_unit_test(test_site_add_del),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
