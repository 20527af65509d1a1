// SPDX-License-Identifier: GPL-2.0-or-later
/* Management origins as written on a command line (fwd/origin.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/origin.h"

uint8_t fw_origin_addr_parse(const char *s, size_t len, uint8_t out[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char buf[INET6_ADDRSTRLEN + 1];
	const char *pct = memchr(s, '%', len);

	if (pct)
		len = (size_t)(pct - s);
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, 16);
	if (inet_pton(AF_INET, buf, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, buf, out) != 1)
		return 0;
	if (!memcmp(out, mapped, sizeof(mapped))) {
		memmove(out, out + 12, 4);
		memset(out + 4, 0, 12);
		return 4;
	}
	return 6;
}

int fw_origin_parse_port(const char *s, uint16_t *ret)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* TO[:PORT]: "203.0.113.11", "203.0.113.11:2222", "[2001:db8::1]:22",
 * "2001:db8::1". */
static int parse_to(const char *s, struct fw_mgmt_origin *o)
{
	const char *colon = strrchr(s, ':'), *close;
	uint8_t family;

	if (s[0] == '[') {
		if (!(close = strchr(s, ']')))
			return -EINVAL;
		family = fw_origin_addr_parse(s + 1, (size_t)(close - s - 1), o->to);
		if (close[1] && (close[1] != ':' || fw_origin_parse_port(close + 2, &o->port) < 0))
			return -EINVAL;
	} else if (colon && strchr(s, ':') == colon) {
		family = fw_origin_addr_parse(s, (size_t)(colon - s), o->to);
		if (fw_origin_parse_port(colon + 1, &o->port) < 0)
			return -EINVAL;
	} else {
		family = fw_origin_addr_parse(s, strlen(s), o->to);
	}
	if (family != o->family)
		return -EINVAL;
	o->has_to = true;
	return 0;
}

int fw_origin_parse(const char *s, struct fw_mgmt_origin *ret)
{
	struct fw_mgmt_origin o = {0};
	const char *comma = strchr(s, ',');
	size_t len = comma ? (size_t)(comma - s) : strlen(s);

	if (!(o.family = fw_origin_addr_parse(s, len, o.from)))
		return -EINVAL;
	if (comma && parse_to(comma + 1, &o) < 0)
		return -EINVAL;
	*ret = o;
	return 0;
}
