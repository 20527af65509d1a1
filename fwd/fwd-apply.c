// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fwd-apply PATH...: load and check the policy, compile it and make it the
 * ruleset of the current network namespace with the nftables backend, in
 * one transaction. A development and test tool (the daemon does this with
 * generations and commit-confirm); not installed.
 *
 *   --dump      print every netlink message of the batch (libmnl's format)
 *   --dry-run   build (and dump) the batch but do not send it
 *   --prefix P  the tables we own (default "fwd_"): those not in the plan go
 *   --verify    after the commit, read back what it changed and compare
 *   --stats     print what the apply did (tables replaced, unchanged, ...)
 *
 * Exit: 0 applied, 1 the policy has errors or the kernel refused, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "fwd/diag.h"
#include "nft_batch.h"
#include "fwd/plan.h"
#include "fwd/policy.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: fwd-apply [--dump] [--dry-run] [--verify] [--stats] [--prefix PREFIX] "
	           "PATH...\n");
}

static void print_stats(const struct nft_apply_stats *st)
{
	printf("tables: %zu replaced, %zu unchanged, %zu by elements (+%zu -%zu), %zu deleted; "
	       "%zu messages%s; attempts %u%s\n",
	       st->replaced, st->unchanged, st->delta, st->elems_added, st->elems_deleted,
	       st->deleted, st->msgs, st->sent ? "" : " (nothing sent)", st->attempts,
	       st->read_back ? "; read back" : "");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"dump", no_argument, NULL, 'd'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"prefix", required_argument, NULL, 'p'},
	    {"verify", no_argument, NULL, 'v'},
	    {"stats", no_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct nft_apply_stats st = {0};
	struct nft_apply_opts opts = {0};
	bool stats = false;
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "dnp:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opts.dump = stdout;
			break;
		case 'n':
			opts.dry_run = true;
			break;
		case 'p':
			opts.prefix = optarg;
			break;
		case 'v':
			opts.verify = true;
			break;
		case 'S':
			stats = true;
			opts.stats = &st;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	r = policy_load_paths((const char *const *)(argv + optind), (size_t)(argc - optind), &d,
	                      &p);
	if (r == 0)
		r = plan_compile(p, &d, &plan);
	if (r == 0)
		r = nft_apply_plan(plan, &opts, &d);
	if (r == 0 && stats)
		print_stats(&st);
	fw_diags_sort(&d);
	fw_diags_print(&d, stderr, "");
	plan_free(plan);
	policy_free(p);
	fw_diags_free(&d);
	return r == 0 ? 0 : 1;
}
