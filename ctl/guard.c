// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fwctl's side of the lockout guard and of revocation: where the engineer
 * is ($SSH_CONNECTION or --from-address), sent with apply and rollback so
 * fwd can refuse a change that cuts him off; and what a change cut.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwctl.h"
#include "fwd/origin.h"
#include "fwd/proto.h"

/* $SSH_CONNECTION: "CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT". Addresses
 * as ssh writes them, and --from-address ADDR[,TO[:PORT]]: policy/origin.c
 * (fwd --git-mgmt-from takes the same). */
static int parse_ssh_connection(const char *s, struct fw_mgmt_origin *o)
{
	char f[4][INET6_ADDRSTRLEN + 16];
	char extra;
	uint16_t client_port;

	memset(o, 0, sizeof(*o));
	if (strlen(s) > 4 * INET6_ADDRSTRLEN ||
	    sscanf(s, "%61s %61s %61s %61s %c", f[0], f[1], f[2], f[3], &extra) != 4)
		return -EINVAL;
	if (!(o->family = fw_origin_addr_parse(f[0], strlen(f[0]), o->from)) ||
	    fw_origin_parse_port(f[1], &client_port) < 0 ||
	    fw_origin_addr_parse(f[2], strlen(f[2]), o->to) != o->family ||
	    fw_origin_parse_port(f[3], &o->port) < 0)
		return -EINVAL;
	o->has_to = true;
	return 0;
}

int ctl_origin(const char *cmd, const char *from_address, struct fwp_request *req)
{
	const char *ssh = getenv("SSH_CONNECTION");

	if (from_address) {
		if (fw_origin_parse(from_address, &req->origin) < 0) {
			fprintf(stderr,
			        "fwctl %s: --from-address takes ADDRESS[,TO[:PORT]] (IPv6 with a "
			        "port: [TO]:PORT), found '%s'\n",
			        cmd, from_address);
			return -EINVAL;
		}
		req->has_origin = true;
	} else if (ssh && *ssh) {
		/* Without it the guard cannot protect this session: say so. */
		if (parse_ssh_connection(ssh, &req->origin) < 0) {
			fprintf(stderr,
			        "fwctl %s: warning: cannot read $SSH_CONNECTION ('%.100s'); use "
			        "--from-address to name where you are\n",
			        cmd, ssh);
			return 0;
		}
		req->has_origin = true;
	}
	return 0;
}

void ctl_print_change(json_t *res)
{
	json_int_t n = json_integer_value(json_object_get(res, "revoked"));
	json_t *forced = json_object_get(res, "forced"),
	       *err = json_object_get(res, "revoke_error");

	if (json_is_string(forced))
		fprintf(stderr, "fwctl: warning: forced: %s\n", json_string_value(forced));
	if (n)
		printf("cut %lld open connection%s the new policy does not allow\n", (long long)n,
		       n == 1 ? "" : "s");
	if (json_integer_value(json_object_get(res, "revoke_failed")))
		fprintf(stderr, "fwctl: warning: %lld open connections could not be cut\n",
		        (long long)json_integer_value(json_object_get(res, "revoke_failed")));
	if (json_is_true(json_object_get(res, "revoke_capped")))
		fprintf(stderr, "fwctl: warning: not every open connection was checked (fwd "
		                "--revoke-max); the rest stay open\n");
	if (json_is_string(err))
		fprintf(stderr, "fwctl: warning: open connections were not checked: %s\n",
		        json_string_value(err));
}
