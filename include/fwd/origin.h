/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where management access comes from, as an engineer writes it:
 * "ADDR[,TO[:PORT]]" — "198.51.100.5", "198.51.100.5,203.0.113.11:2222",
 * "2001:db8::5,[2001:db8::1]:22" (an IPv6 TO without brackets has no port).
 * A v4-mapped IPv6 address is the IPv4 one; a scope ("%eth0") is dropped.
 * Pure: no I/O.
 */
#ifndef FWD_ORIGIN_H
#define FWD_ORIGIN_H

#include <stddef.h>
#include <stdint.h>

#include "fwd/flowcheck.h"

/* One address of len bytes: its family (4 or 6) and out, or 0. */
uint8_t fw_origin_addr_parse(const char *s, size_t len, uint8_t out[16]);
/* ADDR[,TO[:PORT]]: 0 and *ret, or -EINVAL. */
int fw_origin_parse(const char *s, struct fw_mgmt_origin *ret);
/* A tcp port in decimal, 1 to 65535, nothing after it: 0, or -EINVAL. */
int fw_origin_parse_port(const char *s, uint16_t *ret);

#endif
