// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A test double of the daemon: the real state directory, engine, handlers
 * and control socket, with a backend that writes the rendered ruleset to a
 * file instead of the kernel. Lets tests drive fwctl end to end without root.
 * Usage: fwd-testd STATE_DIR SOCKET RULESET_FILE
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwd/ctl_server.h"
#include "fwd/handlers.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int file_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                      struct fw_diags *diags)
{
	const char *path = ctx;
	char *text = plan_render(plan);
	FILE *f;

	(void)old;
	(void)diags;
	if (!text)
		return -ENOMEM;
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		free(text);
		return -EIO;
	}
	free(text);
	return 0;
}

/* The VPN interfaces as a backend would report them: no devices here, so
 * no peers, and one fixed public key (what `fwctl vpn user add` puts in a
 * client's configuration). */
#define TESTD_VPN_KEY "dGVzdGQtdnBuLXNlcnZlci1wdWJsaWMta2V5LTAwMDA="

static int vpn_status(void *ctx, const struct fw_vpn_plan *plan, const char *tenant,
                      struct fw_vpn_status *ret)
{
	(void)ctx;
	ret->ifaces = calloc(plan->n_ifaces ? plan->n_ifaces : 1, sizeof(*ret->ifaces));
	if (!ret->ifaces)
		return -ENOMEM;
	for (size_t i = 0; i < plan->n_ifaces; i++) {
		const struct fw_vpn_iface *f = &plan->ifaces[i];
		struct fw_vpn_iface_status *s = &ret->ifaces[ret->n_ifaces];

		if (tenant && strcmp(tenant, f->tenant))
			continue;
		snprintf(s->ifname, sizeof(s->ifname), "%s", f->ifname);
		snprintf(s->tenant, sizeof(s->tenant), "%s", f->tenant);
		snprintf(s->public_key, sizeof(s->public_key), "%s", TESTD_VPN_KEY);
		s->impl = "test";
		s->listen_port = f->listen_port;
		ret->n_ifaces++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct fw_backend be = {file_apply, NULL, NULL};
	struct fw_daemon dm = {.group = (gid_t)-1};
	struct ctl_server *srv;
	struct fw_diags d = {0};
	struct sigaction sa = {.sa_handler = on_signal};

	if (argc != 4) {
		fprintf(stderr, "usage: fwd-testd STATE_DIR SOCKET RULESET_FILE\n");
		return 2;
	}
	be.ctx = argv[3];
	dm.vpn_status = vpn_status;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (fw_state_open(argv[1], &dm.state) < 0 || fw_engine_new(dm.state, &be, &dm.engine) < 0 ||
	    fw_engine_boot(dm.engine, &d) < 0 ||
	    ctl_server_open(argv[2], 0600, (gid_t)-1, NULL, fw_daemon_handle, &dm, &srv) < 0) {
		fprintf(stderr, "fwd-testd: cannot start\n");
		return 1;
	}
	while (!stop) {
		ctl_server_dispatch(srv, 100);
		fw_engine_tick(dm.engine, time(NULL), &d);
	}
	ctl_server_close(srv);
	fw_engine_free(dm.engine);
	fw_state_close(dm.state);
	fw_diags_free(&d);
	return 0;
}
