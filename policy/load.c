// SPDX-License-Identifier: GPL-2.0-or-later
/* Loading tenant files into a checked policy: files, directories, sections. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fwd/expect.h"
#include "load.h"
#include "util.h"

static void k_sec(struct sctx *c, const struct ynode *v, void *obj)
{
	(void)c;
	(void)v;
	(void)obj;
}

/* Record which sections exist; s_walk reports unknown top-level keys. */
static void find_sections(struct load_state *ls, const struct ynode *root)
{
	static const struct s_key keys[] = {
	    {"tenant", true, k_sec},    {"uplink", true, k_sec},      {"trunk", false, k_sec},
	    {"zones", true, k_sec},     {"hosts", false, k_sec},      {"groups", false, k_sec},
	    {"services", false, k_sec}, {"rules", false, k_sec},      {"publish", false, k_sec},
	    {"egress", false, k_sec},   {"management", false, k_sec}, {"vpn", false, k_sec},
	    {"expect", false, k_sec},
	};
	struct sections *s = &ls->s;

	s_walk(&ls->c, root, "the tenant file", keys, ARRAY_SIZE(keys), NULL);
	if (root->kind != YN_MAP)
		return;
	s->tenant = ymap_get(root, "tenant");
	s->uplink = ymap_get(root, "uplink");
	s->trunk = ymap_get(root, "trunk");
	s->zones = ymap_get(root, "zones");
	s->hosts = ymap_get(root, "hosts");
	s->groups = ymap_get(root, "groups");
	s->services = ymap_get(root, "services");
	s->rules = ymap_get(root, "rules");
	s->publish = ymap_get(root, "publish");
	s->egress = ymap_get(root, "egress");
	s->management = ymap_get(root, "management");
	s->vpn = ymap_get(root, "vpn");
	s->expect = ymap_get(root, "expect");
}

struct id_loc {
	const char *id;
	struct fw_loc loc;
	size_t pos;
};

static int cmp_id_loc(const void *a, const void *b)
{
	const struct id_loc *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

static int cmp_id_pos(const void *a, const void *b)
{
	const struct id_loc *x = a, *y = b;

	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Rule, publish, egress and management ids share one namespace: they name
 * the origin of every generated nft rule and counter. Sorted, so a tenant
 * with 10,000 rules is checked in n log n. */
static void rule_ids_unique(struct sctx *c, struct fw_tenant *t)
{
	size_t n = 0, total = t->n_rules + t->n_publish + t->n_egress + t->n_mgmt;
	struct id_loc *ids = calloc(total ? total : 1, sizeof(*ids));
	struct id_loc *dups = calloc(total ? total : 1, sizeof(*dups));
	size_t n_dups = 0;

	if (!ids || !dups) {
		free(ids);
		free(dups);
		c->oom = -ENOMEM;
		return;
	}
#define ADD(arr, cnt)                                                                              \
	for (size_t i = 0; i < t->cnt; i++)                                                        \
		if (t->arr[i].id) {                                                                \
			ids[n] = (struct id_loc){t->arr[i].id, t->arr[i].loc, n};                  \
			n++;                                                                       \
		}
	ADD(rules, n_rules)
	ADD(publish, n_publish)
	ADD(egress, n_egress)
	ADD(mgmt, n_mgmt)
#undef ADD
	qsort(ids, n, sizeof(*ids), cmp_id_loc);
	for (size_t i = 1; i < n; i++) {
		size_t first = i - 1;
		while (i < n && !strcmp(ids[i].id, ids[first].id)) {
			dups[n_dups] = ids[i];
			/* remember where the first one was, in the loc of the dup's pos */
			dups[n_dups].id = ids[first].id;
			dups[n_dups].loc.file = (const char *)&ids[first];
			n_dups++;
			i++;
		}
	}
	qsort(dups, n_dups, sizeof(*dups), cmp_id_pos);
	for (size_t i = 0; i < n_dups; i++) {
		const struct id_loc *first = (const struct id_loc *)dups[i].loc.file;
		struct fw_loc loc = dups[i].loc;

		loc.file = first->loc.file;
		s_err_at(c, &loc, "id '%s' is already used at %u:%u", dups[i].id, first->loc.line,
		         first->loc.col);
	}
	free(ids);
	free(dups);
}

static void names_distinct(struct sctx *c, struct fw_tenant *t)
{
	/* Hosts, groups and zones share the endpoint namespace of rules. */
	for (size_t i = 0; i < t->n_groups; i++) {
		ssize_t h = tenant_find_host(t, t->groups[i].name);
		ssize_t z = tenant_find_zone(t, t->groups[i].name);
		if (h >= 0)
			s_err_at(c, &t->groups[i].loc, "group '%s' has the name of a host (%u:%u)",
			         t->groups[i].name, t->hosts[h].loc.line, t->hosts[h].loc.col);
		if (z >= 0)
			s_err_at(c, &t->groups[i].loc, "group '%s' has the name of a zone (%u:%u)",
			         t->groups[i].name, t->zones[z].loc.line, t->zones[z].loc.col);
	}
	for (size_t i = 0; i < t->n_hosts; i++) {
		ssize_t z = tenant_find_zone(t, t->hosts[i].name);
		if (z >= 0)
			s_err_at(c, &t->hosts[i].loc, "host '%s' has the name of a zone (%u:%u)",
			         t->hosts[i].name, t->zones[z].loc.line, t->zones[z].loc.col);
	}
}

/* Parse one document into *t. Returns 0 or -ENOMEM; errors go to diags. */
static int tenant_from_doc(const struct ydoc *doc, const struct fw_load_opts *opts,
                           struct fw_diags *diags, struct fw_tenant *t)
{
	struct load_state ls = {.c = {.diags = diags, .t = t}, .opts = opts};

	if (!doc->root) {
		struct fw_loc loc = {.file = t->file, .line = 1, .col = 1};
		fw_error(diags, &loc,
		         "the file is empty, expected a tenant policy (a mapping with 'tenant', "
		         "'uplink' and 'zones')");
		return 0;
	}
	find_sections(&ls, doc->root);
	if (doc->root->kind == YN_MAP) {
		load_tenant_header(&ls);
		load_zones(&ls);
		load_hosts(&ls);
		load_zone_hosts_l2(&ls); /* allow_dhcp_server, allow_ra */
		load_vpn(&ls);
		load_services(&ls);
		load_groups(&ls);
		load_rules(&ls);
		load_publish(&ls);
		load_egress(&ls);
		load_management(&ls);
		load_assign_vpn_addresses(&ls);
		rule_ids_unique(&ls.c, t);
		names_distinct(&ls.c, t);
		load_expect(&ls);
	}
	free(ls.svc_nodes);
	free(ls.svc_state);
	free(ls.group_nodes);
	free(ls.zone_bad_subnet);
	free(ls.zone_l2_hosts);
	name_index_free(&ls.host_ix);
	name_index_free(&ls.group_ix);
	name_index_free(&ls.zone_ix);
	return ls.c.oom;
}

static int add_tenant(struct fw_policy *p, size_t *cap, const char *file, const struct ydoc *doc,
                      const struct fw_load_opts *opts, struct fw_diags *diags)
{
	struct fw_tenant *t;
	int r;

	if (p->n_tenants >= FW_MAX_TENANTS) {
		struct fw_loc loc = {.file = file};
		fw_error(diags, &loc, "more than %d tenant files in one appliance", FW_MAX_TENANTS);
		return 0;
	}
	t = fw_push((void **)&p->tenants, &p->n_tenants, cap, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->file = strdup(file);
	if (!t->file)
		return -ENOMEM;
	r = tenant_from_doc(doc, opts, diags, t);
	return r;
}

static int load_one_buffer(struct fw_policy *p, size_t *cap, const char *name, const char *buf,
                           size_t len, const struct fw_load_opts *opts, struct fw_diags *diags)
{
	struct ydoc *doc = NULL;
	int r = ydoc_parse(name, buf, len, diags, &doc);

	if (r == -EINVAL)
		return 0; /* recorded */
	if (r < 0)
		return r;
	r = add_tenant(p, cap, name, doc, opts, diags);
	ydoc_free(doc);
	return r;
}

static int load_one_file(struct fw_policy *p, size_t *cap, const char *path,
                         const struct fw_load_opts *opts, struct fw_diags *diags)
{
	struct ydoc *doc = NULL;
	int r = ydoc_load_file(path, diags, &doc);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0; /* recorded */
	r = add_tenant(p, cap, path, doc, opts, diags);
	ydoc_free(doc);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_policy_name(const char *n)
{
	size_t len = strlen(n);

	if (n[0] == '.')
		return false;
	return (len > 5 && !strcmp(n + len - 5, ".yaml")) ||
	       (len > 4 && !strcmp(n + len - 4, ".yml"));
}

static int load_dir(struct fw_policy *p, size_t *cap, const char *dir,
                    const struct fw_load_opts *opts, struct fw_diags *diags)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, ncap = 0;
	struct dirent *de;
	int r = 0;

	if (!d) {
		struct fw_loc loc = {.file = dir};
		r = -errno;
		fw_error(diags, &loc, "cannot open directory: %s", strerror(-r));
		return r;
	}
	while ((de = readdir(d))) {
		if (!is_policy_name(de->d_name))
			continue;
		char **slot = fw_push((void **)&names, &n, &ncap, sizeof(*names));
		size_t dl = strlen(dir);
		bool slash = dl > 0 && dir[dl - 1] == '/';
		if (!slot || asprintf(slot, "%s%s%s", dir, slash ? "" : "/", de->d_name) < 0) {
			if (slot)
				*slot = NULL;
			r = -ENOMEM;
			break;
		}
	}
	closedir(d);
	if (r == 0) {
		if (n == 0) {
			struct fw_loc loc = {.file = dir};
			fw_error(diags, &loc, "no policy files (*.yaml, *.yml) in this directory");
		}
		qsort(names, n, sizeof(*names), cmp_str);
		for (size_t i = 0; i < n && r == 0; i++)
			r = load_one_file(p, cap, names[i], opts, diags);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static int cmp_tenant(const void *a, const void *b)
{
	const struct fw_tenant *x = a, *y = b;

	return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static int finish(struct fw_policy *p, int r, struct fw_diags *diags, struct fw_policy **ret)
{
	if (r == 0 && !fw_diags_has_errors(diags)) {
		policy_check(p, diags);
		qsort(p->tenants, p->n_tenants, sizeof(*p->tenants), cmp_tenant);
	}
	fw_diags_sort(diags);
	if (r == 0 && fw_diags_has_errors(diags))
		r = -EINVAL;
	if (r < 0) {
		policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

int policy_load_paths(const char *const *paths, size_t n_paths, struct fw_diags *diags,
                      struct fw_policy **ret)
{
	return policy_load_paths_opts(paths, n_paths, NULL, diags, ret);
}

int policy_load_paths_opts(const char *const *paths, size_t n_paths,
                           const struct fw_load_opts *opts, struct fw_diags *diags,
                           struct fw_policy **ret)
{
	struct fw_policy *p = calloc(1, sizeof(*p));
	size_t cap = 0;
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n_paths && r == 0; i++) {
		struct stat st;

		if (stat(paths[i], &st) < 0) {
			struct fw_loc loc = {.file = paths[i]};
			int e = errno;
			fw_error(diags, &loc, "cannot read: %s", strerror(e));
			continue;
		}
		if (S_ISDIR(st.st_mode))
			r = load_dir(p, &cap, paths[i], opts, diags);
		else
			r = load_one_file(p, &cap, paths[i], opts, diags);
		if (r != -ENOMEM)
			r = 0; /* recorded: keep checking the other paths */
	}
	return finish(p, r, diags, ret);
}

int policy_load_buffers(const struct fw_policy_source *src, size_t n, struct fw_diags *diags,
                        struct fw_policy **ret)
{
	return policy_load_buffers_opts(src, n, NULL, diags, ret);
}

int policy_load_buffers_opts(const struct fw_policy_source *src, size_t n,
                             const struct fw_load_opts *opts, struct fw_diags *diags,
                             struct fw_policy **ret)
{
	struct fw_policy *p = calloc(1, sizeof(*p));
	size_t cap = 0;
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++)
		r = load_one_buffer(p, &cap, src[i].name, src[i].data, src[i].len, opts, diags);
	return finish(p, r, diags, ret);
}

int policy_load_buffer(const char *name, const char *buf, size_t len, struct fw_diags *diags,
                       struct fw_policy **ret)
{
	struct fw_policy_source src = {name, buf, len};

	return policy_load_buffers(&src, 1, diags, ret);
}

void tenant_free_contents(struct fw_tenant *t)
{
	free(t->file);
	free(t->name);
	free(t->public_addrs);
	free(t->public_locs);
	for (size_t i = 0; i < t->n_zones; i++) {
		free(t->zones[i].name);
		free(t->zones[i].ports);
		free(t->zones[i].port_locs);
		free(t->zones[i].dhcp_servers);
		free(t->zones[i].ra_senders);
	}
	free(t->zones);
	for (size_t i = 0; i < t->n_hosts; i++)
		free(t->hosts[i].name);
	free(t->hosts);
	for (size_t i = 0; i < t->n_groups; i++) {
		free(t->groups[i].name);
		fw_refs_free(t->groups[i].members, t->groups[i].n_members);
	}
	free(t->groups);
	for (size_t i = 0; i < t->n_services; i++) {
		free(t->services[i].name);
		free(t->services[i].ports);
	}
	free(t->services);
	for (size_t i = 0; i < t->n_rules; i++) {
		struct fw_rule *r = &t->rules[i];
		free(r->id);
		free(r->comment);
		fw_refs_free(r->from, r->n_from);
		fw_refs_free(r->to, r->n_to);
		fw_svc_refs_free(r->allow, r->n_allow);
	}
	free(t->rules);
	for (size_t i = 0; i < t->n_publish; i++) {
		struct fw_publish *pb = &t->publish[i];
		free(pb->id);
		free(pb->comment);
		fw_refs_free(pb->from, pb->n_from);
		fw_svc_refs_free(pb->allow, pb->n_allow);
	}
	free(t->publish);
	for (size_t i = 0; i < t->n_egress; i++) {
		struct fw_egress *e = &t->egress[i];
		free(e->id);
		free(e->comment);
		fw_refs_free(e->from, e->n_from);
		fw_svc_refs_free(e->allow, e->n_allow);
	}
	free(t->egress);
	for (size_t i = 0; i < t->n_mgmt; i++) {
		struct fw_mgmt *m = &t->mgmt[i];
		free(m->id);
		free(m->comment);
		fw_refs_free(m->from, m->n_from);
		fw_svc_refs_free(m->allow, m->n_allow);
	}
	free(t->mgmt);
	for (size_t i = 0; i < t->vpn.n_users; i++) {
		free(t->vpn.users[i].name);
		free(t->vpn.users[i].public_key);
		free(t->vpn.users[i].groups);
	}
	free(t->vpn.users);
	for (size_t i = 0; i < t->vpn.n_groups; i++)
		free(t->vpn.groups[i].name);
	free(t->vpn.groups);
	for (size_t i = 0; i < t->vpn.n_sites; i++) {
		free(t->vpn.sites[i].name);
		free(t->vpn.sites[i].endpoint);
		free(t->vpn.sites[i].public_key);
		free(t->vpn.sites[i].networks);
		free(t->vpn.sites[i].network_locs);
	}
	free(t->vpn.sites);
	free(t->vpn.dns);
	fw_expects_free(t->expects, t->n_expects);
}

void policy_free(struct fw_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_tenants; i++)
		tenant_free_contents(&p->tenants[i]);
	free(p->tenants);
	free(p);
}
