/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the expectation checker: which packets prove an assertion.
 *
 * The plan is built from the tenant's own prefixes and port ranges, so it
 * cannot tell apart two addresses between the same boundaries (the first
 * address of every prefix and the one after its last), nor two ports
 * between the boundaries of the tenant's port ranges. One point of every
 * such stretch stands for all of it; the firewall's own addresses, network
 * and broadcast addresses and addresses that are never a host's (0/8,
 * loopback, multicast) are left out unless an entry names them alone.
 */
#ifndef FWD_EXPECT_INT_H
#define FWD_EXPECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/expect.h"

/* One address an endpoint stands for, and what it is to the tenant. */
struct xpoint {
	uint8_t family;
	uint8_t a[16];
	size_t side;
	bool firewall;  /* the firewall's own (named alone) */
	bool is_public; /* one of the tenant's public addresses */
	bool shown;     /* the documentation address: tried first, so it is the example */
};

struct xpoints {
	struct xpoint *v;
	size_t n, cap;
};

/* Packets to try: proto and one port (lo == hi), or ICMP. */
struct xports {
	struct fw_port_spec *v;
	size_t n, cap;
};

struct xbound {
	uint8_t a[16];
};

/* The boundaries of one tenant, built once for all of its entries. */
struct xspace {
	const struct fw_tenant *t;
	struct xbound *b[2]; /* [0] IPv4, [1] IPv6: sorted, unique */
	size_t n_b[2], cap_b[2];
	struct fw_prefix *special; /* never a point of a wider prefix */
	size_t n_special, cap_special;
	uint16_t *ports[2]; /* [0] tcp, [1] udp: sorted, unique */
	size_t n_ports[2], cap_ports[2];
};

/* Returns 0 or -ENOMEM (*s is freed by xspace_free in both cases). */
int xspace_build(const struct fw_tenant *t, struct xspace *s);
void xspace_free(struct xspace *s);

/* The points a reference stands for, sorted by address, unique. */
int xspace_ref_points(const struct xspace *s, const struct fw_ref *r, struct xpoints *out);
/* The packets a service list stands for, sorted, unique. */
int xspace_svc_ports(const struct xspace *s, const struct fw_svc_ref *svc, size_t n,
                     struct xports *out);

#endif
