// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fwctl vpn SUBCOMMAND: the WireGuard side of the appliance. `status`
 * shows each interface's peers as the devices report them. Subcommands are
 * a table, so `user add|del`, `list` and `site add|del` join it as they come.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fwctl.h"
#include "fwd/proto.h"

static void human_bytes(long long n, char *buf, size_t size)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lld B", n);
	else
		snprintf(buf, size, "%.1f %s", v, unit[u]);
}

static void ago(long long when, char *buf, size_t size)
{
	long long d = (long long)time(NULL) - when;

	if (when == 0)
		snprintf(buf, size, "never");
	else if (d < 0)
		snprintf(buf, size, "just now");
	else if (d < 120)
		snprintf(buf, size, "%lld s ago", d);
	else if (d < 7200)
		snprintf(buf, size, "%lld min ago", d / 60);
	else
		snprintf(buf, size, "%lld h ago", d / 3600);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void print_iface(json_t *f)
{
	json_t *p;
	size_t i;

	printf("interface %s (tenant %s", str(f, "interface"), str(f, "tenant"));
	if (*str(f, "implementation"))
		printf(", %s", str(f, "implementation"));
	printf(")\n");
	if (*str(f, "error")) {
		printf("  error: %s\n", str(f, "error"));
		return;
	}
	printf("  public key %s, listening on udp/%lld\n", str(f, "public_key"),
	       (long long)json_integer_value(json_object_get(f, "listen_port")));
	json_array_foreach(json_object_get(f, "peers"), i, p)
	{
		char hs[32], rx[32], tx[32];

		ago(json_integer_value(json_object_get(p, "latest_handshake")), hs, sizeof(hs));
		human_bytes(json_integer_value(json_object_get(p, "rx_bytes")), rx, sizeof(rx));
		human_bytes(json_integer_value(json_object_get(p, "tx_bytes")), tx, sizeof(tx));
		printf("  %s %s\n", str(p, "kind"), *str(p, "name") ? str(p, "name") : "-");
		printf("    public key %s\n", str(p, "public_key"));
		printf("    allowed ips %s\n", str(p, "allowed_ips"));
		printf("    endpoint %s\n",
		       *str(p, "endpoint") ? str(p, "endpoint") : "(none yet)");
		printf("    latest handshake %s, received %s, sent %s\n", hs, rx, tx);
	}
}

static int vpn_status(struct ctl *ctl, int argc, char **argv)
{
	struct fwp_request req = {.command = FWP_VPN_STATUS};
	json_t *resp = NULL, *res = NULL, *f;
	size_t i;
	int code;

	if (argc > 1 || (argc == 1 && argv[0][0] == '-')) {
		fprintf(stderr, "usage: fwctl vpn status [TENANT]\n");
		return EXIT_USAGE;
	}
	req.tenant = argc ? argv[0] : NULL;
	code = ctl_simple(ctl, &req, &resp, &res);
	if (res) {
		json_array_foreach(json_object_get(res, "interfaces"), i, f) print_iface(f);
		if (json_array_size(json_object_get(res, "interfaces")) == 0)
			printf("no tenant has a vpn\n");
	}
	json_decref(resp);
	return code;
}

int cmd_vpn(struct ctl *ctl, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct ctl *, int, char **);
	} sub[] = {
	    {"status", vpn_status},
	};

	for (size_t i = 0; argc > 0 && i < sizeof(sub) / sizeof(sub[0]); i++)
		if (!strcmp(argv[0], sub[i].name))
			return sub[i].fn(ctl, argc - 1, argv + 1);
	fprintf(stderr, "usage: fwctl vpn status [TENANT]\n");
	return EXIT_USAGE;
}
