// SPDX-License-Identifier: GPL-2.0-or-later
/* Names and references: services, groups, endpoints and service lists. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "util.h"

#define FIND(fn, arr, n)                                                                           \
	ssize_t fn(const struct fw_tenant *t, const char *name)                                    \
	{                                                                                          \
		for (size_t i = 0; i < t->n; i++)                                                  \
			if (t->arr[i].name && !strcmp(t->arr[i].name, name))                       \
				return (ssize_t)i;                                                 \
		return -1;                                                                         \
	}

FIND(tenant_find_zone, zones, n_zones)
FIND(tenant_find_host, hosts, n_hosts)
FIND(tenant_find_group, groups, n_groups)
FIND(tenant_find_service, services, n_services)
FIND(tenant_find_vpn_user, vpn.users, vpn.n_users)
FIND(tenant_find_vpn_group, vpn.groups, vpn.n_groups)
FIND(tenant_find_site, vpn.sites, vpn.n_sites)

void fw_refs_free(struct fw_ref *refs, size_t n)
{
	for (size_t i = 0; refs && i < n; i++)
		free(refs[i].text);
	free(refs);
}

void fw_svc_refs_free(struct fw_svc_ref *refs, size_t n)
{
	for (size_t i = 0; refs && i < n; i++) {
		free(refs[i].text);
		free(refs[i].ports);
	}
	free(refs);
}

/* "(did you mean 'app'?)" for the closest known name, or "". */
static void suggest(const struct fw_tenant *t, const char *name, char *buf, size_t size)
{
	const char *best = NULL;
	unsigned bestd = 3;

#define TRY(arr, n)                                                                                \
	for (size_t i = 0; i < t->n; i++) {                                                        \
		unsigned d = fw_edit_distance(name, t->arr[i].name);                               \
		if (d < bestd) {                                                                   \
			bestd = d;                                                                 \
			best = t->arr[i].name;                                                     \
		}                                                                                  \
	}
	TRY(hosts, n_hosts)
	TRY(groups, n_groups)
	TRY(zones, n_zones)
#undef TRY
	if (best)
		snprintf(buf, size, " (did you mean '%s'?)", best);
	else
		buf[0] = '\0';
}

static const char *host_name_at(const void *a, size_t i)
{
	return ((const struct fw_host *)a)[i].name;
}

static const char *group_name_at(const void *a, size_t i)
{
	return ((const struct fw_group *)a)[i].name;
}

static const char *zone_name_at(const void *a, size_t i)
{
	return ((const struct fw_zone *)a)[i].name;
}

/* Look a name up through an index kept current with the array's count. */
static ssize_t indexed_find(struct load_state *ls, struct name_index *ix, const void *array,
                            size_t n, name_at_fn name_at, const char *name)
{
	if (ix->built_for != n && name_index_build(ix, array, n, name_at) < 0) {
		ls->c.oom = -ENOMEM;
		return -1;
	}
	return name_index_find(ix, array, name_at, name);
}

bool load_ref(struct load_state *ls, const struct ynode *n, const char *key, struct fw_ref *ret)
{
	struct sctx *c = &ls->c;
	struct fw_tenant *t = c->t;
	struct fw_ref r = {.loc = s_loc(c, n)};
	const char *s = n->str;
	char hint[64];
	ssize_t i;

	if (!strcmp(s, "internet")) {
		r.kind = FW_REF_INTERNET;
	} else if (!strncmp(s, "vpn:group:", 10)) {
		r.kind = FW_REF_VPN_GROUP;
		i = tenant_find_vpn_group(t, s + 10);
		if (i < 0) {
			s_err(c, n, "%s: no VPN user is in a group named '%.64s'", key, s + 10);
			return false;
		}
		r.index = (size_t)i;
	} else if (!strcmp(s, "vpn:all")) {
		r.kind = FW_REF_VPN_ALL;
		if (!t->vpn.present) {
			s_err(c, n, "%s: 'vpn:all' needs a 'vpn' section", key);
			return false;
		}
	} else if (!strncmp(s, "vpn:", 4)) {
		r.kind = FW_REF_VPN_USER;
		i = tenant_find_vpn_user(t, s + 4);
		if (i < 0) {
			s_err(c, n, "%s: no VPN user named '%.64s'", key, s + 4);
			return false;
		}
		r.index = (size_t)i;
	} else if (!strncmp(s, "site:", 5)) {
		r.kind = FW_REF_SITE;
		i = tenant_find_site(t, s + 5);
		if (i < 0) {
			s_err(c, n, "%s: no VPN site named '%.64s'", key, s + 5);
			return false;
		}
		r.index = (size_t)i;
	} else if ((s[0] >= '0' && s[0] <= '9') || strchr(s, ':')) {
		int e = fw_prefix_parse(s, false, &r.cidr);

		if (e == -EDOM) {
			s_err(c, n, "%s: '%.64s' has host bits set, expected a network address",
			      key, s);
			return false;
		}
		if (e < 0) {
			s_err(
			    c, n,
			    "%s: expected an address or prefix like 198.51.100.0/24, found '%.64s'",
			    key, s);
			return false;
		}
		r.kind = FW_REF_CIDR;
	} else if ((i = indexed_find(ls, &ls->host_ix, t->hosts, t->n_hosts, host_name_at, s)) >=
	           0) {
		r.kind = FW_REF_HOST;
		r.index = (size_t)i;
	} else if ((i = indexed_find(ls, &ls->group_ix, t->groups, t->n_groups, group_name_at,
	                             s)) >= 0) {
		r.kind = FW_REF_GROUP;
		r.index = (size_t)i;
	} else if ((i = indexed_find(ls, &ls->zone_ix, t->zones, t->n_zones, zone_name_at, s)) >=
	           0) {
		r.kind = FW_REF_ZONE;
		r.index = (size_t)i;
	} else {
		suggest(t, s, hint, sizeof(hint));
		s_err(c, n, "%s: no host, group or zone named '%.64s'%s", key, s, hint);
		return false;
	}
	r.text = strdup(s);
	if (!r.text) {
		c->oom = -ENOMEM;
		return false;
	}
	*ret = r;
	return true;
}

struct refs_acc {
	struct load_state *ls;
	const char *key;
	struct fw_ref *v;
	size_t n, cap;
};

static void acc_ref(struct sctx *c, const struct ynode *item, void *obj)
{
	struct refs_acc *a = obj;
	struct fw_ref r;

	if (!load_ref(a->ls, item, a->key, &r))
		return;
	struct fw_ref *slot = fw_push((void **)&a->v, &a->n, &a->cap, sizeof(*a->v));
	if (!slot) {
		free(r.text);
		c->oom = -ENOMEM;
		return;
	}
	*slot = r;
}

void load_refs(struct load_state *ls, const struct ynode *n, const char *key, struct fw_ref **ret,
               size_t *ret_n)
{
	struct refs_acc a = {.ls = ls, .key = key};

	s_each_scalar(&ls->c, n, key, acc_ref, &a);
	fw_refs_free(*ret, *ret_n);
	*ret = a.v;
	*ret_n = a.n;
}

/* --- services --- */

static int append_ports(struct fw_port_spec **v, size_t *n, const struct fw_port_spec *add,
                        size_t n_add, struct fw_loc loc)
{
	struct fw_port_spec *nv;

	if (n_add == 0)
		return 0;
	nv = realloc(*v, (*n + n_add) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	for (size_t i = 0; i < n_add; i++) {
		nv[*n + i] = add[i];
		if (!nv[*n + i].loc.file)
			nv[*n + i].loc = loc;
	}
	*v = nv;
	*n += n_add;
	return 0;
}

static bool svc_expand(struct load_state *ls, size_t idx);

/* One service item: "any", a spec, or a service name. */
static bool svc_item(struct load_state *ls, const struct ynode *n, const char *key,
                     struct fw_port_spec **ports, size_t *n_ports)
{
	struct sctx *c = &ls->c;
	struct fw_loc loc = s_loc(c, n);
	const char *s = n->str;
	struct fw_port_spec spec;
	ssize_t i;
	int r;

	if (strchr(s, '/') || !strcmp(s, "tcp") || !strcmp(s, "udp") || !strcmp(s, "icmpv6") ||
	    !strcmp(s, "any")) {
		r = fw_port_spec_parse(s, &spec);
		if (r == -EPROTONOSUPPORT) {
			s_err(c, n, "%s: '%.64s': only tcp and udp have ports", key, s);
			return false;
		}
		if (r == -ERANGE) {
			s_err(c, n,
			      "%s: '%.64s': expected a port from 1 to 65535 or a range LOW-HIGH "
			      "with LOW <= HIGH",
			      key, s);
			return false;
		}
		if (r < 0) {
			s_err(c, n,
			      "%s: expected a service name or tcp/PORT, udp/PORT, tcp/LOW-HIGH, "
			      "icmp, icmpv6, any; found '%.64s'",
			      key, s);
			return false;
		}
		spec.loc = loc;
		if (append_ports(ports, n_ports, &spec, 1, loc) < 0)
			c->oom = -ENOMEM;
		return true;
	}
	i = tenant_find_service(c->t, s);
	if (i >= 0) {
		if (!svc_expand(ls, (size_t)i))
			return false;
		if (append_ports(ports, n_ports, c->t->services[i].ports, c->t->services[i].n_ports,
		                 loc) < 0)
			c->oom = -ENOMEM;
		return true;
	}
	const struct fw_service *b = fw_catalogue_find(s);
	if (b) {
		if (append_ports(ports, n_ports, b->ports, b->n_ports, loc) < 0)
			c->oom = -ENOMEM;
		return true;
	}
	s_err(c, n, "%s: no service named '%.64s' (not built in, not in 'services')", key, s);
	return false;
}

static bool svc_expand(struct load_state *ls, size_t idx)
{
	struct sctx *c = &ls->c;
	struct fw_service *svc = &c->t->services[idx];
	const struct ynode *n = ls->svc_nodes[idx];
	char fb[64];
	bool ok = true;

	if (ls->svc_state[idx] == 2)
		return true;
	if (ls->svc_state[idx] == 1) {
		s_err_at(c, &svc->loc, "service '%s' includes itself", svc->name);
		ls->svc_state[idx] = 2;
		return false;
	}
	ls->svc_state[idx] = 1;
	if (n->kind == YN_SCALAR && !s_is_null(n)) {
		ok = svc_item(ls, n, "services", &svc->ports, &svc->n_ports);
	} else if (n->kind == YN_SEQ && n->n > 0) {
		for (size_t i = 0; i < n->n; i++) {
			if (n->vals[i]->kind != YN_SCALAR || s_is_null(n->vals[i])) {
				s_err(c, n->vals[i], "services: expected a port spec, found %s",
				      s_found(n->vals[i], fb, sizeof(fb)));
				ok = false;
				continue;
			}
			ok &= svc_item(ls, n->vals[i], "services", &svc->ports, &svc->n_ports);
		}
	} else {
		s_err(c, n, "services: expected a port spec or a list of them, found %s",
		      n->kind == YN_SEQ ? "an empty list" : s_found(n, fb, sizeof(fb)));
		ok = false;
	}
	ls->svc_state[idx] = 2;
	return ok;
}

void load_services(struct load_state *ls)
{
	struct sctx *c = &ls->c;
	struct fw_tenant *t = c->t;
	const struct ynode *ss = ls->s.services;

	if (!ss || !s_is_map(c, ss, "services"))
		return;
	t->services = calloc(ss->n ? ss->n : 1, sizeof(*t->services));
	ls->svc_nodes = calloc(ss->n ? ss->n : 1, sizeof(*ls->svc_nodes));
	ls->svc_state = calloc(ss->n ? ss->n : 1, 1);
	if (!t->services || !ls->svc_nodes || !ls->svc_state) {
		c->oom = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < ss->n; i++) {
		const char *name;

		if (!s_name(c, ss->keys[i], "service name", &name))
			continue;
		if (fw_catalogue_find(name)) {
			s_err(c, ss->keys[i],
			      "service '%s' is built in; choose another name for your own", name);
			continue;
		}
		t->services[t->n_services].name = strdup(name);
		if (!t->services[t->n_services].name) {
			c->oom = -ENOMEM;
			return;
		}
		t->services[t->n_services].loc = s_loc(c, ss->keys[i]);
		ls->svc_nodes[t->n_services++] = ss->vals[i];
	}
	for (size_t i = 0; i < t->n_services; i++)
		svc_expand(ls, i);
}

struct svc_acc {
	struct load_state *ls;
	const char *key;
	struct fw_svc_ref *v;
	size_t n, cap;
};

static void acc_svc(struct sctx *c, const struct ynode *item, void *obj)
{
	struct svc_acc *a = obj;
	struct fw_svc_ref r = {.loc = s_loc(c, item)};

	if (!svc_item(a->ls, item, a->key, &r.ports, &r.n_ports)) {
		free(r.ports);
		return;
	}
	r.text = strdup(item->str);
	struct fw_svc_ref *slot = fw_push((void **)&a->v, &a->n, &a->cap, sizeof(*a->v));
	if (!slot || !r.text) {
		free(r.text);
		free(r.ports);
		c->oom = -ENOMEM;
		return;
	}
	*slot = r;
}

void load_svc_refs(struct load_state *ls, const struct ynode *n, const char *key,
                   struct fw_svc_ref **ret, size_t *ret_n)
{
	struct svc_acc a = {.ls = ls, .key = key};

	s_each_scalar(&ls->c, n, key, acc_svc, &a);
	fw_svc_refs_free(*ret, *ret_n);
	*ret = a.v;
	*ret_n = a.n;
}

/* --- groups: name -> [members] --- */

void load_groups(struct load_state *ls)
{
	struct sctx *c = &ls->c;
	struct fw_tenant *t = c->t;
	const struct ynode *gs = ls->s.groups;

	if (!gs || !s_is_map(c, gs, "groups"))
		return;
	t->groups = calloc(gs->n ? gs->n : 1, sizeof(*t->groups));
	ls->group_nodes = calloc(gs->n ? gs->n : 1, sizeof(*ls->group_nodes));
	if (!t->groups || !ls->group_nodes) {
		c->oom = -ENOMEM;
		return;
	}
	/* Names first: members may name groups defined further down. */
	for (size_t i = 0; i < gs->n; i++) {
		const char *name;

		if (!s_name(c, gs->keys[i], "group name", &name))
			continue;
		t->groups[t->n_groups].name = strdup(name);
		if (!t->groups[t->n_groups].name) {
			c->oom = -ENOMEM;
			return;
		}
		t->groups[t->n_groups].loc = s_loc(c, gs->keys[i]);
		ls->group_nodes[t->n_groups++] = gs->vals[i];
	}
	for (size_t i = 0; i < t->n_groups; i++) {
		struct fw_group *g = &t->groups[i];

		load_refs(ls, ls->group_nodes[i], "group members", &g->members, &g->n_members);
		for (size_t m = 0; m < g->n_members; m++)
			if (g->members[m].kind == FW_REF_INTERNET)
				s_err_at(c, &g->members[m].loc,
				         "group members: 'internet' cannot be a group member");
	}
}
