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
	size_t max_clients;  /* default 256 */
	unsigned timeout_ms; /* default 5000: to send a request, to read a response */
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

#endif
