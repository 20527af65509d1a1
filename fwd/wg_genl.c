// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel's WireGuard API: generic netlink family "wireguard"
 * (linux/wireguard.h), resolved with CTRL_CMD_GETFAMILY, over libmnl.
 * WG_CMD_GET_DEVICE is a dump whose peers may continue from one message to
 * the next (the kernel names the peer again); WG_CMD_SET_DEVICE is split
 * into messages of bounded size, a peer's allowed-ips continuing without
 * "replace" in the next one. Every request is acknowledged and checked.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wg.h"

#define SET_BUDGET (32u * 1024u) /* bytes of one SET_DEVICE message */

struct wg_genl {
	struct mnl_socket *nl;
	uint16_t family;
	uint32_t seq, portid;
	char *buf; /* MNL_SOCKET_BUFFER_SIZE * 4, reused; wiped after use */
	size_t buf_size;
};

static struct nlmsghdr *genl_msg(char *buf, uint16_t type, uint8_t cmd, uint16_t flags,
                                 uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : WG_GENL_VERSION;
	return nlh;
}

/* Send one request, run cb on every answer until the ack. */
static int talk(struct wg_genl *g, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	int r;

	if (mnl_socket_sendto(g->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t n = mnl_socket_recvfrom(g->nl, g->buf, g->buf_size);

		if (n < 0)
			return -errno;
		r = mnl_cb_run(g->buf, (size_t)n, nlh->nlmsg_seq, g->portid, cb, data);
	} while (r > MNL_CB_STOP);
	return r < 0 ? -errno : 0;
}

static int family_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(a, MNL_TYPE_U16) == 0)
		*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr, data);
	return MNL_CB_OK;
}

int wg_genl_open(struct wg_genl **ret)
{
	struct wg_genl *g = calloc(1, sizeof(*g));
	struct nlmsghdr *nlh;
	int r;

	if (!g)
		return -ENOMEM;
	g->buf_size = MNL_SOCKET_BUFFER_SIZE * 4;
	g->buf = malloc(g->buf_size);
	g->nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!g->buf || !g->nl || mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = g->buf ? -errno : -ENOMEM;
		goto fail;
	}
	/* Acks of refused requests must not echo them: a SET_DEVICE carries
	 * the private key. */
	int one = 1;
	mnl_socket_setsockopt(g->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	g->portid = mnl_socket_get_portid(g->nl);
	g->seq = (uint32_t)time(NULL);
	nlh = genl_msg(g->buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, ++g->seq);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	r = talk(g, nlh, family_cb, &g->family);
	if (r == 0 && !g->family)
		r = -ENOENT;
	if (r < 0)
		goto fail;
	*ret = g;
	return 0;
fail:
	wg_genl_close(g);
	return r == -ENOENT || r == -EINVAL ? -ENOENT : r;
}

void wg_genl_close(struct wg_genl *g)
{
	if (!g)
		return;
	if (g->nl)
		mnl_socket_close(g->nl);
	if (g->buf)
		wg_key_wipe(g->buf, g->buf_size);
	free(g->buf);
	free(g);
}

/* --- reading a device --- */

struct get_ctx {
	struct wg_device *d;
};

static int allowed_cb(const struct nlattr *a, void *data)
{
	struct wg_peer *p = data;
	const struct nlattr *x;
	struct fw_prefix pf = {0};
	uint16_t fam = 0;

	mnl_attr_for_each_nested(x, a)
	{
		switch (mnl_attr_get_type(x)) {
		case WGALLOWEDIP_A_FAMILY:
			if (mnl_attr_validate(x, MNL_TYPE_U16) == 0)
				fam = mnl_attr_get_u16(x);
			break;
		case WGALLOWEDIP_A_IPADDR:
			if (mnl_attr_get_payload_len(x) == 4 || mnl_attr_get_payload_len(x) == 16)
				memcpy(pf.a, mnl_attr_get_payload(x), mnl_attr_get_payload_len(x));
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			if (mnl_attr_validate(x, MNL_TYPE_U8) == 0)
				pf.len = mnl_attr_get_u8(x);
			break;
		}
	}
	pf.family = fam == AF_INET ? 4 : fam == AF_INET6 ? 6 : 0;
	if (!pf.family)
		return MNL_CB_OK;
	return wg_peer_add_allowed(p, &pf) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int peer_cb(struct get_ctx *c, const struct nlattr *pa)
{
	struct wg_device *d = c->d;
	const struct nlattr *x, *key = NULL;
	struct wg_peer *p;

	mnl_attr_for_each_nested(x, pa) if (mnl_attr_get_type(x) == WGPEER_A_PUBLIC_KEY &&
	                                    mnl_attr_get_payload_len(x) == WG_KEY_LEN) key = x;
	if (!key)
		return MNL_CB_OK;
	/* The previous message's last peer, continued. */
	p = d->n_peers &&
	            !memcmp(d->peers[d->n_peers - 1].key, mnl_attr_get_payload(key), WG_KEY_LEN)
	        ? &d->peers[d->n_peers - 1]
	        : wg_device_add_peer(d);
	if (!p)
		return MNL_CB_ERROR;
	memcpy(p->key, mnl_attr_get_payload(key), WG_KEY_LEN);
	mnl_attr_for_each_nested(x, pa)
	{
		size_t len = mnl_attr_get_payload_len(x);
		const void *v = mnl_attr_get_payload(x);

		switch (mnl_attr_get_type(x)) {
		case WGPEER_A_ENDPOINT:
			if (len == sizeof(struct sockaddr_in) ||
			    len == sizeof(struct sockaddr_in6)) {
				memcpy(&p->endpoint, v, len);
				p->has_endpoint = true;
			}
			break;
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (len == 2)
				p->keepalive = mnl_attr_get_u16(x);
			break;
		case WGPEER_A_LAST_HANDSHAKE_TIME:
			if (len >= 16) {
				int64_t ts[2];
				memcpy(ts, v, sizeof(ts));
				p->handshake_sec = ts[0];
			}
			break;
		case WGPEER_A_RX_BYTES:
			if (len == 8)
				p->rx_bytes = mnl_attr_get_u64(x);
			break;
		case WGPEER_A_TX_BYTES:
			if (len == 8)
				p->tx_bytes = mnl_attr_get_u64(x);
			break;
		case WGPEER_A_ALLOWEDIPS: {
			const struct nlattr *y;
			mnl_attr_for_each_nested(y, x) if (allowed_cb(y, p) !=
			                                   MNL_CB_OK) return MNL_CB_ERROR;
			break;
		}
		}
	}
	return MNL_CB_OK;
}

static int device_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *c = data;
	struct wg_device *d = c->d;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
	{
		size_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case WGDEVICE_A_PRIVATE_KEY:
			/* Read back only to be wiped: fwd never needs it from here. */
			break;
		case WGDEVICE_A_PUBLIC_KEY:
			if (len == WG_KEY_LEN) {
				memcpy(d->public_key, mnl_attr_get_payload(a), WG_KEY_LEN);
				d->has_public_key = true;
			}
			break;
		case WGDEVICE_A_LISTEN_PORT:
			if (len == 2) {
				d->listen_port = mnl_attr_get_u16(a);
				d->set_listen_port = true;
			}
			break;
		case WGDEVICE_A_PEERS: {
			const struct nlattr *p;
			mnl_attr_for_each_nested(p, a) if (peer_cb(c, p) !=
			                                   MNL_CB_OK) return MNL_CB_ERROR;
			break;
		}
		}
	}
	return MNL_CB_OK;
}

static int genl_get(void *ctx, const char *ifname, struct wg_device *ret)
{
	struct wg_genl *g = ctx;
	struct get_ctx c = {.d = ret};
	char req[256];
	struct nlmsghdr *nlh = genl_msg(req, g->family, WG_CMD_GET_DEVICE, NLM_F_DUMP, ++g->seq);
	int r;

	snprintf(ret->ifname, sizeof(ret->ifname), "%s", ifname);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	r = talk(g, nlh, device_cb, &c);
	wg_key_wipe(g->buf, g->buf_size);
	return r;
}

/* --- changing a device --- */

static struct nlmsghdr *set_start(struct wg_genl *g, char *buf, const struct wg_device *c,
                                  bool first)
{
	struct nlmsghdr *nlh = genl_msg(buf, g->family, WG_CMD_SET_DEVICE, 0, ++g->seq);

	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, c->ifname);
	if (first && c->has_private_key)
		mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, c->private_key);
	if (first && c->set_listen_port)
		mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, c->listen_port);
	return nlh;
}

static void put_allowed(struct nlmsghdr *nlh, const struct fw_prefix *a, uint16_t idx)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, idx);

	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, a->family == 4 ? AF_INET : AF_INET6);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, a->family == 4 ? 4 : 16, a->a);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, a->len);
	mnl_attr_nest_end(nlh, n);
}

/* One peer's head: key, flags, endpoint, keepalive. */
static struct nlattr *put_peer(struct nlmsghdr *nlh, const struct wg_peer *p, uint16_t idx,
                               bool replace)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, idx);
	uint32_t flags = (p->remove ? WGPEER_F_REMOVE_ME : 0) |
	                 (replace ? WGPEER_F_REPLACE_ALLOWEDIPS : 0) |
	                 (p->update_only ? WGPEER_F_UPDATE_ONLY : 0);

	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, p->key);
	mnl_attr_put_u32(nlh, WGPEER_A_FLAGS, flags);
	if (!p->remove && p->set_endpoint && p->has_endpoint)
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT,
		             p->endpoint.sa.sa_family == AF_INET ? sizeof(struct sockaddr_in)
		                                                 : sizeof(struct sockaddr_in6),
		             &p->endpoint);
	if (!p->remove && p->set_keepalive)
		mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p->keepalive);
	return n;
}

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int genl_set(void *ctx, const struct wg_device *c)
{
	struct wg_genl *g = ctx;
	char *buf = calloc(1, SET_BUDGET + 4096);
	struct nlmsghdr *nlh;
	struct nlattr *peers = NULL, *peer = NULL, *ips = NULL;
	uint16_t pidx = 0, aidx = 0;
	size_t i = 0, j = 0;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	nlh = set_start(g, buf, c, true);
	/* Peers one by one; a message that would grow past the budget is
	 * closed, sent and acked, and the next starts where it stopped. */
	while (r == 0 && i < c->n_peers) {
		const struct wg_peer *p = &c->peers[i];

		if (!peers) {
			peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
			pidx = 0;
		}
		if (!peer) {
			peer = put_peer(nlh, p, pidx++, p->replace_allowed && j == 0);
			aidx = 0;
			if (p->replace_allowed && !p->remove)
				ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
		}
		while (ips && j < p->n_allowed && nlh->nlmsg_len < SET_BUDGET)
			put_allowed(nlh, &p->allowed[j++], aidx++);
		if (ips && j < p->n_allowed) {
			/* full in the middle of a peer's allowed-ips */
			mnl_attr_nest_end(nlh, ips);
			mnl_attr_nest_end(nlh, peer);
			mnl_attr_nest_end(nlh, peers);
			ips = peer = peers = NULL;
			r = talk(g, nlh, ack_cb, NULL);
			nlh = set_start(g, buf, c, false);
			continue;
		}
		if (ips)
			mnl_attr_nest_end(nlh, ips);
		mnl_attr_nest_end(nlh, peer);
		ips = peer = NULL;
		i++;
		j = 0;
		if (nlh->nlmsg_len >= SET_BUDGET && i < c->n_peers) {
			mnl_attr_nest_end(nlh, peers);
			peers = NULL;
			r = talk(g, nlh, ack_cb, NULL);
			nlh = set_start(g, buf, c, false);
		}
	}
	if (r == 0) {
		if (peers)
			mnl_attr_nest_end(nlh, peers);
		r = talk(g, nlh, ack_cb, NULL);
	}
	wg_key_wipe(buf, SET_BUDGET + 4096);
	wg_key_wipe(g->buf, g->buf_size);
	free(buf);
	return r;
}

struct wg_api wg_genl_api(struct wg_genl *g)
{
	return (struct wg_api){"kernel", genl_get, genl_set, g};
}
