// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * WireGuard backend benchmark: a tenant with N road-warrior users (1,000 by
 * default), configured from nothing through the VPN backend, then changed
 * by one user at a time (added, removed: the sync by difference), and a
 * drift check that finds nothing (read back + compare only). Times the
 * backend's apply alone (the policy is compiled before the clock starts);
 * medians of RUNS changes. Root, in a network namespace of its own
 * (bench/run_wg.sh); --wireguard kernel needs the module (the VM tier).
 *
 * Usage: bench_wg [--wireguard kernel|userspace] [--peers N] [--runs R]
 *                 --state-dir DIR --interface IF
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwd/plan.h"
#include "vpn_backend.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A tenant file with users 0..n-1 (skip: one left out, or n: none). */
static char *policy_text(const char *ifname, char (*keys)[FW_WG_KEY_B64_SIZE], size_t n,
                         size_t skip)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f,
	        "tenant: {name: bench, id: 1}\n"
	        "uplink: {interface: eth0, addresses: [203.0.113.1]}\n"
	        "zones:\n  lan: {vlan: 10, subnet: 10.0.10.0/24}\n"
	        "vpn:\n  interface: %s\n  listen_port: 51820\n  pool: 10.100.0.0/16\n"
	        "  users:\n",
	        ifname);
	for (size_t i = 0; i < n; i++)
		if (i != skip)
			fprintf(f, "    u%zu: {address: 10.100.%zu.%zu, public_key: \"%s\"}\n", i,
			        (i + 2) / 256, (i + 2) % 256, keys[i]);
	fclose(f);
	return buf;
}

struct compiled {
	struct fw_policy *p;
	struct fw_plan *plan;
};

static int compile(const char *text, struct compiled *c)
{
	struct fw_diags d = {0};
	int r = policy_load_buffer("bench.yaml", text, strlen(text), &d, &c->p);

	if (r == 0)
		r = plan_compile(c->p, &d, &c->plan);
	fw_diags_print(&d, stderr, "bench_wg: ");
	fw_diags_free(&d);
	return r;
}

static void release(struct compiled *c)
{
	plan_free(c->plan);
	policy_free(c->p);
}

static double timed_apply(struct vpn_backend *b, const struct fw_plan *old,
                          const struct fw_plan *plan)
{
	struct fw_diags d = {0};
	double t0 = now_ms();
	int r = vpn_backend_apply(b, old, plan, &d);
	double t = now_ms() - t0;

	fw_diags_print(&d, stderr, "bench_wg: ");
	fw_diags_free(&d);
	if (r < 0) {
		fprintf(stderr, "bench_wg: apply: %s\n", strerror(-r));
		exit(1);
	}
	return t;
}

/* The drift check: the device read back and compared, nothing to repair. */
static double timed_check(struct vpn_backend *b, const struct fw_plan *plan)
{
	struct fw_drift dr = {0};
	struct fw_diags d = {0};
	double t0 = now_ms();
	int r = vpn_backend_check(b, plan, &dr, &d);
	double t = now_ms() - t0;

	fw_diags_free(&d);
	if (r < 0 || dr.tables) {
		fprintf(stderr, "bench_wg: the check found drift: %s\n", dr.detail);
		exit(1);
	}
	return t;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"wireguard", required_argument, NULL, 'w'},
	    {"peers", required_argument, NULL, 'n'},
	    {"runs", required_argument, NULL, 'r'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"interface", required_argument, NULL, 'i'},
	    {0},
	};
	struct vpn_backend_opts o = {.mode = WG_MODE_USERSPACE};
	const char *ifname = "wgbench0";
	size_t n = 1000, runs = 11;
	char msg[512];
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'w')
			o.mode = !strcmp(optarg, "kernel") ? WG_MODE_KERNEL : WG_MODE_USERSPACE;
		else if (c == 'n')
			n = strtoul(optarg, NULL, 10);
		else if (c == 'r')
			runs = strtoul(optarg, NULL, 10);
		else if (c == 's')
			o.state_dir = optarg;
		else if (c == 'i')
			ifname = optarg;
		else
			return 2;
	}
	if (!o.state_dir || n < 2 || n > 60000 || runs < 1 || runs > 1000) {
		fprintf(stderr, "usage: bench_wg [--wireguard kernel|userspace] [--peers N] "
		                "[--runs R] --state-dir DIR [--interface IF]\n");
		return 2;
	}
	struct vpn_backend *b;
	if (vpn_backend_new(&o, &b, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "bench_wg: %s\n", msg);
		return 1;
	}
	char(*keys)[FW_WG_KEY_B64_SIZE] = calloc(n, sizeof(*keys));
	for (size_t i = 0; i < n; i++) {
		uint8_t priv[32], pub[32];
		wg_key_generate(priv);
		wg_key_public(priv, pub);
		wg_key_wipe(priv, sizeof(priv));
		vpn_key_to_b64(pub, keys[i]);
	}
	char *all_text = policy_text(ifname, keys, n, n);
	char *less_text = policy_text(ifname, keys, n, n / 2);
	char *one_text = policy_text(ifname, keys, 1, 1);
	struct compiled all = {0}, less = {0}, one = {0};
	double t0 = now_ms();
	if (compile(all_text, &all) < 0 || compile(less_text, &less) < 0)
		return 1;
	double t_compile = (now_ms() - t0) / 2;
	if (compile(one_text, &one) < 0)
		return 1;

	double t_full = timed_apply(b, NULL, all.plan);
	double t_drop = timed_apply(b, all.plan, one.plan);
	double t_fill = timed_apply(b, one.plan, all.plan);
	double *add = calloc(runs, sizeof(double)), *del = calloc(runs, sizeof(double)),
	       *same = calloc(runs, sizeof(double));
	for (size_t i = 0; i < runs; i++) {
		del[i] = timed_apply(b, all.plan, less.plan);
		add[i] = timed_apply(b, less.plan, all.plan);
		same[i] = timed_check(b, all.plan);
	}
	qsort(add, runs, sizeof(double), cmp_double);
	qsort(del, runs, sizeof(double), cmp_double);
	qsort(same, runs, sizeof(double), cmp_double);
	printf("bench_wg: %s, %zu peers: compile %.1f ms (not in the figures below)\n",
	       o.mode == WG_MODE_KERNEL ? "kernel" : "userspace", n, t_compile);
	printf("  first apply (interface created, all peers): %.1f ms\n", t_full);
	printf("  %zu peers removed: %.1f ms; %zu added again: %.1f ms\n", n - 1, t_drop, n - 1,
	       t_fill);
	printf("  remove one user:  median %.2f ms (min %.2f, max %.2f, %zu runs)\n", del[runs / 2],
	       del[0], del[runs - 1], runs);
	printf("  add one user:     median %.2f ms (min %.2f, max %.2f)\n", add[runs / 2], add[0],
	       add[runs - 1]);
	printf("  drift check:      median %.2f ms (read back and compare, nothing changed)\n",
	       same[runs / 2]);
	/* the interface goes with a plan that has none */
	struct fw_plan empty = {0};
	timed_apply(b, all.plan, &empty);
	release(&all);
	release(&less);
	release(&one);
	free(one_text);
	free(all_text);
	free(less_text);
	free(keys);
	free(add);
	free(del);
	free(same);
	vpn_backend_free(b);
	return 0;
}
