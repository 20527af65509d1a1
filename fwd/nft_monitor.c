// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ruleset change events and when to check for drift (fwd/nft_batch.h).
 *
 * The kernel ends every commit with NFT_MSG_NEWGEN to the NFNLGRP_NFTABLES
 * group, naming the generation and the committing process. fwd's own
 * commits are ignored; another process's schedules a check once the
 * changes stopped for DEBOUNCE_MS (a script of many `nft` calls costs one
 * check), at most DEBOUNCE_MAX_MS after the first. Lost events (the socket
 * overflowed under somebody's huge commit) count as a foreign change: the
 * check itself is cheap when the generation says nothing changed. A check
 * that had to read the ruleset back is not followed by an event-driven one
 * for 4 times as long as it took: a program that changes the ruleset all the
 * time costs fwd at most a fifth of a core.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include "nft_batch.h"

#define DEBOUNCE_MS     100
#define DEBOUNCE_MAX_MS 500
#define RECV_BUF        (64u * 1024u)
#define RCVBUF          (8 << 20)
#define READS_PER_CALL  64 /* then the loop serves others; level-triggered */
#define NEVER           UINT64_MAX

struct nft_monitor {
	struct mnl_socket *nl;
	uint32_t pid;
	uint64_t interval_ms; /* 0: no periodic check */
	uint64_t next_periodic;
	uint64_t first_event, last_event; /* a foreign change waits: first != NEVER */
	uint64_t not_before;              /* no event-driven check before */
	uint64_t foreign;
	char *buf;
};

int nft_monitor_open(unsigned interval_s, struct nft_monitor **ret)
{
	struct nft_monitor *m = calloc(1, sizeof(*m));
	int group = NFNLGRP_NFTABLES, size = RCVBUF, r;

	if (!m || !(m->buf = malloc(RECV_BUF))) {
		free(m);
		return -ENOMEM;
	}
	m->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!m->nl || mnl_socket_bind(m->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(m->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		r = -errno;
		nft_monitor_close(m);
		return r;
	}
	/* our own big commits announce every object: room for them */
	if (setsockopt(mnl_socket_get_fd(m->nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) <
	    0)
		(void)setsockopt(mnl_socket_get_fd(m->nl), SOL_SOCKET, SO_RCVBUF, &size,
		                 sizeof(size));
	m->pid = (uint32_t)getpid();
	m->interval_ms = (uint64_t)interval_s * 1000u;
	m->next_periodic = 0; /* a first check right away */
	m->first_event = m->last_event = NEVER;
	*ret = m;
	return 0;
}

void nft_monitor_close(struct nft_monitor *m)
{
	if (!m)
		return;
	if (m->nl)
		mnl_socket_close(m->nl);
	free(m->buf);
	free(m);
}

int nft_monitor_fd(const struct nft_monitor *m)
{
	return mnl_socket_get_fd(m->nl);
}

uint64_t nft_monitor_foreign(const struct nft_monitor *m)
{
	return m->foreign;
}

static void foreign(struct nft_monitor *m, uint64_t now_ms)
{
	m->foreign++;
	if (m->first_event == NEVER)
		m->first_event = now_ms;
	m->last_event = now_ms;
}

/* The committing process of a NEWGEN event; 0 if it does not say. */
static uint32_t gen_pid(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == NFTA_GEN_PROC_PID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			return ntohl(mnl_attr_get_u32(a));
	}
	return 0;
}

void nft_monitor_read(struct nft_monitor *m, uint64_t now_ms)
{
	int fd = mnl_socket_get_fd(m->nl);

	for (int i = 0; i < READS_PER_CALL; i++) {
		ssize_t n = recv(fd, m->buf, RECV_BUF, MSG_DONTWAIT);
		int left = (int)n;

		if (n < 0 && errno == ENOBUFS) {
			foreign(m, now_ms); /* events were lost: look */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (const struct nlmsghdr *nlh = (const void *)m->buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg) ||
			    NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
			    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWGEN)
				continue;
			if (gen_pid(nlh) != m->pid)
				foreign(m, now_ms);
		}
	}
}

static uint64_t due(const struct nft_monitor *m)
{
	uint64_t t = m->interval_ms ? m->next_periodic : NEVER;

	if (m->first_event != NEVER) {
		uint64_t ev = m->last_event + DEBOUNCE_MS;

		if (ev > m->first_event + DEBOUNCE_MAX_MS)
			ev = m->first_event + DEBOUNCE_MAX_MS;
		ev = ev > m->not_before ? ev : m->not_before;
		t = ev < t ? ev : t;
	}
	return t;
}

int nft_monitor_timeout(const struct nft_monitor *m, uint64_t now_ms, int max_ms)
{
	uint64_t t = due(m);

	if (t <= now_ms)
		return 0;
	return t - now_ms < (uint64_t)max_ms ? (int)(t - now_ms) : max_ms;
}

void nft_monitor_checked(struct nft_monitor *m, uint64_t start_ms, uint64_t now_ms)
{
	m->first_event = m->last_event = NEVER;
	m->next_periodic = now_ms + m->interval_ms;
	m->not_before = now_ms + 4 * (now_ms > start_ms ? now_ms - start_ms : 0);
}
