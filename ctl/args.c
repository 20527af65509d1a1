// SPDX-License-Identifier: GPL-2.0-or-later
/* Numbers on fwctl's command line: one parser, one kind of message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fwctl.h"
#include "fwd/proto.h"

bool ctl_parse_number(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false; /* strtoull would take " 5", "+5" and "-5" */
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*ret = v;
	return true;
}

int ctl_parse_confirm(const char *command, const char *arg, uint32_t *ret)
{
	unsigned long long s;

	if (!ctl_parse_number(arg, 1, FWP_MAX_CONFIRM, &s)) {
		fprintf(stderr, "fwctl %s: --confirm takes seconds from 1 to %d\n", command,
		        FWP_MAX_CONFIRM);
		return -EINVAL;
	}
	*ret = (uint32_t)s;
	return 0;
}

int ctl_parse_generation(const char *command, const char *arg, uint64_t *ret)
{
	unsigned long long g;

	if (!ctl_parse_number(arg, 1, UINT64_MAX, &g)) {
		fprintf(stderr, "fwctl %s: expected a generation number, found '%s'\n", command,
		        arg);
		return -EINVAL;
	}
	*ret = g;
	return 0;
}
