/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's answers to control requests (a ctl_handler for ctl_server). */
#ifndef FWD_HANDLERS_H
#define FWD_HANDLERS_H

#include <sys/types.h>

#include "fwd/ctl_server.h"
#include "fwd/engine.h"
#include "fwd/proto.h"
#include "fwd/state.h"

struct fw_daemon {
	struct fw_state *state;
	struct fw_engine *engine;
	gid_t group; /* the fwd group: may change things; (gid_t)-1: root only */
};

char *fw_daemon_handle(void *userdata, const struct ctl_peer *peer, const struct fwp_request *req);

#endif
