// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Generated tenants for bench_apply. A tenant of R rules has 10 zones of 100
 * hosts (5 zones of 2 hosts under 100 rules) and R random host-to-host rules
 * over 10 services, plus the "knob": one rule with a port of its own, so
 * that changing the knob changes exactly one rule (one allowlist element).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_tenants.h"

double bench_now_ms(void)
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

double bench_quantile(double *v, size_t n, double q)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static uint32_t next_rand(uint32_t *rng)
{
	*rng = *rng * 1103515245u + 12345u;
	return *rng >> 8;
}

static char *generate(const struct bench_tenant *t, size_t *len)
{
	static const char *const svcs[] = {"ssh",           "https", "mssql", "rdp",  "tcp/8080",
	                                   "udp/5000-5010", "smb",   "ldap",  "icmp", "postgres"};
	unsigned zones = t->rules >= 100 ? 10 : 5, hosts = t->rules >= 100 ? 100 : 2;
	unsigned n = t->index + 1;
	uint32_t rng = 12345u + t->index;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fprintf(
	    f,
	    "tenant: {name: t%u, id: %u}\nuplink: {interface: eth0, addresses: [100.64.%u.%u]}\n",
	    t->index, n, n >> 8, n & 255);
	fprintf(f, "zones:\n");
	for (unsigned z = 0; z < zones + t->extra_zone; z++)
		fprintf(f, "  z%u: {vlan: %u, subnet: 10.%u.%u.0/24}\n", z, 2 + t->index * 16 + z,
		        t->index, z);
	fprintf(f, "hosts:\n");
	/* host z * 100 + h: short names keep 100,000 rules under the loader's
	 * file size limit */
	for (unsigned z = 0; z < zones + t->extra_zone; z++)
		for (unsigned h = 0; h < hosts; h++)
			fprintf(f, "  h%u: {zone: z%u, address: 10.%u.%u.%u}\n", z * 100 + h, z,
			        t->index, z, h + 10);
	fprintf(f, "rules:\n");
	for (unsigned r = 0; r < t->rules; r++) {
		/* one draw per declarator: the same order with every compiler */
		unsigned zs = next_rand(&rng) % zones, zd = next_rand(&rng) % zones;
		unsigned hs = next_rand(&rng) % hosts, hd = next_rand(&rng) % hosts;
		unsigned svc = next_rand(&rng) % (sizeof(svcs) / sizeof(svcs[0]));

		if (zs == zd)
			zd = (zd + 1) % zones; /* open zones do not filter inside */
		fprintf(f, "- {from: h%u, to: h%u, allow: %s}\n", zs * 100 + hs, zd * 100 + hd,
		        svcs[svc]);
	}
	fprintf(f, "- {id: knob, from: h0, to: h100, allow: tcp/%u}\n", t->knob);
	if (t->extra_zone)
		fprintf(f, "- {id: extra, from: h0, to: h%u, allow: ssh}\n", zones * 100);
	fclose(f);
	return buf;
}

int bench_compile(const struct bench_tenant *t, size_t n, struct bench_appliance *ret)
{
	struct fw_policy_source *src = calloc(n, sizeof(*src));
	char **names = calloc(n, sizeof(*names));
	struct fw_diags d = {0};
	struct bench_appliance a = {0};
	int r = -1;

	if (!src || !names)
		goto out;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *text = generate(&t[i], &len);

		if (!text || asprintf(&names[i], "t%u.yaml", t[i].index) < 0) {
			free(text);
			goto out;
		}
		src[i] = (struct fw_policy_source){names[i], text, len};
	}
	if (policy_load_buffers(src, n, &d, &a.policy) < 0 ||
	    plan_compile(a.policy, &d, &a.plan) < 0) {
		for (size_t i = 0; i < d.n && i < 5; i++) {
			char *s = fw_diag_format(&d.v[i]);

			fprintf(stderr, "bench: %s\n", s ? s : "?");
			free(s);
		}
		policy_free(a.policy);
		goto out;
	}
	for (size_t i = 0; i < a.plan->n_tables; i++)
		for (size_t s = 0; s < a.plan->tables[i].n_sets; s++)
			a.elements += a.plan->tables[i].sets[s].n_elems;
	*ret = a;
	r = 0;
out:
	for (size_t i = 0; src && names && i < n; i++) {
		free((char *)src[i].data);
		free(names[i]);
	}
	free(src);
	free(names);
	fw_diags_free(&d);
	return r;
}

void bench_free(struct bench_appliance *a)
{
	plan_free(a->plan);
	policy_free(a->policy);
	memset(a, 0, sizeof(*a));
}
