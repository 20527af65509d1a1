// SPDX-License-Identifier: GPL-2.0-or-later
/* `counters`: the kernel's hit counters, per policy item and file:line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/counters.h"
#include "fwd/handlers.h"

/* A policy item of a tenant: where it is written. */
struct item {
	const char *id;
	struct fw_loc loc;
};

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->loc.line != y->loc.line)
		return x->loc.line < y->loc.line ? -1 : 1;
	return (x->loc.col > y->loc.col) - (x->loc.col < y->loc.col);
}

/* Every rule, publish, egress and management entry, in file order. */
static struct item *tenant_items(const struct fw_tenant *t, size_t *ret_n)
{
	size_t n = 0, total = t->n_rules + t->n_publish + t->n_egress + t->n_mgmt;
	struct item *v = calloc(total ? total : 1, sizeof(*v));

	if (!v)
		return NULL;
#define ITEMS(arr, cnt)                                                                            \
	for (size_t i = 0; i < t->cnt; i++)                                                        \
		if (t->arr[i].id)                                                                  \
			v[n++] = (struct item){t->arr[i].id, t->arr[i].loc};
	ITEMS(rules, n_rules)
	ITEMS(publish, n_publish)
	ITEMS(egress, n_egress)
	ITEMS(mgmt, n_mgmt)
#undef ITEMS
	qsort(v, n, sizeof(*v), item_cmp);
	*ret_n = n;
	return v;
}

static int row_cmp(const void *a, const void *b)
{
	const struct fw_counter *const *x = a, *const *y = b;
	int c = strcmp((*x)->tenant, (*y)->tenant);

	return c ? c : strcmp((*x)->id, (*y)->id);
}

/* The rows of (tenant, id): [*first, *first + n) of the sorted index. */
static size_t rows_of(const struct fw_counter **idx, size_t n, const char *tenant, const char *id,
                      size_t *first)
{
	struct fw_counter key = {.tenant = tenant, .id = id};
	const struct fw_counter *kp = &key;
	size_t lo = 0, hi = n, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (row_cmp(&idx[mid], &kp) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < n && !row_cmp(&idx[end], &kp); end++)
		;
	*first = lo;
	return end - lo;
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

static json_t *row_json(const char *tenant, const char *id, const struct fw_loc *loc,
                        uint64_t packets, uint64_t bytes, size_t elements)
{
	return json_pack("{s:s, s:s, s:s?, s:I, s:I, s:I, s:I}", "tenant", tenant, "rule", id,
	                 "file", base_name(loc->file), "line", (json_int_t)loc->line, "packets",
	                 (json_int_t)packets, "bytes", (json_int_t)bytes, "elements",
	                 (json_int_t)elements);
}

static int append(json_t *a, json_t *o)
{
	return o && json_array_append_new(a, o) == 0 ? 0 : -ENOMEM;
}

/* The items of tenant t, then its default drops chain by chain. */
static int tenant_rows(json_t *a, const struct fw_tenant *t, const struct fw_plan *plan,
                       const struct fw_counter **idx, size_t n_idx)
{
	size_t n_items = 0, first, k;
	struct item *items = tenant_items(t, &n_items);
	int r = items ? 0 : -ENOMEM;

	for (size_t i = 0; !r && i < n_items; i++) {
		uint64_t packets = 0, bytes = 0;
		size_t elements = 0;

		k = rows_of(idx, n_idx, t->name, items[i].id, &first);
		for (size_t j = first; j < first + k; j++) {
			packets += idx[j]->packets;
			bytes += idx[j]->bytes;
			elements += idx[j]->elements;
		}
		r = append(a,
		           row_json(t->name, items[i].id, &items[i].loc, packets, bytes, elements));
	}
	free(items);
	k = rows_of(idx, n_idx, t->name, FW_ORIGIN_DEFAULT_DENY, &first);
	for (size_t ti = 0; !r && ti < plan->n_tables; ti++) {
		const struct fw_plan_table *tb = &plan->tables[ti];

		if (!tb->tenant || strcmp(tb->tenant, t->name))
			continue;
		for (size_t c = 0; !r && c < tb->n_chains; c++) {
			const struct fw_plan_chain *ch = &tb->chains[c];
			uint64_t packets = 0, bytes = 0;
			bool deny = false;
			json_t *o;

			for (size_t i = 0; i < ch->n_rules; i++)
				deny |= ch->rules[i].origin.id &&
				        !strcmp(ch->rules[i].origin.id, FW_ORIGIN_DEFAULT_DENY);
			if (!deny)
				continue;
			for (size_t j = first; j < first + k; j++)
				if (idx[j]->table && idx[j]->chain &&
				    !strcmp(idx[j]->table, tb->name) &&
				    !strcmp(idx[j]->chain, ch->name)) {
					packets += idx[j]->packets;
					bytes += idx[j]->bytes;
				}
			o = row_json(t->name, FW_ORIGIN_DEFAULT_DENY, &t->loc, packets, bytes, 0);
			if (o && (json_object_set_new(o, "table", json_string(tb->name)) < 0 ||
			          json_object_set_new(o, "chain", json_string(ch->name)) < 0)) {
				json_decref(o);
				o = NULL;
			}
			r = append(a, o);
		}
	}
	return r;
}

json_t *fw_counters_report(const struct fw_policy *policy, const struct fw_plan *plan,
                           const char *tenant, const struct fw_counter *v, size_t n)
{
	const struct fw_counter **idx = calloc(n ? n : 1, sizeof(*idx));
	json_t *a = json_array();
	int r = idx && a ? 0 : -ENOMEM;

	for (size_t i = 0; idx && i < n; i++)
		idx[i] = &v[i];
	if (!r)
		qsort(idx, n, sizeof(*idx), row_cmp);
	for (size_t i = 0; !r && i < policy->n_tenants; i++)
		if (!tenant || !strcmp(policy->tenants[i].name, tenant))
			r = tenant_rows(a, &policy->tenants[i], plan, idx, n);
	free(idx);
	if (r < 0) {
		json_decref(a);
		return NULL;
	}
	return json_pack("{s:o}", "counters", a);
}

char *fw_daemon_counters(struct fw_daemon *dm, const struct fwp_request *req)
{
	const struct fw_policy *p = fw_engine_policy(dm->engine);
	const struct fw_plan *plan = fw_engine_plan(dm->engine);
	struct fw_counter *v = NULL;
	struct fw_diags d = {0};
	bool known = !req->tenant;
	char msg[512];
	size_t n = 0;
	json_t *res;
	int r;

	if (!p || !plan)
		return fwp_response_error(req->id, -ENOENT, "no policy is live yet", NULL);
	for (size_t i = 0; !known && i < p->n_tenants; i++)
		known = !strcmp(p->tenants[i].name, req->tenant);
	if (!known)
		return fwp_response_error(req->id, -ENOENT, "no such tenant", NULL);
	if (!dm->counters)
		return fwp_response_error(req->id, -EOPNOTSUPP, "this daemon reads no counters",
		                          NULL);
	r = dm->counters(dm->counters_ctx, plan, req->tenant, &v, &n, &d);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "counters: %s", d.n ? d.v[0].msg : strerror(-r));
		fw_diags_free(&d);
		return fwp_response_error(req->id, r, msg, NULL);
	}
	fw_diags_free(&d);
	res = fw_counters_report(p, plan, req->tenant, v, n);
	free(v);
	return res ? fwp_response_ok(req->id, res) : NULL;
}
