// SPDX-License-Identifier: GPL-2.0-or-later
/* An L2 step in words: error messages name the step that failed with it,
 * the drift check what it restored, tests the exact steps of a diff. */
#include <stdio.h>
#include <string.h>

#include "l2.h"

const char *l2_sysctl_name(enum l2_sysctl key)
{
	switch (key) {
	case L2_SYSCTL_PROXY_ARP:
		return "proxy_arp";
	case L2_SYSCTL_PROXY_ARP_PVLAN:
		return "proxy_arp_pvlan";
	case L2_SYSCTL_SEND_REDIRECTS:
		return "send_redirects";
	case L2_N_SYSCTL:
		break;
	}
	return "?";
}

static const char *vlan_mode(unsigned flags)
{
	if (flags & L2_VF_PVID)
		return flags & L2_VF_UNTAGGED ? "pvid untagged" : "pvid tagged";
	return flags & L2_VF_UNTAGGED ? "untagged" : "tagged";
}

/* "VLAN 110" or "VLANs 110-130" */
static int vids(const struct l2_step *s, char *buf, size_t n)
{
	if (s->vid == s->vid_end)
		return snprintf(buf, n, "VLAN %u", s->vid);
	return snprintf(buf, n, "VLANs %u-%u", s->vid, s->vid_end);
}

int l2_step_describe(const struct l2_step *s, char *buf, size_t n)
{
	char a[64] = "?", v[32];
	const char *self = s->self ? " (bridge itself)" : "";

	switch (s->op) {
	case L2_OP_BRIDGE_ADD:
		return snprintf(buf, n, "%s: create bridge (alias %s)", s->dev, s->alias);
	case L2_OP_BRIDGE_VLAN:
		if (s->on)
			return snprintf(buf, n, "%s: turn on VLAN filtering, no default VLAN",
			                s->dev);
		return snprintf(buf, n, "%s: VLAN filtering off, default VLAN %u", s->dev, s->pvid);
	case L2_OP_GW_ADD:
		return snprintf(buf, n, "%s on %s: add 802.1Q device (VLAN %u)", s->dev, s->master,
		                s->vid);
	case L2_OP_LINK_DEL:
		if (s->prev && !strcmp(s->prev->kind, "vlan"))
			return snprintf(buf, n, "%s on %s: delete 802.1Q device (VLAN %u)", s->dev,
			                s->prev_master[0] ? s->prev_master : "?", s->prev->vid);
		return snprintf(buf, n, "%s: delete bridge", s->dev);
	case L2_OP_UP:
		return snprintf(buf, n, "%s: set %s", s->dev, s->on ? "up" : "down");
	case L2_OP_ENSLAVE:
		return snprintf(buf, n, "%s: add as a port of %s", s->dev, s->master);
	case L2_OP_RELEASE:
		return snprintf(buf, n, "%s: release from %s", s->dev, s->master);
	case L2_OP_PORT_FLAG:
		return snprintf(buf, n, "%s: %s %s", s->dev,
		                s->flag == L2_PORT_ISOLATED ? "isolated" : "hairpin",
		                s->on ? "on" : "off");
	case L2_OP_VLAN_ADD:
		vids(s, v, sizeof(v));
		return snprintf(buf, n, "%s: add %s %s%s", s->dev, v, vlan_mode(s->flags), self);
	case L2_OP_VLAN_DEL:
		vids(s, v, sizeof(v));
		return snprintf(buf, n, "%s: delete %s%s", s->dev, v, self);
	case L2_OP_ADDR_ADD:
	case L2_OP_ADDR_DEL:
		fw_prefix_format(&s->addr, a, sizeof(a));
		return snprintf(buf, n, "%s: %s address %s", s->dev,
		                s->op == L2_OP_ADDR_ADD ? "add" : "delete", a);
	case L2_OP_SYSCTL:
		return snprintf(buf, n, "%s: %s = %d", s->dev, l2_sysctl_name(s->key), s->value);
	}
	return snprintf(buf, n, "%s: ?", s->dev);
}
