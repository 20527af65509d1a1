// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket: epoll, bounded buffers, deadlines (see fwd/ctl_server.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fwd/ctl_server.h"

#define READ_CHUNK 65536
#define MAX_EVENTS 64

struct client {
	int fd;
	struct ctl_peer peer;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	uint64_t deadline_ms;
	struct client *next;
};

struct ctl_server {
	int listen_fd;
	int epoll_fd;
	char *path;
	struct ctl_limits limits;
	ctl_handler handler;
	void *userdata;
	struct client *clients;
	size_t n_clients;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int ctl_server_fd(const struct ctl_server *srv)
{
	return srv->epoll_fd;
}

size_t ctl_server_clients(const struct ctl_server *srv)
{
	return srv->n_clients;
}

static void client_free(struct ctl_server *srv, struct client *c)
{
	struct client **pp = &srv->clients;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
	srv->n_clients--;
}

int ctl_server_open(const char *path, mode_t mode, gid_t gid, const struct ctl_limits *limits,
                    ctl_handler handler, void *userdata, struct ctl_server **ret)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN};
	struct ctl_server *srv;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->listen_fd = srv->epoll_fd = -1;
	srv->limits.max_clients = limits && limits->max_clients ? limits->max_clients : 256;
	srv->limits.timeout_ms = limits && limits->timeout_ms ? limits->timeout_ms : 5000;
	srv->handler = handler;
	srv->userdata = userdata;
	strcpy(sa.sun_path, path);
	srv->path = strdup(path);
	srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	srv->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (!srv->path || srv->listen_fd < 0 || srv->epoll_fd < 0) {
		r = srv->path ? -errno : -ENOMEM;
		goto fail;
	}
	unlink(path);
	/* Created with no access at all, opened up only after chown/chmod, so
	 * nobody can connect through a window of wrong permissions. */
	mode_t old = umask(0777);
	r = bind(srv->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) ||
	    chmod(path, mode) < 0 || listen(srv->listen_fd, 128) < 0) {
		r = -errno;
		goto fail;
	}
	ev.data.ptr = NULL; /* NULL marks the listening socket */
	if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, srv->listen_fd, &ev) < 0) {
		r = -errno;
		goto fail;
	}
	*ret = srv;
	return 0;
fail:
	ctl_server_close(srv);
	return r;
}

void ctl_server_close(struct ctl_server *srv)
{
	if (!srv)
		return;
	while (srv->clients)
		client_free(srv, srv->clients);
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		if (srv->path)
			unlink(srv->path);
	}
	if (srv->epoll_fd >= 0)
		close(srv->epoll_fd);
	free(srv->path);
	free(srv);
}

static void accept_clients(struct ctl_server *srv)
{
	for (;;) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct client *c;

		if (fd < 0)
			return; /* EAGAIN, or a client gone before accept */
		if (srv->n_clients >= srv->limits.max_clients ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    !(c = calloc(1, sizeof(*c)))) {
			close(fd); /* over the limit: EOF at once, never a hang */
			continue;
		}
		c->fd = fd;
		c->peer = (struct ctl_peer){cred.pid, cred.uid, cred.gid};
		c->deadline_ms = now_ms() + srv->limits.timeout_ms;
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
		if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = srv->clients;
		srv->clients = c;
		srv->n_clients++;
	}
}

/* Queue a response and watch for writability. */
static int queue(struct ctl_server *srv, struct client *c, char *line)
{
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLRDHUP, .data.ptr = c};

	if (!line)
		return -ENOMEM;
	free(c->out);
	c->out = line;
	c->out_len = strlen(line);
	c->out_off = 0;
	c->deadline_ms = now_ms() + srv->limits.timeout_ms;
	return epoll_ctl(srv->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) < 0 ? -errno : 0;
}

static int handle_line(struct ctl_server *srv, struct client *c, size_t len)
{
	struct fwp_request req;
	char err[512];
	int r = fwp_request_parse(c->in, len, &req, err, sizeof(err));
	char *resp;

	if (r < 0)
		resp = fwp_response_error(0, r, err, NULL);
	else {
		resp = srv->handler(srv->userdata, &c->peer, &req);
		fwp_request_free(&req);
	}
	/* Drop the handled line; what follows waits for the next turn. */
	memmove(c->in, c->in + len + 1, c->in_len - len - 1);
	c->in_len -= len + 1;
	return queue(srv, c, resp);
}

/* Returns <0 when the client must go. */
static int client_read(struct ctl_server *srv, struct client *c)
{
	for (;;) {
		char *nl = c->in ? memchr(c->in, '\n', c->in_len) : NULL;

		if (nl)
			return handle_line(srv, c, (size_t)(nl - c->in));
		if (c->in_len > FWP_MAX_REQUEST) {
			char msg[96];
			snprintf(msg, sizeof(msg), "request larger than %u bytes", FWP_MAX_REQUEST);
			c->in_len = 0;
			int r = queue(srv, c, fwp_response_error(0, -E2BIG, msg, NULL));
			/* Answer, then hang up: the rest of the stream is garbage. */
			c->in_cap = SIZE_MAX;
			return r;
		}
		if (c->in_cap - c->in_len < READ_CHUNK) {
			size_t ncap = c->in_cap ? c->in_cap * 2 : READ_CHUNK * 2;
			char *nb;
			if (ncap > FWP_MAX_REQUEST + 2 * READ_CHUNK)
				ncap = FWP_MAX_REQUEST + 2 * READ_CHUNK;
			nb = realloc(c->in, ncap);
			if (!nb)
				return -ENOMEM;
			c->in = nb;
			c->in_cap = ncap;
		}
		ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0)
			return -EPIPE; /* a half-sent request is dropped whole */
		c->in_len += (size_t)n;
	}
}

static int client_write(struct ctl_server *srv, struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	if (c->in_cap == SIZE_MAX)
		return -E2BIG; /* the oversized request's answer is out */
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
	if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		return -errno;
	c->deadline_ms = now_ms() + srv->limits.timeout_ms;
	/* Pipelined requests already buffered are handled now. */
	return client_read(srv, c);
}

static void expire(struct ctl_server *srv)
{
	uint64_t now = now_ms();

	for (struct client *c = srv->clients, *next; c; c = next) {
		next = c->next;
		if (now >= c->deadline_ms)
			client_free(srv, c);
	}
}

int ctl_server_dispatch(struct ctl_server *srv, int timeout_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	int n = epoll_wait(srv->epoll_fd, evs, MAX_EVENTS, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct client *c = evs[i].data.ptr;
		int r = 0;

		if (!c) {
			accept_clients(srv);
			continue;
		}
		/* A client that already shut down its sending side still gets
		 * its answer: a pending response goes first. */
		if (c->out)
			r = client_write(srv, c);
		else
			r = client_read(srv, c);
		if (r < 0)
			client_free(srv, c);
	}
	expire(srv);
	return 0;
}
