// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fwd_load: a storm of concurrent clients against a running fwd, for
 * tests/netns/daemon_load.sh.
 *
 *   fwd_load SOCKET CLIENTS POLICY.yaml [POLICY.yaml...]
 *
 * Opens CLIENTS connections at once (all connected before the first request
 * is sent), then sends every client one request and reads every answer.
 * Of every 16 clients, 11 read (status, history, show, show of tenant acme)
 * and 5 write: an apply (the policies in turn; every other apply with a
 * 30 s confirm window), two confirms and a rollback — two kernel
 * transactions per 16 clients. Every client must get one well-formed
 * answer with its id: ok, or one of the refusals the state allows (an apply
 * while a change waits for its confirmation: EBUSY; confirm with nothing
 * pending, rollback with no parent: ENOENT). Prints the counts per command
 * and outcome; exits 0 when every client got such an answer, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fwd/proto.h"

#define MAX_CLIENTS   4096
#define MAX_POLICIES  8
#define MAX_ANSWER    (16u << 20)
#define STORM_TIMEOUT 60 /* seconds for every answer */

enum kind { K_STATUS, K_HISTORY, K_SHOW, K_SHOW_TENANT, K_APPLY, K_CONFIRM, K_ROLLBACK, N_KINDS };

static const char *const kind_names[N_KINDS] = {"status", "history", "show",    "show-tenant",
                                                "apply",  "confirm", "rollback"};

/* What client i asks: kinds[i % 16]. */
static const enum kind kinds[16] = {
    K_STATUS, K_HISTORY, K_SHOW,        K_SHOW_TENANT, K_STATUS, K_APPLY,   K_HISTORY, K_CONFIRM,
    K_STATUS, K_SHOW,    K_SHOW_TENANT, K_ROLLBACK,    K_STATUS, K_HISTORY, K_SHOW,    K_CONFIRM,
};

enum outcome { OUT_OK, OUT_BUSY, OUT_NOENT, OUT_BAD, OUT_NONE, N_OUTCOMES };

static const char *const outcome_names[N_OUTCOMES] = {"ok", "EBUSY", "ENOENT", "unexpected",
                                                      "no answer"};

struct conn {
	int fd;
	enum kind kind;
	char *out;
	size_t out_len, out_off;
	char *in;
	size_t in_len, in_cap;
	bool done;
	enum outcome outcome;
};

struct policy {
	char *name;
	char *data;
	size_t len;
};

static int read_file(const char *path, struct policy *ret)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	char chunk[65536];
	size_t n;
	const char *base = strrchr(path, '/');

	if (!f)
		return -errno;
	m = open_memstream(&buf, &len);
	if (!m) {
		fclose(f);
		return -ENOMEM;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (fclose(m) != 0) {
		free(buf);
		return -ENOMEM;
	}
	ret->name = strdup(base ? base + 1 : path);
	if (!ret->name) {
		free(buf);
		return -ENOMEM;
	}
	ret->data = buf;
	ret->len = len;
	return 0;
}

/* The request of client i (a new string ending in "\n"). */
static char *make_request(int i, const struct policy *pol, size_t n_pol)
{
	struct fwp_request req = {.id = (uint64_t)i + 1};
	struct fwp_file file;
	int apply_no = i / 16;

	switch (kinds[i % 16]) {
	case K_STATUS:
		req.command = FWP_STATUS;
		break;
	case K_HISTORY:
		req.command = FWP_HISTORY;
		break;
	case K_SHOW:
		req.command = FWP_SHOW;
		break;
	case K_SHOW_TENANT:
		req.command = FWP_SHOW;
		req.tenant = "acme";
		break;
	case K_APPLY:
		file = (struct fwp_file){pol[apply_no % n_pol].name, pol[apply_no % n_pol].data,
		                         pol[apply_no % n_pol].len};
		req.command = FWP_APPLY;
		req.files = &file;
		req.n_files = 1;
		req.confirm = apply_no % 2 ? 30 : 0;
		break;
	case K_CONFIRM:
		req.command = FWP_CONFIRM;
		break;
	case K_ROLLBACK:
	case N_KINDS:
		req.command = FWP_ROLLBACK;
		break;
	}
	return fwp_request_format(&req);
}

/* What an answer means, or OUT_BAD with the reason printed. */
static enum outcome classify(const struct conn *c, int i)
{
	json_error_t jerr;
	json_t *resp = json_loadb(c->in, c->in_len, 0, &jerr), *err;
	enum outcome o = OUT_BAD;
	const char *code = NULL;

	if (!resp) {
		fprintf(stderr, "fwd_load: client %d: not JSON: %s\n", i, jerr.text);
		return OUT_BAD;
	}
	if (json_integer_value(json_object_get(resp, "id")) != (json_int_t)i + 1) {
		fprintf(stderr, "fwd_load: client %d: the answer has another id\n", i);
	} else if (json_is_true(json_object_get(resp, "ok"))) {
		o = OUT_OK;
	} else {
		err = json_object_get(resp, "error");
		code = json_string_value(json_object_get(err, "code"));
		if (code && c->kind == K_APPLY && !strcmp(code, "EBUSY"))
			o = OUT_BUSY;
		else if (code && (c->kind == K_CONFIRM || c->kind == K_ROLLBACK) &&
		         !strcmp(code, "ENOENT"))
			o = OUT_NOENT;
		else
			fprintf(stderr, "fwd_load: client %d: refused: %s (%s)\n", i,
			        json_string_value(json_object_get(err, "message")),
			        code ? code : "no code");
	}
	json_decref(resp);
	return o;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Blocking connect: past the listen backlog it waits for fwd to accept. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void finish(struct conn *c, enum outcome o)
{
	c->done = true;
	c->outcome = o;
	close(c->fd);
	c->fd = -1;
}

/* One step of client i on poll events `ev`. */
static void step(struct conn *c, int i, short ev)
{
	if ((ev & POLLOUT) && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			fprintf(stderr, "fwd_load: client %d: send: %s\n", i, strerror(errno));
			finish(c, OUT_NONE);
			return;
		}
		if (n > 0)
			c->out_off += (size_t)n;
	}
	if (!(ev & (POLLIN | POLLHUP | POLLERR)))
		return;
	for (;;) {
		if (c->in_cap - c->in_len < 4096) {
			size_t ncap = c->in_cap ? c->in_cap * 2 : 65536;
			char *nb = ncap <= MAX_ANSWER ? realloc(c->in, ncap) : NULL;
			if (!nb) {
				fprintf(stderr, "fwd_load: client %d: answer too large\n", i);
				finish(c, OUT_BAD);
				return;
			}
			c->in = nb;
			c->in_cap = ncap;
		}
		ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			fprintf(stderr, "fwd_load: client %d: %s before an answer\n", i,
			        n ? strerror(errno) : "end of stream");
			finish(c, OUT_NONE);
			return;
		}
		c->in_len += (size_t)n;
		if (memchr(c->in + c->in_len - n, '\n', (size_t)n)) {
			finish(c, classify(c, i));
			return;
		}
	}
}

static int parse_clients(const char *s, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > MAX_CLIENTS)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	struct policy pol[MAX_POLICIES] = {0};
	unsigned counts[N_KINDS][N_OUTCOMES] = {{0}};
	struct conn *conns = NULL;
	struct pollfd *pfd = NULL;
	size_t n_pol = 0;
	int n = 0, left, answered = 0, code = 1;
	time_t deadline;

	if (argc < 4 || argc - 3 > MAX_POLICIES || parse_clients(argv[2], &n) < 0) {
		fprintf(stderr,
		        "usage: fwd_load SOCKET CLIENTS POLICY.yaml [POLICY.yaml...] (at "
		        "most %d clients, %d policies)\n",
		        MAX_CLIENTS, MAX_POLICIES);
		return 2;
	}
	for (int i = 3; i < argc; i++, n_pol++) {
		int r = read_file(argv[i], &pol[n_pol]);
		if (r < 0) {
			fprintf(stderr, "fwd_load: %s: %s\n", argv[i], strerror(-r));
			goto out;
		}
	}
	conns = calloc((size_t)n, sizeof(*conns));
	pfd = calloc((size_t)n, sizeof(*pfd));
	if (!conns || !pfd)
		goto out;
	for (int i = 0; i < n; i++)
		conns[i].fd = -1;
	/* All connected first: the daemon holds every client at once. */
	for (int i = 0; i < n; i++) {
		struct conn *c = &conns[i];
		c->kind = kinds[i % 16];
		c->fd = connect_to(argv[1]);
		if (c->fd < 0) {
			fprintf(stderr, "fwd_load: client %d: connect: %s\n", i, strerror(-c->fd));
			c->done = true;
			c->outcome = OUT_NONE;
			continue;
		}
		c->out = make_request(i, pol, n_pol);
		if (!c->out) {
			fprintf(stderr, "fwd_load: client %d: cannot format the request\n", i);
			finish(c, OUT_BAD);
			continue;
		}
		c->out_len = strlen(c->out);
	}
	deadline = time(NULL) + STORM_TIMEOUT;
	for (;;) {
		int k = 0;
		for (int i = 0; i < n; i++) {
			if (conns[i].done)
				continue;
			pfd[k].fd = conns[i].fd;
			pfd[k].events =
			    (short)(POLLIN | (conns[i].out_off < conns[i].out_len ? POLLOUT : 0));
			pfd[k].revents = 0;
			k++;
		}
		if (k == 0 || time(NULL) >= deadline)
			break;
		if (poll(pfd, (nfds_t)k, 1000) < 0 && errno != EINTR)
			break;
		k = 0;
		for (int i = 0; i < n; i++) {
			if (conns[i].done)
				continue;
			if (pfd[k].revents)
				step(&conns[i], i, pfd[k].revents);
			k++;
		}
	}
	left = 0;
	for (int i = 0; i < n; i++) {
		struct conn *c = &conns[i];
		if (!c->done) {
			fprintf(stderr, "fwd_load: client %d (%s): no answer in %d s\n", i,
			        kind_names[c->kind], STORM_TIMEOUT);
			finish(c, OUT_NONE);
		}
		counts[c->kind][c->outcome]++;
		if (c->outcome != OUT_NONE)
			answered++;
		if (c->outcome == OUT_BAD || c->outcome == OUT_NONE)
			left++;
	}
	printf("answers: %d of %d clients\n", answered, n);
	for (int k = 0; k < N_KINDS; k++) {
		unsigned total = 0;
		for (int o = 0; o < N_OUTCOMES; o++)
			total += counts[k][o];
		if (!total)
			continue; /* fewer clients than kinds */
		printf("  %-11s", kind_names[k]);
		for (int o = 0; o < N_OUTCOMES; o++)
			if (counts[k][o])
				printf(" %s %u", outcome_names[o], counts[k][o]);
		printf("\n");
	}
	code = left ? 1 : 0;
out:
	if (conns)
		for (int i = 0; i < n; i++) {
			if (conns[i].fd >= 0)
				close(conns[i].fd);
			free(conns[i].out);
			free(conns[i].in);
		}
	free(conns);
	free(pfd);
	for (size_t i = 0; i < n_pol; i++) {
		free(pol[i].name);
		free(pol[i].data);
	}
	return code;
}
