// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket over a real unix socket: answers, limits, deadlines. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fwd/ctl_server.h"

static char path[108];
static int handled;
static unsigned handler_ms; /* each request takes this long to answer */

static char *handler(void *ud, const struct ctl_peer *peer, const struct fwp_request *req)
{
	(void)ud;
	handled++;
	if (handler_ms)
		usleep(handler_ms * 1000u);
	return fwp_response_ok(req->id,
	                       json_pack("{s:s, s:i}", "command", fwp_command_name(req->command),
	                                 "uid", (int)peer->uid));
}

static struct ctl_server *open_server(size_t max_clients, unsigned timeout_ms)
{
	struct ctl_limits lim = {.max_clients = max_clients, .timeout_ms = timeout_ms};
	struct ctl_server *srv;

	snprintf(path, sizeof(path), "/tmp/fwd-ctl-test-%d.sock", (int)getpid());
	assert_int_equal(ctl_server_open(path, 0600, (gid_t)-1, &lim, handler, NULL, &srv), 0);
	handled = 0;
	return srv;
}

static int connect_client(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Pump the server until the client has a full line (or EOF / timeout). */
static int read_reply(struct ctl_server *srv, int fd, char *buf, size_t size)
{
	size_t got = 0;

	for (int i = 0; i < 400; i++) {
		ctl_server_dispatch(srv, 10);
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n == 0)
			return got ? (int)got : -EPIPE;
		if (n > 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if (memchr(buf, '\n', got))
				return (int)got;
		}
	}
	return -ETIMEDOUT;
}

static void test_request_response(void **state)
{
	struct ctl_server *srv = open_server(0, 0);
	int fd = connect_client();
	char buf[512], want[128];
	const char *req = "{\"version\":1,\"id\":5,\"command\":\"status\"}\n"
	                  "{\"version\":1,\"id\":6,\"command\":\"nope\"}\n";

	(void)state;
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	assert_true(read_reply(srv, fd, buf, sizeof(buf)) > 0);
	snprintf(
	    want, sizeof(want),
	    "{\"id\":5,\"ok\":true,\"result\":{\"command\":\"status\",\"uid\":%d},\"version\":1}\n",
	    (int)getuid());
	assert_string_equal(buf, want);
	/* The pipelined second request is answered too, with the parser's error. */
	assert_true(read_reply(srv, fd, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"code\":\"EINVAL\",\"message\":\"unknown command 'nope'"));
	assert_int_equal(handled, 1);
	close(fd);
	ctl_server_dispatch(srv, 10);
	assert_int_equal(ctl_server_clients(srv), 0);
	ctl_server_close(srv);
}

static void test_half_sent_and_slow(void **state)
{
	struct ctl_server *srv = open_server(0, 200);
	int a = connect_client(), b = connect_client();
	char buf[256];

	(void)state;
	/* a: half a request, then gone: nothing is handled. */
	assert_true(write(a, "{\"version\":1,\"command\":\"sta", 27) == 27);
	close(a);
	/* b: half a request, then silence: dropped at the deadline. */
	assert_true(write(b, "{\"version\":1,", 13) == 13);
	assert_int_equal(read_reply(srv, b, buf, sizeof(buf)), -EPIPE);
	assert_int_equal(handled, 0);
	assert_int_equal(ctl_server_clients(srv), 0);
	close(b);
	ctl_server_close(srv);
}

/* 100 clients ask at once, each answer takes 5 ms, the timeout is 200 ms:
 * the last ones wait 500 ms behind the others, yet all are answered (the
 * daemon's busy time is not theirs). */
static void test_queued_behind_slow_answers(void **state)
{
	enum { N = 100 };
	struct ctl_server *srv = open_server(0, 200);
	const char *req = "{\"version\":1,\"id\":1,\"command\":\"status\"}\n";
	int fd[N];
	size_t answered = 0;
	char buf[256];

	(void)state;
	for (int i = 0; i < N; i++)
		fd[i] = connect_client();
	ctl_server_dispatch(srv, 10); /* accept them all */
	for (int i = 0; i < N; i++)
		assert_true(write(fd[i], req, strlen(req)) == (ssize_t)strlen(req));
	handler_ms = 5;
	for (int i = 0; i < N; i++)
		if (read_reply(srv, fd[i], buf, sizeof(buf)) > 0 && strstr(buf, "\"ok\":true"))
			answered++;
	handler_ms = 0;
	assert_int_equal(answered, N);
	assert_int_equal(handled, N);
	for (int i = 0; i < N; i++)
		close(fd[i]);
	ctl_server_close(srv);
}

static void test_oversized(void **state)
{
	struct ctl_server *srv = open_server(0, 2000);
	int fd = connect_client();
	char *big = malloc(FWP_MAX_REQUEST + 4096);
	char buf[512];
	size_t off = 0, total = FWP_MAX_REQUEST + 4096;

	(void)state;
	memset(big, 'x', total);
	while (off < total) {
		ssize_t n = write(fd, big + off, total - off);
		if (n > 0)
			off += (size_t)n;
		ctl_server_dispatch(srv, 1);
		if (n < 0 && errno != EAGAIN)
			break;
	}
	assert_true(read_reply(srv, fd, buf, sizeof(buf)) > 0);
	assert_non_null(
	    strstr(buf, "\"code\":\"E2BIG\",\"message\":\"request larger than 8388608 bytes\""));
	assert_int_equal(read_reply(srv, fd, buf, sizeof(buf)), -EPIPE);
	free(big);
	close(fd);
	ctl_server_close(srv);
}

static void test_client_limit_and_many(void **state)
{
	struct ctl_server *srv = open_server(4, 0);
	int fds[6];
	char buf[256];

	(void)state;
	for (int i = 0; i < 6; i++) {
		fds[i] = connect_client();
		ctl_server_dispatch(srv, 5);
	}
	assert_int_equal(ctl_server_clients(srv), 4);
	/* The two past the limit see EOF at once, not a hang. */
	assert_int_equal(read_reply(srv, fds[4], buf, sizeof(buf)), -EPIPE);
	assert_int_equal(read_reply(srv, fds[5], buf, sizeof(buf)), -EPIPE);
	for (int i = 0; i < 6; i++)
		close(fds[i]);
	ctl_server_close(srv);

	/* 256 clients at once, each answered; afterwards no client is left. */
	srv = open_server(256, 0);
	int many[256];
	for (int i = 0; i < 256; i++) {
		char req[96];
		many[i] = connect_client();
		snprintf(req, sizeof(req), "{\"version\":1,\"id\":%d,\"command\":\"history\"}\n",
		         i);
		assert_true(write(many[i], req, strlen(req)) > 0);
		ctl_server_dispatch(srv, 0);
	}
	for (int i = 0; i < 256; i++) {
		char want[32];
		assert_true(read_reply(srv, many[i], buf, sizeof(buf)) > 0);
		snprintf(want, sizeof(want), "{\"id\":%d,", i);
		assert_memory_equal(buf, want, strlen(want));
		close(many[i]);
	}
	for (int i = 0; i < 5; i++)
		ctl_server_dispatch(srv, 5);
	assert_int_equal(handled, 256);
	assert_int_equal(ctl_server_clients(srv), 0);
	ctl_server_close(srv);
}

/* --- watched descriptors and streams --- */

static struct ctl_server *sub_srv;

/* status: subscribe to "logs" (every key); show: to "logs" for args.tenant;
 * history: answer without subscribing. */
static char *sub_handler(void *ud, const struct ctl_peer *peer, const struct fwp_request *req)
{
	int r = 0;

	(void)ud;
	handled++;
	if (req->command == FWP_STATUS)
		r = ctl_server_subscribe(sub_srv, peer, "logs", NULL);
	else if (req->command == FWP_SHOW)
		r = ctl_server_subscribe(sub_srv, peer, "logs", req->tenant);
	if (r < 0)
		return fwp_response_error(req->id, r, "no subscription", NULL);
	return fwp_response_ok(req->id,
	                       json_pack("{s:s}", "command", fwp_command_name(req->command)));
}

static struct ctl_server *open_sub_server(size_t stream_buffer, size_t max_subscribers,
                                          unsigned timeout_ms)
{
	struct ctl_limits lim = {.timeout_ms = timeout_ms,
	                         .stream_buffer = stream_buffer,
	                         .max_subscribers = max_subscribers};

	snprintf(path, sizeof(path), "/tmp/fwd-ctl-test-%d.sock", (int)getpid());
	assert_int_equal(ctl_server_open(path, 0600, (gid_t)-1, &lim, sub_handler, NULL, &sub_srv),
	                 0);
	handled = 0;
	return sub_srv;
}

/* Connect and send one request; returns the client's fd after its response
 * line was read (into buf). */
static int request(struct ctl_server *srv, const char *line, char *buf, size_t size)
{
	int fd = connect_client();

	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	assert_true(read_reply(srv, fd, buf, size) > 0);
	return fd;
}

/* Everything the client can read after pumping the server a little. */
static size_t drain(struct ctl_server *srv, int fd, char *buf, size_t size)
{
	size_t got = 0;

	for (int i = 0; i < 20; i++) {
		ctl_server_dispatch(srv, 5);
		for (;;) {
			ssize_t n = read(fd, buf + got, size - 1 - got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
	}
	buf[got] = '\0';
	return got;
}

static int watched;

static void on_pipe(void *data)
{
	char b[8];

	watched++;
	/* One byte per call: what is left makes it run again. */
	assert_int_equal(read(*(int *)data, b, 1), 1);
}

static void test_watch(void **state)
{
	struct ctl_server *srv = open_server(0, 0);
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	watched = 0;
	assert_int_equal(ctl_server_watch(srv, p[0], on_pipe, &p[0]), 0);
	assert_int_equal(ctl_server_watch(srv, p[0], on_pipe, &p[0]), -EEXIST);
	ctl_server_dispatch(srv, 0);
	assert_int_equal(watched, 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	for (int i = 0; i < 5; i++)
		ctl_server_dispatch(srv, 10);
	assert_int_equal(watched, 3);
	/* A control client is served by the same loop meanwhile. */
	char buf[256];
	int fd = request(srv, "{\"version\":1,\"command\":\"history\"}\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"command\":\"history\""));
	close(fd);
	assert_int_equal(ctl_server_unwatch(srv, p[0]), 0);
	assert_int_equal(ctl_server_unwatch(srv, p[0]), -ENOENT);
	assert_int_equal(write(p[1], "d", 1), 1);
	ctl_server_dispatch(srv, 10);
	assert_int_equal(watched, 3);
	/* Watched again after unwatch: the same fd is welcome. */
	assert_int_equal(ctl_server_watch(srv, p[0], on_pipe, &p[0]), 0);
	ctl_server_dispatch(srv, 10);
	assert_int_equal(watched, 4);
	ctl_server_close(srv); /* frees the watch, leaves the fd to its owner */
	assert_int_equal(close(p[0]), 0);
	close(p[1]);
}

static void test_subscribe_publish(void **state)
{
	struct ctl_server *srv = open_sub_server(0, 2, 0);
	char buf[4096];
	int all, acme, plain, third;

	(void)state;
	/* Outside a handler nobody can be subscribed. */
	struct ctl_peer nobody = {0};
	assert_int_equal(ctl_server_subscribe(srv, &nobody, "logs", NULL), -EINVAL);
	assert_int_equal(ctl_server_publish(srv, "logs", "acme", "{\"n\":0}"), 0);

	all = request(srv, "{\"version\":1,\"id\":1,\"command\":\"status\"}\n", buf, sizeof(buf));
	assert_string_equal(buf, "{\"id\":1,\"ok\":true,\"result\":{\"command\":\"status\"},"
	                         "\"version\":1}\n");
	acme = request(srv,
	               "{\"version\":1,\"id\":2,\"command\":\"show\",\"args\":{\"tenant\":"
	               "\"acme\"}}\n",
	               buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"ok\":true"));
	plain =
	    request(srv, "{\"version\":1,\"id\":3,\"command\":\"history\"}\n", buf, sizeof(buf));
	/* Past max_subscribers: refused, the client stays an ordinary one. */
	third = request(srv, "{\"version\":1,\"id\":4,\"command\":\"status\"}\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"code\":\"EBUSY\""));
	assert_int_equal(ctl_server_subscribers(srv, "logs"), 2);
	assert_int_equal(ctl_server_subscribers(srv, "other"), 0);
	assert_int_equal(ctl_server_subscribers(srv, NULL), 2);

	assert_int_equal(ctl_server_publish(srv, "logs", "acme", "{\"n\":1}"), 2);
	assert_int_equal(ctl_server_publish(srv, "logs", "beta", "{\"n\":2}\n"), 1);
	assert_int_equal(ctl_server_publish(srv, "logs", NULL, "{\"n\":3}"), 1);
	assert_int_equal(ctl_server_publish(srv, "other", NULL, "{\"n\":4}"), 0);
	assert_int_equal(ctl_server_publish(srv, "logs", NULL, "{\"n\":\n5}"), -EINVAL);
	drain(srv, all, buf, sizeof(buf));
	assert_string_equal(buf, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
	drain(srv, acme, buf, sizeof(buf));
	assert_string_equal(buf, "{\"n\":1}\n");
	drain(srv, plain, buf, sizeof(buf));
	assert_string_equal(buf, "");
	drain(srv, third, buf, sizeof(buf));
	assert_string_equal(buf, "");

	/* A subscriber that sends anything, or hangs up, is gone. */
	assert_int_equal(write(acme, "x\n", 2), 2);
	drain(srv, acme, buf, sizeof(buf));
	assert_int_equal(read(acme, buf, 1), 0);
	close(all);
	ctl_server_dispatch(srv, 10);
	assert_int_equal(ctl_server_subscribers(srv, NULL), 0);
	assert_int_equal(ctl_server_clients(srv), 2);
	/* The ordinary clients are still served. */
	const char *again = "{\"version\":1,\"id\":9,\"command\":\"history\"}\n";
	assert_int_equal(write(plain, again, strlen(again)), (ssize_t)strlen(again));
	assert_true(read_reply(srv, plain, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"id\":9,"));
	close(acme);
	close(plain);
	close(third);
	ctl_server_close(srv);
}

/* A subscriber that does not keep up loses lines, bounded, and is told how
 * many; the daemon never waits for it. */
static void test_slow_subscriber_loses_lines(void **state)
{
	struct ctl_server *srv = open_sub_server(1000, 0, 0);
	char line[100], buf[8192];
	int fd;

	(void)state;
	fd = request(srv, "{\"version\":1,\"command\":\"status\"}\n", buf, sizeof(buf));
	/* 100 lines of 100 bytes with no turn of the loop in between: 10 fit. */
	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof(line), "{\"n\":%02d,\"pad\":\"%*s\"}", i, 82, "");
		assert_int_equal(strlen(line), 99);
		assert_int_equal(ctl_server_publish(srv, "logs", NULL, line), i < 10 ? 1 : 0);
	}
	drain(srv, fd, buf, sizeof(buf));
	/* The ten, then the notice once it caught up. */
	assert_int_equal(strlen(buf), 10 * 100 + strlen("{\"stream\":\"logs\",\"lost\":90}\n"));
	assert_memory_equal(buf, "{\"n\":00,", 8);
	assert_memory_equal(buf + 900, "{\"n\":09,", 8);
	assert_string_equal(buf + 1000, "{\"stream\":\"logs\",\"lost\":90}\n");
	/* Lost while the notice waited too: counted into the next one, which
	 * goes before the next line that fits. */
	for (int i = 0; i < 12; i++)
		ctl_server_publish(srv, "logs", NULL, line);
	drain(srv, fd, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 10 * 100 + strlen("{\"stream\":\"logs\",\"lost\":2}\n"));
	ctl_server_publish(srv, "logs", NULL, "{\"last\":1}");
	drain(srv, fd, buf, sizeof(buf));
	assert_string_equal(buf, "{\"last\":1}\n");
	close(fd);
	ctl_server_close(srv);
}

/* One that reads nothing while lines wait is dropped at the deadline; the
 * others go on. */
static void test_stalled_subscriber_dropped(void **state)
{
	struct ctl_server *srv = open_sub_server(64 * 1024, 0, 200);
	char line[1024], buf[4096];
	int stalled, reader;
	size_t got = 0;

	(void)state;
	stalled = request(srv, "{\"version\":1,\"command\":\"status\"}\n", buf, sizeof(buf));
	reader = request(srv, "{\"version\":1,\"command\":\"status\"}\n", buf, sizeof(buf));
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	/* ~2 MB: far more than the socket and the stream buffer hold. */
	for (int i = 0; i < 2000; i++) {
		ctl_server_publish(srv, "logs", NULL, line);
		ctl_server_dispatch(srv, 0);
		for (ssize_t n; (n = read(reader, buf, sizeof(buf))) > 0;)
			got += (size_t)n;
	}
	assert_int_equal(ctl_server_subscribers(srv, NULL), 2);
	for (int i = 0; i < 40; i++) {
		ctl_server_dispatch(srv, 10);
		for (ssize_t n; (n = read(reader, buf, sizeof(buf))) > 0;)
			got += (size_t)n;
	}
	assert_int_equal(ctl_server_subscribers(srv, NULL), 1);
	assert_int_equal(ctl_server_clients(srv), 1);
	assert_true(got >= 2000 * 1024); /* the reader lost nothing */
	close(stalled);
	close(reader);
	ctl_server_close(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_response),
	    cmocka_unit_test(test_half_sent_and_slow),
	    cmocka_unit_test(test_oversized),
	    cmocka_unit_test(test_queued_behind_slow_answers),
	    cmocka_unit_test(test_client_limit_and_many),
	    cmocka_unit_test(test_watch),
	    cmocka_unit_test(test_subscribe_publish),
	    cmocka_unit_test(test_slow_subscriber_loses_lines),
	    cmocka_unit_test(test_stalled_subscriber_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
