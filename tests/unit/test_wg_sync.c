// SPDX-License-Identifier: GPL-2.0-or-later
/* Peers synced by difference: only what differs is in the change. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "fwd/plan.h"
#include "testutil.h"
#include "wg.h"

#define KA "Js7MhckIztulSbaDc5U0Oc3zJo8HhX9mE1vUwoqAhoQ="
#define KB "ke/YWuJ8AvA4KrN+uLLTitKxnp8eitTLppT/a5yho6U="
#define KS "YhFnigbHBKSVIwZ75QZVxYKPy5zk7rIS2Np9U231cN0="
#define KX "x9AqL5iScjvwUlbF8fQutJ+/tEiRkaGdNWxWe80oV7s="

static const char policy[] = "tenant: {name: t, id: 7}\n"
                             "uplink: {interface: eth0, addresses: [203.0.113.5]}\n"
                             "zones:\n"
                             "  a: {vlan: 10, subnet: 10.0.10.0/24}\n"
                             "vpn:\n"
                             "  listen_port: 51820\n"
                             "  pool: 10.99.0.0/24\n"
                             "  users:\n"
                             "    alice: {address: 10.99.0.10, public_key: \"" KA "\"}\n"
                             "    bob: {address: 10.99.0.11, public_key: \"" KB "\"}\n"
                             "  sites:\n"
                             "    branch:\n"
                             "      endpoint: 198.51.100.30:51820\n"
                             "      public_key: \"" KS "\"\n"
                             "      networks: [10.30.0.0/16]\n"
                             "      keepalive: 25\n";

struct fx {
	struct fw_policy *p;
	struct fw_plan *plan;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct fw_diags d = {0};

	assert_int_equal(policy_load_buffer("t.yaml", policy, strlen(policy), &d, &f->p), 0);
	assert_int_equal(plan_compile(f->p, &d, &f->plan), 0);
	fw_diags_free(&d);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	plan_free(f->plan);
	policy_free(f->p);
	free(f);
	return 0;
}

/* The device as fwd left it: exactly the plan (endpoints as the kernel
 * reports them, the users' roaming ones included). */
static void device_as_planned(const struct fw_vpn_iface *x, struct wg_device *d)
{
	memset(d, 0, sizeof(*d));
	d->set_listen_port = true;
	d->listen_port = x->listen_port;
	for (size_t i = x->n_peers; i-- > 0;) { /* reversed: the sync sorts */
		const struct fw_vpn_peer *p = &x->peers[i];
		struct wg_peer *n = wg_device_add_peer(d);

		memcpy(n->key, p->key, WG_KEY_LEN);
		n->keepalive = p->keepalive;
		n->has_endpoint = true;
		n->endpoint.in.sin_family = AF_INET;
		n->endpoint.in.sin_port = htons(p->has_endpoint ? p->endpoint.port : 40000);
		memcpy(&n->endpoint.in.sin_addr,
		       p->has_endpoint ? p->endpoint.addr : (const uint8_t[]){192, 0, 2, 7}, 4);
		for (size_t j = p->n_allowed; j-- > 0;)
			assert_int_equal(wg_peer_add_allowed(n, &p->allowed[j]), 0);
	}
	wg_device_sort(d);
}

static void test_nothing_to_do(void **state)
{
	struct fx *f = *state;
	struct wg_device dev, c;
	struct wg_sync_stats st;

	device_as_planned(&f->plan->vpn.ifaces[0], &dev);
	assert_int_equal(wg_sync_diff(&dev, &f->plan->vpn.ifaces[0], NULL, &c, &st), 0);
	assert_true(wg_change_empty(&c));
	assert_int_equal(st.kept, 3);
	wg_device_clear(&c);
	wg_device_clear(&dev);
}

static void test_empty_device(void **state)
{
	struct fx *f = *state;
	struct wg_device dev = {0}, c;
	struct wg_sync_stats st;

	assert_int_equal(wg_sync_diff(&dev, &f->plan->vpn.ifaces[0], NULL, &c, &st), 0);
	assert_true(c.set_listen_port);
	assert_int_equal(c.listen_port, 51820);
	assert_int_equal(st.added, 3);
	assert_int_equal(c.n_peers, 3);
	/* the site: endpoint, keepalive, its network */
	assert_true(c.peers[1].set_endpoint);
	assert_int_equal(ntohs(c.peers[1].endpoint.in.sin_port), 51820);
	assert_true(c.peers[1].set_keepalive);
	assert_int_equal(c.peers[1].keepalive, 25);
	assert_true(c.peers[1].replace_allowed);
	assert_int_equal(c.peers[1].n_allowed, 1);
	/* a user: no endpoint (it roams), no keepalive, its /32 */
	assert_false(c.peers[0].set_endpoint);
	assert_false(c.peers[0].set_keepalive);
	assert_int_equal(c.peers[0].allowed[0].len, 32);
	assert_false(c.peers[0].update_only);
	wg_device_clear(&c);
}

/* One user removed and a foreign peer on the device: exactly those two are
 * in the change (removals); the others are not named at all. */
static void test_remove_only(void **state)
{
	struct fx *f = *state;
	struct fw_vpn_iface x = f->plan->vpn.ifaces[0];
	struct wg_device dev, c;
	struct wg_sync_stats st;
	struct wg_peer *foreign;
	uint8_t kx[WG_KEY_LEN];

	device_as_planned(&x, &dev);
	foreign = wg_device_add_peer(&dev);
	assert_int_equal(vpn_key_from_b64(KX, kx), 0);
	memcpy(foreign->key, kx, WG_KEY_LEN);
	wg_device_sort(&dev);
	/* the plan without alice (the first peer by key) */
	x.peers++;
	x.n_peers--;
	assert_int_equal(wg_sync_diff(&dev, &x, NULL, &c, &st), 0);
	assert_int_equal(c.n_peers, 2);
	assert_int_equal(st.removed, 2);
	assert_int_equal(st.kept, 2);
	assert_false(c.set_listen_port);
	for (size_t i = 0; i < c.n_peers; i++)
		assert_true(c.peers[i].remove);
	assert_memory_equal(c.peers[0].key, f->plan->vpn.ifaces[0].peers[0].key, WG_KEY_LEN);
	assert_memory_equal(c.peers[1].key, kx, WG_KEY_LEN);
	wg_device_clear(&c);
	wg_device_clear(&dev);
}

/* A changed attribute is set alone: a site's keepalive, an address. */
static void test_update_attributes(void **state)
{
	struct fx *f = *state;
	const struct fw_vpn_iface *x = &f->plan->vpn.ifaces[0];
	struct wg_device dev, c;
	struct wg_sync_stats st;

	device_as_planned(x, &dev);
	dev.peers[1].keepalive = 10;       /* the site */
	dev.peers[2].allowed[0].a[3] = 99; /* bob */
	dev.listen_port = 1;
	assert_int_equal(wg_sync_diff(&dev, x, NULL, &c, &st), 0);
	assert_int_equal(st.updated, 2);
	assert_int_equal(c.n_peers, 2);
	assert_true(c.set_listen_port);
	assert_true(c.peers[0].update_only);
	assert_true(c.peers[0].set_keepalive);
	assert_false(c.peers[0].replace_allowed);
	assert_false(c.peers[0].set_endpoint);
	assert_true(c.peers[1].replace_allowed);
	assert_false(c.peers[1].set_keepalive);
	assert_int_equal(c.peers[1].allowed[0].a[3], 11);
	wg_device_clear(&c);
	wg_device_clear(&dev);
}

/* A site's endpoint by name: resolved through the resolver, or (none, or
 * it fails) left alone. */
static int fake_resolve(const struct fw_vpn_endpoint *e, union wg_sockaddr *ret)
{
	if (strcmp(e->host, "branch.example"))
		return -EHOSTUNREACH;
	ret->in.sin_family = AF_INET;
	ret->in.sin_port = htons(e->port);
	memcpy(&ret->in.sin_addr, (const uint8_t[]){192, 0, 2, 9}, 4);
	return 0;
}

static void test_endpoint_name(void **state)
{
	struct fx *f = *state;
	struct fw_vpn_iface x = f->plan->vpn.ifaces[0];
	struct fw_vpn_peer site = x.peers[1];
	struct wg_device dev = {0}, c;
	struct wg_sync_stats st;

	assert_int_equal(site.kind, FW_VPN_PEER_SITE);
	memset(&site.endpoint, 0, sizeof(site.endpoint));
	snprintf(site.endpoint.host, sizeof(site.endpoint.host), "branch.example");
	site.endpoint.port = 51820;
	x.peers = &site;
	x.n_peers = 1;
	assert_int_equal(wg_sync_diff(&dev, &x, fake_resolve, &c, &st), 0);
	assert_true(c.peers[0].set_endpoint);
	assert_int_equal(c.peers[0].endpoint.in.sin_addr.s_addr, htonl(0xc0000209));
	wg_device_clear(&c);
	assert_int_equal(wg_sync_diff(&dev, &x, NULL, &c, &st), 0);
	assert_false(c.peers[0].set_endpoint);
	wg_device_clear(&c);
	snprintf(site.endpoint.host, sizeof(site.endpoint.host), "gone.example");
	assert_int_equal(wg_sync_diff(&dev, &x, fake_resolve, &c, &st), 0);
	assert_false(c.peers[0].set_endpoint);
	wg_device_clear(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_nothing_to_do, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_device, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_attributes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_endpoint_name, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
