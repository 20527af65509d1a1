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

static char *handler(void *ud, const struct ctl_peer *peer, const struct fwp_request *req)
{
	(void)ud;
	handled++;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_response),
	    cmocka_unit_test(test_half_sent_and_slow),
	    cmocka_unit_test(test_oversized),
	    cmocka_unit_test(test_client_limit_and_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
