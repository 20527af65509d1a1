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

/* fwd/handlers_change.c: `diff` (what apply of these files would change),
 * `rule-add` / `rule-del` (one rule into or out of the live generation's
 * tenant file, then applied like any change), `history GEN` (one
 * generation with its stored diff). */
char *fw_daemon_diff(struct fw_daemon *dm, const struct fwp_request *req);
char *fw_daemon_rule(struct fw_daemon *dm, const struct fwp_request *req,
                     const struct fw_state_meta *who);
char *fw_daemon_history_one(struct fw_daemon *dm, const struct fwp_request *req);

/* Shared by the handler files (fwd/handlers.c): diagnostics as JSON, an
 * error response naming the error count (with diagnostics), the lockout
 * guard's refusal, a generation's metadata as JSON. */
json_t *fw_daemon_diags_json(const struct fw_diags *d);
char *fw_daemon_error(uint64_t id, int r, const char *what, struct fw_diags *d);
char *fw_daemon_refusal(uint64_t id, const char *what, const struct fw_diags *d);
json_t *fw_daemon_generation_json(const struct fw_generation *g);

#endif
