// SPDX-License-Identifier: GPL-2.0-or-later
/* Logged packets: naming them with the policy, the bounded ring, JSON. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/locate.h"
#include "fwd/logs.h"

#define IFNAME_SLOTS 32

struct ifname_slot {
	uint32_t index; /* 0: empty */
	int64_t until;
	char name[IF_NAMESIZE];
};

struct fw_logs {
	struct ifname_slot ifnames[IFNAME_SLOTS]; /* direct-mapped by index */
	struct fw_log_entry *ring;
	size_t keep;
	size_t next; /* where the next entry goes */
	size_t n;
	uint64_t seq;
};

int fw_logs_new(size_t keep, struct fw_logs **ret)
{
	struct fw_logs *l;

	if (keep == 0)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ring = calloc(keep, sizeof(*l->ring));
	if (!l->ring) {
		free(l);
		return -ENOMEM;
	}
	l->keep = keep;
	*ret = l;
	return 0;
}

void fw_logs_free(struct fw_logs *l)
{
	if (!l)
		return;
	free(l->ring);
	free(l);
}

size_t fw_logs_count(const struct fw_logs *l)
{
	return l->n;
}

const char *fw_logs_ifname(struct fw_logs *l, uint32_t index, int64_t now, char *buf)
{
	struct ifname_slot *s = &l->ifnames[index % IFNAME_SLOTS];

	buf[0] = '\0';
	if (!index)
		return buf;
	if (s->index != index || now >= s->until || now < s->until - 1) {
		if (!if_indextoname(index, s->name))
			snprintf(s->name, sizeof(s->name), "if%u", index);
		s->index = index;
		s->until = now + 1;
	}
	memcpy(buf, s->name, IF_NAMESIZE);
	return buf;
}

static const char *place_kind(enum fw_place_kind k)
{
	switch (k) {
	case FW_PLACE_HOST:
		return "host";
	case FW_PLACE_ZONE:
		return "zone";
	case FW_PLACE_FIREWALL:
		return "firewall";
	case FW_PLACE_VPN_USER:
		return "vpn-user";
	case FW_PLACE_VPN:
		return "vpn";
	case FW_PLACE_SITE:
		return "site";
	case FW_PLACE_INTERNET:
		break;
	}
	return "internet";
}

static void name_end(const struct fw_tenant *t, const struct fw_log_packet *pkt,
                     const uint8_t *addr, int port, struct fw_log_end *end)
{
	uint8_t family = pkt->ip_version;

	end->port = port;
	if (family != 4 && family != 6)
		return;
	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, end->addr, sizeof(end->addr));
	if (!t)
		return;
	struct fw_place pl;
	fw_locate_addr(t, family, addr, &pl);
	end->kind = place_kind(pl.kind);
	fw_place_word(&pl, end->name, sizeof(end->name));
	snprintf(end->zone, sizeof(end->zone), "%s", pl.zone ? pl.zone : "");
}

static const char *table_family(uint8_t nf_family)
{
	switch (nf_family) {
	case AF_INET:
	case AF_INET6:
		return "inet";
	case AF_BRIDGE:
		return "bridge";
	default:
		return "other";
	}
}

static void name_packet(const struct fw_policy *policy, const struct fw_log_packet *pkt,
                        struct fw_log_entry *e)
{
	const struct fw_tenant *t = NULL;
	char id[FW_NFLOG_PREFIX_MAX];

	if (fw_log_prefix_parse(pkt->prefix, e->tenant, sizeof(e->tenant), id, sizeof(id)) == 0) {
		struct fw_rule_place rp;
		t = fw_locate_tenant(policy, e->tenant);
		fw_locate_rule(t, id, &rp);
		e->action = rp.deny ? "drop" : "accept";
		snprintf(e->rule, sizeof(e->rule), "%s", id);
		fw_rule_text(id, e->rule_text, sizeof(e->rule_text));
		if (rp.loc && rp.loc->file) {
			snprintf(e->file, sizeof(e->file), "%s", rp.loc->file);
			e->line = rp.loc->line;
			e->col = rp.loc->col;
		}
	} else {
		/* Someone else's rule logs to our group: shown as it is. */
		size_t len = strlen(pkt->prefix);
		while (len && pkt->prefix[len - 1] == ' ')
			len--;
		e->action = "log";
		snprintf(e->rule, sizeof(e->rule), "%.*s", (int)len, pkt->prefix);
		snprintf(e->rule_text, sizeof(e->rule_text), "%s", e->rule);
	}
	e->family = pkt->ip_version == 4 ? "ipv4" : pkt->ip_version == 6 ? "ipv6" : "other";
	e->icmp_type = pkt->has_icmp ? pkt->icmp_type : -1;
	e->icmp_code = pkt->has_icmp ? pkt->icmp_code : -1;
	if (pkt->has_l4) {
		const char *p = fw_proto_name(pkt->l4proto);
		if (pkt->l4proto == 0 || !strcmp(p, "any") || !strcmp(p, "?"))
			snprintf(e->proto, sizeof(e->proto), "%u", pkt->l4proto);
		else
			snprintf(e->proto, sizeof(e->proto), "%s", p);
	}
	e->length = pkt->length;
	name_end(t, pkt, pkt->saddr, pkt->has_ports ? pkt->sport : -1, &e->src);
	name_end(t, pkt, pkt->daddr, pkt->has_ports ? pkt->dport : -1, &e->dst);
}

const struct fw_log_entry *fw_logs_add(struct fw_logs *l, const struct fw_policy *policy,
                                       const struct fw_log_packet *pkt, const char *in,
                                       const char *out, const struct timespec *now)
{
	struct fw_log_entry *e = &l->ring[l->next];

	memset(e, 0, sizeof(*e));
	e->seq = ++l->seq;
	e->sec = pkt->has_time ? pkt->sec : (int64_t)now->tv_sec;
	e->usec = pkt->has_time ? pkt->usec : (uint32_t)(now->tv_nsec / 1000);
	e->table = table_family(pkt->nf_family);
	snprintf(e->in, sizeof(e->in), "%s", in ? in : "");
	snprintf(e->out, sizeof(e->out), "%s", out ? out : "");
	name_packet(policy, pkt, e);
	l->next = (l->next + 1) % l->keep;
	if (l->n < l->keep)
		l->n++;
	return e;
}

static json_t *end_json(const struct fw_log_end *end)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (end->addr[0])
		json_object_set_new(o, "address", json_string(end->addr));
	if (end->port >= 0)
		json_object_set_new(o, "port", json_integer(end->port));
	if (end->kind)
		json_object_set_new(o, "kind", json_string(end->kind));
	if (end->name[0])
		json_object_set_new(o, "name", json_string(end->name));
	if (end->zone[0])
		json_object_set_new(o, "zone", json_string(end->zone));
	return o;
}

json_t *fw_log_entry_json(const struct fw_log_entry *e)
{
	char when[32];
	time_t t = (time_t)e->sec;
	struct tm tm;
	json_t *o;

	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "%lld", (long long)e->sec);
	o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "seq",
	              (json_int_t)e->seq, "time", when, "usec", (json_int_t)e->usec, "tenant",
	              e->tenant, "action", e->action, "rule", e->rule, "rule_text", e->rule_text,
	              "table", e->table, "family", e->family, "src", end_json(&e->src), "dst",
	              end_json(&e->dst));
	if (!o)
		return NULL;
	if (e->file[0]) {
		json_object_set_new(o, "file", json_string(e->file));
		json_object_set_new(o, "line", json_integer(e->line));
		json_object_set_new(o, "column", json_integer(e->col));
	}
	if (e->in[0])
		json_object_set_new(o, "in", json_string(e->in));
	if (e->out[0])
		json_object_set_new(o, "out", json_string(e->out));
	if (e->proto[0])
		json_object_set_new(o, "protocol", json_string(e->proto));
	if (e->icmp_type >= 0) {
		json_object_set_new(o, "icmp_type", json_integer(e->icmp_type));
		json_object_set_new(o, "icmp_code", json_integer(e->icmp_code));
	}
	if (e->length)
		json_object_set_new(o, "length", json_integer(e->length));
	return o;
}

json_t *fw_logs_recent(const struct fw_logs *l, const char *tenant, size_t limit)
{
	json_t *a = json_array();
	size_t start = (l->next + l->keep - l->n) % l->keep, skip = 0, match = 0;

	if (!a)
		return NULL;
	/* Two passes over at most `keep` entries: count, then the newest. */
	for (size_t i = 0; i < l->n; i++)
		if (!tenant || !strcmp(l->ring[(start + i) % l->keep].tenant, tenant))
			match++;
	skip = match > limit ? match - limit : 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct fw_log_entry *e = &l->ring[(start + i) % l->keep];
		if (tenant && strcmp(e->tenant, tenant))
			continue;
		if (skip) {
			skip--;
			continue;
		}
		if (json_array_append_new(a, fw_log_entry_json(e)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
