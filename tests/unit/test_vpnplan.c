// SPDX-License-Identifier: GPL-2.0-or-later
/* The VPN plan: peers and allowed-ips, exact text, keys, pinned addresses,
 * and the peers a change takes away. */
#include <errno.h>
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
#include "fwd/vpnplan.h"
#include "testutil.h"

#define KA "Js7MhckIztulSbaDc5U0Oc3zJo8HhX9mE1vUwoqAhoQ="
#define KB "ke/YWuJ8AvA4KrN+uLLTitKxnp8eitTLppT/a5yho6U="
#define KS "YhFnigbHBKSVIwZ75QZVxYKPy5zk7rIS2Np9U231cN0="

#define HEAD                                                                                       \
	"tenant: {name: t, id: 7}\n"                                                               \
	"uplink: {interface: eth0, addresses: [203.0.113.5]}\n"                                    \
	"zones:\n"                                                                                 \
	"  a: {vlan: 10, subnet: 10.0.10.0/24}\n"                                                  \
	"hosts:\n"                                                                                 \
	"  h1: {zone: a, address: 10.0.10.5}\n"                                                    \
	"vpn:\n"                                                                                   \
	"  listen_port: 51820\n"                                                                   \
	"  pool: 10.99.0.0/24\n"

static struct fw_policy *load_opts(const char *text, const struct fw_vpn_pins *pins,
                                   struct fw_diags *d)
{
	struct fw_load_opts o = {.vpn_pins = pins};
	struct fw_policy_source src = {"t.yaml", text, strlen(text)};
	struct fw_policy *p = NULL;

	if (policy_load_buffers_opts(&src, 1, &o, d, &p) != 0) {
		char *msg = tu_diags_text(d);
		fail_msg("%s", msg);
	}
	return p;
}

static struct fw_plan *compile(const struct fw_policy *p)
{
	struct fw_diags d = {0};
	struct fw_plan *plan = NULL;

	assert_int_equal(plan_compile(p, &d, &plan), 0);
	fw_diags_free(&d);
	return plan;
}

static void test_keys(void **state)
{
	uint8_t k[FW_WG_KEY_LEN];
	char b[FW_WG_KEY_B64_SIZE];

	(void)state;
	assert_int_equal(vpn_key_from_b64(KA, k), 0);
	vpn_key_to_b64(k, b);
	assert_string_equal(b, KA);
	assert_int_equal(vpn_key_from_b64("Js7MhckIztulSbaDc5U0Oc3zJo8HhX9mE1vUwoqAhoQ", k),
	                 -EINVAL);
	/* the last character's unused bits must be zero */
	assert_int_equal(vpn_key_from_b64("Js7MhckIztulSbaDc5U0Oc3zJo8HhX9mE1vUwoqAhoR=", k),
	                 -EINVAL);
	assert_int_equal(vpn_key_from_b64("Js7MhckIztulSbaDc5U0Oc3zJo8HhX9mE1vUwoqAh!Q=", k),
	                 -EINVAL);
}

static const char render_text[] =
    "interface wg-t (tenant t)\n"
    "\tlisten-port 51820\n"
    "\taddress 10.99.0.1/24\n"
    "\tprivate-key keys/wg-t.key (in the state directory)\n"
    "\troute 10.30.0.0/16\n"
    "\troute 172.16.5.0/24\n"
    "\tpeer Js7MhckIztulSbaDc5U0Oc3zJo8HhX9mE1vUwoqAhoQ= (user alice)\n"
    "\t\tallowed-ips 10.99.0.10/32\n"
    "\tpeer YhFnigbHBKSVIwZ75QZVxYKPy5zk7rIS2Np9U231cN0= (site branch)\n"
    "\t\tallowed-ips 10.30.0.0/16, 172.16.5.0/24\n"
    "\t\tendpoint 198.51.100.30:51820\n"
    "\t\tpersistent-keepalive 25\n"
    "\tpeer ke/YWuJ8AvA4KrN+uLLTitKxnp8eitTLppT/a5yho6U= (user bob)\n"
    "\t\tallowed-ips 10.99.0.2/32\n";

/* Users get exactly their address, sites their networks; sorted by key
 * bytes (not by name, not by base64 text); a user without a key has no
 * peer; the text carries public keys only. */
static void test_plan_and_render(void **state)
{
	struct fw_diags d = {0};
	struct fw_policy *p = load_opts(HEAD "  users:\n"
	                                     "    alice: {address: 10.99.0.10, public_key: \"" KA
	                                     "\", groups: [it]}\n"
	                                     "    bob: {address: auto, public_key: \"" KB "\"}\n"
	                                     "    carol: {address: auto}\n"
	                                     "  sites:\n"
	                                     "    branch:\n"
	                                     "      endpoint: 198.51.100.30:51820\n"
	                                     "      public_key: \"" KS "\"\n"
	                                     "      networks: [172.16.5.0/24, 10.30.0.0/16]\n"
	                                     "      keepalive: 25\n",
	                                NULL, &d);
	struct fw_plan *plan = compile(p);
	const struct fw_vpn_iface *x;
	char *text;

	(void)state;
	assert_int_equal(plan->vpn.n_ifaces, 1);
	x = &plan->vpn.ifaces[0];
	assert_int_equal(x->n_peers, 3);
	assert_int_equal(x->n_users, 3);
	assert_string_equal(x->users[2].user, "carol");
	assert_int_equal(x->users[2].addr.a[3], 3);
	text = vpn_plan_render(&plan->vpn, NULL);
	assert_string_equal(text, render_text);
	free(text);
	text = vpn_plan_render(&plan->vpn, "other");
	assert_string_equal(text, "");
	free(text);
	plan_free(plan);
	policy_free(p);
	fw_diags_free(&d);
}

static void test_duplicate_key(void **state)
{
	const char *text = HEAD "  users:\n"
	                        "    alice: {address: 10.99.0.10, public_key: \"" KA "\"}\n"
	                        "    bob: {address: 10.99.0.11, public_key: \"" KA "\"}\n";
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	char *msg;

	(void)state;
	assert_int_equal(policy_load_buffer("t.yaml", text, strlen(text), &d, &p), 0);
	assert_int_equal(plan_compile(p, &d, &plan), -EINVAL);
	msg = tu_diags_text(&d);
	assert_string_equal(msg, "t.yaml:12:5: error: public_key: VPN user 'bob' has the same "
	                         "public key as VPN user 'alice' (11:5)\n");
	free(msg);
	policy_free(p);
	fw_diags_free(&d);
}

/* A user added before an auto user does not move it once pinned; without
 * the pins it would (the control). */
static void test_pins_keep_address(void **state)
{
	const char *before = HEAD "  users:\n"
	                          "    frank: {address: auto, public_key: \"" KA "\"}\n";
	const char *after = HEAD "  users:\n"
	                         "    anna: {address: auto, public_key: \"" KB "\"}\n"
	                         "    frank: {address: auto, public_key: \"" KA "\"}\n";
	struct fw_diags d = {0};
	struct fw_vpn_pins pins = {0};
	struct fw_policy *p = load_opts(before, NULL, &d);
	struct fw_plan *plan = compile(p);
	char *text;

	(void)state;
	assert_int_equal(vpn_pins_from_plan(&plan->vpn, &pins), 0);
	text = vpn_pins_format(&pins);
	assert_string_equal(text, "# fwd: VPN users' addresses, kept for good (TENANT USER "
	                          "ADDRESS)\nt frank 10.99.0.2\n");
	free(text);
	plan_free(plan);
	policy_free(p);

	/* control: file order alone gives frank anna's place */
	p = load_opts(after, NULL, &d);
	assert_int_equal(p->tenants[0].vpn.users[1].addr.a[3], 3);
	policy_free(p);

	p = load_opts(after, &pins, &d);
	assert_string_equal(p->tenants[0].vpn.users[1].name, "frank");
	assert_int_equal(p->tenants[0].vpn.users[1].addr.a[3], 2);
	assert_int_equal(p->tenants[0].vpn.users[0].addr.a[3], 3);
	policy_free(p);
	vpn_pins_clear(&pins);
	fw_diags_free(&d);
}

/* A fixed address given to somebody else wins over a pin, with a warning. */
static void test_pin_taken(void **state)
{
	struct fw_vpn_pins pins = {0};
	struct fw_diags d = {0};
	struct fw_policy *p;
	unsigned bad = 0;
	char *msg;

	(void)state;
	assert_int_equal(vpn_pins_parse("t frank 10.99.0.2\n", 18, &pins, &bad), 0);
	p = load_opts(HEAD "  users:\n"
	                   "    frank: {address: auto}\n"
	                   "    gus: {address: 10.99.0.2}\n",
	              &pins, &d);
	assert_int_equal(p->tenants[0].vpn.users[0].addr.a[3], 3);
	msg = tu_diags_text(&d);
	assert_string_equal(msg, "t.yaml:11:22: warning: address: VPN user 'frank' had 10.99.0.2, "
	                         "which VPN user 'gus' now has: 'frank' gets a new address\n");
	free(msg);
	policy_free(p);
	vpn_pins_clear(&pins);
	fw_diags_free(&d);
}

static void test_pins_parse(void **state)
{
	struct fw_vpn_pins pins = {0};
	unsigned bad = 0;
	const char *t;

	(void)state;
	t = "# c\n\nb u 10.0.0.2\na u 10.0.0.3\n";
	assert_int_equal(vpn_pins_parse(t, strlen(t), &pins, &bad), 0);
	assert_int_equal(pins.n, 2);
	assert_string_equal(pins.v[0].tenant, "a");
	assert_non_null(vpn_pins_find(&pins, "b", "u"));
	assert_null(vpn_pins_find(&pins, "b", "v"));
	t = "a u 10.0.0.2\na u 10.0.0.9/24\n";
	assert_int_equal(vpn_pins_parse(t, strlen(t), &pins, &bad), -EINVAL);
	assert_int_equal(bad, 2);
	assert_int_equal(pins.n, 2); /* untouched */
	t = "a u 10.0.0.2\na u 10.0.0.3\n";
	assert_int_equal(vpn_pins_parse(t, strlen(t), &pins, &bad), -EINVAL);
	t = "a u 10.0.0.2 extra\n";
	assert_int_equal(vpn_pins_parse(t, strlen(t), &pins, &bad), -EINVAL);
	assert_int_equal(bad, 1);
	vpn_pins_clear(&pins);
}

/* Removing a user: its address is "gone" (its connections end), the
 * other user's and the site's are not; a re-keyed user is gone too. */
static void test_peer_gone(void **state)
{
	struct fw_diags d = {0};
	struct fw_policy *p1 =
	    load_opts(HEAD "  users:\n"
	                   "    alice: {address: 10.99.0.10, public_key: \"" KA "\"}\n"
	                   "    bob: {address: 10.99.0.11, public_key: \"" KB "\"}\n",
	              NULL, &d);
	struct fw_policy *p2 =
	    load_opts(HEAD "  users:\n"
	                   "    bob: {address: 10.99.0.11, public_key: \"" KB "\"}\n",
	              NULL, &d);
	struct fw_policy *p3 =
	    load_opts(HEAD "  users:\n"
	                   "    bob: {address: 10.99.0.11, public_key: \"" KS "\"}\n",
	              NULL, &d);
	struct fw_plan *a = compile(p1), *b = compile(p2), *c = compile(p3);
	uint8_t alice[16] = {10, 99, 0, 10}, bob[16] = {10, 99, 0, 11}, host[16] = {10, 0, 10, 5};
	const struct fw_vpn_peer *gone;

	(void)state;
	gone = vpn_plan_peer_gone(&a->vpn, &b->vpn, 4, alice);
	assert_non_null(gone);
	assert_string_equal(gone->name, "alice");
	assert_null(vpn_plan_peer_gone(&a->vpn, &b->vpn, 4, bob));
	assert_null(vpn_plan_peer_gone(&a->vpn, &b->vpn, 4, host));
	assert_non_null(vpn_plan_peer_gone(&b->vpn, &c->vpn, 4, bob));
	assert_false(vpn_plan_equal(&a->vpn, &b->vpn));
	assert_true(vpn_plan_equal(&b->vpn, &b->vpn));
	plan_free(a);
	plan_free(b);
	plan_free(c);
	policy_free(p1);
	policy_free(p2);
	policy_free(p3);
	fw_diags_free(&d);
}

/* An IPv6 pool: a user's allowed-ips is its /128, the interface has the
 * pool's length. */
static void test_ipv6_pool(void **state)
{
	struct fw_diags d = {0};
	struct fw_policy *p = load_opts("tenant: {name: t, id: 7}\n"
	                                "uplink: {interface: eth0, addresses: [203.0.113.5]}\n"
	                                "zones:\n  a: {vlan: 10, subnet: 10.0.10.0/24}\n"
	                                "vpn:\n  listen_port: 51820\n  pool: 2001:db8:99::/64\n"
	                                "  users:\n"
	                                "    alice: {address: auto, public_key: \"" KA "\"}\n",
	                                NULL, &d);
	struct fw_plan *plan = compile(p);
	char *text = vpn_plan_render(&plan->vpn, "t");

	(void)state;
	assert_string_equal(text, "interface wg-t (tenant t)\n"
	                          "\tlisten-port 51820\n"
	                          "\taddress 2001:db8:99::1/64\n"
	                          "\tprivate-key keys/wg-t.key (in the state directory)\n"
	                          "\tpeer " KA " (user alice)\n"
	                          "\t\tallowed-ips 2001:db8:99::2/128\n");
	free(text);
	plan_free(plan);
	policy_free(p);
	fw_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys),          cmocka_unit_test(test_plan_and_render),
	    cmocka_unit_test(test_duplicate_key), cmocka_unit_test(test_pins_keep_address),
	    cmocka_unit_test(test_pin_taken),     cmocka_unit_test(test_pins_parse),
	    cmocka_unit_test(test_peer_gone),     cmocka_unit_test(test_ipv6_pool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
