// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cross-platform UAPI of WireGuard implementations in userspace
 * (wireguard-go): key=value lines over WG_UAPI_DIR/IFNAME.sock, "get=1" to
 * read the device, "set=1" to change it, each answered by "errno=N".
 * Private keys pass as hex in these buffers: they are wiped before free.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "wg.h"

#define UAPI_MAX_REPLY (64u << 20)
#define UAPI_TIMEOUT_S 5

int wg_uapi_default_path(const char *ifname, char path[WG_UAPI_PATH_MAX])
{
	return snprintf(path, WG_UAPI_PATH_MAX, WG_UAPI_DIR "/%s.sock", ifname) >= WG_UAPI_PATH_MAX
	           ? -ENAMETOOLONG
	           : 0;
}

static int uapi_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = UAPI_TIMEOUT_S};
	int fd;

	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >= (int)sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(fd);
		/* no socket, or nobody behind it (a stale one) */
		return e == ENOENT || e == ECONNREFUSED ? -ENODEV : -e;
	}
	return fd;
}

bool wg_uapi_present(const char *path, pid_t *ret_pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = uapi_connect(path);

	if (fd < 0)
		return false;
	if (ret_pid)
		*ret_pid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
	close(fd);
	return true;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send a request, read the reply up to its blank line. */
static int exchange(const char *path, const char *req, size_t req_len, char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int fd = uapi_connect(path), r;

	if (fd < 0)
		return fd;
	r = write_all(fd, req, req_len);
	while (r == 0) {
		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *nb;

			if (ncap > UAPI_MAX_REPLY) {
				r = -E2BIG;
				break;
			}
			nb = malloc(ncap);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			if (buf) {
				memcpy(nb, buf, len);
				wg_key_wipe(buf, cap);
				free(buf);
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		if (n == 0) {
			r = -EPROTO; /* closed before the blank line */
			break;
		}
		len += (size_t)n;
		if ((len == 1 && buf[0] == '\n') ||
		    (len >= 2 && buf[len - 1] == '\n' && buf[len - 2] == '\n'))
			break;
	}
	close(fd);
	if (r < 0) {
		if (buf)
			wg_key_wipe(buf, cap);
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = cap;
	return 0;
}

static int hex_key(const char *s, uint8_t out[WG_KEY_LEN])
{
	if (strlen(s) != 2 * WG_KEY_LEN)
		return -EINVAL;
	for (size_t i = 0; i < WG_KEY_LEN; i++) {
		unsigned v = 0;

		for (int j = 0; j < 2; j++) {
			char c = s[2 * i + (size_t)j];
			unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			             : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			                                    : 16;
			if (d > 15)
				return -EINVAL;
			v = v * 16 + d;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int parse_endpoint(const char *s, union wg_sockaddr *ep)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	char *end;
	size_t hl;

	if (!colon)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end || port > 65535)
		return -EINVAL;
	memset(ep, 0, sizeof(*ep));
	if (inet_pton(AF_INET, host, &ep->in.sin_addr) == 1) {
		ep->in.sin_family = AF_INET;
		ep->in.sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &ep->in6.sin6_addr) == 1) {
		ep->in6.sin6_family = AF_INET6;
		ep->in6.sin6_port = htons((uint16_t)port);
	} else
		return -EINVAL;
	return 0;
}

static int parse_line(struct wg_device *d, struct wg_peer **cur, const char *k, const char *v)
{
	struct wg_peer *p = *cur;
	unsigned long long n;
	struct fw_prefix a;
	char *end;

	if (!strcmp(k, "private_key")) {
		/* Only its public half is kept: the device's identity. */
		uint8_t priv[WG_KEY_LEN];

		d->has_public_key =
		    hex_key(v, priv) == 0 && wg_key_public(priv, d->public_key) == 0;
		wg_key_wipe(priv, sizeof(priv));
		return 0;
	}
	if (!strcmp(k, "public_key")) {
		if (!(p = wg_device_add_peer(d)))
			return -ENOMEM;
		*cur = p;
		return hex_key(v, p->key);
	}
	if (!strcmp(k, "errno")) {
		n = strtoull(v, &end, 10);
		return *end || n > 4095 ? -EPROTO : -(int)n;
	}
	errno = 0;
	n = strtoull(v, &end, 10);
	bool num = !*end && !errno && *v;
	if (!strcmp(k, "listen_port") && num && n <= 65535) {
		d->listen_port = (uint16_t)n;
		d->set_listen_port = true;
	} else if (!p) {
		return 0; /* fwmark and what later versions add */
	} else if (!strcmp(k, "endpoint")) {
		p->has_endpoint = parse_endpoint(v, &p->endpoint) == 0;
	} else if (!strcmp(k, "persistent_keepalive_interval") && num && n <= 65535) {
		p->keepalive = (uint16_t)n;
	} else if (!strcmp(k, "last_handshake_time_sec") && num) {
		p->handshake_sec = (int64_t)n;
	} else if (!strcmp(k, "rx_bytes") && num) {
		p->rx_bytes = n;
	} else if (!strcmp(k, "tx_bytes") && num) {
		p->tx_bytes = n;
	} else if (!strcmp(k, "allowed_ip")) {
		if (fw_prefix_parse(v, true, &a) < 0)
			return -EPROTO;
		return wg_peer_add_allowed(p, &a);
	}
	return 0;
}

static int uapi_get(void *ctx, const char *ifname, struct wg_device *ret)
{
	static const char req[] = "get=1\n\n";
	struct wg_peer *cur = NULL;
	char *buf, *save = NULL;
	size_t cap;
	int r, status = 1;

	if ((r = exchange(ctx, req, sizeof(req) - 1, &buf, &cap)) < 0)
		return r;
	snprintf(ret->ifname, sizeof(ret->ifname), "%s", ifname);
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq) {
			r = -EPROTO;
			break;
		}
		*eq = '\0';
		r = parse_line(ret, &cur, line, eq + 1);
		if (!strcmp(line, "errno")) {
			status = r;
			r = 0;
		}
		if (r < 0)
			break;
	}
	wg_key_wipe(buf, cap);
	free(buf);
	if (r == 0 && status > 0)
		r = -EPROTO; /* no errno line */
	if (r == 0 && status < 0)
		r = status;
	return r;
}

static void put_hex(FILE *f, const char *key, const uint8_t k[WG_KEY_LEN])
{
	fprintf(f, "%s=", key);
	for (size_t i = 0; i < WG_KEY_LEN; i++)
		fprintf(f, "%02x", k[i]);
	fputc('\n', f);
}

static void put_endpoint(FILE *f, const union wg_sockaddr *ep)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &ep->in.sin_addr, a, sizeof(a));
		fprintf(f, "endpoint=%s:%u\n", a, ntohs(ep->in.sin_port));
	} else if (ep->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a));
		fprintf(f, "endpoint=[%s]:%u\n", a, ntohs(ep->in6.sin6_port));
	}
}

static int uapi_set(void *ctx, const struct wg_device *c)
{
	char *req = NULL, *reply = NULL;
	size_t len = 0, cap = 0;
	FILE *f = open_memstream(&req, &len);
	int r;

	if (!f)
		return -ENOMEM;
	fputs("set=1\n", f);
	if (c->has_private_key)
		put_hex(f, "private_key", c->private_key);
	if (c->set_listen_port)
		fprintf(f, "listen_port=%u\n", c->listen_port);
	for (size_t i = 0; i < c->n_peers; i++) {
		const struct wg_peer *p = &c->peers[i];

		put_hex(f, "public_key", p->key);
		if (p->remove) {
			fputs("remove=true\n", f);
			continue;
		}
		if (p->update_only)
			fputs("update_only=true\n", f);
		if (p->set_endpoint && p->has_endpoint)
			put_endpoint(f, &p->endpoint);
		if (p->set_keepalive)
			fprintf(f, "persistent_keepalive_interval=%u\n", p->keepalive);
		if (p->replace_allowed)
			fputs("replace_allowed_ips=true\n", f);
		for (size_t j = 0; p->replace_allowed && j < p->n_allowed; j++) {
			char a[64];

			fw_prefix_format(&p->allowed[j], a, sizeof(a));
			fprintf(f, "allowed_ip=%s\n", a);
		}
	}
	fputc('\n', f);
	if (fclose(f) != 0) {
		if (req)
			wg_key_wipe(req, len);
		free(req);
		return -ENOMEM;
	}
	r = exchange(ctx, req, len, &reply, &cap);
	wg_key_wipe(req, len);
	free(req);
	if (r < 0)
		return r;
	if (!strncmp(reply, "errno=", 6)) {
		char *end;
		unsigned long e = strtoul(reply + 6, &end, 10);
		r = *end == '\n' && e <= 4095 ? -(int)e : -EPROTO;
	} else
		r = -EPROTO;
	free(reply);
	return r;
}

struct wg_api wg_uapi_api(const char *path)
{
	return (struct wg_api){"userspace", uapi_get, uapi_set, (void *)path};
}
