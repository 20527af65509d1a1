// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the kernel has, for the L2 diff: three netlink dumps (links with
 * their kind, alias, master, 802.1Q id, bridge and bridge-port settings;
 * the bridge VLANs of every port and bridge; addresses) and the proxy ARP
 * sysctls of our gateways (files under /proc/sys: sysctls are not netlink).
 *
 * libnl-route's link objects do not carry what is read here (bridge VLAN
 * filtering, port isolation), so the messages are parsed with libnl's
 * attribute functions; every attribute's length is checked before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "l2_nl.h"

/* Dumps interrupted by concurrent changes are read again, after a pause
 * that grows (10 ms doubling, at most 500 ms: about 2 s in all): after
 * hundreds of new links the kernel goes on changing them for a while (IPv6
 * link-local addresses, DAD), and on a slow machine every quick retry of a
 * long dump would be interrupted again. */
#define DUMP_ATTEMPTS    10
#define DUMP_PAUSE_MS    10
#define DUMP_PAUSE_MAXMS 500

struct reader {
	struct l2_kstate *k;
	size_t cap;
	int err;
};

static void str_attr(char *dst, size_t n, const struct nlattr *a)
{
	size_t k;

	if (!a)
		return;
	k = strnlen(nla_data(a), (size_t)nla_len(a));
	if (k >= n)
		k = n - 1;
	memcpy(dst, nla_data(a), k);
	dst[k] = '\0';
}

static bool has_len(const struct nlattr *a, int len)
{
	return a && nla_len(a) >= len;
}

static void parse_info_data(struct l2_klink *l, struct nlattr *data)
{
	struct nlattr *tb[IFLA_BR_MAX + 1];

	if (!data)
		return;
	if (!strcmp(l->kind, "vlan")) {
		struct nlattr *vt[IFLA_VLAN_MAX + 1];

		if (nla_parse_nested(vt, IFLA_VLAN_MAX, data, NULL) == 0 &&
		    has_len(vt[IFLA_VLAN_ID], 2))
			l->vid = nla_get_u16(vt[IFLA_VLAN_ID]);
	} else if (!strcmp(l->kind, "bridge") &&
	           nla_parse_nested(tb, IFLA_BR_MAX, data, NULL) == 0) {
		if (has_len(tb[IFLA_BR_VLAN_FILTERING], 1))
			l->filtering = nla_get_u8(tb[IFLA_BR_VLAN_FILTERING]) != 0;
		/* without VLAN filtering in the kernel there is no default
		 * pvid attribute: the bridge behaves as with VLAN 1 */
		l->default_pvid = has_len(tb[IFLA_BR_VLAN_DEFAULT_PVID], 2)
		                      ? nla_get_u16(tb[IFLA_BR_VLAN_DEFAULT_PVID])
		                      : 1;
	}
}

static void parse_port_data(struct l2_klink *l, struct nlattr *data)
{
	struct nlattr *tb[IFLA_BRPORT_MAX + 1];

	if (!data || nla_parse_nested(tb, IFLA_BRPORT_MAX, data, NULL) < 0)
		return;
	if (has_len(tb[IFLA_BRPORT_ISOLATED], 1))
		l->isolated = nla_get_u8(tb[IFLA_BRPORT_ISOLATED]) != 0;
	if (has_len(tb[IFLA_BRPORT_MODE], 1))
		l->hairpin = nla_get_u8(tb[IFLA_BRPORT_MODE]) != 0;
}

static void parse_linkinfo(struct l2_klink *l, struct nlattr *info)
{
	struct nlattr *tb[IFLA_INFO_MAX + 1];
	char slave[L2_KIND_MAX] = "";

	if (!info || nla_parse_nested(tb, IFLA_INFO_MAX, info, NULL) < 0)
		return;
	str_attr(l->kind, sizeof(l->kind), tb[IFLA_INFO_KIND]);
	parse_info_data(l, tb[IFLA_INFO_DATA]);
	str_attr(slave, sizeof(slave), tb[IFLA_INFO_SLAVE_KIND]);
	if (!strcmp(slave, "bridge"))
		parse_port_data(l, tb[IFLA_INFO_SLAVE_DATA]);
}

static int on_link(struct nl_msg *msg, void *arg)
{
	struct reader *rd = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi;
	struct l2_klink *l;

	if (rd->err || h->nlmsg_type != RTM_NEWLINK ||
	    nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0 || !tb[IFLA_IFNAME])
		return NL_OK;
	ifi = nlmsg_data(h);
	if (rd->k->n_links == rd->cap) {
		size_t cap = rd->cap ? rd->cap * 2 : 64;
		struct l2_klink *v;

		if (rd->cap >= L2_MAX_LINKS) {
			rd->err = -E2BIG;
			return NL_OK;
		}
		if (!(v = realloc(rd->k->links, cap * sizeof(*v)))) {
			rd->err = -ENOMEM;
			return NL_OK;
		}
		rd->k->links = v;
		rd->cap = cap;
	}
	l = &rd->k->links[rd->k->n_links++];
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	l->up = (ifi->ifi_flags & IFF_UP) != 0;
	for (int i = 0; i < L2_N_SYSCTL; i++)
		l->sysctl[i] = -1;
	str_attr(l->name, sizeof(l->name), tb[IFLA_IFNAME]);
	str_attr(l->alias, sizeof(l->alias), tb[IFLA_IFALIAS]);
	if (has_len(tb[IFLA_MASTER], 4))
		l->master = (int)nla_get_u32(tb[IFLA_MASTER]);
	parse_linkinfo(l, tb[IFLA_LINKINFO]);
	if (!strcmp(l->kind, "vlan") && has_len(tb[IFLA_LINK], 4))
		l->lower = (int)nla_get_u32(tb[IFLA_LINK]);
	return NL_OK;
}

static struct l2_klink *by_index(struct l2_kstate *k, int ifindex)
{
	return (struct l2_klink *)l2_kstate_by_index(k, ifindex);
}

/* IFLA_AF_SPEC of an AF_BRIDGE message: its VLANs, ranges expanded. */
static void parse_vlans(struct l2_klink *l, struct nlattr *spec)
{
	const struct nlattr *a;
	unsigned begin = 0;
	int rem;

	memset(&l->vlans, 0, sizeof(l->vlans));
	nla_for_each_nested(a, spec, rem)
	{
		const struct bridge_vlan_info *vi;
		unsigned lo, hi;

		if (nla_type(a) != IFLA_BRIDGE_VLAN_INFO || nla_len(a) < (int)sizeof(*vi))
			continue;
		vi = nla_data(a);
		if (vi->flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
			begin = vi->vid;
			continue;
		}
		lo = (vi->flags & BRIDGE_VLAN_INFO_RANGE_END) && begin ? begin : vi->vid;
		hi = vi->vid;
		begin = 0;
		for (unsigned vid = lo; vid <= hi && vid <= L2_VID_MAX; vid++)
			l2_vset_add(&l->vlans, vid, vi->flags & BRIDGE_VLAN_INFO_PVID,
			            vi->flags & BRIDGE_VLAN_INFO_UNTAGGED);
	}
}

static int on_bridge(struct nl_msg *msg, void *arg)
{
	struct reader *rd = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi;
	struct l2_klink *l;

	if (rd->err || h->nlmsg_type != RTM_NEWLINK ||
	    nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return NL_OK;
	ifi = nlmsg_data(h);
	l = by_index(rd->k, ifi->ifi_index);
	if (l && tb[IFLA_AF_SPEC])
		parse_vlans(l, tb[IFLA_AF_SPEC]);
	if (l && tb[IFLA_PROTINFO] && (tb[IFLA_PROTINFO]->nla_type & NLA_F_NESTED))
		parse_port_data(l, tb[IFLA_PROTINFO]);
	return NL_OK;
}

static bool link_local6(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static int on_addr(struct nl_msg *msg, void *arg)
{
	struct reader *rd = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFA_MAX + 1];
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	struct l2_klink *l;
	struct fw_prefix p = {0};

	if (rd->err || h->nlmsg_type != RTM_NEWADDR ||
	    nlmsg_parse(h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return NL_OK;
	ifa = nlmsg_data(h);
	l = by_index(rd->k, (int)ifa->ifa_index);
	if (!l || !l2_klink_ours(l) || l->n_addrs == L2_ADDRS_MAX)
		return NL_OK;
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (ifa->ifa_family == AF_INET && has_len(a, 4)) {
		p.family = 4;
		memcpy(p.a, nla_data(a), 4);
	} else if (ifa->ifa_family == AF_INET6 && has_len(a, 16)) {
		p.family = 6;
		memcpy(p.a, nla_data(a), 16);
		if (link_local6(p.a))
			return NL_OK; /* the kernel's own, on every IPv6 link */
	} else {
		return NL_OK;
	}
	p.len = ifa->ifa_prefixlen;
	l->addrs[l->n_addrs++] = p;
	return NL_OK;
}

static int dump(struct l2_nl *nl, struct reader *rd, int type, int family, uint32_t ext_mask,
                int (*fn)(struct nl_msg *, void *), const char *what, struct fw_diags *d)
{
	char kmsg[L2_KMSG_MAX];
	int r = -EAGAIN;

	for (int attempt = 0; attempt < DUMP_ATTEMPTS && r == -EAGAIN; attempt++) {
		struct nl_msg *msg;

		if (attempt) {
			long ms = DUMP_PAUSE_MS << (attempt - 1);
			struct timespec pause = {
			    0, (ms < DUMP_PAUSE_MAXMS ? ms : DUMP_PAUSE_MAXMS) * 1000000L};
			nanosleep(&pause, NULL);
		}

		if (type == RTM_GETADDR) {
			struct ifaddrmsg ifa = {.ifa_family = (unsigned char)family};

			msg = nlmsg_alloc_simple(type, NLM_F_DUMP);
			if (msg && nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0) {
				nlmsg_free(msg);
				msg = NULL;
			}
		} else {
			msg = l2_link_msg(type, NLM_F_DUMP, family, 0);
			if (msg && nla_put_u32(msg, IFLA_EXT_MASK, ext_mask) < 0) {
				nlmsg_free(msg);
				msg = NULL;
			}
		}
		if (!msg)
			return -ENOMEM;
		/* start over: an interrupted dump may have left half of it */
		if (fn == on_link)
			rd->k->n_links = 0;
		for (size_t i = 0; i < rd->k->n_links; i++)
			if (fn == on_addr)
				rd->k->links[i].n_addrs = 0;
			else if (fn == on_bridge)
				memset(&rd->k->links[i].vlans, 0, sizeof(rd->k->links[i].vlans));
		r = l2_nl_dump(nl, msg, fn, rd, kmsg, sizeof(kmsg));
		nlmsg_free(msg);
		if (r == 0 && rd->err)
			r = rd->err;
	}
	if (r == -E2BIG)
		fw_error(d, NULL, "l2: reading links from the kernel: more than %d links",
		         L2_MAX_LINKS);
	else if (r < 0)
		fw_error(d, NULL, "l2: reading %s from the kernel: %s%s%s", what, strerror(-r),
		         kmsg[0] ? ": " : "", kmsg);
	return r;
}

static int read_int(const char *path)
{
	char buf[24];
	ssize_t n;
	long v;
	char *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || v < 0 || v > 1000000)
		return -1;
	return (int)v;
}

static void read_sysctls(const char *ifname, int *out)
{
	char path[128];

	for (int i = 0; i < L2_N_SYSCTL; i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", ifname,
		         l2_sysctl_name((enum l2_sysctl)i));
		out[i] = read_int(path);
	}
}

void l2_kstate_free(struct l2_kstate *k)
{
	if (!k)
		return;
	free(k->links);
	k->links = NULL;
	k->n_links = 0;
}

int l2_read(struct l2_nl *nl, struct l2_kstate *ret, struct fw_diags *diags)
{
	struct l2_kstate k = {0};
	struct reader rd = {.k = &k};
	int r;

	r = dump(nl, &rd, RTM_GETLINK, AF_UNSPEC, RTEXT_FILTER_SKIP_STATS, on_link, "links", diags);
	if (r == 0)
		r = dump(nl, &rd, RTM_GETLINK, AF_BRIDGE, RTEXT_FILTER_BRVLAN_COMPRESSED, on_bridge,
		         "bridge VLANs", diags);
	if (r == 0)
		r = dump(nl, &rd, RTM_GETADDR, AF_UNSPEC, 0, on_addr, "addresses", diags);
	if (r < 0) {
		l2_kstate_free(&k);
		return r;
	}
	read_sysctls("default", k.sysctl_default);
	for (size_t i = 0; i < k.n_links; i++)
		if (l2_klink_ours(&k.links[i]) && !strcmp(k.links[i].kind, "vlan"))
			read_sysctls(k.links[i].name, k.links[i].sysctl);
	*ret = k;
	return 0;
}
