// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fwctl diff (against the live policy, or offline against another one),
 * fwctl rule add|del, fwctl history GENERATION.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwctl.h"
#include "fwd/change.h"
#include "fwd/change_json.h"
#include "fwd/proto.h"

/* diff(1)'s exit codes. */
#define DIFF_SAME    0
#define DIFF_DIFFERS 1
#define DIFF_TROUBLE 2

/* Access lines, a blank line, the ruleset diff: as fw_change_text(). */
static void print_change(const char *access, const char *ruleset)
{
	fputs(access, stdout);
	if (*access && *ruleset)
		putchar('\n');
	fputs(ruleset, stdout);
}

static void print_warnings(const json_t *warnings)
{
	size_t i;
	json_t *d;

	json_array_foreach(warnings, i, d)
	{
		const char *file = json_string_value(json_object_get(d, "file"));

		if (file)
			fprintf(stderr, "%s:%lld:%lld: ", file,
			        (long long)json_integer_value(json_object_get(d, "line")),
			        (long long)json_integer_value(json_object_get(d, "column")));
		else
			fputs("fwctl: ", stderr);
		fprintf(stderr, "%s: %s\n", json_string_value(json_object_get(d, "severity")),
		        json_string_value(json_object_get(d, "message")));
	}
}

/* Load and compile PATHS; diagnostics printed. */
static int load(const char *const *paths, size_t n, struct fw_policy **ret_p,
                struct fw_plan **ret_plan)
{
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	int r = policy_load_paths(paths, n, &d, &p);

	if (r == 0)
		r = plan_compile(p, &d, ret_plan);
	print_diags_text(&d);
	fw_diags_free(&d);
	if (r < 0) {
		policy_free(p);
		return r;
	}
	*ret_p = p;
	return 0;
}

static int diff_offline(const struct ctl *ctl, const char *against, char **paths, int n)
{
	const char *old_paths[] = {against};
	struct fw_policy *op = NULL, *np = NULL;
	struct fw_plan *oplan = NULL, *nplan = NULL;
	struct fw_change *c = NULL;
	int code = DIFF_TROUBLE;

	if (load(old_paths, 1, &op, &oplan) < 0 ||
	    load((const char *const *)paths, (size_t)n, &np, &nplan) < 0)
		goto out;
	if (fw_change_compute(op, oplan, np, nplan, "old", "new", &c) < 0) {
		fprintf(stderr, "fwctl diff: out of memory\n");
		goto out;
	}
	code = fw_change_empty(c) ? DIFF_SAME : DIFF_DIFFERS;
	if (ctl->json) {
		if (print_json(fw_change_json(c)) < 0)
			code = DIFF_TROUBLE;
	} else {
		print_change(c->access_text, c->ruleset_diff);
	}
out:
	fw_change_free(c);
	plan_free(oplan);
	plan_free(nplan);
	policy_free(op);
	policy_free(np);
	return code;
}

int cmd_diff(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"against", required_argument, NULL, 'a'},
	    {0},
	};
	struct fwp_request req = {.command = FWP_DIFF};
	const char *against = NULL;
	char **bufs = NULL;
	json_t *resp = NULL, *res = NULL;
	int c, code = DIFF_TROUBLE;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "", opts, NULL)) != -1) {
		if (c != 'a')
			return DIFF_TROUBLE;
		against = optarg;
	}
	argv += optind - 1;
	argc -= optind - 1;
	if (argc < 1) {
		fprintf(stderr, "usage: fwctl diff [--against OLD] PATH...\n");
		return DIFF_TROUBLE;
	}
	if (against)
		return diff_offline(ctl, against, argv, argc);
	for (int i = 0; i < argc; i++)
		if (ctl_add_path(argv[i], &req.files, &req.n_files, &bufs) < 0)
			goto out;
	if (req.n_files == 0) {
		fprintf(stderr, "fwctl diff: no policy files (*.yaml, *.yml) found\n");
		goto out;
	}
	if (ctl->json) {
		if (ctl_call(ctl, &req, &resp) < 0)
			goto out;
		res = json_object_get(resp, "result");
		code = !json_is_true(json_object_get(resp, "ok"))      ? DIFF_TROUBLE
		       : json_is_true(json_object_get(res, "changed")) ? DIFF_DIFFERS
		                                                       : DIFF_SAME;
		print_json(json_incref(resp));
		goto out;
	}
	if (ctl_simple(ctl, &req, &resp, &res) != EXIT_OK || !res)
		goto out; /* the error is printed */
	print_warnings(json_object_get(res, "warnings"));
	print_change(json_string_value(json_object_get(json_object_get(res, "access"), "text")),
	             json_string_value(json_object_get(res, "ruleset_diff")));
	code = json_is_true(json_object_get(res, "changed")) ? DIFF_DIFFERS : DIFF_SAME;
out:
	for (size_t i = 0; i < 2 * req.n_files; i++)
		free(bufs[i]);
	free(bufs);
	free(req.files);
	json_decref(resp);
	return code;
}

/* "a,b" and repeated options: every value into list. */
static int add_values(const char *opt, char *arg, const char **list, size_t *n)
{
	for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*n == FWP_MAX_RULE_LIST) {
			fprintf(stderr, "fwctl rule add: more than %d values for --%s\n",
			        FWP_MAX_RULE_LIST, opt);
			return -1;
		}
		list[(*n)++] = tok;
	}
	return 0;
}

static int rule_usage(void)
{
	fputs("usage: fwctl rule add TENANT --from X --to Y --service S [--id ID] [--log]\n"
	      "                        [--comment TEXT] [--before ID] [--confirm S] [--force]\n"
	      "       fwctl rule del TENANT ID [--confirm S] [--force]\n",
	      stderr);
	return EXIT_USAGE;
}

static int rule_options(int argc, char **argv, bool add, struct fwp_request *req,
                        const char **from_address)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"service", required_argument, NULL, 's'},
	    {"id", required_argument, NULL, 'i'},
	    {"log", no_argument, NULL, 'l'},
	    {"comment", required_argument, NULL, 'm'},
	    {"before", required_argument, NULL, 'b'},
	    {"confirm", required_argument, NULL, 'c'},
	    {"force", no_argument, NULL, 'F'},
	    {"from-address", required_argument, NULL, 'a'},
	    {0},
	};
	struct fwp_rule *ru = &req->rule;
	int c, r = 0;

	optind = 0;
	while (r == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {

		if (!add && c != 'c' && c != 'F' && c != 'a')
			return rule_usage();
		switch (c) {
		case 'f':
			r = add_values("from", optarg, ru->from, &ru->n_from);
			break;
		case 't':
			r = add_values("to", optarg, ru->to, &ru->n_to);
			break;
		case 's':
			r = add_values("service", optarg, ru->allow, &ru->n_allow);
			break;
		case 'i':
			ru->id = optarg;
			break;
		case 'l':
			ru->log = true;
			break;
		case 'm':
			ru->comment = optarg;
			break;
		case 'b':
			ru->before = optarg;
			break;
		case 'c':
			if (ctl_parse_confirm("rule", optarg, &req->confirm) < 0)
				return EXIT_USAGE;
			break;
		case 'F':
			req->force = true;
			break;
		case 'a':
			*from_address = optarg;
			break;
		default:
			return rule_usage();
		}
	}
	return r < 0 ? EXIT_USAGE : EXIT_OK;
}

int cmd_rule(struct ctl *ctl, int argc, char **argv)
{
	struct fwp_request req = {0};
	const char *from_address = NULL;
	json_t *resp = NULL, *res = NULL;
	bool add;
	int code;

	if (argc < 1 || (strcmp(argv[0], "add") && strcmp(argv[0], "del")))
		return rule_usage();
	add = !strcmp(argv[0], "add");
	req.command = add ? FWP_RULE_ADD : FWP_RULE_DEL;
	/* getopt permutes: TENANT and ID may come before or after the options */
	if ((code = rule_options(argc, argv, add, &req, &from_address)) != EXIT_OK)
		return code;
	if (optind + (add ? 1 : 2) != argc)
		return rule_usage();
	req.tenant = argv[optind];
	if (add) {
		if (!req.rule.n_from || !req.rule.n_to || !req.rule.n_allow) {
			fprintf(stderr,
			        "fwctl rule add: --from, --to and --service are required\n");
			return EXIT_USAGE;
		}
		req.has_rule = true;
	} else {
		req.rule_id = argv[optind + 1];
	}
	if (ctl_origin(add ? "rule add" : "rule del", from_address, &req) < 0)
		return EXIT_USAGE;
	code = ctl_simple(ctl, &req, &resp, &res);
	if (res) {
		printf("applied generation %lld\n",
		       (long long)json_integer_value(json_object_get(res, "generation")));
		if (req.confirm)
			printf("confirm within %u seconds with 'fwctl confirm', or it is rolled "
			       "back\n",
			       req.confirm);
		print_warnings(json_object_get(res, "warnings"));
		fputs(json_string_value(json_object_get(json_object_get(res, "access"), "text"))
		          ?: "",
		      stdout);
	}
	json_decref(resp);
	return code;
}

int cmd_history_one(struct ctl *ctl, const char *generation)
{
	struct fwp_request req = {.command = FWP_HISTORY};
	json_t *resp = NULL, *res = NULL, *g, *diff;
	char when[64];
	int code;

	if (ctl_parse_generation("history", generation, &req.generation) < 0)
		return EXIT_USAGE;
	code = ctl_simple(ctl, &req, &resp, &res);
	if (res) {
		time_t t;
		struct tm tm;
		const char *comment;

		g = json_object_get(res, "generation");
		t = (time_t)json_integer_value(json_object_get(g, "time"));
		if (!localtime_r(&t, &tm) ||
		    !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm))
			snprintf(when, sizeof(when), "%lld", (long long)t);
		comment = json_string_value(json_object_get(g, "comment"));
		printf("generation %lld\n"
		       "parent:  %lld\n"
		       "time:    %s\n"
		       "who:     %s (uid %lld)\n"
		       "source:  %s\n",
		       (long long)json_integer_value(json_object_get(g, "generation")),
		       (long long)json_integer_value(json_object_get(g, "parent")), when,
		       json_string_value(json_object_get(g, "who")),
		       (long long)json_integer_value(json_object_get(g, "uid")),
		       json_string_value(json_object_get(g, "source")));
		if (comment && *comment)
			printf("comment: %s\n", comment);
		diff = json_object_get(res, "diff");
		if (!json_is_string(diff))
			printf("\n(no diff kept for this generation)\n");
		else if (!json_string_length(diff))
			printf("\n(no change against its parent)\n");
		else
			printf("\n%s", json_string_value(diff));
	}
	json_decref(resp);
	return code;
}
