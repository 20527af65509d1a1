// SPDX-License-Identifier: GPL-2.0-or-later
/* fwctl: check, compile and explain tenant policies (offline commands). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "fwctl.h"
#include "offline.h"

static void usage(FILE *f)
{
	fputs("usage: fwctl [--json] COMMAND [ARGS...]\n"
	      "\n"
	      "Offline commands (no daemon, no root):\n"
	      "  check PATH...                     check tenant policies (files or directories)\n"
	      "  compile PATH...                   print the nftables ruleset the appliance loads\n"
	      "  explain PATH FROM TO SERVICE      allow or deny, and which rule decided\n"
	      "  (each takes --state-dir DIR first: VPN users at the addresses fwd keeps in\n"
	      "  DIR, default " FWD_DEFAULT_STATE_DIR ", readable when root)\n"
	      "\n"
	      "Daemon commands (talk to fwd over its control socket):\n"
	      "  status                            live and pending generations, tenants\n"
	      "  apply [--confirm S] PATH...       check, load atomically; with --confirm roll\n"
	      "                                    back after S seconds unless confirmed;\n"
	      "                                    refused if it cuts your management access\n"
	      "                                    ($SSH_CONNECTION, --from-address A[,TO[:P]])\n"
	      "                                    unless --force or --confirm\n"
	      "  confirm                           keep the pending generation\n"
	      "  rollback [GENERATION]             load an earlier generation (default: parent);\n"
	      "                                    --force, --from-address as for apply\n"
	      "  history [GENERATION]              every applied generation: who, when, how;\n"
	      "                                    one generation with what it changed\n"
	      "  diff [--against OLD] PATH...      what apply would change: accesses opened (+)\n"
	      "                                    and closed (-), then the ruleset diff; exit 0\n"
	      "                                    same, 1 differs, 2 trouble; --against: offline\n"
	      "  rule add TENANT --from X --to Y --service S [--id ID] [--log] [--comment T]\n"
	      "           [--before ID]            add one rule to the live policy and apply it\n"
	      "  rule del TENANT ID                remove one rule from the live policy, apply\n"
	      "  show [TENANT]                     the live ruleset\n"
	      "  logs [-f] [--tenant T] [-n N]     dropped and logged packets, named by tenant,\n"
	      "                                    zone, host and rule; -f: follow new ones\n"
	      "  counters [TENANT]                 packets and bytes each rule and each default\n"
	      "                                    drop matched, by id and file:line\n"
	      "  vpn status [TENANT]               WireGuard peers: latest handshake, bytes,\n"
	      "                                    endpoint, by user and site\n"
	      "  vpn user add NAME [--group G]... [--address A|auto] [--pubkey K]\n"
	      "           [--out FILE.conf|.png] [--tenant T]  add a VPN user and apply; with\n"
	      "                                    no --pubkey: its keys and client config\n"
	      "  vpn user del NAME [--tenant T]    remove a VPN user, apply\n"
	      "  vpn site add NAME --pubkey K --network CIDR... [--endpoint H:P]\n"
	      "           [--keepalive S] [--tenant T]  add a site-to-site peer, apply\n"
	      "  vpn site del NAME [--tenant T]    remove a site, apply\n"
	      "  vpn list [TENANT]                 VPN users (addresses, groups) and sites\n"
	      "  sync [--commit SHA] [--wait]      apply the git branch's tip now (fetched\n"
	      "                                    first); --wait: until its health checks end\n"
	      "\n"
	      "FROM and TO: a host, an address, internet, firewall, vpn:USER, site:NAME,\n"
	      "optionally TENANT/NAME when several tenants are loaded. SERVICE: a service\n"
	      "name (ssh, mssql, ...) or tcp/PORT, udp/PORT, icmp.\n"
	      "\n"
	      "Options:\n"
	      "  --json      machine-readable output on stdout\n"
	      "  --socket P  the daemon's control socket (default " FWD_DEFAULT_SOCKET ")\n"
	      "  --help      this text\n"
	      "  --version   print the version\n"
	      "\n"
	      "Exit status: 0 ok (explain: allow), 1 policy errors, 2 usage or I/O error,\n"
	      "3 explain: deny. See fwctl(8) and fwd-policy(5).\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	struct ctl ctl = {0};
	int c;

	while ((c = getopt_long(argc, argv, "+jhVs:", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctl.json = true;
			break;
		case 's':
			ctl.socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("fwctl %s\n", FWD_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[optind];
	int n = argc - optind - 1;
	char **args = argv + optind + 1;

	/* Options may also follow the command: "fwctl check --json x.yaml". */
	for (int i = 0; i < n; i++)
		if (!strcmp(args[i], "--json")) {
			ctl.json = true;
			memmove(&args[i], &args[i + 1], (size_t)(n - i - 1) * sizeof(*args));
			n--;
			i--;
		}
	if (!strcmp(cmd, "check"))
		return cmd_check(&ctl, n, args);
	if (!strcmp(cmd, "compile"))
		return cmd_compile(&ctl, n, args);
	if (!strcmp(cmd, "explain"))
		return cmd_explain(&ctl, n, args);
	static const struct {
		const char *name;
		int (*fn)(struct ctl *, int, char **);
	} daemon_cmds[] = {
	    {"status", cmd_status},     {"apply", cmd_apply},       {"confirm", cmd_confirm},
	    {"rollback", cmd_rollback}, {"history", cmd_history},   {"show", cmd_show},
	    {"logs", cmd_logs},         {"counters", cmd_counters}, {"diff", cmd_diff},
	    {"rule", cmd_rule},         {"vpn", cmd_vpn_all},       {"sync", cmd_sync},
	};
	for (size_t i = 0; i < sizeof(daemon_cmds) / sizeof(daemon_cmds[0]); i++)
		if (!strcmp(cmd, daemon_cmds[i].name))
			return daemon_cmds[i].fn(&ctl, n, args);
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	fprintf(stderr, "fwctl: unknown command '%s' (see fwctl --help)\n", cmd);
	return EXIT_USAGE;
}
