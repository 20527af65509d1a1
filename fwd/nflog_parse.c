// SPDX-License-Identifier: GPL-2.0-or-later
/* NFLOG messages into packets (see fwd/nflog.h): every length checked. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netinet/in.h>
#include <string.h>

#include "fwd/nflog.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ports or ICMP type/code at p (len bytes left). */
static void transport(const uint8_t *p, size_t len, struct fw_log_packet *pkt)
{
	switch (pkt->l4proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		if (len >= 4) {
			pkt->has_ports = true;
			pkt->sport = get16(p);
			pkt->dport = get16(p + 2);
		}
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (len >= 2) {
			pkt->has_icmp = true;
			pkt->icmp_type = p[0];
			pkt->icmp_code = p[1];
		}
		break;
	default:
		break;
	}
}

static void ipv4(const uint8_t *p, size_t len, struct fw_log_packet *pkt)
{
	size_t ihl;

	if (len < 20 || p[0] >> 4 != 4 || (ihl = (size_t)(p[0] & 15) * 4) < 20)
		return;
	pkt->ip_version = 4;
	pkt->length = get16(p + 2);
	memcpy(pkt->saddr, p + 12, 4);
	memcpy(pkt->daddr, p + 16, 4);
	pkt->has_l4 = true;
	pkt->l4proto = p[9];
	/* Only the first fragment carries the transport header. */
	pkt->fragment = (get16(p + 6) & 0x1fff) != 0;
	if (!pkt->fragment && ihl <= len)
		transport(p + ihl, len - ihl, pkt);
}

/* Extension headers to skip on the way to the transport header. */
static bool ipv6_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT;
}

static void ipv6(const uint8_t *p, size_t len, struct fw_log_packet *pkt)
{
	size_t off = 40;
	uint8_t nh;

	if (len < 40 || p[0] >> 4 != 6)
		return;
	pkt->ip_version = 6;
	pkt->length = (uint16_t)(get16(p + 4) + 40 < 0xffff ? get16(p + 4) + 40 : 0xffff);
	memcpy(pkt->saddr, p + 8, 16);
	memcpy(pkt->daddr, p + 24, 16);
	nh = p[6];
	/* Bounded: each header is at least 8 bytes of a 128-byte copy. */
	while (ipv6_ext(nh)) {
		if (len - off < 8)
			return; /* cut off before the transport header: unknown */
		if (nh == IPPROTO_FRAGMENT) {
			pkt->fragment = (get16(p + off + 2) & 0xfff8) != 0;
			nh = p[off];
			off += 8;
			if (pkt->fragment) {
				pkt->has_l4 = true;
				pkt->l4proto = nh;
				return;
			}
			continue;
		}
		size_t hlen = ((size_t)p[off + 1] + 1) * 8;
		nh = p[off];
		if (hlen > len - off)
			return;
		off += hlen;
	}
	pkt->has_l4 = true;
	pkt->l4proto = nh;
	transport(p + off, len - off, pkt);
}

void fw_nflog_parse_payload(const uint8_t *p, size_t len, uint16_t hw_protocol,
                            struct fw_log_packet *pkt)
{
	unsigned version = len ? p[0] >> 4 : 0;

	if (hw_protocol == ETH_P_IPV4 || (hw_protocol != ETH_P_IPV6 && version == 4))
		ipv4(p, len, pkt);
	else if (hw_protocol == ETH_P_IPV6 || version == 6)
		ipv6(p, len, pkt);
}

struct attrs {
	const struct nlattr *tb[NFULA_MAX + 1];
	bool bad;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;
	uint16_t type = mnl_attr_get_type(attr);
	int ok = 0;

	if (type > NFULA_MAX)
		return MNL_CB_OK; /* a newer kernel's attribute: not needed */
	switch (type) {
	case NFULA_PACKET_HDR:
		ok =
		    mnl_attr_validate2(attr, MNL_TYPE_UNSPEC, sizeof(struct nfulnl_msg_packet_hdr));
		break;
	case NFULA_TIMESTAMP:
		ok = mnl_attr_validate2(attr, MNL_TYPE_UNSPEC,
		                        sizeof(struct nfulnl_msg_packet_timestamp));
		break;
	case NFULA_IFINDEX_INDEV:
	case NFULA_IFINDEX_OUTDEV:
	case NFULA_IFINDEX_PHYSINDEV:
	case NFULA_IFINDEX_PHYSOUTDEV:
		ok = mnl_attr_validate(attr, MNL_TYPE_U32);
		break;
	case NFULA_PREFIX:
		ok = mnl_attr_validate(attr, MNL_TYPE_NUL_STRING);
		break;
	default:
		break;
	}
	if (ok < 0) {
		a->bad = true;
		return MNL_CB_ERROR;
	}
	a->tb[type] = attr;
	return MNL_CB_OK;
}

static uint32_t attr_be32(const struct nlattr *a)
{
	uint32_t v;

	if (!a)
		return 0;
	memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
	return ntohl(v);
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* One packet message; false when it is malformed. */
static bool parse_packet(const struct nlmsghdr *nlh, struct fw_log_packet *pkt)
{
	struct attrs a = {0};
	const struct nfgenmsg *g;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)))
		return false;
	g = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, &a) < 0 || a.bad)
		return false;
	memset(pkt, 0, sizeof(*pkt));
	pkt->nf_family = g->nfgen_family;
	if (a.tb[NFULA_PACKET_HDR]) {
		struct nfulnl_msg_packet_hdr h;
		memcpy(&h, mnl_attr_get_payload(a.tb[NFULA_PACKET_HDR]), sizeof(h));
		pkt->hw_protocol = ntohs(h.hw_protocol);
		pkt->hook = h.hook;
	}
	if (a.tb[NFULA_TIMESTAMP]) {
		const uint8_t *ts = mnl_attr_get_payload(a.tb[NFULA_TIMESTAMP]);
		uint64_t sec = be64(ts), usec = be64(ts + 8);
		if (sec <= INT64_MAX && usec < 1000000) {
			pkt->has_time = true;
			pkt->sec = (int64_t)sec;
			pkt->usec = (uint32_t)usec;
		}
	}
	pkt->indev = attr_be32(a.tb[NFULA_IFINDEX_INDEV]);
	pkt->outdev = attr_be32(a.tb[NFULA_IFINDEX_OUTDEV]);
	pkt->physindev = attr_be32(a.tb[NFULA_IFINDEX_PHYSINDEV]);
	pkt->physoutdev = attr_be32(a.tb[NFULA_IFINDEX_PHYSOUTDEV]);
	if (a.tb[NFULA_PREFIX]) /* NUL-terminated: validated above */
		snprintf(pkt->prefix, sizeof(pkt->prefix), "%s",
		         mnl_attr_get_str(a.tb[NFULA_PREFIX]));
	if (a.tb[NFULA_PAYLOAD])
		fw_nflog_parse_payload(mnl_attr_get_payload(a.tb[NFULA_PAYLOAD]),
		                       mnl_attr_get_payload_len(a.tb[NFULA_PAYLOAD]),
		                       pkt->hw_protocol, pkt);
	return true;
}

size_t fw_nflog_parse(const void *buf, size_t len, fw_nflog_cb cb, void *data,
                      size_t *ret_malformed)
{
	const char *p = buf;
	size_t left = len, n = 0, bad = 0;

	/* Not mnl_nlmsg_ok(): it compares the length as an int, so a message
	 * claiming 2 GiB or more would pass and send the walk astray. */
	while (left >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t mlen = nlh->nlmsg_len, step;
		struct fw_log_packet pkt;

		/* libmnl walks attributes up to the padded end of a message,
		 * so the padding must be inside what was read too. */
		if (mlen < sizeof(*nlh) || MNL_ALIGN(mlen) > left)
			break;
		if (nlh->nlmsg_type == ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) {
			if (parse_packet(nlh, &pkt)) {
				cb(&pkt, data);
				n++;
			} else {
				bad++;
			}
		} /* else: acks, errors, anything else */
		step = MNL_ALIGN(mlen);
		if (step >= left) {
			left = 0;
			break;
		}
		p += step;
		left -= step;
	}
	if (left > 0)
		bad++; /* bytes that are no message */
	if (ret_malformed)
		*ret_malformed += bad;
	return n;
}
