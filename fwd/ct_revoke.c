// SPDX-License-Identifier: GPL-2.0-or-later
/* Deleting the conntrack entries a policy change revoked (see ct_revoke.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ct_revoke.h"

#define RECV_SIZE   32768 /* one recvmsg of a dump */
#define TUPLE_MAX   256   /* CTA_TUPLE_ORIG payload we keep to delete by */
#define BATCH_BYTES 32768 /* delete requests per sendto */
#define BATCH_MSGS  128   /* their acks must fit the socket's receive buffer */

/* An entry to delete: what the kernel needs to find exactly this one. */
struct victim {
	uint8_t family; /* AF_INET, AF_INET6 */
	bool has_zone, has_id;
	uint16_t zone; /* network order, as dumped */
	uint32_t id;   /* network order, as dumped */
	uint16_t tuple_len;
	uint8_t tuple[TUPLE_MAX];
};

struct walk {
	ct_decide_fn decide;
	void *arg;
	size_t max;
	struct victim *v;
	size_t n, cap;
	struct fw_revoke_result res;
	int err;
};

struct attrs {
	const struct nlattr **tb;
	unsigned max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct attrs *t = data;
	unsigned type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

static int parse_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned max)
{
	struct attrs t = {tb, max};

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return mnl_attr_parse_nested(nest, attr_cb, &t) < 0 ? -EINVAL : 0;
}

static int get_addr(const struct nlattr *a, uint8_t family, uint8_t out[16])
{
	size_t len = family == AF_INET ? 4 : 16;

	if (!a || mnl_attr_get_payload_len(a) != len)
		return -EINVAL;
	memset(out, 0, 16);
	memcpy(out, mnl_attr_get_payload(a), len);
	return 0;
}

static uint16_t get_port(const struct nlattr *a)
{
	return a && mnl_attr_validate(a, MNL_TYPE_U16) == 0 ? ntohs(mnl_attr_get_u16(a)) : 0;
}

/* One direction's tuple: addresses, protocol, ports or the ICMP type. */
static int parse_tuple(const struct nlattr *nest, uint8_t family, struct fw_flow *f)
{
	const struct nlattr *tt[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1], *pr[CTA_PROTO_MAX + 1];
	const struct nlattr *type;

	if (parse_nested(nest, tt, CTA_TUPLE_MAX) < 0 || !tt[CTA_TUPLE_IP] ||
	    !tt[CTA_TUPLE_PROTO] || parse_nested(tt[CTA_TUPLE_IP], ip, CTA_IP_MAX) < 0 ||
	    parse_nested(tt[CTA_TUPLE_PROTO], pr, CTA_PROTO_MAX) < 0)
		return -EINVAL;
	if (family == AF_INET ? get_addr(ip[CTA_IP_V4_SRC], family, f->saddr) < 0 ||
	                            get_addr(ip[CTA_IP_V4_DST], family, f->daddr) < 0
	                      : get_addr(ip[CTA_IP_V6_SRC], family, f->saddr) < 0 ||
	                            get_addr(ip[CTA_IP_V6_DST], family, f->daddr) < 0)
		return -EINVAL;
	if (!pr[CTA_PROTO_NUM] || mnl_attr_validate(pr[CTA_PROTO_NUM], MNL_TYPE_U8) < 0)
		return -EINVAL;
	f->family = family == AF_INET ? 4 : 6;
	f->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	f->sport = get_port(pr[CTA_PROTO_SRC_PORT]);
	f->dport = get_port(pr[CTA_PROTO_DST_PORT]);
	type = pr[family == AF_INET ? CTA_PROTO_ICMP_TYPE : CTA_PROTO_ICMPV6_TYPE];
	if (type && mnl_attr_validate(type, MNL_TYPE_U8) == 0)
		f->icmp_type = mnl_attr_get_u8(type);
	return 0;
}

static int keep_victim(struct walk *w, uint8_t family, const struct nlattr **tb)
{
	const struct nlattr *orig = tb[CTA_TUPLE_ORIG];
	struct victim *v;

	if (mnl_attr_get_payload_len(orig) > TUPLE_MAX)
		return 0; /* no protocol's tuple is that long: leave it alone */
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct victim *nv = realloc(w->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		w->v = nv;
		w->cap = cap;
	}
	v = &w->v[w->n++];
	memset(v, 0, sizeof(*v));
	v->family = family;
	v->tuple_len = (uint16_t)mnl_attr_get_payload_len(orig);
	memcpy(v->tuple, mnl_attr_get_payload(orig), v->tuple_len);
	if (tb[CTA_ZONE] && mnl_attr_validate(tb[CTA_ZONE], MNL_TYPE_U16) == 0) {
		v->has_zone = true;
		v->zone = mnl_attr_get_u16(tb[CTA_ZONE]);
	}
	if (tb[CTA_ID] && mnl_attr_validate(tb[CTA_ID], MNL_TYPE_U32) == 0) {
		v->has_id = true;
		v->id = mnl_attr_get_u32(tb[CTA_ID]);
	}
	return 0;
}

static int entry_cb(const struct nlmsghdr *nlh, void *data)
{
	struct walk *w = data;
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[CTA_MAX + 1] = {0};
	struct attrs t = {tb, CTA_MAX};
	struct fw_flow f = {0}, reply = {0};
	int r;

	if (w->res.examined >= w->max) {
		w->res.capped = true;
		return MNL_CB_STOP;
	}
	w->res.examined++;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*g) ||
	    (g->nfgen_family != AF_INET && g->nfgen_family != AF_INET6))
		return MNL_CB_OK;
	/* An entry we cannot read is one we cannot judge: it stays. */
	if (mnl_attr_parse(nlh, sizeof(*g), attr_cb, &t) < 0 || !tb[CTA_TUPLE_ORIG] ||
	    parse_tuple(tb[CTA_TUPLE_ORIG], g->nfgen_family, &f) < 0)
		return MNL_CB_OK;
	if (tb[CTA_STATUS] && mnl_attr_validate(tb[CTA_STATUS], MNL_TYPE_U32) == 0 &&
	    (ntohl(mnl_attr_get_u32(tb[CTA_STATUS])) & IPS_DST_NAT) && tb[CTA_TUPLE_REPLY] &&
	    parse_tuple(tb[CTA_TUPLE_REPLY], g->nfgen_family, &reply) == 0) {
		/* the reply comes from where the DNAT sent it */
		f.dnat = true;
		memcpy(f.real_daddr, reply.saddr, 16);
		f.real_dport = reply.sport;
	}
	r = w->decide(w->arg, &f);
	if (r > 0)
		r = keep_victim(w, g->nfgen_family, tb);
	if (r < 0) {
		w->err = r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *ct_header(void *buf, uint8_t msg, uint16_t flags, uint32_t seq,
                                  uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	return nlh;
}

static int open_socket(struct mnl_socket **ret)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = -errno;
		mnl_socket_close(nl);
		return e;
	}
	*ret = nl;
	return 0;
}

/* The whole table (both families), each entry through entry_cb. */
static int dump(struct walk *w, char *buf)
{
	struct mnl_socket *nl;
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh = ct_header(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq, AF_UNSPEC);
	ssize_t n;
	int r;

	if ((r = open_socket(&nl)) < 0)
		return r;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, RECV_SIZE);
		if (n < 0) {
			r = -errno;
			break;
		}
		r = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), entry_cb, w);
		if (r < 0) {
			r = w->err ? w->err : -errno;
			break;
		}
		if (r == MNL_CB_STOP)
			break; /* done, or the cap reached: closing ends the dump */
	}
out:
	mnl_socket_close(nl);
	return r < 0 ? r : 0;
}

/* Read the acks of `count` delete requests: deleted ones are counted, and
 * refused ones; an entry that ended by itself meanwhile (ENOENT) is neither.
 * Returns 0, or -errno when the socket failed. */
static int read_acks(struct mnl_socket *nl, char *buf, size_t count, struct fw_revoke_result *res)
{
	while (count) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, RECV_SIZE);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len;

		if (n < 0)
			return -errno;
		for (len = (int)n; count && mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			count--;
			if (e->error == 0)
				res->revoked++;
			else if (e->error != -ENOENT)
				res->failed++;
		}
	}
	return 0;
}

/* Delete in batches: one sendto per batch, then its acks. */
static int delete_victims(const struct victim *v, size_t n, char *buf, struct fw_revoke_result *res)
{
	struct mnl_socket *nl;
	uint32_t seq = (uint32_t)time(NULL);
	size_t i = 0;
	int r;

	if (n == 0)
		return 0;
	if ((r = open_socket(&nl)) < 0)
		return r;
	while (i < n && r == 0) {
		size_t len = 0, count = 0;

		for (; i < n && count < BATCH_MSGS && len + 512 <= BATCH_BYTES; i++, count++) {
			struct nlmsghdr *nlh = ct_header(buf + len, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
			                                 ++seq, v[i].family);

			mnl_attr_put(nlh, CTA_TUPLE_ORIG | NLA_F_NESTED, v[i].tuple_len,
			             v[i].tuple);
			if (v[i].has_zone)
				mnl_attr_put_u16(nlh, CTA_ZONE, v[i].zone);
			/* the id makes sure a new connection on the same tuple stays */
			if (v[i].has_id)
				mnl_attr_put_u32(nlh, CTA_ID, v[i].id);
			len += nlh->nlmsg_len;
		}
		if (mnl_socket_sendto(nl, buf, len) < 0)
			r = -errno;
		else
			r = read_acks(nl, buf + BATCH_BYTES, count, res);
	}
	mnl_socket_close(nl);
	return r;
}

int ct_revoke(const struct ct_revoke_opts *opts, ct_decide_fn decide, void *arg,
              struct fw_revoke_result *ret)
{
	struct walk w = {.decide = decide, .arg = arg};
	/* requests, then acks; the dump uses the first RECV_SIZE bytes */
	char *buf = malloc(BATCH_BYTES + RECV_SIZE);
	int r;

	w.max = opts && opts->max_entries ? opts->max_entries : CT_REVOKE_DEFAULT_MAX;
	if (!buf)
		return -ENOMEM;
	r = dump(&w, buf);
	if (r == 0)
		r = delete_victims(w.v, w.n, buf, &w.res);
	free(w.v);
	free(buf);
	if (r < 0)
		return r;
	*ret = w.res;
	return 0;
}

struct change {
	const struct fw_policy *old_p, *new_p;
	const struct fw_plan *old_plan, *new_plan;
};

static int decide_revoked(void *arg, const struct fw_flow *f)
{
	const struct change *c = arg;

	return policy_flow_revoked(c->old_p, c->old_plan, c->new_p, c->new_plan, f);
}

int ct_revoke_hook(void *ctx, const struct fw_policy *old_policy, const struct fw_plan *old_plan,
                   const struct fw_policy *new_policy, const struct fw_plan *new_plan,
                   struct fw_revoke_result *ret)
{
	struct change c = {old_policy, new_policy, old_plan, new_plan};

	return ct_revoke(ctx, decide_revoked, &c, ret);
}
