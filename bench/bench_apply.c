// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The nftables backend's benchmark (run as root; it makes its own network
 * namespace and never sees the host's ruleset). Side by side in one run:
 *
 *  - a full apply of a 1,000-host / 10,000-rule tenant into an empty
 *    ruleset: fwd (nft_apply_plan), fwd with the read-back verification,
 *    `nft -f` of the same rendered text (libnftables, in process: no exec),
 *    and the floor: the batch fwd would send, built beforehand, sent and
 *    its acks read;
 *  - a one-rule change (the knob's port: one element out, one in) at 10,
 *    1,000 and 100,000 rules, p50/p99 of the time and of the CPU time fwd
 *    spends (a busy machine's scheduling left out), with and without
 *    verification;
 *  - a 100-tenant appliance where one tenant changes (an allowlist rule; a
 *    new zone, which replaces its table);
 *  - the drift check: nothing changed (the generation says so), another
 *    program's table changed (read back, nothing to repair), one of our
 *    tables deleted (read back and repaired).
 *
 * Usage: bench_apply [RUNS] [--quick] [--only full|change|appliance|drift]
 *                    [--emit FILE]
 * (--emit writes the rendered 10,000-rule tenant, for timing the `nft -f`
 * command itself)
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <nftables/libnftables.h>

#include "bench_tenants.h"
#include "nft_batch.h"
#include "nft_int.h"

#define MAX_RUNS 2000

static struct nft_ctx *nft;

static void nft_do(const char *cmd)
{
	if (nft_run_cmd_from_buffer(nft, cmd) != 0) {
		fprintf(stderr, "bench: nft: %s: %s\n", cmd, nft_ctx_get_error_buffer(nft));
		exit(1);
	}
}

static void must(int r, struct fw_diags *d, const char *what)
{
	if (r == 0)
		return;
	fprintf(stderr, "bench: %s: %s\n", what, strerror(-r));
	fw_diags_print(d, stderr, "bench: ");
	exit(1);
}

/* --- the floor: a prebuilt batch, sent, every ack read --- */

static double floor_run(struct mnl_socket *nl, const struct nft_batch *b)
{
	static char buf[1 << 16];
	size_t acks = 0;
	double t0 = bench_now_ms();

	if (mnl_socket_sendto(nl, b->buf, b->len) < 0) {
		perror("bench: floor send");
		exit(1);
	}
	while (acks < b->n_recs) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int left = (int)n;

		if (n < 0) {
			perror("bench: floor recv");
			exit(1);
		}
		for (const struct nlmsghdr *h = (const void *)buf; mnl_nlmsg_ok(h, left);
		     h = mnl_nlmsg_next(h, &left))
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

				if (e->error) {
					fprintf(stderr, "bench: floor: %s\n", strerror(-e->error));
					exit(1);
				}
				acks++;
			}
	}
	return bench_now_ms() - t0;
}

static void full_apply(int runs, const char *emit)
{
	struct bench_tenant t = {.index = 0, .rules = 10000, .knob = 60001};
	struct bench_appliance a;
	struct nft_batch b = {0};
	struct fw_diags d = {0};
	struct mnl_socket *nl;
	double fwd[MAX_RUNS], ver[MAX_RUNS], txt[MAX_RUNS], flo[MAX_RUNS], bld[MAX_RUNS];
	int size = 1 << 30;
	char *text;

	if (bench_compile(&t, 1, &a) < 0)
		exit(1);
	text = plan_render(a.plan);
	if (emit) {
		FILE *f = fopen(emit, "w");

		if (!f || fputs(text, f) < 0 || fclose(f) != 0)
			exit(1);
	}
	b.plan = a.plan;
	b.seq0 = 1;
	must(nft_batch_build(&b, &d), &d, "building the batch");
	must(nft_nl_open(&nl, &d), &d, "netlink");
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	for (int i = 0; i < runs; i++) {
		struct nft_apply_opts vo = {.verify = true}, dry = {.dry_run = true};
		double t0;

		nft_do("flush ruleset");
		t0 = bench_now_ms();
		must(nft_apply_plan(a.plan, NULL, &d), &d, "fwd");
		fwd[i] = bench_now_ms() - t0;
		nft_do("flush ruleset");
		t0 = bench_now_ms();
		must(nft_apply_plan(a.plan, &vo, &d), &d, "fwd --verify");
		ver[i] = bench_now_ms() - t0;
		if (d.n_warnings)
			must(-EPROTO, &d, "fwd --verify found differences");
		nft_do("flush ruleset");
		t0 = bench_now_ms();
		nft_do(text);
		txt[i] = bench_now_ms() - t0;
		nft_do("flush ruleset");
		flo[i] = floor_run(nl, &b);
		t0 = bench_now_ms();
		must(nft_apply_plan(a.plan, &dry, &d), &d, "fwd --dry-run");
		bld[i] = bench_now_ms() - t0;
	}
	double mf = bench_quantile(fwd, (size_t)runs, .5),
	       mt = bench_quantile(txt, (size_t)runs, .5);
	double ml = bench_quantile(flo, (size_t)runs, .5);
	printf("full apply: 1 tenant, 1,000 hosts, 10,000 rules (%zu elements, %zu messages), "
	       "median of %d\n",
	       a.elements, b.n_recs, runs);
	printf("  fwd                           %8.2f ms   %.3f x nft -f   %.2f x floor\n", mf,
	       mf / mt, mf / ml);
	printf("  fwd + read-back verification  %8.2f ms\n", bench_quantile(ver, (size_t)runs, .5));
	printf("  nft -f (libnftables)          %8.2f ms\n", mt);
	printf("  floor (prebuilt batch, acks)  %8.2f ms\n", ml);
	printf("  fwd's batch build alone       %8.2f ms\n", bench_quantile(bld, (size_t)runs, .5));
	mnl_socket_close(nl);
	nft_batch_free(&b);
	free(text);
	bench_free(&a);
	fw_diags_free(&d);
	nft_do("flush ruleset");
}

/* The old-vs-new comparison alone (nft_delta.c), median: the part of a
 * change that grows with the plan, whatever the kernel does. */
static double plan_diff(const struct fw_plan *x, const struct fw_plan *y, int runs)
{
	double v[MAX_RUNS];

	for (int i = 0; i < runs; i++) {
		double t0 = bench_now_ms();

		for (size_t t = 0; t < y->n_tables; t++) {
			struct nft_table_delta td;

			if (nft_delta_table(&x->tables[t], &y->tables[t], &td) < 0)
				exit(1);
			nft_delta_free(&td);
		}
		v[i] = bench_now_ms() - t0;
	}
	return bench_quantile(v, (size_t)runs, .5);
}

/* The CPU time of this thread, user and system: what fwd itself spends,
 * the kernel's work inside its system calls included, time spent waiting
 * for a CPU on a busy machine not. */
static double cpu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Alternate between two plans with one backend: every apply after the
 * first is the change from one to the other. */
static void changes(const char *what, struct bench_appliance *x, struct bench_appliance *y,
                    int runs, bool verify)
{
	struct nft_apply_stats st = {0};
	struct nft_apply_opts o = {.verify = verify, .stats = &st};
	struct nft_backend *nb;
	struct fw_diags d = {0};
	double v[MAX_RUNS], k[MAX_RUNS], c[MAX_RUNS];

	nft_do("flush ruleset");
	must(nft_backend_new(&o, &nb), &d, "backend");
	must(nft_backend_apply(nb, NULL, x->plan, &d), &d, "first apply");
	for (int i = 0; i < runs; i++) {
		struct bench_appliance *from = i % 2 ? y : x, *to = i % 2 ? x : y;
		double t0 = bench_now_ms(), c0 = cpu_now_ms();

		must(nft_backend_apply(nb, from->plan, to->plan, &d), &d, what);
		c[i] = cpu_now_ms() - c0;
		v[i] = bench_now_ms() - t0;
		k[i] = st.kernel_ms;
		if (st.read_back || d.n_warnings)
			must(-EPROTO, &d, "the change was not trusted or not verified");
	}
	printf("  %-34s %8.3f / %8.3f ms, cpu %6.3f / %6.3f, kernel %6.3f / %6.3f, plan diff "
	       "%6.3f ms (%zu replaced, %zu by elements +%zu -%zu)\n",
	       what, bench_quantile(v, (size_t)runs, .5), bench_quantile(v, (size_t)runs, .99),
	       bench_quantile(c, (size_t)runs, .5), bench_quantile(c, (size_t)runs, .99),
	       bench_quantile(k, (size_t)runs, .5), bench_quantile(k, (size_t)runs, .99),
	       plan_diff(x->plan, y->plan, runs), st.replaced, st.delta, st.elems_added,
	       st.elems_deleted);
	nft_backend_free(nb);
	fw_diags_free(&d);
}

static void one_rule(int runs)
{
	static const unsigned sizes[] = {10, 1000, 100000};

	printf("one-rule change (the knob's port), p50 / p99 over %d changes:\n", runs);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct bench_tenant t = {.rules = sizes[i], .knob = 60001};
		struct bench_appliance x, y;
		char what[64];

		if (bench_compile(&t, 1, &x) < 0)
			exit(1);
		t.knob = 60002;
		if (bench_compile(&t, 1, &y) < 0)
			exit(1);
		snprintf(what, sizeof(what), "%u rules (%zu elements)", sizes[i], x.elements);
		changes(what, &x, &y, runs, false);
		snprintf(what, sizeof(what), "%u rules, verified", sizes[i]);
		changes(what, &x, &y, runs, true);
		bench_free(&x);
		bench_free(&y);
	}
}

static void appliance(int runs, struct bench_appliance *x)
{
	struct bench_tenant t[100];
	struct bench_appliance y, z;

	for (unsigned i = 0; i < 100; i++)
		t[i] = (struct bench_tenant){.index = i, .rules = 100, .knob = 60001};
	if (bench_compile(t, 100, x) < 0)
		exit(1);
	t[50].knob = 60002;
	if (bench_compile(t, 100, &y) < 0)
		exit(1);
	t[50].knob = 60001;
	t[50].extra_zone = true;
	if (bench_compile(t, 100, &z) < 0)
		exit(1);
	if (runs) {
		printf("100 tenants x 100 rules (%zu tables, %zu elements), one tenant changes, "
		       "p50 / p99:\n",
		       x->plan->n_tables, x->elements);
		changes("an allowlist rule", x, &y, runs, false);
		changes("an allowlist rule, verified", x, &y, runs, true);
		changes("a new zone (its table replaced)", x, &z, runs, false);
	}
	bench_free(&y);
	bench_free(&z);
}

static void drift(const char *what, const struct bench_appliance *a, int runs, const char *change,
                  bool repairs)
{
	struct nft_backend *nb;
	struct fw_diags d = {0};
	struct fw_drift dr;
	double v[MAX_RUNS];

	nft_do("flush ruleset");
	must(nft_backend_new(NULL, &nb), &d, "backend");
	must(nft_backend_apply(nb, NULL, a->plan, &d), &d, "apply");
	must(nft_backend_check(nb, a->plan, &dr, &d), &d, "first check");
	for (int i = 0; i < runs; i++) {
		char cmd[128];
		double t0;

		if (change) {
			/* another program's tables get new names, ours the same */
			snprintf(cmd, sizeof(cmd), "%s%.0d", change, repairs ? 0 : i + 1);
			nft_do(cmd);
		}
		t0 = bench_now_ms();
		must(nft_backend_check(nb, a->plan, &dr, &d), &d, what);
		v[i] = bench_now_ms() - t0;
		if (dr.read_back != (change != NULL) || (dr.tables > 0) != repairs)
			must(-EPROTO, &d, "the drift check found something else");
	}
	printf("  %-44s %8.3f / %8.3f ms\n", what, bench_quantile(v, (size_t)runs, .5),
	       bench_quantile(v, (size_t)runs, .99));
	nft_backend_free(nb);
	fw_diags_free(&d);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 && argv[1][0] != '-' ? (int)strtol(argv[1], NULL, 10) : 9;
	bool quick = false;
	const char *emit = NULL, *only = "";
	struct bench_tenant big = {.rules = 10000, .knob = 60001};
	struct bench_appliance app, one;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else if (!strcmp(argv[i], "--emit") && i + 1 < argc)
			emit = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
	}
	if (runs < 1 || runs > 99)
		runs = 9;
	/* our own network namespace: the host's ruleset is never seen */
	if (unshare(CLONE_NEWNET) < 0) {
		perror("bench_apply: unshare(CLONE_NEWNET) (run as root)");
		return 77;
	}
	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft)
		return 1;
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
#define RUN(name) (!only[0] || !strcmp(only, name))
	if (RUN("full"))
		full_apply(runs, emit);
	if (RUN("change"))
		one_rule(quick ? 20 : 200);
	if (RUN("appliance") || RUN("drift"))
		appliance(RUN("appliance") ? quick ? 10 : 100 : 0, &app);
	if (!RUN("drift")) {
		bench_free(&app);
		nft_ctx_free(nft);
		return 0;
	}
	if (bench_compile(&big, 1, &one) < 0)
		return 1;
	printf("drift check, p50 / p99:\n");
	drift("nothing changed (1 tenant, 10,000 rules)", &one, 1000, NULL, false);
	drift("nothing changed (100 tenants)", &app, 1000, NULL, false);
	drift("another program's table (1 tenant)", &one, quick ? 5 : 30, "add table inet other",
	      false);
	drift("another program's table (100 tenants)", &app, quick ? 5 : 30, "add table inet other",
	      false);
	drift("our table deleted, repaired (1 tenant)", &one, quick ? 5 : 30,
	      "delete table inet fwd_t0", true);
	drift("our table deleted, repaired (100 tenants)", &app, quick ? 5 : 30,
	      "delete table inet fwd_t7", true);
	bench_free(&one);
	bench_free(&app);
	nft_ctx_free(nft);
	return 0;
}
