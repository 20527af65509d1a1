// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The nftables backend's netlink conversation: the generation id, send the
 * batch, read every acknowledgement and name what the kernel refused (the
 * object, the policy rule it came from, strerror, the extended ack).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <libnftnl/common.h>
#include <libnftnl/table.h>

#include "nft_int.h"

#define ACK_TIMEOUT_MS 30000
#define RECV_BUF       (64u * 1024u)
#define DUMP_RETRIES   5

static const char *nfproto_name(unsigned f)
{
	switch (f) {
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_NETDEV:
		return "netdev";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_IPV6:
		return "ip6";
	default:
		return "unknown";
	}
}

/* --- naming the objects of the batch --- */

static void rec_describe(const struct nft_batch *b, const struct nft_rec *rec, char *out, size_t n,
                         const struct fw_origin **origin)
{
	const struct fw_plan *plan = rec->old ? b->old : b->plan;
	const struct fw_plan_table *t =
	    rec->kind == NFT_REC_STALE_TABLE ? NULL : &plan->tables[rec->table];
	const char *fam = t ? nft_family_name(t->family) : NULL;

	*origin = NULL;
	switch (rec->kind) {
	case NFT_REC_STALE_TABLE:
		snprintf(out, n, "table %s %s (not in the plan: deleted)",
		         nfproto_name(b->stale[rec->table].family), b->stale[rec->table].name);
		break;
	case NFT_REC_TABLE:
		snprintf(out, n, "table %s %s", fam, t->name);
		break;
	case NFT_REC_CHAIN:
		snprintf(out, n, "chain %s %s %s", fam, t->name, t->chains[rec->obj].name);
		break;
	case NFT_REC_SET:
		snprintf(out, n, "%s %s %s %s", t->sets[rec->obj].vmap ? "map" : "set", fam,
		         t->name, t->sets[rec->obj].name);
		break;
	case NFT_REC_ELEMS: {
		const struct fw_plan_set *s = &t->sets[rec->obj];
		const char *what = rec->old ? "deleting " : "";

		if (rec->n == 1) {
			size_t i = rec->idx ? rec->idx[rec->first] : rec->first;

			*origin = &s->elems[i].origin;
			snprintf(out, n, "%selement %zu of %s %s %s %s", what, i + 1,
			         s->vmap ? "map" : "set", fam, t->name, s->name);
		} else if (rec->idx) {
			snprintf(out, n, "%s%zu elements of %s %s %s %s", what, rec->n,
			         s->vmap ? "map" : "set", fam, t->name, s->name);
		} else {
			snprintf(out, n, "elements %zu..%zu of %s %s %s %s", rec->first + 1,
			         rec->first + rec->n, s->vmap ? "map" : "set", fam, t->name,
			         s->name);
		}
		break;
	}
	case NFT_REC_RULE:
		*origin = &t->chains[rec->obj].rules[rec->first].origin;
		snprintf(out, n, "rule %zu of chain %s %s %s", rec->first + 1, fam, t->name,
		         t->chains[rec->obj].name);
		break;
	}
}

/* The attribute in [start, start + len) that contains byte `off` of that
 * range, and its index. */
static const struct nlattr *attr_at(const void *start, size_t len, size_t off, size_t *index)
{
	const struct nlattr *a = start;
	int rem = (int)len;
	size_t i = 0;

	while (mnl_attr_ok(a, rem)) {
		size_t a_off = (size_t)((const char *)a - (const char *)start);

		if (off >= a_off && off < a_off + a->nla_len) {
			if (index)
				*index = i;
			return a;
		}
		rem -= MNL_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a + MNL_ALIGN(a->nla_len));
		i++;
	}
	return NULL;
}

/* Where in the message the kernel's extended ack points: for a rule the
 * expression, for elements the element (and so its origin). */
static void locate(const struct nft_batch *b, const struct nft_rec *rec, uint32_t off, char *out,
                   size_t n, size_t *elem)
{
	const struct nlmsghdr *nlh = (const void *)(b->buf + rec->off);
	size_t hdr = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)), idx;
	const struct nlattr *a, *inner;

	out[0] = '\0';
	if (off < hdr || off >= nlh->nlmsg_len)
		return;
	a = attr_at((const char *)nlh + hdr, nlh->nlmsg_len - hdr, off - hdr, NULL);
	if (!a)
		return;
	off -= (uint32_t)((const char *)a - (const char *)nlh);
	if (rec->kind == NFT_REC_RULE && mnl_attr_get_type(a) == NFTA_RULE_EXPRESSIONS &&
	    off >= MNL_ATTR_HDRLEN) {
		inner = attr_at(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a),
		                off - MNL_ATTR_HDRLEN, &idx);
		if (inner) {
			const struct nlattr *name = NULL, *i;

			mnl_attr_for_each_nested(i, inner)
			{
				if (mnl_attr_get_type(i) == NFTA_EXPR_NAME &&
				    mnl_attr_validate(i, MNL_TYPE_NUL_STRING) >= 0)
					name = i;
			}
			snprintf(out, n, "; at expression %zu (%s)", idx + 1,
			         name ? mnl_attr_get_str(name) : "?");
		}
	} else if (rec->kind == NFT_REC_ELEMS &&
	           mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS && off >= MNL_ATTR_HDRLEN) {
		inner = attr_at(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a),
		                off - MNL_ATTR_HDRLEN, &idx);
		if (inner && idx < rec->n)
			*elem = rec->first + idx;
	} else {
		snprintf(out, n, "; at attribute %u", mnl_attr_get_type(a));
	}
}

struct ext_ack {
	const char *msg;
	uint32_t off;
	bool has_off;
};

static int ext_cb(const struct nlattr *a, void *data)
{
	struct ext_ack *x = data;

	switch (mnl_attr_get_type(a)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			x->msg = mnl_attr_get_str(a);
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
			x->off = mnl_attr_get_u32(a);
			x->has_off = true;
		}
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static void report(const struct nft_batch *b, const struct nft_rec *rec, int err,
                   const struct ext_ack *x, struct fw_diags *d)
{
	const struct fw_origin *origin = NULL;
	char what[512], where[160] = "", from[200] = "";
	size_t elem = SIZE_MAX;

	if (x->has_off)
		locate(b, rec, x->off, where, sizeof(where), &elem);
	if (elem != SIZE_MAX) {
		/* the kernel pointed at one element of the message */
		struct nft_rec one = *rec;

		one.first = elem;
		one.n = 1;
		rec_describe(b, &one, what, sizeof(what), &origin);
	} else {
		rec_describe(b, rec, what, sizeof(what), &origin);
	}
	if (origin && origin->id) {
		if (origin->loc.file)
			snprintf(from, sizeof(from), " (policy rule \"%s\", %s:%u)", origin->id,
			         origin->loc.file, origin->loc.line);
		else
			snprintf(from, sizeof(from), " (policy rule \"%s\")", origin->id);
	}
	fw_error(d, origin && origin->id && origin->loc.file ? &origin->loc : NULL,
	         "nft: the kernel refused %s%s: %s%s%s%s%s", what, from, strerror(err), where,
	         x->msg ? "; kernel: \"" : "", x->msg ? x->msg : "", x->msg ? "\"" : "");
}

/* --- talking to the kernel --- */

static void set_bufsize(struct mnl_socket *nl, int force, int plain, size_t want)
{
	int v = want > (size_t)(1 << 30) ? 1 << 30 : (int)want;
	int fd = mnl_socket_get_fd(nl);

	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, plain, &v, sizeof(v));
}

static void handle_ack(struct nft_batch *b, const struct nlmsghdr *nlh, size_t *acked,
                       bool *begin_err, int *first, struct fw_diags *d)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct ext_ack x = {0};
	uint32_t seq;

	if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
		return;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		size_t hdr = sizeof(*e);

		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			hdr += e->msg.nlmsg_len >= NLMSG_HDRLEN ? e->msg.nlmsg_len - NLMSG_HDRLEN
			                                        : nlh->nlmsg_len;
		if (NLMSG_HDRLEN + MNL_ALIGN(hdr) <= nlh->nlmsg_len)
			mnl_attr_parse(nlh, (unsigned)hdr, ext_cb, &x);
	}
	seq = e->msg.nlmsg_seq;
	if (seq == b->seq0 && e->error == -ERESTART && b->genid) {
		/* the ruleset changed since b->genid: the caller reads it
		 * again and retries; nothing to report */
		*begin_err = b->restart = true;
		*first = *first ? *first : e->error;
		return;
	}
	if (seq == b->seq0) {
		/* the batch as a whole (permission, or the commit itself) */
		if (e->error) {
			*begin_err = true;
			*first = *first ? *first : e->error;
			fw_error(d, NULL, "nft: the kernel refused the transaction: %s%s%s%s",
			         strerror(-e->error), x.msg ? "; kernel: \"" : "",
			         x.msg ? x.msg : "", x.msg ? "\"" : "");
		}
		return;
	}
	if (seq - b->seq0 - 1 >= b->n_recs || b->recs[seq - b->seq0 - 1].acked)
		return;
	b->recs[seq - b->seq0 - 1].acked = true;
	(*acked)++;
	if (e->error) {
		*first = *first ? *first : e->error;
		report(b, &b->recs[seq - b->seq0 - 1], -e->error, &x, d);
	}
}

static int read_acks(struct mnl_socket *nl, struct nft_batch *b, struct fw_diags *d)
{
	char *buf = malloc(RECV_BUF);
	size_t acked = 0;
	bool begin_err = false;
	int first = 0, fd = mnl_socket_get_fd(nl);

	if (!buf) {
		fw_error(d, NULL, "nft: out of memory reading the kernel's answer");
		return -ENOMEM;
	}
	/* the kernel processes the batch within sendmsg(): every answer is
	 * queued already, the timeout is only a safety net */
	while (acked < b->n_recs && !begin_err) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;
		int left, pr = poll(&p, 1, ACK_TIMEOUT_MS);

		if (pr <= 0) {
			int e = pr == 0 ? ETIMEDOUT : errno;

			if (e == EINTR)
				continue;
			fw_error(d, NULL,
			         "nft: waiting for the kernel's answer: %s (%zu of %zu acks)",
			         strerror(e), acked, b->n_recs);
			first = first ? first : -e;
			break;
		}
		n = recv(fd, buf, RECV_BUF, 0);
		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			fw_error(d, NULL,
			         "nft: reading the kernel's answer: %s (%zu of %zu acks)%s",
			         strerror(e), acked, b->n_recs,
			         e == ENOBUFS ? ": answers were lost, the outcome is unknown" : "");
			first = first ? first : -e;
			break;
		}
		left = (int)n;
		for (const struct nlmsghdr *nlh = (const void *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left))
			handle_ack(b, nlh, &acked, &begin_err, &first, d);
	}
	/* what else is queued (the acks after a failed commit) */
	while (recv(fd, buf, RECV_BUF, MSG_DONTWAIT) > 0)
		;
	free(buf);
	return first;
}

int nft_nl_open(struct mnl_socket **ret, struct fw_diags *d)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	int one = 1, e;

	if (!nl) {
		e = errno;
		fw_error(d, NULL, "nft: netlink socket: %s", strerror(e));
		return -e;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		mnl_socket_close(nl);
		fw_error(d, NULL, "nft: netlink bind: %s", strerror(e));
		return -e;
	}
	/* error messages with the kernel's text and attribute, without a copy
	 * of the refused message */
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	*ret = nl;
	return 0;
}

uint32_t nft_genid_next(uint32_t genid)
{
	return genid + 1 ? genid + 1 : 1;
}

int nft_nl_getgen(struct mnl_socket *nl, uint32_t seq, uint32_t *ret)
{
	char buf[8192];
	uint32_t portid = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, NFPROTO_UNSPEC, 0, seq);

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int left = (int)n;

		if (n < 0)
			return -errno;
		/* anything else queued (late acks) is skipped */
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlattr *a;

			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				return e->error ? e->error : -EPROTO;
			}
			mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
			{
				if (mnl_attr_get_type(a) == NFTA_GEN_ID &&
				    mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
					*ret = ntohl(mnl_attr_get_u32(a));
					return 0;
				}
			}
			return -EPROTO;
		}
	}
}

int nft_nl_transact(struct mnl_socket *nl, struct nft_batch *b, struct fw_diags *d)
{
	int r;

	set_bufsize(nl, SO_SNDBUFFORCE, SO_SNDBUF, b->len + 4096);
	set_bufsize(nl, SO_RCVBUFFORCE, SO_RCVBUF, b->n_recs * 1024 + RECV_BUF);
	if (mnl_socket_sendto(nl, b->buf, b->len) < 0) {
		r = -errno;
		fw_error(d, NULL, "nft: sending the batch (%zu bytes): %s", b->len, strerror(-r));
		return r;
	}
	return read_acks(nl, b, d);
}
