/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The L2 backend: the L2 part of the plan (include/fwd/l2plan.h) made true
 * in the kernel with libnl-route-3: VLAN-aware bridges, their ports and
 * VLANs, 802.1Q gateway devices with the zones' addresses, port isolation
 * and private-VLAN proxy ARP.
 *
 * It works in three steps, each in its own file:
 *   l2_read.c   what the kernel HAS: links, bridge VLANs of every port and
 *               of the bridges themselves, port flags, the addresses and
 *               proxy ARP sysctls of our links (struct l2_kstate);
 *   l2_diff.c   (pure) the steps from that state to the plan: additions
 *               and changes first, removals last (struct l2_steps);
 *   l2_apply.c  the steps, one acknowledged netlink request (or sysctl
 *               write) each; a refused step undoes the steps done before
 *               it, in reverse order, so no half-configured zone stays.
 * l2_backend.c glues them into a struct fw_backend (apply and drift check);
 * l2_nl.c talks netlink (every request acked, the kernel's extended ack
 * message kept); l2_step.c names a step in words (messages, tests).
 *
 * Ownership: bridges and gateway devices fwd creates carry the interface
 * alias "fwd:<tenant>". Links with another alias (or none) are never
 * created, changed or deleted; a trunk or access port is such a foreign
 * link that fwd only enslaves to its bridge, gives VLANs and port flags,
 * and releases when the plan no longer has it. Every link aliased "fwd:..."
 * that the plan does not have is removed (a removed zone's gateway, a
 * removed tenant's bridge).
 *
 * Library code: 0 or a negative errno, reasons in diags, never prints, no
 * global state.
 */
#ifndef FWD_L2_H
#define FWD_L2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/diag.h"
#include "fwd/engine.h"
#include "fwd/l2plan.h"
#include "fwd/plan.h"

#define L2_ALIAS_PREFIX "fwd:"
#define L2_ALIAS_MAX    64 /* longer aliases are cut: never ours anyway */
#define L2_KIND_MAX     16
#define L2_ADDRS_MAX    8 /* addresses kept per link; more are seen by a later check */
#define L2_VID_MAX      4094
#define L2_MAX_LINKS    16384 /* links read from the kernel: more is an error */
#define L2_MAX_STEPS    (1u << 20)

/* A set of bridge VLANs of one port (or of the bridge itself). */
struct l2_vset {
	uint32_t member[128];   /* bit vid: member */
	uint32_t untagged[128]; /* bit vid: egress untagged */
	uint16_t pvid;          /* 0: none */
};

static inline bool l2_vset_has(const struct l2_vset *s, unsigned vid)
{
	return s->member[vid / 32] >> (vid % 32) & 1u;
}

static inline bool l2_vset_untagged(const struct l2_vset *s, unsigned vid)
{
	return s->untagged[vid / 32] >> (vid % 32) & 1u;
}

void l2_vset_add(struct l2_vset *s, unsigned vid, bool pvid, bool untagged);
void l2_vset_del(struct l2_vset *s, unsigned vid);

enum l2_sysctl {
	L2_SYSCTL_PROXY_ARP,       /* net.ipv4.conf.IF.proxy_arp */
	L2_SYSCTL_PROXY_ARP_PVLAN, /* net.ipv4.conf.IF.proxy_arp_pvlan */
	L2_SYSCTL_SEND_REDIRECTS,  /* net.ipv4.conf.IF.send_redirects */
	L2_N_SYSCTL,
};

const char *l2_sysctl_name(enum l2_sysctl key);

/* One link as the kernel has it. */
struct l2_klink {
	char name[FW_IFNAME_MAX + 1];
	int ifindex;
	char kind[L2_KIND_MAX]; /* IFLA_INFO_KIND: "bridge", "vlan", "veth", "" */
	char alias[L2_ALIAS_MAX];
	int master; /* ifindex of its bridge (0: none) */
	int lower;  /* vlan: ifindex of the device below */
	uint16_t vid;
	bool up;
	/* bridges */
	bool filtering;
	uint16_t default_pvid;
	/* bridge ports */
	bool isolated, hairpin;
	/* bridge VLANs: of the port, or of a bridge itself ("self") */
	struct l2_vset vlans;
	/* ours only (alias "fwd:..."): */
	struct fw_prefix addrs[L2_ADDRS_MAX]; /* without IPv6 link-local ones */
	size_t n_addrs;
	int sysctl[L2_N_SYSCTL]; /* -1: not read */
};

struct l2_kstate {
	struct l2_klink *links;
	size_t n_links;
	/* net.ipv4.conf.default.*: what a new link starts with */
	int sysctl_default[L2_N_SYSCTL];
};

void l2_kstate_free(struct l2_kstate *k);
const struct l2_klink *l2_kstate_find(const struct l2_kstate *k, const char *name);
const struct l2_klink *l2_kstate_by_index(const struct l2_kstate *k, int ifindex);
bool l2_klink_ours(const struct l2_klink *l);

enum l2_op {
	L2_OP_BRIDGE_ADD,  /* dev: a new bridge, alias set */
	L2_OP_BRIDGE_VLAN, /* dev: vlan_filtering `on`, default pvid `pvid` */
	L2_OP_GW_ADD,      /* dev: 802.1Q device on bridge `master`, VLAN vid, alias set */
	L2_OP_LINK_DEL,    /* dev: one of ours (prev: what to recreate on undo) */
	L2_OP_UP,          /* dev: administratively up (`on`) or down */
	L2_OP_ENSLAVE,     /* dev: becomes a port of `master` */
	L2_OP_RELEASE,     /* dev: no longer a port of `master` (prev: its VLANs, flags) */
	L2_OP_PORT_FLAG,   /* dev: bridge port flag `flag` on or off */
	L2_OP_VLAN_ADD,    /* dev (or the bridge, `self`): VLANs vid..vid_end with flags */
	L2_OP_VLAN_DEL,    /* dev (or `self`): VLANs vid..vid_end (prev_flags: undo) */
	L2_OP_ADDR_ADD,    /* dev: address */
	L2_OP_ADDR_DEL,
	L2_OP_SYSCTL, /* dev: sysctl `key` = value (prev_value: undo) */
};

enum l2_port_flag {
	L2_PORT_ISOLATED,
	L2_PORT_HAIRPIN,
};

#define L2_VF_PVID     0x1u
#define L2_VF_UNTAGGED 0x2u

struct l2_step {
	enum l2_op op;
	char dev[FW_IFNAME_MAX + 1];
	char master[FW_IFNAME_MAX + 1]; /* GW_ADD: the bridge; ENSLAVE, RELEASE: the bridge */
	char alias[L2_ALIAS_MAX];       /* BRIDGE_ADD, GW_ADD */
	uint16_t vid, vid_end;          /* GW_ADD: vid; VLAN_*: the range */
	unsigned flags;                 /* VLAN_ADD: L2_VF_* */
	bool self;                      /* VLAN_*: of the bridge itself */
	bool on;                        /* BRIDGE_VLAN, UP, PORT_FLAG */
	uint16_t pvid;                  /* BRIDGE_VLAN: default pvid */
	enum l2_port_flag flag;
	struct fw_prefix addr;
	enum l2_sysctl key;
	int value;
	/* what undoing needs */
	bool prev_member;    /* VLAN_ADD: the VLANs were there (flags prev_flags) */
	unsigned prev_flags; /* VLAN_ADD, VLAN_DEL */
	int prev_value;      /* SYSCTL */
	bool prev_on;        /* BRIDGE_VLAN: filtering before; prev_pvid too */
	uint16_t prev_pvid;
	struct l2_klink *prev;               /* LINK_DEL, RELEASE: the link before (owned) */
	char prev_master[FW_IFNAME_MAX + 1]; /* LINK_DEL of a gateway: its bridge */
	const struct fw_loc *loc;            /* where the plan names it (NULL: removal) */
};

struct l2_steps {
	struct l2_step *v;
	size_t n, cap;
};

void l2_steps_free(struct l2_steps *s);

/*
 * The steps that take the kernel from `k` to `plan` (pure). Problems that
 * make the plan impossible (a planned name held by a link fwd did not
 * create, a port enslaved to somebody else's bridge) are errors in diags
 * and return -EEXIST or -EBUSY, *ret untouched; a port that does not exist
 * is a warning and left out (the drift check adds it when it appears).
 */
int l2_diff(const struct l2_kstate *k, const struct fw_l2_plan *plan, struct l2_steps *ret,
            struct fw_diags *diags);

/* "vlan110 on br-acme: add 802.1Q device (VLAN 110)": the step in words,
 * as error messages and tests show it. Returns what snprintf returns. */
int l2_step_describe(const struct l2_step *s, char *buf, size_t n);

/* The netlink socket (NETLINK_ROUTE, extended acks on). */
struct l2_nl;
int l2_nl_open(struct l2_nl **ret);
void l2_nl_close(struct l2_nl *nl);

/* What the kernel has: all links, bridge VLANs; addresses and sysctls of
 * our links. 0, or -errno with the reason in diags. */
int l2_read(struct l2_nl *nl, struct l2_kstate *ret, struct fw_diags *diags);

/*
 * Execute the steps in order. A refused step is an error in diags ("l2: "
 * + the step in words + the kernel's reason), then the steps done before it
 * are undone in reverse order (an undo that fails is an error too) and its
 * -errno returned. *ret_done (may be NULL) says how many steps succeeded
 * before (they are undone on failure).
 */
int l2_exec(struct l2_nl *nl, const struct l2_steps *steps, size_t *ret_done,
            struct fw_diags *diags);

/* struct fw_backend's apply and check for the L2 part (ctx: l2_backend). */
struct l2_backend;
int l2_backend_new(struct l2_backend **ret);
void l2_backend_free(struct l2_backend *b);
int l2_backend_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                     struct fw_diags *diags);
int l2_backend_check(void *ctx, const struct fw_plan *plan, struct fw_drift *ret,
                     struct fw_diags *diags);
/* The same on an L2 plan (tests, benchmarks). */
int l2_apply_plan(struct l2_backend *b, const struct fw_l2_plan *old, const struct fw_l2_plan *plan,
                  struct fw_diags *diags);

#endif
