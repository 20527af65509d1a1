// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: any bytes as what one read of the NFLOG socket returned. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/nflog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct fw_log_packet *p, void *count)
{
	/* Every packet handed on is well-formed. */
	if (!memchr(p->prefix, '\0', sizeof(p->prefix)) || (p->has_ports && p->has_icmp) ||
	    (p->ip_version != 0 && p->ip_version != 4 && p->ip_version != 6))
		abort();
	(*(size_t *)count)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The socket's buffer is aligned; so is this copy, of exactly `size`
	 * bytes so that ASan sees a read past it. */
	uint8_t *buf = malloc(size ? size : 1);
	size_t count = 0, bad = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (fw_nflog_parse(buf, size, check, &count, &bad) != count || count * 20 > size)
		abort();
	free(buf);
	return 0;
}
