/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Packets the ruleset logs to NFLOG group FW_NFLOG_GROUP (rules with
 * `log: true`, default drops of tenants with `log_denied: true`), read from
 * the kernel over nfnetlink_log.
 *
 * fw_nflog_parse() turns what one read of the socket returned into packets:
 * the log prefix, interfaces, addresses, ports or ICMP type from the first
 * FW_NFLOG_COPY bytes of the packet. It trusts nothing: a malformed message
 * is skipped and counted, never read past its end. The listener (fwd/nflog.c)
 * owns the socket. No netlink header here: the daemon's other parts and the
 * tests use the packets without them.
 */
#ifndef FWD_NFLOG_H
#define FWD_NFLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_NFLOG_COPY       128 /* bytes of each packet the kernel copies */
#define FW_NFLOG_PREFIX_MAX 128 /* the kernel's NF_LOG_PREFIXLEN */

struct fw_log_packet {
	bool has_time; /* the kernel's timestamp (not always sent) */
	int64_t sec;
	uint32_t usec;
	uint8_t nf_family;      /* of the hook: 2 ipv4, 10 ipv6 (inet tables), 7 bridge */
	uint8_t hook;           /* NF_INET_* / NF_BR_* */
	uint16_t hw_protocol;   /* ethertype, host order; 0 when not sent */
	uint32_t indev, outdev; /* ifindex, 0: none (a bridge's ports: physindev/out) */
	uint32_t physindev, physoutdev;
	char prefix[FW_NFLOG_PREFIX_MAX]; /* "" when the rule has none */
	/* From the payload; ip_version 0 when it is not IP or too short. */
	uint8_t ip_version; /* 4 or 6 */
	uint8_t saddr[16], daddr[16];
	uint16_t length; /* the IP packet's length, as its header says */
	bool has_l4;     /* l4proto known (IPv6: after extension headers) */
	uint8_t l4proto;
	bool fragment;  /* not the first fragment: no transport header */
	bool has_ports; /* tcp, udp, udplite, sctp, dccp; host order */
	uint16_t sport, dport;
	bool has_icmp; /* icmp, icmpv6 */
	uint8_t icmp_type, icmp_code;
};

typedef void (*fw_nflog_cb)(const struct fw_log_packet *pkt, void *data);

/* Parse `len` bytes of netlink messages (4-byte aligned, as read from the
 * socket): cb for every packet message. Other message types are ignored,
 * malformed ones added to *ret_malformed (may be NULL). Returns how many
 * packets were handed to cb. */
size_t fw_nflog_parse(const void *buf, size_t len, fw_nflog_cb cb, void *data,
                      size_t *ret_malformed);

/* The IP header and transport header of a payload (what fw_nflog_parse does
 * with NFULA_PAYLOAD). hw_protocol (ethertype, 0: unknown) picks IPv4 or
 * IPv6; otherwise the version nibble does. Fills the payload fields of pkt. */
void fw_nflog_parse_payload(const uint8_t *p, size_t len, uint16_t hw_protocol,
                            struct fw_log_packet *pkt);

/* The listener: the socket bound to one group. */
struct fw_nflog;

struct fw_nflog_stats {
	uint64_t packets;   /* parsed and handed on */
	uint64_t malformed; /* messages skipped */
	uint64_t overruns;  /* times the kernel dropped messages: the socket was full */
};

/* Bind `group` (for every family: the group is per network namespace) and
 * ask for FW_NFLOG_COPY bytes of each packet. -EPERM when another program
 * (ulogd, a second fwd) listens to the group, or without CAP_NET_ADMIN: the
 * kernel does not tell which. */
int fw_nflog_open(uint16_t group, struct fw_nflog **ret);
void fw_nflog_close(struct fw_nflog *nl);
int fw_nflog_fd(const struct fw_nflog *nl);

/* Read at most `max_reads` datagrams that are ready (never waits) and hand
 * each packet to cb. Returns the packets handed on, or a negative errno for
 * an error other than "nothing more to read" or an overrun (counted). */
int fw_nflog_read(struct fw_nflog *nl, unsigned max_reads, fw_nflog_cb cb, void *data);
void fw_nflog_get_stats(const struct fw_nflog *nl, struct fw_nflog_stats *ret);

#endif
