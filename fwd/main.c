// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fwd: the firewall daemon. Loads the last-known-good policy at boot, then
 * serves fwctl on the control socket. Its tables stay in the kernel when it
 * stops or crashes (fail closed); a restart loads the same generation again.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "fwd/ctl_server.h"
#include "fwd/handlers.h"
#include "nft_batch.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fputs("usage: fwd [--state-dir DIR] [--socket PATH] [--group NAME]\n"
	      "  --state-dir DIR   generations, history and audit log (default /var/lib/fwd)\n"
	      "  --socket PATH     control socket for fwctl (default /run/fwd/fwd.sock)\n"
	      "  --group NAME      group allowed to change the policy (default fwd, if it exists)\n"
	      "See fwd(8).\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"state-dir", required_argument, NULL, 'd'},
	    {"socket", required_argument, NULL, 's'},
	    {"group", required_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *state_dir = "/var/lib/fwd", *socket_path = "/run/fwd/fwd.sock", *group = "fwd";
	struct nft_apply_opts nft_opts = {0};
	struct fw_backend be = {nft_backend_apply, &nft_opts};
	struct fw_daemon dm = {.group = (gid_t)-1};
	struct sigaction sa = {.sa_handler = on_signal};
	struct ctl_server *srv = NULL;
	struct fw_diags d = {0};
	struct group *gr;
	int c, r;

	while ((c = getopt_long(argc, argv, "d:s:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			state_dir = optarg;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if ((gr = getgrnam(group)))
		dm.group = gr->gr_gid;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = fw_state_open(state_dir, &dm.state);
	if (r < 0) {
		fprintf(stderr, "fwd: state directory %s: %s\n", state_dir, strerror(-r));
		return 1;
	}
	if ((r = fw_engine_new(dm.state, &be, &dm.engine)) < 0)
		goto out;
	/* Last-known-good first: nothing forwards before it is in place. */
	r = fw_engine_boot(dm.engine, &d);
	fw_diags_print(&d, stderr, "fwd: ");
	fw_diags_free(&d);
	if (r < 0) {
		fprintf(stderr, "fwd: cannot load the last-known-good policy: %s\n", strerror(-r));
		goto out;
	}
	mkdir("/run/fwd", 0755);
	r = ctl_server_open(socket_path, 0660, dm.group, NULL, fw_daemon_handle, &dm, &srv);
	if (r < 0) {
		fprintf(stderr, "fwd: control socket %s: %s\n", socket_path, strerror(-r));
		goto out;
	}
	sd_notify(0, "READY=1\nSTATUS=serving fwctl");
	while (!stop) {
		r = ctl_server_dispatch(srv, 1000);
		if (r < 0)
			break;
		if (fw_engine_tick(dm.engine, time(NULL), &d) == 1)
			fprintf(stderr, "fwd: a change was not confirmed in time: rolled back\n");
		fw_diags_print(&d, stderr, "fwd: ");
		fw_diags_free(&d);
	}
	sd_notify(0, "STOPPING=1");
	/* The ruleset stays in the kernel: the firewall fails closed. */
out:
	ctl_server_close(srv);
	fw_engine_free(dm.engine);
	fw_state_close(dm.state);
	return r < 0 ? 1 : 0;
}
