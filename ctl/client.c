// SPDX-License-Identifier: GPL-2.0-or-later
/* Talking to fwd over its control socket. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fwctl.h"
#include "fwd/proto.h"

#define REPLY_MAX        (64u << 20)
#define REPLY_TIMEOUT_MS 120000 /* an apply of a large policy takes a while */

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_line(int fd, char **ret)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = poll(&p, 1, REPLY_TIMEOUT_MS);
		if (pr == 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		if (len + 1 >= cap) {
			char *nb;
			if (cap >= REPLY_MAX) {
				free(buf);
				return -E2BIG;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -ECONNRESET;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len)) {
			*ret = buf;
			return 0;
		}
	}
}

int ctl_send(const struct ctl *ctl, const struct fwp_request *req)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = ctl->socket ? ctl->socket : FWD_DEFAULT_SOCKET;
	char *line;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "fwctl: socket path too long: %s\n", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		fprintf(stderr, "fwctl: cannot reach fwd at %s: %s%s\n", path, strerror(-r),
		        r == -EACCES ? " (needs root or the fwd group)" : "");
		if (fd >= 0)
			close(fd);
		return r;
	}
	line = fwp_request_format(req);
	if (!line)
		fprintf(stderr,
		        "fwctl: cannot encode the request (a policy file that is not UTF-8?)\n");
	r = line ? send_all(fd, line, strlen(line)) : -EINVAL;
	free(line);
	if (r < 0) {
		if (r != -EINVAL)
			fprintf(stderr, "fwctl: no answer from fwd: %s\n", strerror(-r));
		close(fd);
		return r;
	}
	return fd;
}

int ctl_call(const struct ctl *ctl, const struct fwp_request *req, json_t **ret)
{
	char *reply = NULL;
	json_t *resp;
	int fd = ctl_send(ctl, req), r;

	if (fd < 0)
		return fd;
	r = read_line(fd, &reply);
	close(fd);
	if (r < 0) {
		fprintf(stderr, "fwctl: no answer from fwd: %s\n", strerror(-r));
		return r;
	}
	resp = json_loads(reply, JSON_DISABLE_EOF_CHECK, NULL);
	free(reply);
	if (!json_is_object(resp)) {
		json_decref(resp);
		fprintf(stderr, "fwctl: fwd answered something that is not a response\n");
		return -EBADMSG;
	}
	*ret = resp;
	return 0;
}
