// SPDX-License-Identifier: GPL-2.0-or-later
/* fwctl sync [--commit SHA] [--wait]: apply the git branch's tip now; and
 * the git lines of fwctl status. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fwctl.h"
#include "fwd/proto.h"

#define WAIT_POLL_MS 200
#define WAIT_MAX_S   (3600 + 120) /* the longest confirm window, and some */

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static bool undecided(const char *state)
{
	return !strcmp(state, "pending") || !strcmp(state, "queued");
}

static bool failed(const char *state)
{
	return !strcmp(state, "refused") || !strcmp(state, "rolled-back") ||
	       !strcmp(state, "failed");
}

/* "commit 1a2b3c4d5e6f applied: generation 5 (signed by alice@example.com)" */
static void print_record(FILE *f, const char *prefix, json_t *r)
{
	const char *state = str(r, "state"), *reason = str(r, "reason"), *signer = str(r, "signer");
	json_int_t gen = json_integer_value(json_object_get(r, "generation"));

	fprintf(f, "%scommit %.12s %s", prefix, str(r, "commit"),
	        !strcmp(state, "rolled-back") ? "rolled back" : state);
	if (*reason)
		fprintf(f, ": %s", reason);
	else if (gen)
		fprintf(f, ": generation %lld", (long long)gen);
	if (*signer)
		fprintf(f, " (signed by %s)", signer);
	fputc('\n', f);
}

void ctl_print_git(json_t *git)
{
	const char *live = str(git, "live_commit"), *drift = str(git, "drift");
	json_t *last = json_array_get(json_object_get(git, "commits"), 0);

	if (!git)
		return;
	printf("git: %s %s of %s%s%s\n", str(git, "mode"), str(git, "branch"),
	       str(git, "repository"), *str(git, "path") ? ", directory " : "", str(git, "path"));
	if (*live)
		printf("git: live commit %s\n", live);
	else
		printf("git: the live generation is not from git\n");
	if (*drift)
		printf("git: drift: %s\n", drift);
	if (*str(git, "fetch_error"))
		printf("git: last fetch failed: %s\n", str(git, "fetch_error"));
	if (last)
		print_record(stdout, "git: last ", last);
}

/* The commit's record once it is decided: `status` until then. */
static json_t *wait_decided(struct ctl *ctl, const char *commit)
{
	struct fwp_request req = {.command = FWP_STATUS};
	struct timespec pause = {0, WAIT_POLL_MS * 1000000L};
	bool json = ctl->json;
	json_t *found = NULL;

	ctl->json = false; /* the polls print nothing */
	for (long i = 0; !found && i < WAIT_MAX_S * 1000L / WAIT_POLL_MS; i++) {
		json_t *resp = NULL, *res = NULL, *r;
		size_t k;

		nanosleep(&pause, NULL);
		if (ctl_simple(ctl, &req, &resp, &res) != EXIT_OK) {
			json_decref(resp);
			break;
		}
		json_array_foreach(json_object_get(json_object_get(res, "git"), "commits"), k, r)
		{
			if (!strcmp(str(r, "commit"), commit)) {
				if (!undecided(str(r, "state")))
					found = json_incref(r);
				break;
			}
		}
		json_decref(resp);
	}
	ctl->json = json;
	return found;
}

/* Follow mode: the daemon fetches in the background and numbers the sync;
 * its outcome shows in the status once the fetch has ended. A new
 * reference to {"record": ...} or {"error": ...}; NULL: none seen. */
static json_t *wait_fetched(struct ctl *ctl, json_int_t sync)
{
	struct fwp_request req = {.command = FWP_STATUS};
	struct timespec pause = {0, WAIT_POLL_MS / 4 * 1000000L};
	bool json = ctl->json;
	json_t *found = NULL;

	ctl->json = false;
	for (long i = 0; !found && i < WAIT_MAX_S * 4000L / WAIT_POLL_MS; i++) {
		json_t *resp = NULL, *res = NULL, *s;

		nanosleep(&pause, NULL);
		if (ctl_simple(ctl, &req, &resp, &res) != EXIT_OK) {
			json_decref(resp);
			break;
		}
		s = json_object_get(json_object_get(res, "git"), "sync");
		if (json_integer_value(json_object_get(s, "id")) >= sync)
			found = json_incref(s);
		json_decref(resp);
	}
	ctl->json = json;
	return found;
}

static int print_error(struct ctl *ctl, json_t *resp, json_t *e)
{
	if (ctl->json)
		print_json(json_incref(resp));
	else
		fprintf(stderr, "fwctl: %s (%s)\n", str(e, "message"), str(e, "code"));
	return EXIT_ERRORS;
}

int cmd_sync(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"commit", required_argument, NULL, 'c'},
	    {"wait", no_argument, NULL, 'w'},
	    {0},
	};
	struct fwp_request req = {.command = FWP_SYNC};
	json_t *resp = NULL, *res;
	bool wait = false;
	int c, code;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "", opts, NULL)) != -1) {
		if (c == 'c')
			req.commit = optarg;
		else if (c == 'w')
			wait = true;
		else
			return EXIT_USAGE;
	}
	if (optind != argc + 1) {
		fprintf(stderr, "usage: fwctl sync [--commit SHA] [--wait]\n");
		return EXIT_USAGE;
	}
	if (ctl_call(ctl, &req, &resp) < 0)
		return EXIT_USAGE;
	res = json_object_get(resp, "result");
	if (!json_is_true(json_object_get(resp, "ok")) || !res) {
		code = print_error(ctl, resp, json_object_get(resp, "error"));
		json_decref(resp);
		return code;
	}
	if (!strcmp(str(res, "state"), "fetching")) {
		json_t *out = wait_fetched(ctl, json_integer_value(json_object_get(res, "sync")));
		if (!out) {
			fprintf(stderr, "fwctl: sync: the fetch's outcome was not seen\n");
			json_decref(resp);
			return EXIT_USAGE;
		}
		/* the answer a synchronous sync would have given */
		if (json_object_get(out, "error")) {
			json_object_set_new(resp, "ok", json_false());
			json_object_del(resp, "result");
			json_object_set(resp, "error", json_object_get(out, "error"));
			code = print_error(ctl, resp, json_object_get(out, "error"));
			json_decref(out);
			json_decref(resp);
			return code;
		}
		json_object_set(resp, "result", json_object_get(out, "record"));
		json_decref(out);
		res = json_object_get(resp, "result");
	}
	if (wait && undecided(str(res, "state"))) {
		json_t *final = wait_decided(ctl, str(res, "commit"));
		if (!final) {
			fprintf(stderr, "fwctl: commit %.12s: no decision seen\n",
			        str(res, "commit"));
			json_decref(resp);
			return EXIT_USAGE;
		}
		json_object_set_new(resp, "result", final);
		res = final;
	}
	code = failed(str(res, "state")) ? EXIT_ERRORS : EXIT_OK;
	if (ctl->json)
		print_json(json_incref(resp));
	else
		print_record(code == EXIT_OK ? stdout : stderr, "", res);
	json_decref(resp);
	return code;
}
