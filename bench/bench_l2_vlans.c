// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_l2_vlans [N]: the L2 backend making N VLANs (default 1000) with
 * their gateways on one tenant's trunk, then removing them, in a network
 * namespace of its own (root; a kernel with 802.1Q and bridge VLAN
 * filtering: the test VM, tests/vm/l2_bench.sh). Also one zone more and one
 * less while the N are there: an apply's cost with many VLANs present.
 * Every apply is checked against the kernel: N gateways made, N VLANs on
 * the trunk; none left after the removal.
 *
 * Output: one line per measure, milliseconds in total and per VLAN.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "l2.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The trunk: a veth pair, up. */
static int make_trunk(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *l = NULL, *ch = NULL;
	int r = -ENOMEM;

	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0)
		goto out;
	if ((r = rtnl_link_veth_add(sk, "l2b0", "l2b1", getpid())) < 0) {
		fprintf(stderr, "bench_l2_vlans: veth l2b0: %s\n", nl_geterror(r));
		goto out;
	}
	r = -ENOMEM;
	if (!(l = rtnl_link_alloc()) || !(ch = rtnl_link_alloc()))
		goto out;
	rtnl_link_set_name(l, "l2b0");
	rtnl_link_set_name(ch, "l2b0"); /* no ifindex: the kernel finds it by name */
	rtnl_link_set_flags(ch, IFF_UP);
	if ((r = rtnl_link_change(sk, l, ch, 0)) < 0)
		fprintf(stderr, "bench_l2_vlans: l2b0 up: %s\n", nl_geterror(r));
out:
	rtnl_link_put(l);
	rtnl_link_put(ch);
	nl_socket_free(sk);
	return r < 0 ? -EIO : 0;
}

/* Gateways of ours and VLANs on the trunk, as the kernel has them. */
static int count(size_t *gws, size_t *vlans)
{
	struct l2_nl *nl;
	struct l2_kstate k = {0};
	struct fw_diags d = {0};
	int r = l2_nl_open(&nl);

	if (r == 0)
		r = l2_read(nl, &k, &d);
	else
		fprintf(stderr, "bench_l2_vlans: netlink: %s\n", strerror(-r));
	fw_diags_print(&d, stderr, "bench_l2_vlans: ");
	*gws = *vlans = 0;
	for (size_t i = 0; r == 0 && i < k.n_links; i++) {
		const struct l2_klink *l = &k.links[i];

		if (!strcmp(l->kind, "vlan") && l2_klink_ours(l) && l->n_addrs == 1)
			(*gws)++;
		for (unsigned v = 1; !strcmp(l->name, "l2b0") && v <= L2_VID_MAX; v++)
			*vlans += l2_vset_has(&l->vlans, v);
	}
	l2_kstate_free(&k);
	l2_nl_close(nl);
	fw_diags_free(&d);
	return r;
}

static void zone(struct fw_l2_vlan *v, unsigned i)
{
	memset(v, 0, sizeof(*v));
	v->vid = (uint16_t)(100 + i);
	snprintf(v->ifname, sizeof(v->ifname), "vlan%u", v->vid);
	v->has_gw4 = true;
	v->gw4.family = 4;
	v->gw4.len = 24;
	v->gw4.a[0] = 10;
	v->gw4.a[1] = (uint8_t)(v->vid >> 8);
	v->gw4.a[2] = (uint8_t)v->vid;
	v->gw4.a[3] = 1;
	v->proxy_arp = i % 2; /* half isolated: their sysctls count too */
}

static int step(struct l2_backend *b, const struct fw_l2_plan *old, const struct fw_l2_plan *plan,
                size_t want, const char *what, double *ms)
{
	struct fw_diags d = {0};
	size_t gws, vlans;
	double t0 = now_ms();
	int r = l2_apply_plan(b, old, plan, &d);

	*ms = now_ms() - t0;
	fw_diags_print(&d, stderr, "bench_l2_vlans: ");
	fw_diags_free(&d);
	if (r == 0)
		r = count(&gws, &vlans);
	if (r == 0 && (gws != want || vlans != want)) {
		fprintf(stderr,
		        "bench_l2_vlans: %s: %zu gateways and %zu trunk VLANs, expected %zu\n",
		        what, gws, vlans, want);
		r = -EIO;
	}
	return r;
}

int main(int argc, char **argv)
{
	long n = 1000;
	struct fw_l2_port trunk = {.ifname = "l2b0"};
	struct fw_l2_bridge br = {
	    .tenant = "bench", .name = "br-bench", .ports = &trunk, .n_ports = 1};
	struct fw_l2_plan plan = {.bridges = &br, .n_bridges = 1}, none = {0};
	struct l2_backend *b = NULL;
	double create, remove_ms, one_more, one_less;
	char *end;
	int r;

	if (argc > 2 || (argc == 2 && ((n = strtol(argv[1], &end, 10)) < 1 || n > 3000 || *end))) {
		fprintf(stderr, "usage: bench_l2_vlans [N (1..3000, default 1000)]\n");
		return 2;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "bench_l2_vlans: a network namespace of its own: %s (root?)\n",
		        strerror(errno));
		return 1;
	}
	br.vlans = calloc((size_t)n + 1, sizeof(*br.vlans));
	if (!br.vlans || make_trunk() < 0 || l2_backend_new(&b) < 0) {
		fprintf(stderr, "bench_l2_vlans: setting up the trunk failed\n");
		free(br.vlans);
		return 1;
	}
	for (long i = 0; i < n; i++)
		zone(&br.vlans[i], (unsigned)i);
	plan.bridges->n_vlans = (size_t)n;
	r = step(b, NULL, &plan, (size_t)n, "create", &create);
	if (r == 0) {
		zone(&br.vlans[n], (unsigned)n);
		plan.bridges->n_vlans++;
		r = step(b, NULL, &plan, (size_t)n + 1, "one more", &one_more);
	}
	if (r == 0) {
		plan.bridges->n_vlans--;
		r = step(b, NULL, &plan, (size_t)n, "one less", &one_less);
	}
	if (r == 0)
		r = step(b, NULL, &none, 0, "remove", &remove_ms);
	if (r == 0) {
		printf("bench_l2_vlans: %ld VLANs with gateways: created in %.0f ms (%.2f ms per "
		       "VLAN), "
		       "removed in %.0f ms (%.2f ms per VLAN)\n",
		       n, create, create / (double)n, remove_ms, remove_ms / (double)n);
		printf(
		    "bench_l2_vlans: with %ld VLANs present: one zone added in %.0f ms, removed in "
		    "%.0f ms\n",
		    n, one_more, one_less);
	}
	if (r < 0)
		fprintf(stderr, "bench_l2_vlans: failed: %s\n", strerror(-r));
	l2_backend_free(b);
	free(br.vlans);
	return r < 0 ? 1 : 0;
}
