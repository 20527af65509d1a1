/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's memory of logged packets: the last N (FW_LOGS_KEEP) NFLOG
 * packets, each named when it arrives with the policy live at that moment
 * (tenant, rule and its file:line, source and destination as hosts, zones,
 * VPN users, sites or the internet). Fixed size: a flood of drops replaces
 * old records, it never grows the daemon.
 */
#ifndef FWD_LOGS_H
#define FWD_LOGS_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdint.h>
#include <time.h>

#include "fwd/nflog.h"
#include "fwd/policy.h"

#define FW_LOGS_KEEP 1024

struct fw_log_end {
	char addr[INET6_ADDRSTRLEN]; /* "" when the packet was not IP */
	int port;                    /* -1: none */
	const char *kind;            /* "host", "zone", "firewall", "vpn-user", "vpn",
	                              * "site", "internet"; NULL: unknown tenant */
	char name[FW_NAME_MAX + 8];  /* "mail", "vpn:alice", "internet", ""... */
	char zone[FW_NAME_MAX + 1];  /* "" when none */
};

struct fw_log_entry {
	uint64_t seq; /* 1, 2, ... since the daemon started */
	int64_t sec;
	uint32_t usec;
	char tenant[FW_NAME_MAX + 1];   /* "" for a prefix that is not ours */
	const char *action;             /* "drop", "accept", "log" (not ours) */
	char rule[FW_NFLOG_PREFIX_MAX]; /* the id of the prefix, or the raw prefix */
	char rule_text[FW_NFLOG_PREFIX_MAX + 16];
	char file[256]; /* where the rule is written; "" unknown */
	unsigned line, col;
	const char *table; /* "inet", "bridge", "other" */
	char in[16], out[16];
	const char *family;       /* "ipv4", "ipv6", "other" */
	char proto[16];           /* "tcp", "udp", "icmp", "icmpv6", "47", "" */
	int icmp_type, icmp_code; /* -1: none */
	unsigned length;
	struct fw_log_end src, dst;
};

struct fw_logs;

int fw_logs_new(size_t keep, struct fw_logs **ret);
void fw_logs_free(struct fw_logs *l);

/* Name pkt with `policy` (NULL: none live) and keep it, in place of the
 * oldest when full. in/out: interface names ("" none). `now` stands in when
 * the kernel sent no timestamp. Returns the kept entry (valid until the next
 * add). */
const struct fw_log_entry *fw_logs_add(struct fw_logs *l, const struct fw_policy *policy,
                                       const struct fw_log_packet *pkt, const char *in,
                                       const char *out, const struct timespec *now);

/* An entry as a JSON object (new reference; NULL on allocation failure). */
json_t *fw_log_entry_json(const struct fw_log_entry *e);

/* The last `limit` entries of `tenant` (NULL: all), oldest first. */
json_t *fw_logs_recent(const struct fw_logs *l, const char *tenant, size_t limit);

size_t fw_logs_count(const struct fw_logs *l);

/* The name of interface `index` into buf (IF_NAMESIZE bytes; "" for 0,
 * "ifN" when it is gone). Looked up at most once a second per interface
 * (`now`, seconds): a flood of drops costs no syscalls per packet, and a
 * renamed interface shows its new name a second later. */
const char *fw_logs_ifname(struct fw_logs *l, uint32_t index, int64_t now, char *buf);

#endif
