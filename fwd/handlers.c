// SPDX-License-Identifier: GPL-2.0-or-later
/* Control requests onto the engine: one function per command, JSON results. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/handlers.h"

static json_t *diags_json(const struct fw_diags *d)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < d->n; i++) {
		const struct fw_diag *x = &d->v[i];
		json_array_append_new(a, json_pack("{s:s, s:s?, s:I, s:I, s:s}", "severity",
		                                   x->sev == FW_SEV_ERROR ? "error" : "warning",
		                                   "file", x->loc.file, "line",
		                                   (json_int_t)x->loc.line, "column",
		                                   (json_int_t)x->loc.col, "message", x->msg));
	}
	return a;
}

static char *error_with(uint64_t id, int r, const char *what, struct fw_diags *d)
{
	char msg[256];

	if (d && d->n_errors)
		snprintf(msg, sizeof(msg), "%s: %zu error%s", what, d->n_errors,
		         d->n_errors == 1 ? "" : "s");
	else
		snprintf(msg, sizeof(msg), "%s: %s", what, strerror(-r));
	return fwp_response_error(id, r, msg, d && d->n ? diags_json(d) : NULL);
}

static json_t *generation_json(const struct fw_generation *g)
{
	return json_pack("{s:I, s:I, s:I, s:s, s:I, s:s, s:s}", "generation",
	                 (json_int_t)g->generation, "parent", (json_int_t)g->parent, "time",
	                 (json_int_t)g->time, "who", g->who, "uid", (json_int_t)g->uid, "source",
	                 g->source, "comment", g->comment);
}

static char *do_status(struct fw_daemon *dm, const struct fwp_request *req)
{
	struct fw_engine_status s;
	json_t *tenants = json_array();
	const struct fw_policy *p = fw_engine_policy(dm->engine);
	json_t *res;

	fw_engine_status(dm->engine, &s);
	for (size_t i = 0; p && tenants && i < p->n_tenants; i++)
		json_array_append_new(tenants,
		                      json_pack("{s:s, s:I, s:I, s:I}", "name", p->tenants[i].name,
		                                "id", (json_int_t)p->tenants[i].id, "zones",
		                                (json_int_t)p->tenants[i].n_zones, "rules",
		                                (json_int_t)p->tenants[i].n_rules));
	res = json_pack(
	    "{s:I, s:I, s:I, s:I, s:o, s:{s:I, s:I, s:I, s:s}}", "live", (json_int_t)s.live,
	    "pending", (json_int_t)s.pending, "previous", (json_int_t)s.previous,
	    "confirm_deadline", (json_int_t)(s.pending ? s.deadline : 0), "tenants",
	    tenants ? tenants : json_array(), "drift", "checked", (json_int_t)s.drift_checked,
	    "repairs", (json_int_t)s.drift_repairs, "found", (json_int_t)s.drift_found, "detail",
	    s.drift_detail ? s.drift_detail : "");
	fw_daemon_git_status(dm, res); /* fwd/handlers_gitops.c */
	return fwp_response_ok(req->id, res);
}

/* The lockout guard's refusal: its reason is the message itself. */
static char *refusal(uint64_t id, const char *what, const struct fw_diags *d)
{
	char msg[512];

	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].sev == FW_SEV_ERROR) {
			snprintf(msg, sizeof(msg), "%s: %s", what, d->v[i].msg);
			return fwp_response_error(id, -EPERM, msg, NULL);
		}
	return fwp_response_error(id, -EPERM, what, NULL);
}

/* What an apply or rollback did besides going live: "revoked" (connections
 * cut), "forced" (the guard's reason), "revoke_failed", "revoke_capped",
 * "revoke_error". */
static json_t *change_json(json_t *o, const struct fw_apply_result *res)
{
	if (!o)
		return NULL;
	json_object_set_new(o, "revoked", json_integer((json_int_t)res->revoke.revoked));
	if (res->revoke.failed)
		json_object_set_new(o, "revoke_failed",
		                    json_integer((json_int_t)res->revoke.failed));
	if (res->revoke.capped)
		json_object_set_new(o, "revoke_capped", json_true());
	if (res->revoke_error < 0)
		json_object_set_new(o, "revoke_error", json_string(strerror(-res->revoke_error)));
	if (res->forced)
		json_object_set_new(o, "forced", json_string(res->reason));
	return o;
}

static struct fw_apply_opts request_opts(const struct fwp_request *req)
{
	return (struct fw_apply_opts){.confirm_seconds = req->confirm,
	                              .origin = req->has_origin ? &req->origin : NULL,
	                              .force = req->force};
}

static char *do_apply(struct fw_daemon *dm, const struct fwp_request *req,
                      const struct fw_state_meta *who)
{
	struct fw_policy_source *src = calloc(req->n_files ? req->n_files : 1, sizeof(*src));
	struct fw_diags d = {0};
	struct fw_apply_opts o = request_opts(req);
	struct fw_apply_result res;
	char *resp;
	int r;

	if (!src)
		return NULL;
	for (size_t i = 0; i < req->n_files; i++)
		src[i] = (struct fw_policy_source){req->files[i].name, req->files[i].content,
		                                   req->files[i].len};
	r = fw_engine_apply_opts(dm->engine, src, req->n_files, who, &o, &d, &res);
	free(src);
	if (r == -EBUSY)
		resp = fwp_response_error(
		    req->id, r, "a change waits for confirm: confirm or roll back first", NULL);
	else if (r == -EPERM)
		resp = refusal(req->id, "apply refused", &d);
	else if (r < 0)
		resp = error_with(req->id, r, "apply refused", &d);
	else
		resp = fwp_response_ok(
		    req->id,
		    change_json(json_pack("{s:I, s:I, s:o}", "generation",
		                          (json_int_t)res.generation, "confirm",
		                          (json_int_t)req->confirm, "warnings", diags_json(&d)),
		                &res));
	fw_diags_free(&d);
	return resp;
}

static char *do_confirm(struct fw_daemon *dm, const struct fwp_request *req,
                        const struct fw_state_meta *who)
{
	struct fw_engine_status s;

	fw_engine_status(dm->engine, &s);
	if (fw_engine_confirm(dm->engine, who) < 0)
		return fwp_response_error(req->id, -ENOENT, "nothing waits for a confirmation",
		                          NULL);
	return fwp_response_ok(req->id, json_pack("{s:I}", "generation", (json_int_t)s.pending));
}

static char *do_rollback(struct fw_daemon *dm, const struct fwp_request *req,
                         const struct fw_state_meta *who)
{
	struct fw_diags d = {0};
	struct fw_apply_opts o = request_opts(req);
	struct fw_apply_result res;
	int r = fw_engine_rollback_opts(dm->engine, req->generation, who, &o, &d, &res);
	char *resp;

	if (r == -ENOENT)
		resp = fwp_response_error(req->id, r,
		                          req->generation ? "no such generation"
		                                          : "the live generation has no parent",
		                          NULL);
	else if (r == -EPERM)
		resp = refusal(req->id, "rollback refused", &d);
	else if (r < 0)
		resp = error_with(req->id, r, "rollback failed", &d);
	else
		resp = fwp_response_ok(req->id, change_json(json_pack("{s:I}", "generation",
		                                                      (json_int_t)res.generation),
		                                            &res));
	fw_diags_free(&d);
	return resp;
}

static char *do_history(struct fw_daemon *dm, const struct fwp_request *req)
{
	struct fw_generation *v;
	size_t n;
	json_t *a;
	int r;

	if (req->generation)
		return fw_daemon_history_one(dm, req);
	r = fw_state_list(dm->state, &v, &n);

	if (r < 0)
		return error_with(req->id, r, "history", NULL);
	a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, generation_json(&v[i]));
	free(v);
	return fwp_response_ok(req->id, json_pack("{s:o}", "generations", a ? a : json_array()));
}

/* The tenants' bridges (fwd/l2plan.h) as text, after their tables. */
static json_t *show_l2(const struct fw_plan *plan, const char *tenant)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < plan->l2.n_bridges; i++) {
		const struct fw_l2_bridge *b = &plan->l2.bridges[i];
		char *text;

		if (tenant && strcmp(b->tenant, tenant))
			continue;
		if (!(text = plan_render_l2_bridge(b))) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "bridge", b->name, "tenant",
		                                   b->tenant, "text", text));
		free(text);
	}
	return a;
}

static char *do_show(struct fw_daemon *dm, const struct fwp_request *req)
{
	const struct fw_plan *plan = fw_engine_plan(dm->engine);
	json_t *tables;

	if (!plan)
		return fwp_response_error(req->id, -ENOENT, "no policy is live yet", NULL);
	tables = json_array();
	for (size_t i = 0; tables && i < plan->n_tables; i++) {
		const struct fw_plan_table *t = &plan->tables[i];
		if (req->tenant && (!t->tenant || strcmp(t->tenant, req->tenant)))
			continue;
		char *text = plan_render_table(t);
		if (!text) {
			json_decref(tables);
			return NULL;
		}
		json_array_append_new(tables, json_pack("{s:s, s:s?, s:s}", "table", t->name,
		                                        "tenant", t->tenant, "ruleset", text));
		free(text);
	}
	if (req->tenant && json_array_size(tables) == 0) {
		json_decref(tables);
		return fwp_response_error(req->id, -ENOENT, "no such tenant", NULL);
	}
	json_t *l2 = show_l2(plan, req->tenant);
	/* the tenants' WireGuard interfaces and peers (public keys only) */
	json_t *vpn = json_array();
	for (size_t i = 0; vpn && i < plan->vpn.n_ifaces; i++) {
		const struct fw_vpn_iface *x = &plan->vpn.ifaces[i];
		char *text;
		if (req->tenant && strcmp(x->tenant, req->tenant))
			continue;
		if (!(text = vpn_plan_render(&plan->vpn, x->tenant)))
			break;
		json_array_append_new(vpn, json_pack("{s:s, s:s, s:s}", "tenant", x->tenant,
		                                     "interface", x->ifname, "text", text));
		free(text);
	}
	return fwp_response_ok(
	    req->id, json_pack("{s:o, s:o, s:o}", "tables", tables ? tables : json_array(), "l2",
	                       l2 ? l2 : json_array(), "vpn", vpn ? vpn : json_array()));
}

/* Root, or a member of the fwd group, may change things; the socket's
 * permissions already keep everyone else out (they get EACCES at connect). */
static bool may_write(const struct fw_daemon *dm, const struct ctl_peer *peer)
{
	struct passwd *pw;
	gid_t groups[64];
	int n = 64;

	if (peer->uid == 0 || (dm->group != (gid_t)-1 && peer->gid == dm->group))
		return true;
	if (dm->group == (gid_t)-1 || !(pw = getpwuid(peer->uid)))
		return false;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == dm->group)
			return true;
	return false;
}

char *fw_daemon_handle(void *userdata, const struct ctl_peer *peer, const struct fwp_request *req)
{
	struct fw_daemon *dm = userdata;
	struct passwd *pw = getpwuid(peer->uid);
	char name[64];
	struct fw_state_meta who = {.who = name, .uid = peer->uid, .source = "fwctl"};

	snprintf(name, sizeof(name), "%s", pw ? pw->pw_name : "?");
	switch (req->command) {
	case FWP_STATUS:
		return do_status(dm, req);
	case FWP_HISTORY:
		return do_history(dm, req);
	case FWP_SHOW:
		return do_show(dm, req);
	case FWP_LOGS:
		return fw_daemon_logs(dm, peer, req);
	case FWP_COUNTERS:
		return fw_daemon_counters(dm, req);
	case FWP_DIFF:
		return fw_daemon_diff(dm, req);
	case FWP_VPN_STATUS:
		return fw_daemon_vpn_status(dm, req);
	case FWP_VPN_LIST:
		return fw_daemon_vpn_list(dm, req);
	case FWP_APPLY:
	case FWP_CONFIRM:
	case FWP_ROLLBACK:
	case FWP_RULE_ADD:
	case FWP_RULE_DEL:
	case FWP_SYNC:
	case FWP_VPN_EDIT:
		if (!may_write(dm, peer)) {
			(void)fw_state_audit(dm->state, "denied", &who, 0,
			                     fwp_command_name(req->command));
			return fwp_response_error(req->id, -EACCES,
			                          "changes need root or the fwd group", NULL);
		}
		if (req->command == FWP_APPLY)
			return do_apply(dm, req, &who);
		if (req->command == FWP_CONFIRM)
			return do_confirm(dm, req, &who);
		if (req->command == FWP_RULE_ADD || req->command == FWP_RULE_DEL)
			return fw_daemon_rule(dm, req, &who);
		if (req->command == FWP_SYNC)
			return fw_daemon_sync(dm, req, &who);
		if (req->command == FWP_VPN_EDIT)
			return fw_daemon_vpn_edit(dm, req, &who);
		return do_rollback(dm, req, &who);
	}
	return fwp_response_error(req->id, -EINVAL, "unknown command", NULL);
}

/* For the handlers in other files (fwd/handlers_change.c). */
json_t *fw_daemon_diags_json(const struct fw_diags *d)
{
	return diags_json(d);
}

char *fw_daemon_error(uint64_t id, int r, const char *what, struct fw_diags *d)
{
	return error_with(id, r, what, d);
}

char *fw_daemon_refusal(uint64_t id, const char *what, const struct fw_diags *d)
{
	return refusal(id, what, d);
}

json_t *fw_daemon_generation_json(const struct fw_generation *g)
{
	return generation_json(g);
}
