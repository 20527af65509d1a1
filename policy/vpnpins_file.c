// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pins file of a state directory (STATE_DIR/vpn-addresses), read the one
 * way for fwd at start and for fwctl's offline commands, so both give an
 * `address: auto` user the same address.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/fileio.h"
#include "fwd/vpnplan.h"

/* Far more than FW_VPN_MAX_PINS lines of the longest names: a bigger file
 * is not ours. */
#define PINS_MAX_BYTES (16u << 20)

int vpn_pins_read(const char *path, struct fw_vpn_pins *ret, char *msg, size_t size)
{
	char *buf = NULL;
	size_t len = 0;
	unsigned bad = 0;
	int r = fw_file_read_at(AT_FDCWD, path, 0, PINS_MAX_BYTES, &buf, &len);

	*msg = '\0';
	if (r == -ENOENT) /* no user was ever given an address */
		return 0;
	if (r == -EINVAL) {
		snprintf(msg, size, "%s: not a regular file", path);
		return r;
	}
	if (r < 0) {
		snprintf(msg, size, "%s: %s", path, strerror(-r));
		return r;
	}
	r = vpn_pins_parse(buf, len, ret, &bad);
	if (r == -EINVAL)
		snprintf(msg, size, "%s:%u: expected TENANT USER ADDRESS (one user once)", path,
		         bad);
	else if (r < 0)
		snprintf(msg, size, "%s: %s", path, strerror(-r));
	free(buf);
	return r;
}
