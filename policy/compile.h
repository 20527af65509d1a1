/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compiler internals: sides, expanded endpoints and the flow covers. */
#ifndef FWD_COMPILE_H
#define FWD_COMPILE_H

#include "cover.h"
#include "fwd/plan.h"

/* A side is where traffic enters or leaves the firewall: side 0 is the
 * internet (uplink), 1..n_zones the zones, n_zones+1 the VPN interface. */
#define SIDE_INTERNET 0u
#define SIDE_ZONE(i)  ((size_t)(i) + 1)

struct ep {
	size_t side;
	struct fw_prefix p;
};

struct eplist {
	struct ep *v;
	size_t n, cap;
};

/* Flows of one kind (forward pair, isolated zone, input side) split by
 * family (0 = IPv4, 1 = IPv6) and by ports/no ports. */
struct flows {
	struct cover p[2]; /* with ports: tcp/udp port ranges */
	struct cover a[2]; /* without: icmp, any protocol, whole tcp/udp */
};

/* A rule that asked for its own counter or log: its own sets. */
struct counted {
	const struct fw_origin *origin;
	bool log;
	size_t src, dst; /* side pair (forward) */
	struct flows f;
};

struct tenant_flows {
	const struct fw_tenant *t;
	size_t n_sides;
	struct flows *fwd; /* n_sides * n_sides, [src * n_sides + dst] */
	struct flows *iso; /* per zone */
	struct flows *in;  /* per side: input to the firewall itself */
	struct flows *pub; /* like fwd, for published services: only after DNAT */
	struct counted *counted;
	size_t n_counted, cap_counted;
	struct fw_origin *origins; /* one per rule/publish/egress/management */
	size_t n_origins;
};

const char *side_name(const struct fw_tenant *t, size_t side);
const char *side_ifname(const struct fw_tenant *t, size_t side);
size_t side_count(const struct fw_tenant *t);

int expand_ref(const struct fw_tenant *t, const struct fw_ref *r, struct eplist *out);
int flows_build(const struct fw_tenant *t, struct fw_diags *diags, struct tenant_flows *tf);
void flows_free(struct tenant_flows *tf);

/* Emission helpers shared by compile.c, compile_nat.c and compile_l2.c. */
struct pb;
/* emit_cover's parts: a cover's exact boxes go to a hash set NAME "x",
 * the others to an interval set NAME. */
#define COVER_EXACT        1u
#define COVER_INTERVAL     2u
#define COVER_SUFFIX(part) ((part) == COVER_EXACT ? "x" : "")
unsigned emit_cover(struct pb *b, struct cover *c, const char *name, bool in);
void ct_rules(struct pb *b);
void nd_rules(struct pb *b);
void deny_rule(struct pb *b, const struct fw_tenant *t, const char *where);
void lookup_rules(struct pb *b, struct flows *f, const char *prefix, bool in,
                  const struct fw_origin *origin, bool count, bool log, const char *logp,
                  bool dnat);
void emit_nat(struct pb *b, const struct tenant_flows *tf);
void emit_l2(struct pb *b, struct tenant_flows *tf);

extern const enum fw_sel SEL_FWD4P[4], SEL_FWD6P[4], SEL_REV4P[4], SEL_REV6P[4];
#define PRIO_BRIDGE_FILTER (-200)

#endif
