// SPDX-License-Identifier: GPL-2.0-or-later
/* `logs`: the packets NFLOG reported, named, kept, and streamed to followers. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwd/handlers.h"
#include "fwd/locate.h"

#define LOGS_DEFAULT 100 /* records back when the request names no limit */
#define LOGS_STREAM  "logs"

char *fw_daemon_logs(struct fw_daemon *dm, const struct ctl_peer *peer,
                     const struct fwp_request *req)
{
	size_t limit = req->has_limit ? req->limit : LOGS_DEFAULT;
	json_t *records;

	if (req->tenant && !fw_locate_tenant(fw_engine_policy(dm->engine), req->tenant))
		return fwp_response_error(req->id, -ENOENT, "no such tenant", NULL);
	if (req->follow) {
		int r = dm->srv ? ctl_server_subscribe(dm->srv, peer, LOGS_STREAM, req->tenant)
		                : -EOPNOTSUPP;
		if (r == -EBUSY)
			return fwp_response_error(req->id, r, "too many clients follow the logs",
			                          NULL);
		if (r < 0)
			return fwp_response_error(req->id, r, "cannot follow the logs", NULL);
	}
	records = dm->logs ? fw_logs_recent(dm->logs, req->tenant, limit) : json_array();
	if (!records)
		return NULL;
	return fwp_response_ok(req->id,
	                       json_pack("{s:o, s:b, s:b, s:I, s:I}", "records", records,
	                                 "following", req->follow, "listening", dm->nflog_listening,
	                                 "overruns", (json_int_t)dm->nflog.overruns, "malformed",
	                                 (json_int_t)dm->nflog.malformed));
}

void fw_daemon_log_packet(const struct fw_log_packet *pkt, void *data)
{
	struct fw_daemon *dm = data;
	const struct fw_log_entry *e;
	char in[IF_NAMESIZE], out[IF_NAMESIZE];
	struct timespec now;

	if (!dm->logs)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	fw_logs_ifname(dm->logs, pkt->indev, now.tv_sec, in);
	fw_logs_ifname(dm->logs, pkt->outdev, now.tv_sec, out);
	e = fw_logs_add(dm->logs, fw_engine_policy(dm->engine), pkt, in, out, &now);
	/* JSON only when somebody follows: a flood of drops costs the ring
	 * copy, not a string per packet. */
	if (!dm->srv || !ctl_server_subscribers(dm->srv, LOGS_STREAM))
		return;
	json_t *msg =
	    json_pack("{s:s, s:o?}", "stream", LOGS_STREAM, "record", fw_log_entry_json(e));
	char *line = msg && json_object_get(msg, "record")
	                 ? json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)
	                 : NULL;
	if (line)
		ctl_server_publish(dm->srv, LOGS_STREAM, e->tenant[0] ? e->tenant : NULL, line);
	free(line);
	json_decref(msg);
}
