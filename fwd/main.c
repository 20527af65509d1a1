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
#include "fwd/gitops.h"
#include "fwd/handlers.h"
#include "fwd/nflog.h"
#include "fwd/plan.h"
#include "backend_stack.h"
#include "ct_revoke.h"
#include "l2.h"
#include "nft_batch.h"
#include "nft_counters.h"
#include "vpn_backend.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The NFLOG listener feeds `fwctl logs` through the control loop. */
struct log_feed {
	struct fw_daemon *dm;
	struct ctl_server *srv;
	struct fw_nflog *nl;
};

static void on_nflog(void *data)
{
	struct log_feed *f = data;
	/* A bounded batch per turn: under a flood of drops fwctl is still
	 * served in between, and what the socket cannot hold is counted. */
	int r = fw_nflog_read(f->nl, 16, fw_daemon_log_packet, f->dm);

	fw_nflog_get_stats(f->nl, &f->dm->nflog);
	if (r < 0) {
		fprintf(stderr, "fwd: NFLOG: %s: no more logs\n", strerror(-r));
		ctl_server_unwatch(f->srv, fw_nflog_fd(f->nl));
		f->dm->nflog_listening = false;
	}
}

/* Without logs the firewall works all the same: a failure is reported. */
static void logs_start(struct log_feed *f)
{
	int r = fw_logs_new(FW_LOGS_KEEP, &f->dm->logs);

	if (r == 0)
		r = fw_nflog_open(FW_NFLOG_GROUP, &f->nl);
	if (r == 0)
		r = ctl_server_watch(f->srv, fw_nflog_fd(f->nl), on_nflog, f);
	if (r < 0) {
		fprintf(stderr, "fwd: NFLOG group %d: %s%s: fwctl logs shows nothing\n",
		        FW_NFLOG_GROUP, strerror(-r),
		        r == -EPERM ? " (another program listens to it, or no CAP_NET_ADMIN)" : "");
		return;
	}
	f->dm->nflog_listening = true;
}

/* Drift: the kernel's ruleset against the live plan, checked when another
 * process changed the ruleset and every --drift-interval seconds. */
static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_nft_event(void *data)
{
	nft_monitor_read(data, mono_ms());
}

static void drift_check(struct fw_engine *e, struct nft_monitor *m)
{
	struct fw_drift dr;
	struct fw_diags d = {0};
	uint64_t start = mono_ms();

	(void)fw_engine_check_drift(e, time(NULL), &dr, &d);
	if (dr.tables)
		fprintf(stderr, "fwd: drift: %zu table%s not as planned, %s: %s\n", dr.tables,
		        dr.tables == 1 ? "" : "s", dr.repaired ? "restored" : "NOT restored",
		        dr.detail);
	else if (dr.l2_steps)
		fprintf(stderr, "fwd: drift: links not as planned, %s: %s\n",
		        dr.repaired ? "restored" : "NOT restored", dr.detail);
	fw_diags_print(&d, stderr, "fwd: ");
	fw_diags_free(&d);
	nft_monitor_checked(m, start, mono_ms());
}

/* A whole decimal number from 0 to max, nothing else. */
static bool parse_number(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return false;
	*ret = v;
	return true;
}

static void on_git_log(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "fwd: git: %s\n", line);
}

static void usage(FILE *f)
{
	fputs(
	    "usage: fwd [--state-dir DIR] [--socket PATH] [--group NAME]\n"
	    "  --state-dir DIR   generations, history and audit log (default /var/lib/fwd)\n"
	    "  --socket PATH     control socket for fwctl (default /run/fwd/fwd.sock)\n"
	    "  --group NAME      group allowed to change the policy (default fwd, if it exists)\n"
	    "  --revoke-max N    tracked connections examined per change to cut revoked ones\n"
	    "                    (default 65536; 0: never cut connections)\n"
	    "  --drift-interval S  compare the kernel with the plan every S seconds, and when\n"
	    "                    another program changes the ruleset (default 30; 0: events only)\n"
	    "  --keep-history N  generations kept in the state directory (default 100; 0: all)\n"
	    "  --l2 on|off       make the plan's bridges, VLANs and gateways (default on)\n"
	    "  --wireguard MODE  VPN interfaces: kernel, userspace (wireguard-go) or auto\n"
	    "                    (default: the kernel's module when it works)\n" FW_GIT_USAGE
	    "See fwd(8).\n",
	    f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"state-dir", required_argument, NULL, 'd'},
	    {"socket", required_argument, NULL, 's'},
	    {"group", required_argument, NULL, 'g'},
	    {"revoke-max", required_argument, NULL, 'R'},
	    {"drift-interval", required_argument, NULL, 'I'},
	    {"keep-history", required_argument, NULL, 'K'},
	    {"l2", required_argument, NULL, 'L'},
	    {"wireguard", required_argument, NULL, 'W'},
	    FW_GIT_LONG_OPTIONS,
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *state_dir = "/var/lib/fwd", *socket_path = "/run/fwd/fwd.sock", *group = "fwd";
	struct nft_apply_opts nft_opts = {.verify = true};
	struct fw_backend be = {nft_backend_apply, NULL, nft_backend_check};
	struct nft_backend *nb = NULL;
	struct vpn_backend_opts vpn_opts = {.mode = WG_MODE_AUTO};
	struct vpn_backend *vb = NULL;
	struct backend_stack stack = {0};
	struct l2_backend *lb = NULL;
	bool l2 = true;
	char vpn_msg[512];
	struct nft_monitor *mon = NULL;
	unsigned long drift_interval = 30, keep_history = 100, revoke_max = CT_REVOKE_DEFAULT_MAX;
	struct ct_revoke_opts ct_opts = {CT_REVOKE_DEFAULT_MAX};
	struct fw_daemon dm = {.group = (gid_t)-1, .counters = nft_counters_read};
	struct sigaction sa = {.sa_handler = on_signal};
	struct ctl_server *srv = NULL;
	struct log_feed feed = {.dm = &dm};
	struct fw_diags d = {0};
	struct group *gr;
	struct fw_git_config git_cfg = {0};
	struct fw_gitops *gitops = NULL;
	char git_msg[512];
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
		case 'R':
			if (!parse_number(optarg, CT_REVOKE_LIMIT, &revoke_max)) {
				fprintf(stderr, "fwd: --revoke-max takes a number from 0 to %d\n",
				        CT_REVOKE_LIMIT);
				return 2;
			}
			ct_opts.max_entries = revoke_max;
			break;
		case 'I':
			if (!parse_number(optarg, 86400, &drift_interval)) {
				fprintf(stderr,
				        "fwd: --drift-interval takes seconds, 0 to 86400\n");
				return 2;
			}
			break;
		case 'K':
			if (!parse_number(optarg, FW_STATE_MAX_GENERATION, &keep_history)) {
				fprintf(stderr, "fwd: --keep-history takes a number from 0 to %u\n",
				        FW_STATE_MAX_GENERATION);
				return 2;
			}
			break;
		case 'L':
			if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
				fprintf(stderr, "fwd: --l2 takes on or off\n");
				return 2;
			}
			l2 = !strcmp(optarg, "on");
			break;
		case 'W':
			if (!strcmp(optarg, "auto"))
				vpn_opts.mode = WG_MODE_AUTO;
			else if (!strcmp(optarg, "kernel"))
				vpn_opts.mode = WG_MODE_KERNEL;
			else if (!strcmp(optarg, "userspace"))
				vpn_opts.mode = WG_MODE_USERSPACE;
			else {
				fprintf(stderr,
				        "fwd: --wireguard takes kernel, userspace or auto\n");
				return 2;
			}
			break;
		case FW_GIT_OPT_FIRST ... FW_GIT_OPT_LAST:
			if (fw_git_option(&git_cfg, c, optarg, git_msg, sizeof(git_msg)) < 0) {
				fprintf(stderr, "fwd: %s\n", git_msg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (fw_git_config_check(&git_cfg, git_msg, sizeof(git_msg)) < 0) {
		fprintf(stderr, "fwd: %s\n", git_msg);
		return 2;
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
	if ((r = nft_backend_new(&nft_opts, &nb)) < 0)
		goto out;
	be.ctx = nb;
	vpn_opts.state_dir = state_dir;
	if ((r = vpn_backend_new(&vpn_opts, &vb, vpn_msg, sizeof(vpn_msg))) < 0) {
		fprintf(stderr, "fwd: vpn: %s\n", vpn_msg);
		goto out;
	}
	/* nftables first: the rules are in place before a peer can send. */
	(void)backend_stack_push(&stack, "nft", &be);
	/* then the links: a new VLAN forwards only what the rules allow */
	if (l2 && (r = l2_backend_new(&lb)) < 0) {
		fprintf(stderr, "fwd: l2: netlink: %s\n", strerror(-r));
		goto out;
	}
	if (l2)
		(void)backend_stack_push(
		    &stack, "l2", &(struct fw_backend){l2_backend_apply, lb, l2_backend_check});
	(void)backend_stack_push(&stack, "vpn",
	                         &(struct fw_backend){vpn_backend_apply, vb, vpn_backend_check});
	be = (struct fw_backend){backend_stack_apply, &stack, backend_stack_check};
	dm.vpn_status = vpn_status_read;
	dm.vpn_status_ctx = vb;
	if ((r = fw_engine_new(dm.state, &be, &dm.engine)) < 0)
		goto out;
	fw_engine_set_load_opts(dm.engine, vpn_backend_load_opts(vb));
	if (ct_opts.max_entries)
		fw_engine_set_revoke(dm.engine, ct_revoke_hook, &ct_opts);
	fw_engine_set_history_limit(dm.engine, keep_history);
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
	dm.srv = feed.srv = srv;
	logs_start(&feed);
	if (fw_git_enabled(&git_cfg)) {
		git_cfg.state_dir = state_dir;
		git_cfg.socket = socket_path;
		r = fw_gitops_new(&git_cfg, dm.state, dm.engine, on_git_log, NULL, &gitops, git_msg,
		                  sizeof(git_msg));
		if (r < 0) {
			fprintf(stderr, "fwd: git: %s\n", git_msg);
			goto out;
		}
		dm.git = &fw_gitops_daemon_ops;
		dm.git_ctx = gitops;
	}
	r = nft_monitor_open((unsigned)drift_interval, &mon);
	if (r == 0)
		r = ctl_server_watch(srv, nft_monitor_fd(mon), on_nft_event, mon);
	if (r < 0) {
		fprintf(stderr, "fwd: ruleset events: %s: no drift checks\n", strerror(-r));
		nft_monitor_close(mon);
		mon = NULL;
		r = 0; /* the firewall works without them */
	}
	sd_notify(0, "READY=1\nSTATUS=serving fwctl");
	while (!stop) {
		int wait = mon ? nft_monitor_timeout(mon, mono_ms(), 1000) : 1000;
		r = ctl_server_dispatch(srv, gitops ? fw_gitops_timeout_ms(gitops, wait) : wait);
		if (r < 0)
			break;
		if (mon && nft_monitor_timeout(mon, mono_ms(), 0) == 0)
			drift_check(dm.engine, mon);
		if (gitops) /* before the engine's: gitops decides its own windows */
			fw_gitops_tick(gitops);
		if (fw_engine_tick(dm.engine, time(NULL), &d) == 1)
			fprintf(stderr, "fwd: a change was not confirmed in time: rolled back\n");
		fw_diags_print(&d, stderr, "fwd: ");
		fw_diags_free(&d);
	}
	sd_notify(0, "STOPPING=1");
	/* The ruleset stays in the kernel: the firewall fails closed. */
out:
	if (mon)
		ctl_server_unwatch(srv, nft_monitor_fd(mon));
	nft_monitor_close(mon);
	ctl_server_close(srv);
	fw_nflog_close(feed.nl);
	fw_logs_free(dm.logs);
	fw_gitops_free(gitops);
	fw_engine_free(dm.engine);
	nft_backend_free(nb);
	l2_backend_free(lb);
	vpn_backend_free(vb);
	fw_state_close(dm.state);
	return r < 0 ? 1 : 0;
}
