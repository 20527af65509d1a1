// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Single set elements read back by key: GETSETELEM requests without a dump,
 * one per element, all in one send. The kernel answers each with the
 * element it holds at that key (a NEWSETELEM message, the same form as a
 * dump's, so nft_canon_elems() reads it) and an ack, or with ENOENT when
 * there is none (or no such set).
 *
 * This is what the verification of an element delta reads (nft_drift.c):
 * the few elements a one-rule change touched, instead of a dump of the whole
 * set. Like every read-back it is bracketed by the generation id and done
 * again when that moved meanwhile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/common.h>
#include <libnftnl/set.h>

#include "nft_int.h"

#define RE_MSG      1024u /* one request: names of up to 128 bytes, key and key end of 64 */
#define RE_BUF      (64u * 1024u)
#define RE_ATTEMPTS 5

/* One request per probe, sequence numbers seq0 + 1 + i, into buf. */
static int build(char *buf, size_t *len, uint16_t family, const char *table,
                 const struct nft_elem_probe *v, size_t n, uint32_t seq0)
{
	*len = 0;
	for (size_t i = 0; i < n; i++) {
		struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf + *len, NFT_MSG_GETSETELEM, family,
		                                             NLM_F_ACK, seq0 + 1 + (uint32_t)i);
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		struct nlattr *nest;
		int r = e ? nft_elem_key(e, v[i].ps, v[i].el) : -ENOMEM;

		if (r == 0) {
			mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
			mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, v[i].ps->name);
			nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
			nftnl_set_elem_nlmsg_build(nlh, e, 1);
			mnl_attr_nest_end(nlh, nest);
			*len += nlh->nlmsg_len;
		}
		if (e)
			nftnl_set_elem_free(e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One answer: an element, or the ack (0 or ENOENT) that ends a request. */
static int answer(const struct nlmsghdr *nlh, uint32_t portid, uint32_t seq0, size_t n,
                  struct nft_elem_probe *v, size_t *acked)
{
	size_t i = (uint32_t)(nlh->nlmsg_seq - seq0 - 1);

	if (nlh->nlmsg_pid != portid || i >= n)
		return 0; /* not ours (late answers of something else) */
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
			return -EPROTO;
		(*acked)++;
		if (e->error == -ENOENT)
			v[i].found = false;
		return e->error == -ENOENT ? 0 : e->error;
	}
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWSETELEM) {
		struct nft_canon_set one = {0};
		int r = nft_canon_elems(&one, nlh);

		if (r == 0 && one.n_elems == 1) {
			v[i].found = true;
			v[i].hash = one.elems[0];
		} else if (r == 0) {
			r = -EPROTO;
		}
		free(one.elems);
		return r;
	}
	return 0;
}

static int ask(struct mnl_socket *nl, char *buf, size_t len, uint32_t seq0,
               struct nft_elem_probe *v, size_t n)
{
	uint32_t portid = mnl_socket_get_portid(nl);
	size_t acked = 0;
	int first = 0;

	if (mnl_socket_sendto(nl, buf, len) < 0)
		return -errno;
	/* the kernel answers within sendmsg(): everything is queued */
	while (acked < n) {
		ssize_t got = mnl_socket_recvfrom(nl, buf, RE_BUF);
		int left = (int)got;

		if (got < 0)
			return -errno;
		for (const struct nlmsghdr *nlh = (const void *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			int r = answer(nlh, portid, seq0, n, v, &acked);

			first = first ? first : r;
		}
	}
	return first;
}

int nft_readback_elems(struct mnl_socket *nl, uint32_t *seq, uint16_t family, const char *table,
                       struct nft_elem_probe *v, size_t n, uint32_t *genid, struct fw_diags *d)
{
	char *buf;
	int r = -ENOMEM;

	if (n == 0)
		return 0;
	if (n > NFT_PROBES_MAX) {
		fw_error(d, NULL, "nft: reading back %zu elements one by one: too many", n);
		return -E2BIG;
	}
	buf = malloc(n * RE_MSG > RE_BUF ? n * RE_MSG : RE_BUF);
	for (int attempt = 0; buf && attempt < RE_ATTEMPTS; attempt++) {
		uint32_t g1, g2, seq0;
		size_t len;

		for (size_t i = 0; i < n; i++)
			v[i].found = false;
		r = nft_nl_getgen(nl, ++*seq, &g1);
		seq0 = *seq;
		if (r == 0)
			r = build(buf, &len, family, table, v, n, seq0);
		if (r == 0) {
			*seq += (uint32_t)n;
			r = ask(nl, buf, len, seq0, v, n);
		}
		if (r == 0)
			r = nft_nl_getgen(nl, ++*seq, &g2);
		if (r == 0 && g1 != g2)
			r = -EINTR;
		if (r == 0) {
			*genid = g1;
			break;
		}
		if (r != -EINTR)
			break;
	}
	free(buf);
	if (r < 0)
		fw_error(d, NULL, "nft: reading back elements of table %s: %s", table,
		         r == -EINTR ? "the ruleset kept changing" : strerror(-r));
	return r;
}
