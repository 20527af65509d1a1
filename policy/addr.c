// SPDX-License-Identifier: GPL-2.0-or-later
/* Addresses, prefixes and port specs: parsing and set relations. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/policy.h"
#include "util.h"

static unsigned prefix_bytes(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

static void prefix_mask(struct fw_prefix *p)
{
	unsigned nbytes = prefix_bytes(p->family);

	for (unsigned i = 0; i < nbytes; i++) {
		unsigned bit0 = i * 8;
		if (bit0 >= p->len)
			p->a[i] = 0;
		else if (bit0 + 8 > p->len)
			p->a[i] &= (uint8_t)(0xff00u >> (p->len - bit0));
	}
}

int fw_prefix_parse(const char *s, bool allow_host_bits, struct fw_prefix *ret)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct fw_prefix p = {0};
	const char *slash;
	size_t alen;
	unsigned long len;

	if (!s || !*s)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, p.a) == 1)
		p.family = 4;
	else if (inet_pton(AF_INET6, buf, p.a) == 1)
		p.family = 6;
	else
		return -EINVAL;
	p.len = (uint8_t)(p.family == 4 ? 32 : 128);
	if (slash) {
		if (fw_parse_ulong(slash + 1, p.len, &len) < 0)
			return -EINVAL;
		p.len = (uint8_t)len;
	}
	if (!allow_host_bits) {
		struct fw_prefix masked = p;

		prefix_mask(&masked);
		if (memcmp(masked.a, p.a, sizeof(p.a)) != 0)
			return -EDOM;
	}
	*ret = p;
	return 0;
}

void fw_prefix_network(struct fw_prefix *p)
{
	prefix_mask(p);
}

int fw_addr_format(const struct fw_prefix *p, char *buf, size_t size)
{
	if (!inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->a, buf, (socklen_t)size))
		return -ENOSPC;
	return 0;
}

int fw_prefix_format(const struct fw_prefix *p, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	int r = fw_addr_format(p, a, sizeof(a));

	if (r < 0)
		return r;
	if ((size_t)snprintf(buf, size, "%s/%u", a, p->len) >= size)
		return -ENOSPC;
	return 0;
}

/* True when the first `len` bits of a and b are equal. */
static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned full = len / 8, rest = len % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff00u >> rest);
		return (a[full] & m) == (b[full] & m);
	}
	return true;
}

bool fw_prefix_contains(const struct fw_prefix *outer, const struct fw_prefix *inner)
{
	if (outer->family != inner->family || outer->len > inner->len)
		return false;
	return bits_equal(outer->a, inner->a, outer->len);
}

bool fw_prefix_overlaps(const struct fw_prefix *a, const struct fw_prefix *b)
{
	if (a->family != b->family)
		return false;
	return bits_equal(a->a, b->a, a->len < b->len ? a->len : b->len);
}

/* The last address of a prefix (broadcast for IPv4). */
void fw_prefix_last(const struct fw_prefix *p, uint8_t out[16])
{
	unsigned nbytes = prefix_bytes(p->family);

	memcpy(out, p->a, 16);
	for (unsigned i = 0; i < nbytes; i++) {
		unsigned bit0 = i * 8;
		if (bit0 >= p->len)
			out[i] = 0xff;
		else if (bit0 + 8 > p->len)
			out[i] |= (uint8_t)(0xffu >> (p->len - bit0));
	}
}

/* Add `n` to an address in place; returns false on overflow past the prefix. */
bool fw_addr_add(struct fw_prefix *addr, uint32_t n)
{
	unsigned nbytes = prefix_bytes(addr->family);
	uint64_t carry = n;

	for (unsigned i = nbytes; i-- > 0 && carry;) {
		uint64_t v = addr->a[i] + (carry & 0xff);
		addr->a[i] = (uint8_t)v;
		carry = (carry >> 8) + (v >> 8);
	}
	return carry == 0;
}

const char *fw_proto_name(uint8_t proto)
{
	switch (proto) {
	case 0:
		return "any";
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmpv6";
	default:
		return "?";
	}
}

int fw_port_spec_parse(const char *s, struct fw_port_spec *ret)
{
	struct fw_port_spec spec = {0};
	const char *slash = strchr(s, '/');
	size_t plen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long lo, hi;

	if (plen == 3 && !strncmp(s, "tcp", 3))
		spec.proto = 6;
	else if (plen == 3 && !strncmp(s, "udp", 3))
		spec.proto = 17;
	else if (plen == 4 && !strncmp(s, "icmp", 4))
		spec.proto = 1;
	else if (plen == 6 && !strncmp(s, "icmpv6", 6))
		spec.proto = 58;
	else if (plen == 3 && !strncmp(s, "any", 3))
		spec.proto = 0;
	else
		return -EINVAL;

	if (!slash) {
		spec.lo = 0;
		spec.hi = 65535;
		*ret = spec;
		return 0;
	}
	if (spec.proto != 6 && spec.proto != 17)
		return -EPROTONOSUPPORT; /* ports only for tcp and udp */

	const char *dash = strchr(slash + 1, '-');
	char num[8];
	size_t n1 = dash ? (size_t)(dash - slash - 1) : strlen(slash + 1);

	if (n1 == 0 || n1 >= sizeof(num))
		return -ERANGE;
	memcpy(num, slash + 1, n1);
	num[n1] = '\0';
	if (fw_parse_ulong(num, 65535, &lo) < 0 || lo == 0)
		return -ERANGE;
	hi = lo;
	if (dash && (fw_parse_ulong(dash + 1, 65535, &hi) < 0 || hi == 0))
		return -ERANGE;
	if (hi < lo)
		return -ERANGE;
	spec.lo = (uint16_t)lo;
	spec.hi = (uint16_t)hi;
	*ret = spec;
	return 0;
}
