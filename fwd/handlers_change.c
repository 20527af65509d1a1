// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Changes seen before and after: `diff` (what applying files would change,
 * nothing applied), `rule-add` / `rule-del` (the live generation's tenant
 * file edited as text, then the normal apply path), `history GEN`.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/access.h"
#include "fwd/change.h"
#include "fwd/change_json.h"
#include "fwd/edit.h"
#include "fwd/handlers.h"

_Static_assert(FWP_MAX_RULE_LIST == FW_EDIT_MAX_LIST, "rule list limits agree");
_Static_assert(FWP_MAX_RULE_VALUE == FW_EDIT_MAX_VALUE, "rule value limits agree");

static struct fw_policy_source *request_sources(const struct fwp_request *req)
{
	struct fw_policy_source *src = calloc(req->n_files ? req->n_files : 1, sizeof(*src));

	for (size_t i = 0; src && i < req->n_files; i++)
		src[i] = (struct fw_policy_source){req->files[i].name, req->files[i].content,
		                                   req->files[i].len};
	return src;
}

char *fw_daemon_diff(struct fw_daemon *dm, const struct fwp_request *req)
{
	struct fw_policy_source *src = request_sources(req);
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	struct fw_change *c = NULL;
	char *resp;
	int r;

	if (!src)
		return NULL;
	/* Checked and compiled exactly as apply does; nothing is recorded. */
	r = policy_load_buffers_opts(src, req->n_files, fw_engine_load_opts(dm->engine), &d, &p);
	if (r == 0)
		r = plan_compile(p, &d, &plan);
	if (r < 0) {
		resp = fw_daemon_error(req->id, r, "policy refused", &d);
		goto out;
	}
	r = fw_change_compute(fw_engine_policy(dm->engine), fw_engine_plan(dm->engine), p, plan,
	                      "live", "new", &c);
	if (r < 0) {
		resp = fw_daemon_error(req->id, r, "diff", NULL);
		goto out;
	}
	json_t *res = fw_change_json(c);
	if (res)
		json_object_set_new(res, "warnings", fw_daemon_diags_json(&d));
	resp = fwp_response_ok(req->id, res);
out:
	fw_change_free(c);
	plan_free(plan);
	policy_free(p);
	fw_diags_free(&d);
	free(src);
	return resp;
}

/* The policy files of a generation, by name. */
struct gen_files {
	struct fw_policy_source *v;
	char **bufs; /* names and contents, owned */
	size_t n;
};

static void gen_files_free(struct gen_files *g)
{
	for (size_t i = 0; i < 2 * g->n; i++)
		free(g->bufs[i]);
	free(g->bufs);
	free(g->v);
}

static int not_dot(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

static int read_gen_files(struct fw_state *st, uint64_t gen, struct gen_files *ret)
{
	struct gen_files g = {0};
	struct dirent **list = NULL;
	char *dir = NULL;
	int k, r = fw_state_policy_dir(st, gen, &dir);

	if (r < 0)
		return r;
	k = scandir(dir, &list, not_dot, alphasort);
	free(dir);
	if (k < 0)
		return -errno;
	if ((size_t)k > FW_STATE_MAX_FILES)
		r = -E2BIG;
	g.v = calloc(k ? (size_t)k : 1, sizeof(*g.v));
	g.bufs = calloc(2 * (k ? (size_t)k : 1), sizeof(*g.bufs));
	if (!r && (!g.v || !g.bufs))
		r = -ENOMEM;
	for (int i = 0; i < k; i++) {
		char *name = NULL, *data = NULL, *path = NULL;
		size_t len = 0;

		if (!r && asprintf(&path, "policy/%s", list[i]->d_name) < 0)
			r = -ENOMEM;
		if (!r)
			r = fw_state_read(st, gen, path, &data, &len);
		if (!r && !(name = strdup(list[i]->d_name)))
			r = -ENOMEM;
		if (!r) {
			g.bufs[2 * g.n] = name;
			g.bufs[2 * g.n + 1] = data;
			g.v[g.n++] = (struct fw_policy_source){name, data, len};
		} else {
			free(name);
			free(data);
		}
		free(path);
		free(list[i]);
	}
	free(list);
	if (r < 0) {
		gen_files_free(&g);
		return r;
	}
	*ret = g;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* rule-add / rule-del: the fw_daemon_edit's text edit. */
static int rule_edit(const struct fwp_request *req, const struct fw_policy_source *f, char **ret,
                     size_t *ret_len, char *err, size_t err_size)
{
	int r;

	if (req->command == FWP_RULE_ADD) {
		const struct fwp_rule *ru = &req->rule;
		struct fw_rule_spec spec = {
		    .id = ru->id,
		    .from = ru->from,
		    .n_from = ru->n_from,
		    .to = ru->to,
		    .n_to = ru->n_to,
		    .allow = ru->allow,
		    .n_allow = ru->n_allow,
		    .log = ru->log,
		    .comment = ru->comment,
		    .before = ru->before,
		};
		r = fw_edit_rule_add(f->name, f->data, f->len, &spec, ret, ret_len, err, err_size);
	} else {
		r = fw_edit_rule_del(f->name, f->data, f->len, req->rule_id, ret, ret_len, err,
		                     err_size);
		if (r == -ENOENT)
			snprintf(err, err_size, "tenant '%s' has no rule '%s'", req->tenant,
			         req->rule_id);
	}
	return r;
}

/* Edit the tenant's file text; 0 and the new text, or an error response. */
static char *edit(const struct fwp_request *req, const struct fw_daemon_edit *ed,
                  const struct fw_policy_source *f, char **ret, size_t *ret_len)
{
	char err[512], msg[640];
	int r = ed->edit(req, f, ret, ret_len, err, sizeof(err));

	if (r == 0)
		return NULL;
	snprintf(msg, sizeof(msg), "%s: %s", ed->what, err);
	return fwp_response_error(req->id, r, msg, NULL);
}

/* The apply, and the answer: the generation and what it changed. */
static char *apply(struct fw_daemon *dm, const struct fwp_request *req,
                   const struct fw_daemon_edit *ed, const struct fw_state_meta *who,
                   const struct fw_policy_source *src, size_t n)
{
	const char *what = ed->what;
	json_t *res_json;
	struct fw_apply_opts o = {.confirm_seconds = req->confirm,
	                          .origin = req->has_origin ? &req->origin : NULL,
	                          .force = req->force};
	struct fw_access_set *before = NULL, *after = NULL;
	struct fw_access_diff ad = {0};
	struct fw_apply_result res;
	struct fw_diags d = {0};
	char *resp, *text = NULL;
	int r = fw_access_compute(fw_engine_policy(dm->engine), &before);

	if (r == 0)
		r = fw_engine_apply_opts(dm->engine, src, n, who, &o, &d, &res);
	if (r == -EBUSY)
		resp = fwp_response_error(
		    req->id, r, "a change waits for confirm: confirm or roll back first", NULL);
	else if (r == -EPERM)
		resp = fw_daemon_refusal(req->id, what, &d);
	else if (r < 0)
		resp = fw_daemon_error(req->id, r, what, &d);
	else {
		if (fw_access_compute(fw_engine_policy(dm->engine), &after) < 0 ||
		    fw_access_diff(before, after, &ad) < 0 || !(text = fw_access_diff_text(&ad)))
			/* It is live; only the answer's summary is missing. */
			res_json = json_pack("{s:I}", "generation", (json_int_t)res.generation);
		else
			res_json = json_pack(
			    "{s:I, s:I, s:o, s:o}", "generation", (json_int_t)res.generation,
			    "confirm", (json_int_t)req->confirm, "access",
			    fw_access_diff_json(&ad, text), "warnings", fw_daemon_diags_json(&d));
		if (res_json && ed->answer)
			ed->answer(dm, req, res_json);
		resp = fwp_response_ok(req->id, res_json);
	}
	free(text);
	fw_access_diff_free(&ad);
	fw_access_set_free(before);
	fw_access_set_free(after);
	fw_diags_free(&d);
	return resp;
}

char *fw_daemon_rule(struct fw_daemon *dm, const struct fwp_request *req,
                     const struct fw_state_meta *who)
{
	bool add = req->command == FWP_RULE_ADD;
	const struct fw_daemon_edit ed = {
	    .what = add ? "rule add refused" : "rule del refused",
	    .source = add ? "fwctl rule add" : "fwctl rule del",
	    .edit = rule_edit,
	};

	return fw_daemon_edit_live(dm, req, who, &ed);
}

char *fw_daemon_edit_live(struct fw_daemon *dm, const struct fwp_request *req,
                          const struct fw_state_meta *who, const struct fw_daemon_edit *ed)
{
	const char *what = ed->what;
	struct fw_state_meta meta = *who;
	const struct fw_policy *live = fw_engine_policy(dm->engine);
	struct fw_engine_status st;
	struct gen_files g = {0};
	const char *file = NULL;
	char *text = NULL, *resp, msg[160];
	size_t len, at;
	int r;

	meta.source = ed->source;
	fw_engine_status(dm->engine, &st);
	if (!live || !st.live)
		return fwp_response_error(req->id, -ENOENT, "no policy is live yet", NULL);
	for (size_t i = 0; i < live->n_tenants; i++)
		if (!strcmp(live->tenants[i].name, req->tenant))
			file = base_name(live->tenants[i].file);
	if (!file) {
		snprintf(msg, sizeof(msg), "%s: no tenant '%s' is live", what, req->tenant);
		return fwp_response_error(req->id, -ENOENT, msg, NULL);
	}
	if ((r = read_gen_files(dm->state, st.live, &g)) < 0)
		return fw_daemon_error(req->id, r, "reading the live generation", NULL);
	for (at = 0; at < g.n && strcmp(g.v[at].name, file); at++)
		;
	if (at == g.n) {
		resp = fwp_response_error(req->id, -EIO,
		                          "the live generation has no file for this tenant", NULL);
		goto out;
	}
	if ((resp = edit(req, ed, &g.v[at], &text, &len)))
		goto out;
	g.v[at].data = text;
	g.v[at].len = len;
	resp = apply(dm, req, ed, &meta, g.v, g.n);
out:
	free(text);
	gen_files_free(&g);
	return resp;
}

char *fw_daemon_history_one(struct fw_daemon *dm, const struct fwp_request *req)
{
	struct fw_generation g;
	char *diff = NULL;
	size_t len;
	int r = fw_state_get(dm->state, req->generation, &g);

	if (r == -ENOENT || r == -EINVAL)
		return fwp_response_error(req->id, -ENOENT, "no such generation", NULL);
	if (r < 0)
		return fw_daemon_error(req->id, r, "history", NULL);
	r = fw_state_read(dm->state, req->generation, "diff.txt", &diff, &len);
	if (r < 0 && r != -ENOENT)
		return fw_daemon_error(req->id, r, "history", NULL);
	/* Generations written before diffs were kept have none: null. */
	json_t *res =
	    json_pack("{s:o, s:s?}", "generation", fw_daemon_generation_json(&g), "diff", diff);
	free(diff);
	return fwp_response_ok(req->id, res);
}
