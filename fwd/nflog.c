// SPDX-License-Identifier: GPL-2.0-or-later
/* The NFLOG listener: one nfnetlink_log socket bound to the ruleset's group. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fwd/nflog.h"

/* The kernel batches messages in a buffer of NLBUFSIZ bytes, flushed after
 * QTHRESH packets or TIMEOUT (1/100 s): a few syscalls under load, a live
 * line within 50 ms when it is quiet. A read must hold one whole batch. */
#define NLBUFSIZ       16384u
#define QTHRESH        32u
#define TIMEOUT        5u
#define RECV_BUF       65536u
#define SOCK_RCVBUF    (1 << 20)
#define ACK_TIMEOUT_MS 2000

struct fw_nflog {
	struct mnl_socket *nl;
	uint16_t group;
	uint32_t seq;
	struct fw_nflog_stats stats;
	char *buf;
};

int fw_nflog_fd(const struct fw_nflog *nl)
{
	return mnl_socket_get_fd(nl->nl);
}

void fw_nflog_get_stats(const struct fw_nflog *nl, struct fw_nflog_stats *ret)
{
	*ret = nl->stats;
}

static struct nlmsghdr *config_msg(struct fw_nflog *nl, char *buf)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	/* The group is one per network namespace, whatever the family: one
	 * bind gets the inet and the bridge tables' packets alike. */
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(nl->group);
	return nlh;
}

/* Send a config message and wait for its ack; packets that come meanwhile
 * are not ours to keep yet. */
static int transact(struct fw_nflog *nl, struct nlmsghdr *nlh)
{
	uint32_t portid = mnl_socket_get_portid(nl->nl), seq = nlh->nlmsg_seq;
	int fd = mnl_socket_get_fd(nl->nl);

	if (mnl_socket_sendto(nl->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, ACK_TIMEOUT_MS);
		ssize_t n;

		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n = mnl_socket_recvfrom(nl->nl, nl->buf, RECV_BUF);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
				continue;
			return -errno;
		}
		r = mnl_cb_run(nl->buf, (size_t)n, seq, portid, NULL, NULL);
		if (r < 0)
			return -errno; /* the kernel's answer: EPERM when the group is taken */
		if (r == MNL_CB_STOP)
			return 0;
	}
}

int fw_nflog_open(uint16_t group, struct fw_nflog **ret)
{
	char msg[512] __attribute__((aligned(8))); /* one config message */
	struct fw_nflog *nl = calloc(1, sizeof(*nl));
	struct nlmsghdr *nlh;
	int r, rcvbuf = SOCK_RCVBUF;

	if (!nl)
		return -ENOMEM;
	nl->group = group;
	nl->seq = (uint32_t)time(NULL);
	nl->buf = malloc(RECV_BUF);
	nl->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!nl->buf || !nl->nl) {
		r = nl->buf ? -errno : -ENOMEM;
		goto fail;
	}
	if (mnl_socket_bind(nl->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto fail;
	}
	/* Bursts wait in the socket rather than being lost (capped by the
	 * kernel's rmem_max: then the overruns are counted). */
	(void)setsockopt(mnl_socket_get_fd(nl->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

	/* The group only: no PF_BIND, which would make NFLOG the logger of
	 * plain `log` rules (without a group) of the whole namespace. */
	nlh = config_msg(nl, msg);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(struct nfulnl_msg_config_cmd),
	             &(struct nfulnl_msg_config_cmd){NFULNL_CFG_CMD_BIND});
	if ((r = transact(nl, nlh)) < 0)
		goto fail;
	nlh = config_msg(nl, msg);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(struct nfulnl_msg_config_mode),
	             &(struct nfulnl_msg_config_mode){.copy_range = htonl(FW_NFLOG_COPY),
	                                              .copy_mode = NFULNL_COPY_PACKET});
	mnl_attr_put_u32(nlh, NFULA_CFG_NLBUFSIZ, htonl(NLBUFSIZ));
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(QTHRESH));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(TIMEOUT));
	if ((r = transact(nl, nlh)) < 0)
		goto fail;
	*ret = nl;
	return 0;
fail:
	fw_nflog_close(nl);
	return r;
}

void fw_nflog_close(struct fw_nflog *nl)
{
	if (!nl)
		return;
	/* Closing the socket releases the group in the kernel. */
	if (nl->nl)
		mnl_socket_close(nl->nl);
	free(nl->buf);
	free(nl);
}

int fw_nflog_read(struct fw_nflog *nl, unsigned max_reads, fw_nflog_cb cb, void *data)
{
	int fd = mnl_socket_get_fd(nl->nl), total = 0;

	for (unsigned i = 0; i < max_reads; i++) {
		struct sockaddr_nl from;
		struct iovec iov = {nl->buf, RECV_BUF};
		struct msghdr mh = {.msg_name = &from,
		                    .msg_namelen = sizeof(from),
		                    .msg_iov = &iov,
		                    .msg_iovlen = 1};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		size_t bad = 0;

		if (n < 0) {
			if (errno == EAGAIN)
				break;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) { /* the kernel dropped messages */
				nl->stats.overruns++;
				continue;
			}
			return -errno;
		}
		/* Only the kernel speaks NFLOG: a datagram from another socket,
		 * or one cut short, is not trusted. */
		if (mh.msg_namelen != sizeof(from) || from.nl_pid != 0 ||
		    (mh.msg_flags & MSG_TRUNC)) {
			nl->stats.malformed++;
			continue;
		}
		size_t k = fw_nflog_parse(nl->buf, (size_t)n, cb, data, &bad);
		nl->stats.packets += k;
		nl->stats.malformed += bad;
		total += (int)k;
	}
	return total;
}
