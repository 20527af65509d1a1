// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vpn-status`: every WireGuard interface of the live plan (or one
 * tenant's) with its peers: latest handshake, bytes, endpoint, named by the
 * plan. The reader is the backend's callback (fwd/vpn_status.c); this file
 * only shapes the answer. Public keys only: a private key never reaches
 * this code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/handlers.h"
#include "fwd/vpnstatus.h"

void fw_vpn_status_clear(struct fw_vpn_status *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_ifaces; i++)
		free(s->ifaces[i].peers);
	free(s->ifaces);
	s->ifaces = NULL;
	s->n_ifaces = 0;
}

static json_t *peer_json(const struct fw_vpn_peer_status *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:I, s:I, s:I}", "public_key", p->key_b64,
	                 "kind", p->kind, "name", p->name, "allowed_ips", p->allowed, "endpoint",
	                 p->endpoint[0] ? p->endpoint : NULL, "latest_handshake",
	                 (json_int_t)p->handshake, "rx_bytes", (json_int_t)p->rx_bytes, "tx_bytes",
	                 (json_int_t)p->tx_bytes);
}

static json_t *iface_json(const struct fw_vpn_iface_status *f)
{
	json_t *peers = json_array();
	json_t *o;

	for (size_t i = 0; peers && i < f->n_peers; i++)
		json_array_append_new(peers, peer_json(&f->peers[i]));
	o = json_pack("{s:s, s:s, s:s?, s:s?, s:i, s:s?, s:o}", "interface", f->ifname, "tenant",
	              f->tenant, "implementation", f->impl, "public_key",
	              f->public_key[0] ? f->public_key : NULL, "listen_port", f->listen_port,
	              "error", f->error[0] ? f->error : NULL, "peers",
	              peers ? peers : json_array());
	return o;
}

char *fw_daemon_vpn_status(struct fw_daemon *dm, const struct fwp_request *req)
{
	const struct fw_plan *plan = fw_engine_plan(dm->engine);
	struct fw_vpn_status st = {0};
	json_t *a;
	int r;

	if (!plan)
		return fwp_response_error(req->id, -ENOENT, "no policy is live yet", NULL);
	if (req->tenant) {
		bool found = false;
		for (size_t i = 0; i < plan->vpn.n_ifaces; i++)
			found |= !strcmp(plan->vpn.ifaces[i].tenant, req->tenant);
		if (!found)
			return fwp_response_error(req->id, -ENOENT, "no such tenant with a vpn",
			                          NULL);
	}
	if (!dm->vpn_status)
		return fwp_response_error(req->id, -EOPNOTSUPP, "this daemon has no VPN backend",
		                          NULL);
	r = dm->vpn_status(dm->vpn_status_ctx, &plan->vpn, req->tenant, &st);
	if (r < 0)
		return fwp_response_error(req->id, r, "vpn status", NULL);
	a = json_array();
	for (size_t i = 0; a && i < st.n_ifaces; i++)
		json_array_append_new(a, iface_json(&st.ifaces[i]));
	fw_vpn_status_clear(&st);
	return fwp_response_ok(req->id, json_pack("{s:o}", "interfaces", a ? a : json_array()));
}
