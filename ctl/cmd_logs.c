// SPDX-License-Identifier: GPL-2.0-or-later
/* fwctl logs [-f] [--tenant T] [-n N]: the packets the ruleset logged, named. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fwctl.h"
#include "fwd/proto.h"

#define LINE_MAX_BYTES (16u << 20) /* the first answer holds up to FWP_MAX_LOGS records */
#define ANSWER_TIMEOUT 30000       /* ms for the first answer; a stream waits forever */
#define FOLLOW_DEFAULT 10          /* records back before following, like tail -f */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct reader {
	int fd;
	char *buf;
	size_t len, cap, consumed;
};

/* The next line (NUL-terminated, without its newline) into *ret: 1, or 0 at
 * EOF or on an interrupt, or a negative errno. */
static int next_line(struct reader *r, int timeout_ms, char **ret)
{
	if (r->consumed) {
		memmove(r->buf, r->buf + r->consumed, r->len - r->consumed);
		r->len -= r->consumed;
		r->consumed = 0;
	}
	for (;;) {
		char *nl = r->len ? memchr(r->buf, '\n', r->len) : NULL;
		if (nl) {
			*nl = '\0';
			r->consumed = (size_t)(nl - r->buf) + 1;
			*ret = r->buf;
			return 1;
		}
		if (interrupted)
			return 0;
		if (r->cap - r->len < 4096) {
			size_t ncap = r->cap ? r->cap * 2 : 65536;
			char *nb;
			if (ncap > LINE_MAX_BYTES)
				return -E2BIG;
			nb = realloc(r->buf, ncap);
			if (!nb)
				return -ENOMEM;
			r->buf = nb;
			r->cap = ncap;
		}
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		int pr;
		/* Out before waiting: a follower's reader (a pipe, a file) sees
		 * each record at once, and a burst costs one write, not one per line. */
		fflush(stdout);
		pr = poll(&p, 1, timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue; /* interrupted is checked above */
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return -ETIMEDOUT;
		ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		r->len += (size_t)n;
	}
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void print_end(json_t *end)
{
	const char *name = str(end, "name"), *zone = str(end, "zone"), *addr = str(end, "address");
	json_t *port = json_object_get(end, "port");

	if (name)
		printf("%s ", name);
	if (zone)
		printf("[%s] ", zone);
	if (!addr)
		printf("?");
	else if (!port)
		printf("%s", addr);
	else
		printf(strchr(addr, ':') ? "[%s]:%lld" : "%s:%lld", addr,
		       (long long)json_integer_value(port));
}

/* One line per packet:
 * TIME TENANT ACTION RULE SRC -> DST PROTOCOL */
static void print_record(const struct ctl *ctl, json_t *rec)
{
	const char *action = str(rec, "action"), *tenant = str(rec, "tenant"),
	           *file = str(rec, "file"), *proto = str(rec, "protocol");
	json_t *icmp = json_object_get(rec, "icmp_type");

	if (ctl->json) {
		json_dumpf(rec, stdout, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
		putchar('\n');
		return;
	}
	printf("%s %s %s %s", str(rec, "time"), tenant && *tenant ? tenant : "-",
	       !action                     ? "?"
	       : !strcmp(action, "drop")   ? "DROP"
	       : !strcmp(action, "accept") ? "ACCEPT"
	                                   : "LOG",
	       str(rec, "rule_text"));
	if (file)
		printf(" (%s:%lld)", file,
		       (long long)json_integer_value(json_object_get(rec, "line")));
	putchar(' ');
	print_end(json_object_get(rec, "src"));
	printf(" -> ");
	print_end(json_object_get(rec, "dst"));
	printf(" %s", proto ? proto : str(rec, "family"));
	if (icmp)
		printf(" type %lld", (long long)json_integer_value(icmp));
	putchar('\n');
}

static void usage(void)
{
	fprintf(stderr, "usage: fwctl logs [-f|--follow] [--tenant TENANT] [-n|--lines N]\n");
}

/* The first answer: an error (exit 1), or the kept records. */
static int first_answer(const struct ctl *ctl, const char *line)
{
	json_t *resp = json_loads(line, 0, NULL), *res, *rec;
	size_t i;

	if (!json_is_object(resp)) {
		json_decref(resp);
		fprintf(stderr, "fwctl: fwd answered something that is not a response\n");
		return EXIT_USAGE;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		json_t *e = json_object_get(resp, "error");
		if (ctl->json)
			print_json(json_incref(resp));
		else
			fprintf(stderr, "fwctl: %s (%s)\n", str(e, "message"), str(e, "code"));
		json_decref(resp);
		return EXIT_ERRORS;
	}
	res = json_object_get(resp, "result");
	json_array_foreach(json_object_get(res, "records"), i, rec)
	{
		print_record(ctl, rec);
	}
	if (!json_is_true(json_object_get(res, "listening")))
		fprintf(stderr, "fwctl: fwd is not listening to NFLOG group 100 (see its log): "
		                "no new records\n");
	if (json_integer_value(json_object_get(res, "overruns")))
		fprintf(stderr,
		        "fwctl: the kernel dropped log messages %lld times (fwd fell "
		        "behind)\n",
		        (long long)json_integer_value(json_object_get(res, "overruns")));
	json_decref(resp);
	return EXIT_OK;
}

static int follow(const struct ctl *ctl, struct reader *rd)
{
	for (;;) {
		char *line;
		int r = next_line(rd, -1, &line);
		json_t *msg, *rec;

		if (interrupted)
			return EXIT_OK;
		if (r <= 0) {
			fprintf(stderr, "fwctl: fwd ended the stream%s%s\n", r < 0 ? ": " : "",
			        r < 0 ? strerror(-r) : "");
			return EXIT_USAGE;
		}
		msg = json_loads(line, 0, NULL);
		if ((rec = json_object_get(msg, "record")))
			print_record(ctl, rec);
		else if (json_object_get(msg, "lost"))
			fprintf(stderr, "fwctl: %lld records lost: this client did not keep up\n",
			        (long long)json_integer_value(json_object_get(msg, "lost")));
		json_decref(msg);
	}
}

int cmd_logs(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"follow", no_argument, NULL, 'f'},
	    {"tenant", required_argument, NULL, 't'},
	    {"lines", required_argument, NULL, 'n'},
	    {0},
	};
	struct fwp_request req = {.command = FWP_LOGS};
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll returns */
	struct reader rd = {0};
	char *line;
	int c, r, code;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "ft:n:", opts, NULL)) != -1) {
		unsigned long long n;
		switch (c) {
		case 'f':
			req.follow = true;
			break;
		case 't':
			req.tenant = optarg;
			break;
		case 'n':
			if (!ctl_parse_number(optarg, 0, FWP_MAX_LOGS, &n)) {
				fprintf(stderr, "fwctl logs: -n takes records from 0 to %d\n",
				        FWP_MAX_LOGS);
				return EXIT_USAGE;
			}
			req.has_limit = true;
			req.limit = (uint32_t)n;
			break;
		default:
			usage();
			return EXIT_USAGE;
		}
	}
	if (optind - 1 != argc) {
		usage();
		return EXIT_USAGE;
	}
	if (req.follow && !req.has_limit) {
		req.has_limit = true;
		req.limit = FOLLOW_DEFAULT;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rd.fd = ctl_send(ctl, &req);
	if (rd.fd < 0)
		return EXIT_USAGE;
	r = next_line(&rd, ANSWER_TIMEOUT, &line);
	if (r <= 0) {
		fprintf(stderr, "fwctl: no answer from fwd%s%s\n", r < 0 ? ": " : "",
		        r < 0 ? strerror(-r) : "");
		code = interrupted ? EXIT_OK : EXIT_USAGE;
	} else {
		code = first_answer(ctl, line);
		if (code == EXIT_OK && req.follow)
			code = follow(ctl, &rd);
	}
	close(rd.fd);
	free(rd.buf);
	return code;
}
