// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Health probes after a commit is applied: a tcp connect from the firewall
 * (tcp:HOST:PORT). Non-blocking: the daemon's loop steps each probe; a probe
 * that fails is tried again until the confirm window closes, so a service
 * that takes a second to come back does not roll the commit back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gitops_int.h"

int fw_git_probe_parse(const char *text, struct fw_git_probe_spec *ret)
{
	struct fw_git_probe_spec p = {0};
	char host[INET6_ADDRSTRLEN + 2];
	const char *s = text + 4, *port;
	char *end;
	unsigned long v;
	size_t len;

	if (strncmp(text, "tcp:", 4) || strlen(text) >= sizeof(p.text))
		return -EINVAL;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		len = (size_t)(close - s - 1);
		s++;
		port = close + 2;
	} else {
		port = strrchr(s, ':');
		if (!port || memchr(s, ':', (size_t)(port - s)))
			return -EINVAL; /* an IPv6 address needs brackets */
		len = (size_t)(port - s);
		port++;
	}
	if (len == 0 || len >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, p.addr) == 1)
		p.family = 4;
	else if (inet_pton(AF_INET6, host, p.addr) == 1)
		p.family = 6;
	else
		return -EINVAL;
	errno = 0;
	v = strtoul(port, &end, 10);
	if (errno || *port < '0' || *port > '9' || *end || v < 1 || v > 65535)
		return -EINVAL;
	p.port = (uint16_t)v;
	snprintf(p.text, sizeof(p.text), "%s", text);
	*ret = p;
	return 0;
}

static void finish(struct fw_git_probe *p, int result, uint64_t now_ms)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->result = result;
	p->due_ms = now_ms + FW_GIT_PROBE_RETRY_MS;
}

static void start(struct fw_git_probe *p, uint64_t now_ms)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd;

	if (p->spec->family == 4) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(p->spec->port);
		memcpy(&a->sin_addr, p->spec->addr, 4);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(p->spec->port);
		memcpy(&a->sin6_addr, p->spec->addr, 16);
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		finish(p, -errno, now_ms);
		return;
	}
	p->fd = fd;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		finish(p, 1, now_ms);
	else if (errno != EINPROGRESS)
		finish(p, -errno, now_ms);
	else
		p->due_ms = now_ms + FW_GIT_PROBE_TIMEOUT_MS;
}

int fw_git_probe_step(struct fw_git_probe *p, uint64_t now_ms)
{
	struct pollfd pfd;
	int err = 0;
	socklen_t len = sizeof(err);

	if (p->result == 1)
		return 1;
	if (p->fd < 0) {
		if (p->result == 0 || now_ms >= p->due_ms)
			start(p, now_ms);
		return p->result == 1;
	}
	pfd = (struct pollfd){.fd = p->fd, .events = POLLOUT};
	if (poll(&pfd, 1, 0) > 0) {
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		finish(p, err ? -err : 1, now_ms);
	} else if (now_ms >= p->due_ms) {
		finish(p, -ETIMEDOUT, now_ms);
	}
	return p->result == 1;
}

void fw_git_probe_stop(struct fw_git_probe *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

const char *fw_git_probe_error(int result, char *buf, size_t size)
{
	if (result == -ETIMEDOUT)
		snprintf(buf, size, "no answer within %d s", FW_GIT_PROBE_TIMEOUT_MS / 1000);
	else if (result == 0)
		snprintf(buf, size, "not tried");
	else
		snprintf(buf, size, "%s", strerror(-result));
	return buf;
}
