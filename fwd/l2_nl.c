// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Netlink for the L2 backend. libnl's own send-and-wait helpers reduce a
 * refusal to one of its NLE_* codes; the operator needs the kernel's errno
 * and its extended-ack text ("Unknown device type", "VLAN filtering is not
 * enabled"), so acknowledgements are read here with an error callback that
 * keeps both.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "l2_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct l2_nl {
	struct nl_sock *sk;
};

/* libnl's errors for what happened on our side of the socket. */
static int nle_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_DUMP_INTR:
		return -EAGAIN;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_MSGSIZE:
	case NLE_MSG_TRUNC:
		return -EMSGSIZE;
	default:
		return -EIO;
	}
}

int l2_nl_open(struct l2_nl **ret)
{
	struct l2_nl *nl = calloc(1, sizeof(*nl));
	int one = 1, r;

	if (!nl || !(nl->sk = nl_socket_alloc())) {
		free(nl);
		return -ENOMEM;
	}
	r = nl_connect(nl->sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(nl->sk);
		free(nl);
		return nle_errno(r);
	}
	/* the kernel's reason in words, without echoing our request back;
	 * older kernels without them still answer with the errno */
	(void)setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* a bridge port with thousands of VLANs is one large dump message */
	nl_socket_enable_msg_peek(nl->sk);
	(void)nl_socket_set_buffer_size(nl->sk, 1 << 20, 0);
	*ret = nl;
	return 0;
}

void l2_nl_close(struct l2_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

struct answer {
	bool done;
	int err; /* the kernel's -errno */
	char *kmsg;
	size_t n;
};

/* The extended ack's NLMSGERR_ATTR_MSG, if the kernel sent one. */
static void ext_ack(const struct nlmsghdr *h, const struct nlmsgerr *e, char *out, size_t n)
{
	size_t off = sizeof(*e), len;
	const struct nlattr *a;
	int rem;

	if (!out || !n || !(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len > NLMSG_HDRLEN)
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	if (NLMSG_HDRLEN + off >= h->nlmsg_len)
		return;
	len = h->nlmsg_len - NLMSG_HDRLEN - off;
	nla_for_each_attr(a, (const struct nlattr *)((const char *)e + off), (int)len, rem)
	{
		if (nla_type(a) == NLMSGERR_ATTR_MSG && nla_len(a) > 0) {
			size_t k = strnlen(nla_data(a), (size_t)nla_len(a));

			if (k >= n)
				k = n - 1;
			memcpy(out, nla_data(a), k);
			out[k] = '\0';
			return;
		}
	}
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct answer *a = arg;
	const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);

	(void)who;
	a->done = true;
	a->err = e->error < 0 ? e->error : -EIO;
	ext_ack(h, e, a->kmsg, a->n);
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct answer *a = arg;

	(void)msg;
	a->done = true;
	a->err = 0;
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct answer *a = arg;

	(void)msg;
	a->done = true;
	return NL_STOP;
}

static int receive(struct l2_nl *nl, struct nl_cb *cb, struct answer *a)
{
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, a);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, a);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, a);
	while (!a->done) {
		int r = nl_recvmsgs(nl->sk, cb);

		if (r == -NLE_DUMP_INTR)
			return -EAGAIN; /* the links changed while the dump ran */
		if (r < 0 && !a->done)
			return nle_errno(r);
	}
	return a->err;
}

/* Our callbacks on a copy of the socket's: nl_socket_get_cb() takes a
 * reference, given back here. */
static struct nl_cb *clone_cb(struct l2_nl *nl)
{
	struct nl_cb *sock_cb = nl_socket_get_cb(nl->sk);
	struct nl_cb *cb = sock_cb ? nl_cb_clone(sock_cb) : NULL;

	nl_cb_put(sock_cb);
	return cb;
}

int l2_nl_talk(struct l2_nl *nl, struct nl_msg *msg, char *kmsg, size_t n)
{
	struct answer a = {.kmsg = kmsg, .n = n};
	struct nl_cb *cb;
	int r;

	if (kmsg && n)
		kmsg[0] = '\0';
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK;
	r = nl_send_auto(nl->sk, msg);
	if (r < 0)
		return nle_errno(r);
	if (!(cb = clone_cb(nl)))
		return -ENOMEM;
	r = receive(nl, cb, &a);
	nl_cb_put(cb);
	return r;
}

int l2_nl_dump(struct l2_nl *nl, struct nl_msg *msg, int (*fn)(struct nl_msg *, void *), void *arg,
               char *kmsg, size_t n)
{
	struct answer a = {.kmsg = kmsg, .n = n};
	struct nl_cb *cb;
	int r;

	if (kmsg && n)
		kmsg[0] = '\0';
	r = nl_send_auto(nl->sk, msg);
	if (r < 0)
		return nle_errno(r);
	if (!(cb = clone_cb(nl)))
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, fn, arg);
	r = receive(nl, cb, &a);
	nl_cb_put(cb);
	return r;
}

struct nl_msg *l2_link_msg(int type, int flags, int family, int ifindex)
{
	struct ifinfomsg ifi = {.ifi_family = (unsigned char)family, .ifi_index = ifindex};
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}
