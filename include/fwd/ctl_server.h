/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's control socket: a unix stream socket speaking fwd/proto.h.
 *
 * Single-threaded and non-blocking: every client has a bounded input buffer
 * (one request line, FWP_MAX_REQUEST) and an output buffer; requests are
 * handled one at a time in arrival order, so writes are serialised by
 * construction. A client that sends nothing complete, or does not read its
 * answer, within the timeout is dropped; so is one past the request limit,
 * with an error response. At most `max_clients` connections are served; more
 * are accepted and closed at once, so they see EOF instead of hanging.
 * Peers are identified with SO_PEERCRED and handed to the handler.
 *
 * The same loop serves other descriptors (ctl_server_watch: the daemon's
 * NFLOG socket) and streams: a handler may turn the client it answers into a
 * subscriber of a named stream; lines published there are queued to every
 * subscriber after its response. A subscriber's unread output is bounded
 * (stream_buffer): a line that does not fit is lost, counted, and the
 * subscriber is told how many before its next line
 * ({"stream":"NAME","lost":N}); one that reads nothing for timeout_ms while
 * lines wait is dropped. Publishing never blocks and never grows memory past
 * the bounds, however slow a subscriber is.
 */
#ifndef FWD_CTL_SERVER_H
#define FWD_CTL_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#include "fwd/proto.h"

struct ctl_server;

struct ctl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

struct ctl_limits {
	size_t max_clients;     /* default 256 */
	unsigned timeout_ms;    /* default 5000: to send a request, to read a response */
	size_t max_subscribers; /* default 16 */
	size_t stream_buffer;   /* default 256 KiB: a subscriber's unread published lines */
};

/* Answer one request: return a response line (fwp_response_*), or NULL on
 * allocation failure (the client is dropped). */
typedef char *(*ctl_handler)(void *userdata, const struct ctl_peer *peer,
                             const struct fwp_request *req);

/* Create the socket at `path` (an old socket file there is replaced) with
 * mode `mode` (e.g. 0660) and group `gid` ((gid_t)-1: unchanged). */
int ctl_server_open(const char *path, mode_t mode, gid_t gid, const struct ctl_limits *limits,
                    ctl_handler handler, void *userdata, struct ctl_server **ret);
void ctl_server_close(struct ctl_server *srv);

/* The epoll descriptor, for the daemon's main loop. */
int ctl_server_fd(const struct ctl_server *srv);

/* Handle whatever is ready, waiting at most timeout_ms (-1: forever), and
 * drop clients past their deadline. Returns 0 or a negative errno. */
int ctl_server_dispatch(struct ctl_server *srv, int timeout_ms);

/* Connected clients right now (tests, status). */
size_t ctl_server_clients(const struct ctl_server *srv);

/* Serve `fd` in the same loop: cb(data) runs when it is readable. Level
 * triggered: a callback need not drain fd (better not, under a flood: what
 * is left makes it run again after the other ready descriptors had their
 * turn). The caller keeps owning fd; unwatch before closing it.
 * -EEXIST when fd is watched already. */
typedef void (*ctl_watch_cb)(void *data);
int ctl_server_watch(struct ctl_server *srv, int fd, ctl_watch_cb cb, void *data);
int ctl_server_unwatch(struct ctl_server *srv, int fd);

/* From inside the handler only: make the client whose request `peer` came
 * with a subscriber of `stream` ([a-z0-9_-], at most 32 characters), for the
 * lines published with `key` (NULL: every line of the stream; at most 64
 * bytes). Its response goes out first; then it only listens, and anything it
 * sends ends the subscription. -EINVAL outside a handler or for a bad name,
 * -EALREADY when it subscribed already, -EBUSY past max_subscribers. */
int ctl_server_subscribe(struct ctl_server *srv, const struct ctl_peer *peer, const char *stream,
                         const char *key);

/* Queue one line (JSON, no newline inside; one is added when missing) to the
 * subscribers of `stream` whose key is NULL or equal to `key`. Returns how
 * many got it (a subscriber whose buffer is full loses it and is told later),
 * or -EINVAL for a line with a newline inside. */
int ctl_server_publish(struct ctl_server *srv, const char *stream, const char *key,
                       const char *line);

/* Subscribers of `stream` (NULL: of any stream) right now. */
size_t ctl_server_subscribers(const struct ctl_server *srv, const char *stream);

#endif
