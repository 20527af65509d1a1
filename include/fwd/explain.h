/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Asking the compiled plan what happens to a packet.
 *
 * plan_eval() runs a packet through the plan's base chains of one hook the
 * way the kernel would (priority order, jumps, verdict maps, set lookups,
 * NAT) and says which rule or set element decided. policy_explain() builds
 * the packets for "FROM TO SERVICE" and follows them through prerouting NAT,
 * routing, forward/input and the bridge: it answers from the plan, not from
 * the YAML, so it proves what will be loaded.
 */
#ifndef FWD_EXPLAIN_H
#define FWD_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "fwd/plan.h"
#include "fwd/policy.h"

struct fw_packet {
	char iif[16], oif[16];
	uint8_t family; /* 4 or 6 */
	uint8_t saddr[16], daddr[16];
	uint8_t proto;
	uint16_t sport, dport; /* host order */
	uint8_t icmp_type;
	uint8_t tcp_flags;
	uint32_t ct_state;  /* FW_CT_* */
	uint32_t ct_status; /* FW_CT_STATUS_*: set by a DNAT on the way */
};

struct fw_eval {
	enum fw_verdict verdict; /* ACCEPT or DROP */
	struct fw_origin origin; /* the policy item that decided; id NULL: structure */
	char table[FW_OBJ_NAME_MAX];
	char chain[FW_OBJ_NAME_MAX];
	bool by_policy; /* the chain's default policy decided */
	bool nat;       /* a DNAT rewrote the packet (prerouting) */
};

int plan_eval(const struct fw_plan *plan, enum fw_family family, enum fw_hook hook,
              enum fw_chain_type type, struct fw_packet *pkt, struct fw_eval *ret);

#define FW_EXPLAIN_MAX_PORTS 16

struct fw_explain_port {
	struct fw_port_spec spec; /* the port tried (lo == hi) */
	bool allowed;
	struct fw_eval eval;
	char path[160]; /* "forward acme: office -> servers", "bridge acme: inside dmz" */
};

struct fw_explain {
	const struct fw_tenant *tenant;
	bool allowed; /* every port of the service allowed */
	size_t n_ports;
	struct fw_explain_port ports[FW_EXPLAIN_MAX_PORTS];
	char from[128], to[128]; /* resolved: "app (10.10.120.20, zone servers)" */
};

/* Returns 0, or -EINVAL with a message in diags (unknown name, ...). */
int policy_explain(const struct fw_policy *p, const struct fw_plan *plan, const char *from,
                   const char *to, const char *service, struct fw_diags *diags,
                   struct fw_explain *ret);

#endif
