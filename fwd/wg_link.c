// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The WireGuard interface itself: created in the kernel (RTM_NEWLINK, kind
 * "wireguard") or, without the module, by a wireguard-go child process
 * (fwd/wg_child.c: fork + exec, no shell; fwd waits for its UAPI socket); then up, the
 * firewall's tunnel address, and a route through it to every site network
 * (WireGuard routes nothing by itself). rtnetlink over libmnl, each request
 * acknowledged.
 */
#include <errno.h>
#include <net/if.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wg_link.h"

struct wg_link {
	enum wg_mode mode;
	struct mnl_socket *nl;
	uint32_t seq, portid;
	char buf[16384]; /* acks and errors: small */
	struct wg_children kids;
	const char *wireguard_go;
};

int wg_link_open(enum wg_mode mode, const char *wireguard_go, struct wg_link **ret)
{
	struct wg_link *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->mode = mode;
	l->wireguard_go = wireguard_go ? wireguard_go : "wireguard-go";
	l->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!l->nl || mnl_socket_bind(l->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		wg_link_close(l);
		return -e;
	}
	l->portid = mnl_socket_get_portid(l->nl);
	l->seq = (uint32_t)time(NULL);
	*ret = l;
	return 0;
}

void wg_link_close(struct wg_link *l)
{
	if (!l)
		return;
	/* wireguard-go children end with fwd (PR_SET_PDEATHSIG). */
	if (l->nl)
		mnl_socket_close(l->nl);
	free(l);
}

static int rt_talk(struct wg_link *l, struct nlmsghdr *nlh)
{
	int r;

	nlh->nlmsg_seq = ++l->seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (mnl_socket_sendto(l->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t n = mnl_socket_recvfrom(l->nl, l->buf, sizeof(l->buf));

		if (n < 0)
			return -errno;
		r = mnl_cb_run(l->buf, (size_t)n, nlh->nlmsg_seq, l->portid, NULL, NULL);
	} while (r > MNL_CB_STOP);
	return r < 0 ? -errno : 0;
}

static int link_create_kernel(struct wg_link *l, const char *ifname)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct nlattr *info;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
	mnl_attr_nest_end(nlh, info);
	return rt_talk(l, nlh);
}

void wg_link_reap(struct wg_link *l)
{
	wg_children_reap(&l->kids);
}

void wg_link_uapi_path(const struct wg_link *l, const char *ifname, char path[WG_UAPI_PATH_MAX])
{
	wg_children_uapi_path(&l->kids, ifname, path);
}

static int link_up(struct wg_link *l, unsigned ifindex)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = IFF_UP;
	return rt_talk(l, nlh);
}

static int addr_op(struct wg_link *l, uint16_t type, unsigned ifindex, const struct fw_prefix *a)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	size_t alen = a->family == 4 ? 4 : 16;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->family == 4 ? AF_INET : AF_INET6;
	ifa->ifa_prefixlen = a->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, alen, a->a);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, a->a);
	return rt_talk(l, nlh);
}

static int route_op(struct wg_link *l, uint16_t type, unsigned ifindex, const struct fw_prefix *p)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rt;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = p->family == 4 ? AF_INET : AF_INET6;
	rt->rtm_dst_len = p->len;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_LINK;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, p->family == 4 ? 4 : 16, p->a);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return rt_talk(l, nlh);
}

static bool has_route(const struct fw_vpn_iface *x, const struct fw_prefix *p)
{
	for (size_t i = 0; x && i < x->n_routes; i++)
		if (x->routes[i].family == p->family && x->routes[i].len == p->len &&
		    !memcmp(x->routes[i].a, p->a, 16))
			return true;
	return false;
}

int wg_link_ensure(struct wg_link *l, const struct fw_vpn_iface *x, const struct fw_vpn_iface *old,
                   bool *ret_userspace, char *msg, size_t size)
{
	bool userspace = false;
	unsigned ifindex;
	int r = 0;

	wg_link_reap(l);
	ifindex = if_nametoindex(x->ifname);
	if (ifindex) {
		char path[WG_UAPI_PATH_MAX];

		wg_link_uapi_path(l, x->ifname, path);
		userspace = wg_uapi_present(path, NULL);
	} else {
		if (l->mode != WG_MODE_USERSPACE) {
			r = link_create_kernel(l, x->ifname);
			if (r == -EOPNOTSUPP && l->mode == WG_MODE_KERNEL) {
				snprintf(msg, size,
				         "%s: the kernel has no WireGuard module (create: %s); "
				         "run fwd --wireguard userspace or auto",
				         x->ifname, strerror(-r));
				return r;
			}
		}
		if (l->mode == WG_MODE_USERSPACE || r == -EOPNOTSUPP) {
			userspace = true;
			r = wg_children_start(&l->kids, l->wireguard_go, x->ifname, msg, size);
		}
		if (r < 0) {
			if (!*msg)
				snprintf(msg, size, "%s: cannot create the interface: %s",
				         x->ifname, strerror(-r));
			return r;
		}
		ifindex = if_nametoindex(x->ifname);
		old = NULL; /* a new interface has none of the old addresses */
	}
	if (!ifindex) {
		snprintf(msg, size, "%s: the interface vanished", x->ifname);
		return -ENODEV;
	}
	if (old && (old->address.family != x->address.family ||
	            old->address.len != x->address.len || memcmp(old->address.a, x->address.a, 16)))
		(void)addr_op(l, RTM_DELADDR, ifindex, &old->address);
	r = addr_op(l, RTM_NEWADDR, ifindex, &x->address);
	if (r == 0)
		r = link_up(l, ifindex);
	for (size_t i = 0; r == 0 && i < x->n_routes; i++)
		r = route_op(l, RTM_NEWROUTE, ifindex, &x->routes[i]);
	for (size_t i = 0; r == 0 && old && i < old->n_routes; i++)
		if (!has_route(x, &old->routes[i])) {
			int e = route_op(l, RTM_DELROUTE, ifindex, &old->routes[i]);
			if (e < 0 && e != -ESRCH && e != -ENOENT)
				r = e;
		}
	if (r < 0) {
		snprintf(msg, size, "%s: address, link or routes: %s", x->ifname, strerror(-r));
		return r;
	}
	*ret_userspace = userspace;
	return 0;
}

int wg_link_delete(struct wg_link *l, const char *ifname)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	unsigned ifindex = if_nametoindex(ifname);
	int r;

	if (!ifindex)
		return 0;
	nlh->nlmsg_type = RTM_DELLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	r = rt_talk(l, nlh);
	/* wireguard-go ends when its tun device goes */
	wg_link_reap(l);
	return r == -ENODEV ? 0 : r;
}
