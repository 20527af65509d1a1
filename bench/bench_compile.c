// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Compile benchmark: a generated tenant with 1,000 hosts in 10 zones and
 * 10,000 host-to-host rules. Measures load+check, compile and render
 * separately (median of N runs) and the peak resident memory.
 * Usage: bench_compile [RUNS] [--emit FILE]  (--emit writes the YAML)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fwd/diag.h"
#include "fwd/plan.h"
#include "fwd/policy.h"

#define N_ZONES        10
#define HOSTS_PER_ZONE 100
#define N_RULES        10000

static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

static char *generate(size_t *len)
{
	static const char *const svcs[] = {"ssh",           "https", "mssql", "rdp",  "tcp/8080",
	                                   "udp/5000-5010", "smb",   "ldap",  "icmp", "postgres"};
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fprintf(f, "tenant: {name: bench, id: 1}\nuplink: {interface: eth0, addresses: "
	           "[203.0.113.1]}\nzones:\n");
	for (int z = 0; z < N_ZONES; z++)
		fprintf(f, "  z%d: {vlan: %d, subnet: 10.%d.0.0/24, isolate: %s}\n", z, 100 + z, z,
		        z % 2 ? "true" : "false");
	fprintf(f, "hosts:\n");
	for (int z = 0; z < N_ZONES; z++)
		for (int h = 0; h < HOSTS_PER_ZONE; h++)
			fprintf(f, "  h%d-%d: {zone: z%d, address: 10.%d.0.%d}\n", z, h, z, z,
			        h + 10);
	fprintf(f, "rules:\n");
	for (int r = 0; r < N_RULES; r++) {
		int zs = (int)(next_rand() % N_ZONES), zd = (int)(next_rand() % N_ZONES);
		if (zs == zd && zs % 2 == 0)
			zd = (zd + 1) % N_ZONES; /* open zones do not filter inside */
		int hs = (int)(next_rand() % HOSTS_PER_ZONE),
		    hd = (int)(next_rand() % HOSTS_PER_ZONE);
		if (zs == zd && hs == hd)
			hd = (hd + 1) % HOSTS_PER_ZONE;
		fprintf(f, "  - {from: h%d-%d, to: h%d-%d, allow: %s}\n", zs, hs, zd, hd,
		        svcs[next_rand() % (sizeof(svcs) / sizeof(svcs[0]))]);
	}
	fclose(f);
	return buf;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 && argv[1][0] != '-' ? (int)strtol(argv[1], NULL, 10) : 9;
	size_t len;
	char *yaml = generate(&len);
	double t_load[64], t_comp[64], t_render[64];
	size_t elems = 0, warnings = 0;

	if (!yaml)
		return 1;
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--emit")) {
			FILE *f = fopen(argv[i + 1], "w");
			if (!f || fwrite(yaml, 1, len, f) != len)
				return 1;
			fclose(f);
		}
	if (runs < 1 || runs > 64)
		runs = 9;
	for (int r = 0; r < runs; r++) {
		struct fw_diags d = {0};
		struct fw_policy *p = NULL;
		struct fw_plan *plan = NULL;
		double t0 = now_ms();

		if (policy_load_buffer("bench.yaml", yaml, len, &d, &p) < 0) {
			for (size_t i = 0; i < d.n && i < 5; i++)
				fprintf(stderr, "%s\n", fw_diag_format(&d.v[i]));
			return 1;
		}
		double t1 = now_ms();
		if (plan_compile(p, &d, &plan) < 0)
			return 1;
		double t2 = now_ms();
		char *text = plan_render(plan);
		double t3 = now_ms();
		if (!text)
			return 1;
		t_load[r] = t1 - t0;
		t_comp[r] = t2 - t1;
		t_render[r] = t3 - t2;
		elems = 0;
		for (size_t t = 0; t < plan->n_tables; t++)
			for (size_t s = 0; s < plan->tables[t].n_sets; s++)
				elems += plan->tables[t].sets[s].n_elems;
		warnings = d.n_warnings;
		free(text);
		plan_free(plan);
		policy_free(p);
		fw_diags_free(&d);
	}
	qsort(t_load, (size_t)runs, sizeof(double), cmp_double);
	qsort(t_comp, (size_t)runs, sizeof(double), cmp_double);
	qsort(t_render, (size_t)runs, sizeof(double), cmp_double);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("input: %d hosts, %d rules, %zu bytes of YAML\n", N_ZONES * HOSTS_PER_ZONE, N_RULES,
	       len);
	printf("output: %zu set elements, %zu warnings\n", elems, warnings);
	printf("median of %d runs: load+check %.1f ms, compile %.1f ms, render %.1f ms, total %.1f "
	       "ms\n",
	       runs, t_load[runs / 2], t_comp[runs / 2], t_render[runs / 2],
	       t_load[runs / 2] + t_comp[runs / 2] + t_render[runs / 2]);
	printf("peak RSS: %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
	free(yaml);
	return 0;
}
