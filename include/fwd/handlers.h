/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's answers to control requests (a ctl_handler for ctl_server). */
#ifndef FWD_HANDLERS_H
#define FWD_HANDLERS_H

#include <sys/types.h>

#include "fwd/counters.h"
#include "fwd/ctl_server.h"
#include "fwd/engine.h"
#include "fwd/logs.h"
#include "fwd/proto.h"
#include "fwd/state.h"
#include "fwd/vpnstatus.h"

struct fw_daemon {
	struct fw_state *state;
	struct fw_engine *engine;
	gid_t group; /* the fwd group: may change things; (gid_t)-1: root only */
	/* logs (fwd/handlers_logs.c); logs NULL: the daemon keeps none */
	struct ctl_server *srv; /* where followers subscribe */
	struct fw_logs *logs;
	bool nflog_listening;        /* the NFLOG group is bound */
	struct fw_nflog_stats nflog; /* the listener's counters, as of its last read */
	/* counters (fwd/handlers_counters.c): the kernel's reader; NULL: none */
	fw_counters_fn counters;
	void *counters_ctx;
	/* vpn status (fwd/handlers_vpn.c): the devices' reader; NULL: none */
	fw_vpn_status_fn vpn_status;
	void *vpn_status_ctx;
	/* gitops (fwd/handlers_gitops.c, include/fwd/gitops.h); NULL: fwd
	 * follows no repository */
	const struct fw_daemon_git *git;
	void *git_ctx;
};

/* What gitops offers the handlers (fwd plugs in fw_gitops_daemon_ops). */
struct fw_daemon_git {
	/* `sync`: 0 and the commit's record (new reference), or -errno and a
	 * message in err */
	int (*sync)(void *ctx, const char *commit, const char *who, json_t **ret, char *err,
	            size_t err_size);
	/* the "git" object of `status` (new reference) */
	json_t *(*status)(void *ctx);
};

char *fw_daemon_handle(void *userdata, const struct ctl_peer *peer, const struct fwp_request *req);

/* `logs`: the kept records, and with follow the client becomes a follower. */
char *fw_daemon_logs(struct fw_daemon *dm, const struct ctl_peer *peer,
                     const struct fwp_request *req);
/* A packet from the NFLOG listener (an fw_nflog_cb; data: the daemon):
 * named, kept, and sent to the followers. */
void fw_daemon_log_packet(const struct fw_log_packet *pkt, void *data);
/* `counters`: hits per policy item of the live plan (all or one tenant). */
char *fw_daemon_counters(struct fw_daemon *dm, const struct fwp_request *req);
/* `vpn-status`: peers of the live plan's WireGuard interfaces (all or one
 * tenant's): handshake, bytes, endpoint. */
char *fw_daemon_vpn_status(struct fw_daemon *dm, const struct fwp_request *req);
/* fwd/handlers_gitops.c: `sync`, and the "git" member of `status`'s result
 * (nothing when fwd follows no repository). */
char *fw_daemon_sync(struct fw_daemon *dm, const struct fwp_request *req,
                     const struct fw_state_meta *who);
void fw_daemon_git_status(struct fw_daemon *dm, json_t *status);

/* fwd/handlers_change.c: `diff` (what apply of these files would change),
 * `rule-add` / `rule-del` (one rule into or out of the live generation's
 * tenant file, then applied like any change), `history GEN` (one
 * generation with its stored diff). */
char *fw_daemon_diff(struct fw_daemon *dm, const struct fwp_request *req);
char *fw_daemon_rule(struct fw_daemon *dm, const struct fwp_request *req,
                     const struct fw_state_meta *who);
char *fw_daemon_history_one(struct fw_daemon *dm, const struct fwp_request *req);
/* Any such edit of the live generation's file of req->tenant, applied with
 * the history and audit entry `source`; refusals start with `what`.
 * answer (may be NULL) adds to a successful answer's result. */
struct fw_policy_source;
struct fw_daemon_edit {
	const char *what;   /* "rule add refused" */
	const char *source; /* "fwctl rule add" */
	int (*edit)(const struct fwp_request *req, const struct fw_policy_source *f, char **ret,
	            size_t *ret_len, char *err, size_t err_size);
	void (*answer)(struct fw_daemon *dm, const struct fwp_request *req, json_t *res);
};
char *fw_daemon_edit_live(struct fw_daemon *dm, const struct fwp_request *req,
                          const struct fw_state_meta *who, const struct fw_daemon_edit *ed);
/* fwd/handlers_vpn_edit.c: `vpn-edit` (a VPN user or site into or out of
 * the tenant file; user-add answers what the client's configuration needs)
 * and `vpn-list`. */
char *fw_daemon_vpn_edit(struct fw_daemon *dm, const struct fwp_request *req,
                         const struct fw_state_meta *who);
char *fw_daemon_vpn_list(struct fw_daemon *dm, const struct fwp_request *req);

/* Shared by the handler files (fwd/handlers.c): diagnostics as JSON, an
 * error response naming the error count (with diagnostics), the lockout
 * guard's refusal, a generation's metadata as JSON. */
json_t *fw_daemon_diags_json(const struct fw_diags *d);
char *fw_daemon_error(uint64_t id, int r, const char *what, struct fw_diags *d);
char *fw_daemon_refusal(uint64_t id, const char *what, const struct fw_diags *d);
json_t *fw_daemon_generation_json(const struct fw_generation *g);

#endif
