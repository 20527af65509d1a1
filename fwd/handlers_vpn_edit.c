// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vpn-edit`: a VPN user or site into or out of the live generation's
 * tenant file (the text edited as a person would, then the normal apply
 * path with history and audit, like rule-add), and `vpn-list`.
 *
 * A new user's answer carries what the client's wg-quick configuration
 * needs and only fwd knows: the address it was given (`auto` is resolved
 * here), the DNS servers, the firewall interface's public key and endpoint,
 * and AllowedIPs limited to what the user may reach. The request holds a
 * public key only: the user's private key never leaves fwctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/edit_vpn.h"
#include "fwd/handlers.h"
#include "fwd/vpnclient.h"
#include "fwd/vpnstatus.h"

static int vpn_edit(const struct fwp_request *req, const struct fw_policy_source *f, char **ret,
                    size_t *ret_len, char *err, size_t err_size)
{
	const struct fwp_vpn_edit *v = &req->vpn;

	if (!strcmp(v->op, "user-add")) {
		struct fw_vpn_user_spec u = {
		    .name = v->name,
		    .address = v->address,
		    .public_key = v->public_key,
		    .groups = v->groups,
		    .n_groups = v->n_groups,
		};
		return fw_edit_vpn_user_add(f->name, f->data, f->len, &u, ret, ret_len, err,
		                            err_size);
	}
	if (!strcmp(v->op, "site-add")) {
		struct fw_vpn_site_spec s = {
		    .name = v->name,
		    .public_key = v->public_key,
		    .networks = v->networks,
		    .n_networks = v->n_networks,
		    .endpoint = v->endpoint,
		    .keepalive = v->keepalive,
		};
		return fw_edit_vpn_site_add(f->name, f->data, f->len, &s, ret, ret_len, err,
		                            err_size);
	}
	if (!strcmp(v->op, "user-del"))
		return fw_edit_vpn_user_del(f->name, f->data, f->len, v->name, ret, ret_len, err,
		                            err_size);
	return fw_edit_vpn_site_del(f->name, f->data, f->len, v->name, ret, ret_len, err, err_size);
}

static const struct fw_tenant *live_tenant(struct fw_daemon *dm, const char *name)
{
	const struct fw_policy *p = fw_engine_policy(dm->engine);

	for (size_t i = 0; p && i < p->n_tenants; i++)
		if (!strcmp(p->tenants[i].name, name))
			return &p->tenants[i];
	return NULL;
}

/* The firewall interface's public key, as the VPN backend reports it. */
static void server_key(struct fw_daemon *dm, const char *tenant, char ret[FW_WG_KEY_B64_SIZE])
{
	const struct fw_plan *plan = fw_engine_plan(dm->engine);
	struct fw_vpn_status st = {0};

	ret[0] = '\0';
	if (!plan || !dm->vpn_status ||
	    dm->vpn_status(dm->vpn_status_ctx, &plan->vpn, tenant, &st) < 0)
		return;
	for (size_t i = 0; i < st.n_ifaces && !ret[0]; i++)
		if (!strcmp(st.ifaces[i].tenant, tenant))
			snprintf(ret, FW_WG_KEY_B64_SIZE, "%s", st.ifaces[i].public_key);
	fw_vpn_status_clear(&st);
}

static void user_answer(struct fw_daemon *dm, const struct fwp_request *req, json_t *res)
{
	const struct fw_tenant *t = live_tenant(dm, req->tenant);
	const struct fw_vpn_user *u = NULL;
	struct fw_prefix *ips = NULL;
	size_t n_ips = 0;
	char addr[64], ep[96] = "", key[FW_WG_KEY_B64_SIZE], *ips_text = NULL;
	json_t *dns, *o;

	for (size_t i = 0; t && i < t->vpn.n_users; i++)
		if (!strcmp(t->vpn.users[i].name, req->vpn.name))
			u = &t->vpn.users[i];
	if (!u || vpn_client_allowed_ips(fw_engine_policy(dm->engine), req->tenant, req->vpn.name,
	                                 &ips, &n_ips) < 0)
		return;
	ips_text = vpn_client_prefixes_text(ips, n_ips);
	free(ips);
	fw_prefix_format(&u->addr, addr, sizeof(addr));
	if (t->n_public) {
		char pub[64];
		fw_addr_format(&t->public_addrs[0], pub, sizeof(pub));
		snprintf(ep, sizeof(ep), t->public_addrs[0].family == 6 ? "[%s]:%u" : "%s:%u", pub,
		         t->vpn.listen_port);
	}
	server_key(dm, req->tenant, key);
	dns = json_array();
	for (size_t i = 0; dns && i < t->vpn.n_dns; i++) {
		char d[64];
		fw_addr_format(&t->vpn.dns[i], d, sizeof(d));
		json_array_append_new(dns, json_string(d));
	}
	o = json_pack("{s:s, s:s, s:o, s:s?, s:s?, s:s, s:i}", "user", u->name, "address", addr,
	              "dns", dns ? dns : json_array(), "server_public_key", key[0] ? key : NULL,
	              "endpoint", ep[0] ? ep : NULL, "allowed_ips", ips_text ? ips_text : "",
	              "listen_port", (int)t->vpn.listen_port);
	free(ips_text);
	if (o)
		json_object_set_new(res, "vpn_user", o);
}

char *fw_daemon_vpn_edit(struct fw_daemon *dm, const struct fwp_request *req,
                         const struct fw_state_meta *who)
{
	static const struct {
		const char *op, *what, *source;
	} ops[] = {
	    {"user-add", "vpn user add refused", "fwctl vpn user add"},
	    {"user-del", "vpn user del refused", "fwctl vpn user del"},
	    {"site-add", "vpn site add refused", "fwctl vpn site add"},
	    {"site-del", "vpn site del refused", "fwctl vpn site del"},
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(req->vpn.op, ops[i].op)) {
			const struct fw_daemon_edit ed = {
			    .what = ops[i].what,
			    .source = ops[i].source,
			    .edit = vpn_edit,
			    .answer = i == 0 ? user_answer : NULL,
			};
			return fw_daemon_edit_live(dm, req, who, &ed);
		}
	return fwp_response_error(req->id, -EINVAL, "unknown vpn-edit op", NULL);
}

static json_t *tenant_json(const struct fw_tenant *t)
{
	json_t *users = json_array(), *sites = json_array();
	char buf[64];

	for (size_t i = 0; users && i < t->vpn.n_users; i++) {
		const struct fw_vpn_user *u = &t->vpn.users[i];
		json_t *g = json_array();

		for (size_t j = 0; g && j < u->n_groups; j++)
			json_array_append_new(g, json_string(t->vpn.groups[u->groups[j]].name));
		buf[0] = '\0';
		if (u->addr.family)
			fw_addr_format(&u->addr, buf, sizeof(buf));
		json_array_append_new(users,
		                      json_pack("{s:s, s:s, s:b, s:s?, s:o}", "name", u->name,
		                                "address", buf, "auto", u->auto_addr, "public_key",
		                                u->public_key, "groups", g ? g : json_array()));
	}
	for (size_t i = 0; sites && i < t->vpn.n_sites; i++) {
		const struct fw_vpn_site *s = &t->vpn.sites[i];
		json_t *nets = json_array();

		for (size_t j = 0; nets && j < s->n_networks; j++) {
			fw_prefix_format(&s->networks[j], buf, sizeof(buf));
			json_array_append_new(nets, json_string(buf));
		}
		json_array_append_new(
		    sites, json_pack("{s:s, s:s?, s:s, s:o, s:i}", "name", s->name, "endpoint",
		                     s->endpoint, "public_key", s->public_key, "networks",
		                     nets ? nets : json_array(), "keepalive", (int)s->keepalive));
	}
	fw_prefix_format(&t->vpn.pool, buf, sizeof(buf));
	return json_pack("{s:s, s:s, s:i, s:s, s:o, s:o}", "tenant", t->name, "interface",
	                 t->vpn.ifname, "listen_port", (int)t->vpn.listen_port, "pool", buf,
	                 "users", users ? users : json_array(), "sites",
	                 sites ? sites : json_array());
}

char *fw_daemon_vpn_list(struct fw_daemon *dm, const struct fwp_request *req)
{
	const struct fw_policy *p = fw_engine_policy(dm->engine);
	json_t *a;
	bool found = false;

	if (!p)
		return fwp_response_error(req->id, -ENOENT, "no policy is live yet", NULL);
	a = json_array();
	for (size_t i = 0; a && i < p->n_tenants; i++) {
		const struct fw_tenant *t = &p->tenants[i];
		if (req->tenant && strcmp(t->name, req->tenant))
			continue;
		found |= req->tenant != NULL;
		if (t->vpn.present)
			json_array_append_new(a, tenant_json(t));
	}
	if (req->tenant && !found) {
		json_decref(a);
		return fwp_response_error(req->id, -ENOENT, "no such tenant", NULL);
	}
	return fwp_response_ok(req->id, json_pack("{s:o}", "tenants", a ? a : json_array()));
}
