// SPDX-License-Identifier: GPL-2.0-or-later
/* NFLOG messages into packets: every field, truncations, and random bytes. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/nflog.h"

#define BUF 4096

static union {
	struct nlmsghdr align;
	char b[BUF];
} buf;

struct msg {
	uint8_t family;
	const char *prefix;
	const uint8_t *payload;
	size_t plen;
	uint16_t hw_protocol;
	uint8_t hook;
	uint32_t in, out;
	bool ts;
};

/* Append one packet message at off; returns the new end. */
static size_t put(size_t off, const struct msg *m)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf.b + off);
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct nfulnl_msg_packet_hdr h = {htons(m->hw_protocol), m->hook, 0};

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	g->nfgen_family = m->family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(100);
	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(h), &h);
	if (m->in)
		mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(m->in));
	if (m->out)
		mnl_attr_put_u32(nlh, NFULA_IFINDEX_OUTDEV, htonl(m->out));
	if (m->ts) {
		struct nfulnl_msg_packet_timestamp t = {.sec = __builtin_bswap64(1795428902),
		                                        .usec = __builtin_bswap64(250000)};
		mnl_attr_put(nlh, NFULA_TIMESTAMP, sizeof(t), &t);
	}
	if (m->prefix)
		mnl_attr_put_strz(nlh, NFULA_PREFIX, m->prefix);
	if (m->payload)
		mnl_attr_put(nlh, NFULA_PAYLOAD, m->plen, m->payload);
	return off + MNL_ALIGN(nlh->nlmsg_len);
}

static struct fw_log_packet got[16];
static size_t n_got;

static void collect(const struct fw_log_packet *pkt, void *data)
{
	(void)data;
	if (n_got < 16)
		got[n_got] = *pkt;
	n_got++;
}

static size_t parse(size_t len, size_t *bad)
{
	n_got = 0;
	*bad = 0;
	return fw_nflog_parse(buf.b, len, collect, NULL, bad);
}

/* mail 10.10.110.20:40312 -> dc 10.10.120.10:445, TCP SYN */
static const uint8_t tcp4[] = {0x45, 0x00, 0x00, 0x3c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06,
                               0x00, 0x00, 10,   10,   110,  20,   10,   10,   120,  10,
                               0x9d, 0x78, 0x01, 0xbd, 0,    0,    0,    1,    0,    0,
                               0,    0,    0xa0, 0x02, 0xfa, 0xf0, 0,    0,    0,    0};

static void test_ipv4_tcp(void **state)
{
	struct msg m = {AF_INET, "fwd:acme:deny:forward ", tcp4, sizeof(tcp4), 0x0800, 2, 7, 9,
	                true};
	size_t bad, len = put(0, &m);

	(void)state;
	assert_int_equal(parse(len, &bad), 1);
	assert_int_equal(bad, 0);
	assert_string_equal(got[0].prefix, "fwd:acme:deny:forward ");
	assert_int_equal(got[0].nf_family, AF_INET);
	assert_int_equal(got[0].hook, 2);
	assert_int_equal(got[0].hw_protocol, 0x0800);
	assert_int_equal(got[0].indev, 7);
	assert_int_equal(got[0].outdev, 9);
	assert_true(got[0].has_time);
	assert_int_equal(got[0].sec, 1795428902);
	assert_int_equal(got[0].usec, 250000);
	assert_int_equal(got[0].ip_version, 4);
	assert_memory_equal(got[0].saddr, ((uint8_t[]){10, 10, 110, 20}), 4);
	assert_memory_equal(got[0].daddr, ((uint8_t[]){10, 10, 120, 10}), 4);
	assert_int_equal(got[0].length, 60);
	assert_true(got[0].has_l4);
	assert_int_equal(got[0].l4proto, 6);
	assert_true(got[0].has_ports);
	assert_int_equal(got[0].sport, 40312);
	assert_int_equal(got[0].dport, 445);
	assert_false(got[0].has_icmp);
	assert_false(got[0].fragment);
}

static void test_ipv4_icmp_fragment_options(void **state)
{
	/* Echo request with 4 bytes of IP options (ihl 6). */
	uint8_t icmp[] = {0x46, 0,  0,   32, 0, 0, 0, 0, 64, 1, 0,    0,    10, 10, 130, 50,
	                  10,   10, 120, 10, 1, 1, 0, 0, 8,  0, 0xf7, 0xff, 0,  1,  0,   1};
	uint8_t frag[sizeof(tcp4)];
	struct msg m = {.family = AF_INET, .payload = icmp, .plen = sizeof(icmp)};
	size_t bad, len;

	(void)state;
	len = put(0, &m);
	memcpy(frag, tcp4, sizeof(frag));
	frag[6] = 0x00;
	frag[7] = 0xb9; /* offset 185*8: not the first fragment */
	m.payload = frag;
	m.plen = sizeof(frag);
	len = put(len, &m);
	assert_int_equal(parse(len, &bad), 2);
	assert_int_equal(bad, 0);
	assert_string_equal(got[0].prefix, "");
	assert_false(got[0].has_time);
	assert_true(got[0].has_icmp);
	assert_int_equal(got[0].icmp_type, 8);
	assert_int_equal(got[0].icmp_code, 0);
	assert_false(got[0].has_ports);
	assert_true(got[1].fragment);
	assert_int_equal(got[1].l4proto, 6);
	assert_false(got[1].has_ports);
}

static void test_ipv6_ext_headers_and_bridge(void **state)
{
	/* 2001:db8::5 -> 2001:db8::1, hop-by-hop (8 bytes), then UDP 5353 -> 53 */
	uint8_t udp6[40 + 8 + 8] = {0x60, 0, 0, 0, 0, 16, 0 /* hop-by-hop */, 64};
	uint8_t icmp6[40 + 8] = {0x60, 0, 0, 0, 0, 8, 58, 255};
	struct msg m = {.family = AF_BRIDGE,
	                .prefix = "fwd:acme:deny:iso.dmz ",
	                .payload = udp6,
	                .plen = sizeof(udp6),
	                .hw_protocol = 0x86dd};
	size_t bad, len;

	(void)state;
	udp6[8] = udp6[24] = 0x20;
	udp6[9] = udp6[25] = 0x01;
	udp6[10] = udp6[26] = 0x0d;
	udp6[11] = udp6[27] = 0xb8;
	udp6[23] = 5;
	udp6[39] = 1;
	udp6[40] = 17; /* next: UDP */
	udp6[41] = 0;  /* 8 bytes */
	udp6[48] = 0x14;
	udp6[49] = 0xe9; /* 5353 */
	udp6[51] = 53;
	len = put(0, &m);
	icmp6[40] = 128; /* echo request */
	m.payload = icmp6;
	m.plen = sizeof(icmp6);
	m.hw_protocol = 0; /* unknown: the version nibble decides */
	len = put(len, &m);
	assert_int_equal(parse(len, &bad), 2);
	assert_int_equal(got[0].nf_family, AF_BRIDGE);
	assert_int_equal(got[0].ip_version, 6);
	assert_int_equal(got[0].saddr[15], 5);
	assert_int_equal(got[0].daddr[15], 1);
	assert_int_equal(got[0].length, 56);
	assert_int_equal(got[0].l4proto, 17);
	assert_true(got[0].has_ports);
	assert_int_equal(got[0].sport, 5353);
	assert_int_equal(got[0].dport, 53);
	assert_int_equal(got[1].l4proto, 58);
	assert_true(got[1].has_icmp);
	assert_int_equal(got[1].icmp_type, 128);
}

/* Every cut of a payload: never read past it, ports only when they are in. */
static void test_truncated_payloads(void **state)
{
	(void)state;
	for (size_t cut = 0; cut <= sizeof(tcp4); cut++) {
		struct fw_log_packet p = {0};
		uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees any overread */

		memcpy(copy, tcp4, cut);
		fw_nflog_parse_payload(copy, cut, 0x0800, &p);
		assert_int_equal(p.ip_version, cut >= 20 ? 4 : 0);
		assert_int_equal(p.has_ports, cut >= 24);
		free(copy);
	}
	/* Not IP at all (ARP on a bridge): nothing but the family. */
	struct fw_log_packet p = {0};
	fw_nflog_parse_payload(tcp4, sizeof(tcp4), 0x0806, &p);
	assert_int_equal(p.ip_version, 4); /* the nibble says 4: still read as IPv4 */
	memset(&p, 0, sizeof(p));
	fw_nflog_parse_payload((const uint8_t *)"\x10\x00", 2, 0x0806, &p);
	assert_int_equal(p.ip_version, 0);
}

static void test_malformed_skipped(void **state)
{
	struct msg m = {AF_INET, "fwd:acme:it-rdp ", tcp4, sizeof(tcp4), 0x0800, 2, 1, 2, false};
	size_t bad, len = put(0, &m), second;
	struct nlmsghdr *nlh;
	struct nlattr *a;

	(void)state;
	/* A prefix without its NUL. */
	second = len;
	len = put(len, &m);
	nlh = (struct nlmsghdr *)(buf.b + second);
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) if (mnl_attr_get_type(a) ==
	                                                       NFULA_PREFIX)(
	    (char *)mnl_attr_get_payload(a))[mnl_attr_get_payload_len(a) - 1] = 'x';
	/* An ifindex of 2 bytes. */
	size_t third = len;
	nlh = mnl_nlmsg_put_header(buf.b + third);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	mnl_attr_put_u16(nlh, NFULA_IFINDEX_INDEV, 5);
	len += MNL_ALIGN(nlh->nlmsg_len);
	/* A message too short for its nfgenmsg. */
	nlh = mnl_nlmsg_put_header(buf.b + len);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	len += MNL_ALIGN(nlh->nlmsg_len);
	/* An ack: not a packet, not an error either. */
	nlh = mnl_nlmsg_put_header(buf.b + len);
	nlh->nlmsg_type = NLMSG_ERROR;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nlmsgerr));
	len += MNL_ALIGN(nlh->nlmsg_len);
	len = put(len, &m);
	/* Trailing bytes that are no message. */
	memset(buf.b + len, 0xff, 6);
	len += 6;
	assert_int_equal(parse(len, &bad), 2);
	assert_int_equal(bad, 4);
	assert_string_equal(got[0].prefix, "fwd:acme:it-rdp ");
	assert_string_equal(got[1].prefix, "fwd:acme:it-rdp ");
}

static void check_sane(const struct fw_log_packet *p, void *data)
{
	(void)data;
	assert_true(memchr(p->prefix, '\0', sizeof(p->prefix)) != NULL);
	assert_true(p->ip_version == 0 || p->ip_version == 4 || p->ip_version == 6);
	assert_false(p->has_ports && p->has_icmp);
	assert_true(!p->has_time || p->usec < 1000000);
	n_got++;
}

/* A message whose length is not a multiple of 4 at the very end of what was
 * read: its last attribute reaches into padding that is not there (found by
 * fuzz_nflog). Malformed, and not a byte read past the buffer (ASan). */
static void test_unpadded_last_message(void **state)
{
	static const uint8_t msg[42] = {0x2a, 0,    0, 0, 0, 0x04, 0, 0x5b, 0x54, 0x0e, 0,
	                                0xb0, 0x60, 0, 0, 0, 0x02, 0, 0x64, 0,    8,    0,
	                                1,    0,    8, 0, 2, 0,    8, 0,    1,    0,    8,
	                                0,    2,    0, 8, 0, 4,    0, 0x63, 0x6d};
	uint8_t *copy = malloc(sizeof(msg));
	size_t bad = 0;

	(void)state;
	assert_non_null(copy);
	memcpy(copy, msg, sizeof(msg));
	n_got = 0;
	assert_int_equal(fw_nflog_parse(copy, sizeof(msg), check_sane, NULL, &bad), 0);
	assert_int_equal(n_got, 0);
	assert_int_equal(bad, 1);
	free(copy);
}

/* Random bytes, and random damage to valid messages: never a crash, never a
 * read outside the buffer (ASan), every packet handed on well-formed. */
static void test_fuzz(void **state)
{
	uint32_t seed = 0x5eed;
	size_t total = 0;

	(void)state;
	for (int round = 0; round < 40000; round++) {
		size_t len, bad = 0;
		char *copy;

		seed = seed * 1103515245u + 12345u;
		if (round % 2) {
			struct msg m = {
			    AF_INET, "fwd:acme:deny:forward ", tcp4, sizeof(tcp4), 0x0800, 2, 7, 9,
			    true};
			len = put(0, &m);
			m.family = AF_BRIDGE;
			len = put(len, &m);
			for (int k = 0; k < 1 + (int)(seed >> 28); k++) {
				seed = seed * 1103515245u + 12345u;
				buf.b[(seed >> 8) % len] = (char)(seed >> 16);
			}
			seed = seed * 1103515245u + 12345u;
			if (seed & 1)
				len = (seed >> 8) % (len + 1);
		} else {
			len = (seed >> 8) % 600;
			for (size_t i = 0; i < len; i++) {
				seed = seed * 1103515245u + 12345u;
				buf.b[i] = (char)(seed >> 16);
			}
			/* Plausible headers now and then, so the walk gets deep. */
			if (len >= 16 && (seed & 2)) {
				struct nlmsghdr *nlh = (struct nlmsghdr *)buf.b;
				nlh->nlmsg_len = (uint32_t)(seed >> 20) % (uint32_t)(len + 1);
				nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
			}
		}
		/* The exact length on the heap: ASan sees a byte too far. */
		copy = malloc(len ? len : 1);
		memcpy(copy, buf.b, len);
		n_got = 0;
		size_t n = fw_nflog_parse(copy, len, check_sane, NULL, &bad);
		assert_int_equal(n, n_got);
		assert_true(n * 20 <= len); /* a packet message is at least 20 bytes */
		total += n;
		free(copy);
	}
	assert_true(total > 1000); /* the mutations left many messages whole */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv4_tcp),
	    cmocka_unit_test(test_ipv4_icmp_fragment_options),
	    cmocka_unit_test(test_ipv6_ext_headers_and_bridge),
	    cmocka_unit_test(test_truncated_payloads),
	    cmocka_unit_test(test_malformed_skipped),
	    cmocka_unit_test(test_unpadded_last_message),
	    cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
