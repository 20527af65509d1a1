// SPDX-License-Identifier: GPL-2.0-or-later
/* A VPN user's AllowedIPs (what its rules reach) and its wg-quick text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/policy.h"
#include "fwd/vpnclient.h"
#include "testutil.h"

static const char policy[] = "tenant: {name: roam, id: 4}\n"
                             "uplink: {interface: eth0, addresses: [203.0.113.40]}\n"
                             "zones:\n"
                             "  servers: {vlan: 410, subnet: 10.41.10.0/24}\n"
                             "  lab: {vlan: 420, subnet: 10.41.20.0/24}\n"
                             "hosts:\n"
                             "  crm: {zone: servers, address: 10.41.10.10}\n"
                             "  dns1: {zone: servers, address: 10.41.10.53}\n"
                             "  scope: {zone: lab, address: 10.41.20.7}\n"
                             "groups:\n"
                             "  admins: [vpn:group:it]\n"
                             "rules:\n"
                             "  - {id: it, from: admins, to: servers, allow: ssh}\n"
                             "  - {id: sales, from: vpn:group:sales, to: crm, allow: https}\n"
                             "  - {id: dns, from: vpn:all, to: dns1, allow: dns}\n"
                             "  - {id: lab, from: vpn:dave, to: [scope, site:branch], allow: ssh}\n"
                             "  - {id: peer, from: 10.41.99.16/28, to: vpn:carol, allow: ssh}\n"
                             "egress:\n"
                             "  - {id: out, from: vpn:group:web, allow: https}\n"
                             "management:\n"
                             "  - {id: m, from: vpn:group:it, allow: ssh}\n"
                             "vpn:\n"
                             "  listen_port: 51840\n"
                             "  pool: 10.41.99.0/24\n"
                             "  users:\n"
                             "    carol: {address: 10.41.99.10, groups: [it]}\n"
                             "    dave: {address: 10.41.99.20, groups: [sales]}\n"
                             "    erin: {address: auto, groups: [web]}\n"
                             "    zed: {address: 10.41.99.40}\n"
                             "  sites:\n"
                             "    branch:\n"
                             "      public_key: \"ke/YWuJ8AvA4KrN+uLLTitKxnp8eitTLppT/a5yho6U=\"\n"
                             "      networks: [10.50.0.0/16]\n";

static struct fw_policy *load(void)
{
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;

	if (policy_load_buffer("roam.yaml", policy, strlen(policy), &d, &p) != 0) {
		char *t = tu_diags_text(&d);
		fail_msg("policy: %s", t);
	}
	fw_diags_free(&d);
	return p;
}

static void expect_ips(const struct fw_policy *p, const char *user, const char *want)
{
	struct fw_prefix *v = NULL;
	size_t n = 0;
	char *text;

	assert_int_equal(vpn_client_allowed_ips(p, "roam", user, &v, &n), 0);
	text = vpn_client_prefixes_text(v, n);
	assert_non_null(text);
	assert_string_equal(text, want);
	free(text);
	free(v);
}

static void test_allowed_ips(void **state)
{
	(void)state;
	struct fw_policy *p = load();
	struct fw_prefix *v = (struct fw_prefix *)p;
	size_t n = 7;

	/* group it (through the group admins): the zone, the firewall's
	 * tunnel address (management), dns1 (vpn:all, inside the zone); the
	 * /28 rule names carol as a destination, not a source */
	expect_ips(p, "carol", "10.41.10.0/24, 10.41.99.1/32");
	/* sales: crm and dns1; vpn:dave: scope and the site's network;
	 * 10.41.99.16/28 holds dave's .20: carol */
	expect_ips(p, "dave",
	           "10.41.10.10/32, 10.41.10.53/32, 10.41.20.7/32, 10.41.99.10/32, 10.50.0.0/16");
	/* web: egress means everything (the rest is inside it) */
	expect_ips(p, "erin", "0.0.0.0/0");
	/* zed: vpn:all only */
	expect_ips(p, "zed", "10.41.10.53/32");
	assert_int_equal(vpn_client_allowed_ips(p, "roam", "nobody", &v, &n), -ENOENT);
	assert_int_equal(vpn_client_allowed_ips(p, "other", "carol", &v, &n), -ENOENT);
	assert_ptr_equal(v, (struct fw_prefix *)p); /* untouched on failure */
	assert_int_equal(n, 7);
	policy_free(p);
}

static void test_render(void **state)
{
	(void)state;
	struct vpn_client_conf c = {
	    .private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=",
	    .address = "10.41.99.2/32",
	    .dns = "10.41.10.53",
	    .server_key = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",
	    .endpoint = "203.0.113.40:51840",
	    .allowed_ips = "10.41.10.0/24, 10.41.99.1/32",
	    .keepalive = 25,
	};
	char *t = vpn_client_config_render(&c);

	assert_string_equal(t, "[Interface]\n"
	                       "PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"
	                       "Address = 10.41.99.2/32\n"
	                       "DNS = 10.41.10.53\n"
	                       "\n"
	                       "[Peer]\n"
	                       "PublicKey = HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\n"
	                       "Endpoint = 203.0.113.40:51840\n"
	                       "AllowedIPs = 10.41.10.0/24, 10.41.99.1/32\n"
	                       "PersistentKeepalive = 25\n");
	free(t);
	c.dns = NULL;
	c.endpoint = "";
	c.allowed_ips = NULL;
	c.keepalive = 0;
	t = vpn_client_config_render(&c);
	assert_string_equal(t, "[Interface]\n"
	                       "PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"
	                       "Address = 10.41.99.2/32\n"
	                       "\n"
	                       "[Peer]\n"
	                       "PublicKey = HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\n");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allowed_ips),
	    cmocka_unit_test(test_render),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
