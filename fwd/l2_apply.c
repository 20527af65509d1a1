// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The L2 steps, executed: one acknowledged netlink request each (a sysctl
 * write for the proxy ARP settings), and on a refusal the steps already
 * done undone in reverse order, so that a failed apply leaves the links as
 * they were: no half-configured zone, no bridge left behind.
 *
 * Links and addresses go through libnl-route's objects (rtnl_link,
 * rtnl_addr and their request builders). What libnl-route 3.7 cannot say
 * (bridge VLAN filtering and the default pvid, bridge port isolation,
 * bridge VLAN membership) is built with libnl's message functions. All of
 * it is sent through l2_nl_talk() for the kernel's errno and message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/vlan.h>

#include "l2_nl.h"

struct ctx {
	struct l2_nl *nl;
	char kmsg[L2_KMSG_MAX];
};

static int ifindex(const char *name)
{
	unsigned i = if_nametoindex(name);

	return i ? (int)i : -ENODEV;
}

/* Send a built request; a message that could not be built is -ENOMEM. */
static int send_msg(struct ctx *c, struct nl_msg *msg, int built)
{
	int r;

	if (built < 0 || !msg) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = l2_nl_talk(c->nl, msg, c->kmsg, sizeof(c->kmsg));
	nlmsg_free(msg);
	return r;
}

static int link_del(struct ctx *c, const char *name)
{
	struct rtnl_link *l = rtnl_link_alloc();
	struct nl_msg *msg = NULL;
	int r;

	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	r = rtnl_link_build_delete_request(l, &msg);
	rtnl_link_put(l);
	return send_msg(c, msg, r);
}

/* A change to an existing link: `changes` says what (it is put). */
static int link_change(struct ctx *c, const char *name, struct rtnl_link *changes)
{
	struct rtnl_link *orig = rtnl_link_alloc();
	struct nl_msg *msg = NULL;
	int idx = ifindex(name), r;

	if (idx < 0 || !orig || !changes) {
		rtnl_link_put(orig);
		rtnl_link_put(changes);
		return idx < 0 ? idx : -ENOMEM;
	}
	rtnl_link_set_ifindex(orig, idx);
	r = rtnl_link_build_change_request(orig, changes, 0, &msg);
	rtnl_link_put(orig);
	rtnl_link_put(changes);
	return send_msg(c, msg, r);
}

static int set_alias(struct ctx *c, const char *name, const char *alias)
{
	struct rtnl_link *ch = rtnl_link_alloc();

	if (ch)
		rtnl_link_set_ifalias(ch, alias);
	return link_change(c, name, ch);
}

static int set_up(struct ctx *c, const char *name, bool up)
{
	struct rtnl_link *ch = rtnl_link_alloc();

	if (ch && up)
		rtnl_link_set_flags(ch, IFF_UP);
	else if (ch)
		rtnl_link_unset_flags(ch, IFF_UP);
	return link_change(c, name, ch);
}

static int set_master(struct ctx *c, const char *name, const char *master)
{
	struct rtnl_link *ch = rtnl_link_alloc();
	int m = master ? ifindex(master) : 0;

	if (m < 0) {
		rtnl_link_put(ch);
		return m;
	}
	if (ch)
		rtnl_link_set_master(ch, m);
	return link_change(c, name, ch);
}

/* A new link (`l` is put), marked ours with the alias; if the alias cannot
 * be set the link goes again: an unmarked link would never be ours. */
static int link_add(struct ctx *c, struct rtnl_link *l, const char *alias)
{
	struct nl_msg *msg = NULL;
	char name[FW_IFNAME_MAX + 1];
	char kmsg[L2_KMSG_MAX];
	int r;

	snprintf(name, sizeof(name), "%s", rtnl_link_get_name(l));
	r = rtnl_link_build_add_request(l, NLM_F_CREATE | NLM_F_EXCL, &msg);
	rtnl_link_put(l);
	if ((r = send_msg(c, msg, r)) < 0)
		return r;
	if ((r = set_alias(c, name, alias)) < 0) {
		memcpy(kmsg, c->kmsg, sizeof(kmsg));
		(void)link_del(c, name);
		memcpy(c->kmsg, kmsg, sizeof(kmsg));
	}
	return r;
}

static int bridge_add(struct ctx *c, const char *name, const char *alias)
{
	struct rtnl_link *l = rtnl_link_bridge_alloc();

	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	return link_add(c, l, alias);
}

static int gw_add(struct ctx *c, const char *name, const char *bridge, uint16_t vid,
                  const char *alias)
{
	struct rtnl_link *l;
	int br = ifindex(bridge);

	if (br < 0)
		return br;
	if (!(l = rtnl_link_vlan_alloc()))
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	rtnl_link_set_link(l, br);
	if (rtnl_link_vlan_set_id(l, vid) < 0) {
		rtnl_link_put(l);
		return -EINVAL;
	}
	return link_add(c, l, alias);
}

/* IFLA_LINKINFO { kind or slave kind "bridge", data { attr: u8/u16 ... } } */
static int bridge_linkinfo(struct ctx *c, const char *name, bool slave, int a1, uint8_t v1, int a2,
                           uint16_t v2)
{
	int idx = ifindex(name);
	struct nl_msg *msg;
	struct nlattr *info, *data;
	int r = -ENOMEM;

	if (idx < 0)
		return idx;
	if (!(msg = l2_link_msg(RTM_NEWLINK, 0, AF_UNSPEC, idx)))
		return -ENOMEM;
	if ((info = nla_nest_start(msg, IFLA_LINKINFO)) &&
	    nla_put_string(msg, slave ? IFLA_INFO_SLAVE_KIND : IFLA_INFO_KIND, "bridge") == 0 &&
	    (data = nla_nest_start(msg, slave ? IFLA_INFO_SLAVE_DATA : IFLA_INFO_DATA)) &&
	    nla_put_u8(msg, a1, v1) == 0 && (a2 < 0 || nla_put_u16(msg, a2, v2) == 0)) {
		nla_nest_end(msg, data);
		nla_nest_end(msg, info);
		r = 0;
	}
	return send_msg(c, msg, r);
}

static int bridge_vlan(struct ctx *c, const char *name, bool filtering, uint16_t pvid)
{
	/* one request, filtering first: the kernel sets the default pvid
	 * after it, and refuses the whole request when it has no VLAN
	 * filtering */
	return bridge_linkinfo(c, name, false, IFLA_BR_VLAN_FILTERING, filtering,
	                       IFLA_BR_VLAN_DEFAULT_PVID, pvid);
}

static int port_flag(struct ctx *c, const char *name, enum l2_port_flag flag, bool on)
{
	return bridge_linkinfo(c, name, true,
	                       flag == L2_PORT_ISOLATED ? IFLA_BRPORT_ISOLATED : IFLA_BRPORT_MODE,
	                       on, -1, 0);
}

static int put_vinfo(struct nl_msg *msg, uint16_t flags, uint16_t vid)
{
	struct bridge_vlan_info vi = {.flags = flags, .vid = vid};

	return nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi);
}

/* Bridge VLANs lo..hi of a port (or of the bridge itself) added with
 * flags, or deleted: RTM_SETLINK / RTM_DELLINK of family AF_BRIDGE. */
static int vlans(struct ctx *c, const char *name, bool self, bool add, uint16_t lo, uint16_t hi,
                 unsigned flags)
{
	uint16_t f = (flags & L2_VF_PVID ? BRIDGE_VLAN_INFO_PVID : 0) |
	             (flags & L2_VF_UNTAGGED ? BRIDGE_VLAN_INFO_UNTAGGED : 0);
	int idx = ifindex(name), r = -ENOMEM;
	struct nlattr *spec;
	struct nl_msg *msg;

	if (idx < 0)
		return idx;
	if (!(msg = l2_link_msg(add ? RTM_SETLINK : RTM_DELLINK, 0, AF_BRIDGE, idx)))
		return -ENOMEM;
	if ((spec = nla_nest_start(msg, IFLA_AF_SPEC)) &&
	    (!self || nla_put_u16(msg, IFLA_BRIDGE_FLAGS, BRIDGE_FLAGS_SELF) == 0) &&
	    (lo == hi ? put_vinfo(msg, f, lo) == 0
	              : put_vinfo(msg, f | BRIDGE_VLAN_INFO_RANGE_BEGIN, lo) == 0 &&
	                    put_vinfo(msg, f | BRIDGE_VLAN_INFO_RANGE_END, hi) == 0)) {
		nla_nest_end(msg, spec);
		r = 0;
	}
	return send_msg(c, msg, r);
}

static int addr(struct ctx *c, const char *name, const struct fw_prefix *p, bool add)
{
	int idx = ifindex(name), fam = p->family == 4 ? AF_INET : AF_INET6, r;
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(fam, p->a, p->family == 4 ? 4 : 16);
	struct nl_msg *msg = NULL;

	r = idx < 0 ? idx : !a || !local ? -ENOMEM : 0;
	if (r == 0) {
		rtnl_addr_set_ifindex(a, idx);
		r = rtnl_addr_set_local(a, local);
		rtnl_addr_set_prefixlen(a, p->len);
		/* the gateway answers at once: no duplicate address detection */
		if (fam == AF_INET6)
			rtnl_addr_set_flags(a, IFA_F_NODAD);
	}
	if (r == 0)
		r = add ? rtnl_addr_build_add_request(a, NLM_F_CREATE | NLM_F_EXCL, &msg)
		        : rtnl_addr_build_delete_request(a, 0, &msg);
	nl_addr_put(local);
	rtnl_addr_put(a);
	if (r < 0 && !msg)
		return r == -ENODEV ? r : -ENOMEM;
	return send_msg(c, msg, r);
}

static int sysctl(struct ctx *c, const char *name, enum l2_sysctl key, int value)
{
	char path[128], buf[16];
	int fd, n, r = 0;

	c->kmsg[0] = '\0';
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", name, l2_sysctl_name(key));
	n = snprintf(buf, sizeof(buf), "%d\n", value);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* Bridge VLANs of a set, in ranges of alike VLANs (a pvid alone). */
static int restore_vset(struct ctx *c, const char *name, bool self, const struct l2_vset *s)
{
	for (unsigned vid = 1; vid <= L2_VID_MAX; vid++) {
		unsigned f, end = vid;
		int r;

		if (!l2_vset_has(s, vid))
			continue;
		f = (s->pvid == vid ? L2_VF_PVID : 0) |
		    (l2_vset_untagged(s, vid) ? L2_VF_UNTAGGED : 0);
		while (!(f & L2_VF_PVID) && end < L2_VID_MAX && l2_vset_has(s, end + 1) &&
		       s->pvid != end + 1 && l2_vset_untagged(s, end + 1) == !!(f & L2_VF_UNTAGGED))
			end++;
		if ((r = vlans(c, name, self, true, (uint16_t)vid, (uint16_t)end, f)) < 0)
			return r;
		vid = end;
	}
	return 0;
}

static int restore_addrs(struct ctx *c, const struct l2_klink *l)
{
	int r = 0;

	for (size_t i = 0; i < l->n_addrs && r == 0; i++)
		r = addr(c, l->name, &l->addrs[i], true);
	return r;
}

/* Undo of a deletion: the link made again as it was. */
static int recreate(struct ctx *c, const struct l2_step *s)
{
	const struct l2_klink *l = s->prev;
	int r;

	if (!strcmp(l->kind, "vlan")) {
		r = gw_add(c, l->name, s->prev_master, l->vid, l->alias);
		for (int i = 0; r == 0 && i < L2_N_SYSCTL; i++)
			if (l->sysctl[i] >= 0)
				r = sysctl(c, l->name, (enum l2_sysctl)i, l->sysctl[i]);
	} else {
		r = bridge_add(c, l->name, l->alias);
		if (r == 0 && (l->filtering || l->default_pvid != 1))
			r = bridge_vlan(c, l->name, l->filtering, l->default_pvid);
		if (r == 0)
			r = restore_vset(c, l->name, true, &l->vlans);
	}
	if (r == 0)
		r = restore_addrs(c, l);
	if (r == 0 && l->up)
		r = set_up(c, l->name, true);
	return r;
}

/* Undo of a release: the port joins again with its flags and VLANs. */
static int rejoin(struct ctx *c, const struct l2_step *s)
{
	const struct l2_klink *l = s->prev;
	int r = set_master(c, l->name, s->master);

	if (r == 0 && l->isolated)
		r = port_flag(c, l->name, L2_PORT_ISOLATED, true);
	if (r == 0 && l->hairpin)
		r = port_flag(c, l->name, L2_PORT_HAIRPIN, true);
	if (r == 0)
		r = restore_vset(c, l->name, false, &l->vlans);
	return r;
}

static int do_step(struct ctx *c, const struct l2_step *s)
{
	switch (s->op) {
	case L2_OP_BRIDGE_ADD:
		return bridge_add(c, s->dev, s->alias);
	case L2_OP_BRIDGE_VLAN:
		return bridge_vlan(c, s->dev, s->on, s->pvid);
	case L2_OP_GW_ADD:
		return gw_add(c, s->dev, s->master, s->vid, s->alias);
	case L2_OP_LINK_DEL:
		return link_del(c, s->dev);
	case L2_OP_UP:
		return set_up(c, s->dev, s->on);
	case L2_OP_ENSLAVE:
		return set_master(c, s->dev, s->master);
	case L2_OP_RELEASE:
		return set_master(c, s->dev, NULL);
	case L2_OP_PORT_FLAG:
		return port_flag(c, s->dev, s->flag, s->on);
	case L2_OP_VLAN_ADD:
		return vlans(c, s->dev, s->self, true, s->vid, s->vid_end, s->flags);
	case L2_OP_VLAN_DEL:
		return vlans(c, s->dev, s->self, false, s->vid, s->vid_end, 0);
	case L2_OP_ADDR_ADD:
		return addr(c, s->dev, &s->addr, true);
	case L2_OP_ADDR_DEL:
		return addr(c, s->dev, &s->addr, false);
	case L2_OP_SYSCTL:
		return sysctl(c, s->dev, s->key, s->value);
	}
	return -EINVAL;
}

static int undo_step(struct ctx *c, const struct l2_step *s)
{
	switch (s->op) {
	case L2_OP_BRIDGE_ADD:
	case L2_OP_GW_ADD:
		return link_del(c, s->dev);
	case L2_OP_BRIDGE_VLAN:
		return bridge_vlan(c, s->dev, s->prev_on, s->prev_pvid);
	case L2_OP_LINK_DEL:
		return s->prev ? recreate(c, s) : -EINVAL;
	case L2_OP_UP:
		return set_up(c, s->dev, !s->on);
	case L2_OP_ENSLAVE:
		return set_master(c, s->dev, NULL);
	case L2_OP_RELEASE:
		return s->prev ? rejoin(c, s) : -EINVAL;
	case L2_OP_PORT_FLAG:
		return port_flag(c, s->dev, s->flag, !s->on);
	case L2_OP_VLAN_ADD:
		if (s->prev_member)
			return vlans(c, s->dev, s->self, true, s->vid, s->vid_end, s->prev_flags);
		return vlans(c, s->dev, s->self, false, s->vid, s->vid_end, 0);
	case L2_OP_VLAN_DEL:
		return vlans(c, s->dev, s->self, true, s->vid, s->vid_end, s->prev_flags);
	case L2_OP_ADDR_ADD:
		return addr(c, s->dev, &s->addr, false);
	case L2_OP_ADDR_DEL:
		return addr(c, s->dev, &s->addr, true);
	case L2_OP_SYSCTL:
		return sysctl(c, s->dev, s->key, s->prev_value);
	}
	return -EINVAL;
}

/* What the kernel lacks when it says EOPNOTSUPP to this step. */
static const char *missing_feature(const struct l2_step *s)
{
	switch (s->op) {
	case L2_OP_BRIDGE_VLAN:
	case L2_OP_VLAN_ADD:
		return "no bridge VLAN filtering";
	case L2_OP_GW_ADD:
		return "no 802.1Q VLAN devices";
	default:
		return NULL;
	}
}

static void report(struct fw_diags *d, const struct l2_step *s, int err, const char *kmsg,
                   bool undo)
{
	const char *feature = err == -EOPNOTSUPP ? missing_feature(s) : NULL;
	char what[160];

	l2_step_describe(s, what, sizeof(what));
	if (feature)
		fw_error(d, undo ? NULL : s->loc,
		         "l2: %s%s: not supported by this kernel (%s: %s%s%s)", undo ? "undo " : "",
		         what, feature, strerror(-err), kmsg[0] ? "; kernel: " : "", kmsg);
	else
		fw_error(d, undo ? NULL : s->loc, "l2: %s%s: %s%s%s%s", undo ? "undo of " : "",
		         what, strerror(-err), kmsg[0] ? " (kernel: " : "", kmsg,
		         kmsg[0] ? ")" : "");
}

int l2_exec(struct l2_nl *nl, const struct l2_steps *steps, size_t *ret_done,
            struct fw_diags *diags)
{
	struct ctx c = {.nl = nl};
	size_t i;
	int r = 0;

	if (!nl || !steps || !diags)
		return -EINVAL;
	for (i = 0; i < steps->n; i++) {
		if ((r = do_step(&c, &steps->v[i])) < 0) {
			report(diags, &steps->v[i], r, c.kmsg, false);
			break;
		}
	}
	if (ret_done)
		*ret_done = i;
	if (r == 0)
		return 0;
	while (i-- > 0) {
		int u = undo_step(&c, &steps->v[i]);

		if (u < 0)
			report(diags, &steps->v[i], u, c.kmsg, true);
	}
	return r;
}
