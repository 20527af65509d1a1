// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket: epoll, bounded buffers, deadlines (see fwd/ctl_server.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
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

#define READ_CHUNK  65536
#define MAX_EVENTS  64
#define STREAM_MAX  32 /* stream name */
#define KEY_MAX     64 /* subscription key */
#define NO_DEADLINE UINT64_MAX

/* What an epoll event's data.ptr points at: each kind starts with this. */
enum ep_kind { EP_LISTEN, EP_CLIENT, EP_WATCH };

struct client {
	enum ep_kind kind; /* EP_CLIENT */
	int fd;
	struct ctl_peer peer;
	char *in;
	size_t in_len, in_cap;
	char *out; /* pending output: out[out_off .. out_len) */
	size_t out_len, out_off, out_cap;
	uint64_t deadline_ms;
	/* Freed at the end of the dispatch round: a callback may end a client
	 * whose event is still in this round's list. */
	bool dead;
	char *stream, *key; /* a subscriber */
	uint64_t lost;      /* published lines it missed, not told yet */
	struct client *next;
};

struct watch {
	enum ep_kind kind; /* EP_WATCH */
	int fd;
	ctl_watch_cb cb;
	void *data;
	bool dead; /* as for clients */
	struct watch *next;
};

struct ctl_server {
	enum ep_kind kind; /* EP_LISTEN: the server itself stands for its socket */
	int listen_fd;
	int epoll_fd;
	char *path;
	struct ctl_limits limits;
	ctl_handler handler;
	void *userdata;
	struct client *clients;
	size_t n_clients;
	size_t n_subscribers;
	struct client *current; /* whose request the handler is answering */
	struct watch *watches;
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
	if (!c->dead) {
		epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	if (c->stream)
		srv->n_subscribers--;
	free(c->in);
	free(c->out);
	free(c->stream);
	free(c->key);
	free(c);
	srv->n_clients--;
}

/* Hang up now, free at the end of the round (see struct client). */
static void client_kill(struct ctl_server *srv, struct client *c)
{
	if (c->dead)
		return;
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->dead = true;
}

static void reap(struct ctl_server *srv)
{
	for (struct client *c = srv->clients, *next; c; c = next) {
		next = c->next;
		if (c->dead)
			client_free(srv, c);
	}
	for (struct watch **pp = &srv->watches, *w; (w = *pp);) {
		if (w->dead) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
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
	srv->kind = EP_LISTEN;
	srv->listen_fd = srv->epoll_fd = -1;
	srv->limits.max_clients = limits && limits->max_clients ? limits->max_clients : 256;
	srv->limits.timeout_ms = limits && limits->timeout_ms ? limits->timeout_ms : 5000;
	srv->limits.max_subscribers =
	    limits && limits->max_subscribers ? limits->max_subscribers : 16;
	srv->limits.stream_buffer =
	    limits && limits->stream_buffer ? limits->stream_buffer : 256 * 1024;
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
	ev.data.ptr = srv;
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
	while (srv->watches) {
		struct watch *w = srv->watches;
		srv->watches = w->next;
		free(w); /* the fd is its owner's */
	}
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
		c->kind = EP_CLIENT;
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

static int watch_events(struct ctl_server *srv, struct client *c, uint32_t events)
{
	struct epoll_event ev = {.events = events | EPOLLRDHUP, .data.ptr = c};

	return epoll_ctl(srv->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) < 0 ? -errno : 0;
}

/* Queue a response (taken over) and watch for writability. Nothing else is
 * pending: requests are answered one at a time. */
static int queue(struct ctl_server *srv, struct client *c, char *line)
{
	if (!line)
		return -ENOMEM;
	free(c->out);
	c->out = line;
	c->out_len = strlen(line);
	c->out_cap = c->out_len + 1;
	c->out_off = 0;
	c->deadline_ms = now_ms() + srv->limits.timeout_ms;
	return watch_events(srv, c, EPOLLOUT);
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
		srv->current = c;
		resp = srv->handler(srv->userdata, &c->peer, &req);
		srv->current = NULL;
		fwp_request_free(&req);
	}
	/* Drop the handled line; what follows waits for the next turn (a
	 * subscriber sends nothing more: the rest is dropped). */
	memmove(c->in, c->in + len + 1, c->in_len - len - 1);
	c->in_len -= len + 1;
	if (c->stream) {
		free(c->in);
		c->in = NULL;
		c->in_len = c->in_cap = 0;
	}
	return queue(srv, c, resp);
}

/* Returns <0 when the client must go. */
static int client_read(struct ctl_server *srv, struct client *c)
{
	if (c->stream) {
		/* A subscriber only listens: EOF or anything sent ends it. */
		char b[64];
		ssize_t n = read(c->fd, b, sizeof(b));
		return n < 0 && errno == EAGAIN ? 0 : -EPIPE;
	}
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

static int lost_notice(struct client *c, char *buf, size_t size)
{
	return snprintf(buf, size, "{\"stream\":\"%s\",\"lost\":%llu}\n", c->stream,
	                (unsigned long long)c->lost);
}

/* Append to a subscriber's output, within its bound: the lost-lines notice
 * first when there is one. -ENOBUFS when it does not fit (counted lost).
 * Only the buffer changes: the caller makes sure it gets written. */
static int stream_append(struct ctl_server *srv, struct client *c, const char *line, size_t len,
                         bool newline)
{
	size_t pending = c->out_len - c->out_off, need = len + (newline ? 1 : 0);
	char notice[96];
	size_t nlen = c->lost ? (size_t)lost_notice(c, notice, sizeof(notice)) : 0;
	size_t total = pending + nlen + need;

	if (total > srv->limits.stream_buffer) {
		c->lost++;
		return -ENOBUFS;
	}
	if (c->out_cap - c->out_len < nlen + need) {
		if (c->out_off) {
			memmove(c->out, c->out + c->out_off, pending);
			c->out_off = 0;
			c->out_len = pending;
		}
		if (c->out_cap < total) {
			/* Doubling, never past the bound (total is within it). */
			size_t ncap = c->out_cap * 2 > total ? c->out_cap * 2 : total;
			char *nb;
			if (ncap < 4096)
				ncap = 4096;
			if (ncap > srv->limits.stream_buffer)
				ncap = srv->limits.stream_buffer;
			nb = realloc(c->out, ncap);
			if (!nb) {
				c->lost++;
				return -ENOBUFS;
			}
			c->out = nb;
			c->out_cap = ncap;
		}
	}
	memcpy(c->out + c->out_len, notice, nlen);
	memcpy(c->out + c->out_len + nlen, line, len);
	c->out_len += nlen + len;
	if (newline)
		c->out[c->out_len++] = '\n';
	c->lost = 0;
	return 0;
}

static int client_write(struct ctl_server *srv, struct client *c)
{
again:
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		c->out_off += (size_t)n;
		if (c->stream) /* a subscriber that reads keeps its place */
			c->deadline_ms = now_ms() + srv->limits.timeout_ms;
	}
	c->out_off = c->out_len = 0;
	if (c->stream) {
		/* Caught up: tell what it missed, else wait for the next line
		 * (or its hangup) with no deadline. */
		if (c->lost && stream_append(srv, c, "", 0, false) == 0)
			goto again;
		if (c->out_cap > srv->limits.stream_buffer) {
			free(c->out); /* a large first response: not kept */
			c->out = NULL;
			c->out_cap = 0;
		}
		c->deadline_ms = NO_DEADLINE;
		return watch_events(srv, c, EPOLLIN);
	}
	free(c->out);
	c->out = NULL;
	c->out_cap = 0;
	if (c->in_cap == SIZE_MAX)
		return -E2BIG; /* the oversized request's answer is out */
	if (watch_events(srv, c, EPOLLIN) < 0)
		return -errno;
	c->deadline_ms = now_ms() + srv->limits.timeout_ms;
	/* Pipelined requests already buffered are handled now. */
	return client_read(srv, c);
}

/* Deadlines measure a client's own slowness, not the daemon's: the time
 * this round spent answering others (an apply of a large policy, a drift
 * repair) is added to every deadline, so a client queued behind them still
 * gets its answer. */
static void expire(struct ctl_server *srv, uint64_t busy_ms)
{
	uint64_t now = now_ms();

	for (struct client *c = srv->clients; c; c = c->next) {
		if (c->deadline_ms != NO_DEADLINE)
			c->deadline_ms += busy_ms;
		if (now >= c->deadline_ms)
			client_kill(srv, c);
	}
}

int ctl_server_dispatch(struct ctl_server *srv, int timeout_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	int n = epoll_wait(srv->epoll_fd, evs, MAX_EVENTS, timeout_ms);

	uint64_t start = now_ms();

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		enum ep_kind *kind = evs[i].data.ptr;
		struct client *c;
		int r = 0;

		if (*kind == EP_LISTEN) {
			accept_clients(srv);
			continue;
		}
		if (*kind == EP_WATCH) {
			struct watch *w = (struct watch *)kind;
			if (!w->dead)
				w->cb(w->data);
			continue;
		}
		c = (struct client *)kind;
		if (c->dead)
			continue;
		/* A subscriber that hangs up is gone, whatever it still had
		 * to read. A client that already shut down its sending side
		 * still gets its answer: a pending response goes first. */
		if (c->stream && (evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
			r = -EPIPE;
		else if (c->out_len > c->out_off)
			r = client_write(srv, c);
		else
			r = client_read(srv, c);
		if (r < 0)
			client_kill(srv, c);
	}
	expire(srv, now_ms() - start);
	reap(srv);
	return 0;
}

int ctl_server_watch(struct ctl_server *srv, int fd, ctl_watch_cb cb, void *data)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct watch *w;

	for (w = srv->watches; w; w = w->next)
		if (!w->dead && w->fd == fd)
			return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct watch){.kind = EP_WATCH, .fd = fd, .cb = cb, .data = data};
	ev.data.ptr = w;
	if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;
		free(w);
		return r;
	}
	w->next = srv->watches;
	srv->watches = w;
	return 0;
}

int ctl_server_unwatch(struct ctl_server *srv, int fd)
{
	for (struct watch *w = srv->watches; w; w = w->next) {
		if (w->dead || w->fd != fd)
			continue;
		epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
		w->dead = true; /* freed by the next round, or by close */
		return 0;
	}
	return -ENOENT;
}

static bool valid_stream(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > STREAM_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return false;
	return true;
}

int ctl_server_subscribe(struct ctl_server *srv, const struct ctl_peer *peer, const char *stream,
                         const char *key)
{
	struct client *c = srv->current;
	char *s, *k;

	if (!c || &c->peer != peer || !valid_stream(stream) || (key && strlen(key) > KEY_MAX))
		return -EINVAL;
	if (c->stream)
		return -EALREADY;
	if (srv->n_subscribers >= srv->limits.max_subscribers)
		return -EBUSY;
	s = strdup(stream);
	k = key ? strdup(key) : NULL;
	if (!s || (key && !k)) {
		free(s);
		free(k);
		return -ENOMEM;
	}
	c->stream = s;
	c->key = k;
	srv->n_subscribers++;
	return 0;
}

int ctl_server_publish(struct ctl_server *srv, const char *stream, const char *key,
                       const char *line)
{
	size_t len = strlen(line);
	bool newline = !len || line[len - 1] != '\n';
	int n = 0;

	if (memchr(line, '\n', newline ? len : len - 1))
		return -EINVAL;
	for (struct client *c = srv->clients; c; c = c->next) {
		if (c->dead || !c->stream || strcmp(c->stream, stream))
			continue;
		if (c->key && (!key || strcmp(c->key, key)))
			continue;
		bool idle = c->out_len == c->out_off;
		if (stream_append(srv, c, line, len, newline) < 0)
			continue;
		n++;
		if (idle) {
			/* It reads within the timeout from now on, or goes. */
			c->deadline_ms = now_ms() + srv->limits.timeout_ms;
			if (watch_events(srv, c, EPOLLOUT) < 0)
				client_kill(srv, c);
		}
	}
	return n;
}

size_t ctl_server_subscribers(const struct ctl_server *srv, const char *stream)
{
	size_t n = 0;

	for (const struct client *c = srv->clients; c; c = c->next)
		if (!c->dead && c->stream && (!stream || !strcmp(c->stream, stream)))
			n++;
	return n;
}
