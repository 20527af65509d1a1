// SPDX-License-Identifier: GPL-2.0-or-later
/* rules, publish, egress and management sections. */
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "util.h"

struct item_ctx {
	struct load_state *ls;
	void *obj;
	const struct ynode *id, *port, *host, *address, *snat;
};

static void k_id(struct sctx *c, const struct ynode *v, void *obj)
{
	const char *s;

	if (s_name(c, v, "id", &s))
		((struct item_ctx *)obj)->id = v;
}

/* Set the item's id from `id:` or "<prefix>-N"; ids are unique per tenant. */
static char *item_id(struct sctx *c, const struct ynode *idn, const char *prefix, size_t pos)
{
	char buf[FW_NAME_MAX + 16];
	char *id;

	if (idn)
		id = strdup(idn->str);
	else {
		snprintf(buf, sizeof(buf), "%s-%zu", prefix, pos + 1);
		id = strdup(buf);
	}
	if (!id)
		c->oom = -ENOMEM;
	return id;
}

/* --- rules --- */

#define RULE(ic) ((struct fw_rule *)(ic)->obj)

static void k_rule_from(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;

	(void)c;
	load_refs(ic->ls, v, "from", &RULE(ic)->from, &RULE(ic)->n_from);
}

static void k_rule_to(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;
	struct fw_rule *r = RULE(ic);

	load_refs(ic->ls, v, "to", &r->to, &r->n_to);
	for (size_t i = 0; i < r->n_to; i++)
		if (r->to[i].kind == FW_REF_INTERNET)
			s_err_at(c, &r->to[i].loc,
			         "to: 'internet' is not a rule destination; internet access is "
			         "given in 'egress' (it also sets up SNAT)");
}

static void k_rule_allow(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;

	(void)c;
	load_svc_refs(ic->ls, v, "allow", &RULE(ic)->allow, &RULE(ic)->n_allow);
}

static void k_rule_log(struct sctx *c, const struct ynode *v, void *obj)
{
	s_bool(c, v, "log", &RULE((struct item_ctx *)obj)->log);
}

static void k_rule_counter(struct sctx *c, const struct ynode *v, void *obj)
{
	s_bool(c, v, "counter", &RULE((struct item_ctx *)obj)->counter);
}

static void k_rule_comment(struct sctx *c, const struct ynode *v, void *obj)
{
	s_strdup(c, v, "comment", &RULE((struct item_ctx *)obj)->comment);
}

void load_rules(struct load_state *ls)
{
	static const struct s_key keys[] = {
	    {"id", false, k_id},
	    {"from", true, k_rule_from},
	    {"to", true, k_rule_to},
	    {"allow", true, k_rule_allow},
	    {"log", false, k_rule_log},
	    {"counter", false, k_rule_counter},
	    {"comment", false, k_rule_comment},
	};
	struct sctx *c = &ls->c;
	struct fw_tenant *t = c->t;
	const struct ynode *rs = ls->s.rules;

	if (!rs || !s_is_seq(c, rs, "rules"))
		return;
	t->rules = calloc(rs->n ? rs->n : 1, sizeof(*t->rules));
	if (!t->rules) {
		c->oom = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < rs->n; i++) {
		struct fw_rule *r = &t->rules[t->n_rules++];
		struct item_ctx ic = {.ls = ls, .obj = r};

		r->loc = s_loc(c, rs->vals[i]);
		s_walk(c, rs->vals[i], "a rule", keys, ARRAY_SIZE(keys), &ic);
		r->id = item_id(c, ic.id, "rule", i);
	}
}

/* --- publish --- */

#define PUB(ic) ((struct fw_publish *)(ic)->obj)

static void k_pub_address(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;

	if (s_addr(c, v, "address", 0, &PUB(ic)->public_addr))
		ic->address = v;
}

static void k_pub_allow(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;
	struct fw_publish *p = PUB(ic);

	load_svc_refs(ic->ls, v, "allow", &p->allow, &p->n_allow);
	for (size_t i = 0; i < p->n_allow; i++)
		for (size_t j = 0; j < p->allow[i].n_ports; j++) {
			uint8_t proto = p->allow[i].ports[j].proto;
			if (proto != 6 && proto != 17) {
				s_err_at(c, &p->allow[i].loc,
				         "allow: '%s' includes %s; only tcp and udp services can "
				         "be published",
				         p->allow[i].text, fw_proto_name(proto));
				break;
			}
		}
}

static void k_pub_host(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;
	const char *s;
	ssize_t h;

	if (!s_str(c, v, "host", &s))
		return;
	h = tenant_find_host(c->t, s);
	if (h < 0) {
		s_err(c, v, "host: no host named '%.64s'", s);
		return;
	}
	PUB(ic)->host = (size_t)h;
	ic->host = v;
}

static void k_pub_port(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;
	unsigned long port;

	if (s_uint(c, v, "port", 1, 65535, "a port", &port)) {
		PUB(ic)->to_port = (uint16_t)port;
		ic->port = v;
	}
}

static void k_pub_from(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;
	struct fw_publish *p = PUB(ic);

	load_refs(ic->ls, v, "from", &p->from, &p->n_from);
	for (size_t i = 0; i < p->n_from; i++)
		if (p->from[i].kind != FW_REF_INTERNET && p->from[i].kind != FW_REF_CIDR)
			s_err_at(c, &p->from[i].loc,
			         "from: a published service is reached from 'internet' or "
			         "addresses on it, found '%s'; use a rule for internal access",
			         p->from[i].text);
}

static void k_pub_log(struct sctx *c, const struct ynode *v, void *obj)
{
	s_bool(c, v, "log", &PUB((struct item_ctx *)obj)->log);
}

static void k_pub_comment(struct sctx *c, const struct ynode *v, void *obj)
{
	s_strdup(c, v, "comment", &PUB((struct item_ctx *)obj)->comment);
}

static bool is_public_addr(const struct fw_tenant *t, const struct fw_prefix *a)
{
	for (size_t i = 0; i < t->n_public; i++)
		if (!memcmp(&t->public_addrs[i], a, sizeof(*a)))
			return true;
	return false;
}

void load_publish(struct load_state *ls)
{
	static const struct s_key keys[] = {
	    {"id", false, k_id},          {"address", true, k_pub_address},
	    {"allow", true, k_pub_allow}, {"host", true, k_pub_host},
	    {"port", false, k_pub_port},  {"from", false, k_pub_from},
	    {"log", false, k_pub_log},    {"comment", false, k_pub_comment},
	};
	struct sctx *c = &ls->c;
	struct fw_tenant *t = c->t;
	const struct ynode *ps = ls->s.publish;

	if (!ps || !s_is_seq(c, ps, "publish"))
		return;
	t->publish = calloc(ps->n ? ps->n : 1, sizeof(*t->publish));
	if (!t->publish) {
		c->oom = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < ps->n; i++) {
		struct fw_publish *p = &t->publish[t->n_publish++];
		struct item_ctx ic = {.ls = ls, .obj = p};

		p->loc = s_loc(c, ps->vals[i]);
		s_walk(c, ps->vals[i], "a publish entry", keys, ARRAY_SIZE(keys), &ic);
		p->id = item_id(c, ic.id, "publish", i);
		if (ic.address && !is_public_addr(t, &p->public_addr))
			s_err(c, ic.address, "address: %s is not one of uplink.addresses",
			      ic.address->str);
		if (ic.address && ic.host) {
			const struct fw_host *h = &t->hosts[p->host];
			bool v6 = p->public_addr.family == 6;
			if (v6 ? !h->has_addr6 : !h->has_addr4)
				s_err(c, ic.host, "host: '%s' has no %s address to publish %s on",
				      h->name, v6 ? "IPv6" : "IPv4", ic.address->str);
		}
		if (ic.port) {
			size_t n = 0;
			bool single = true;
			for (size_t a = 0; a < p->n_allow; a++)
				for (size_t j = 0; j < p->allow[a].n_ports; j++, n++)
					single &=
					    p->allow[a].ports[j].lo == p->allow[a].ports[j].hi;
			if (n != 1 || !single)
				s_err(
				    c, ic.port,
				    "port: a target port needs exactly one single-port service in "
				    "'allow'");
		}
	}
}

/* --- egress --- */

#define EGR(ic) ((struct fw_egress *)(ic)->obj)

static void k_egr_from(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;
	struct fw_egress *e = EGR(ic);

	load_refs(ic->ls, v, "from", &e->from, &e->n_from);
	for (size_t i = 0; i < e->n_from; i++)
		if (e->from[i].kind == FW_REF_INTERNET)
			s_err_at(c, &e->from[i].loc,
			         "from: egress is for internal sources, found 'internet'");
}

static void k_egr_allow(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;

	(void)c;
	load_svc_refs(ic->ls, v, "allow", &EGR(ic)->allow, &EGR(ic)->n_allow);
}

static void k_egr_snat(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;

	if (s_addr(c, v, "snat", 0, &EGR(ic)->snat)) {
		EGR(ic)->has_snat = true;
		ic->snat = v;
	}
}

static void k_egr_log(struct sctx *c, const struct ynode *v, void *obj)
{
	s_bool(c, v, "log", &EGR((struct item_ctx *)obj)->log);
}

static void k_egr_comment(struct sctx *c, const struct ynode *v, void *obj)
{
	s_strdup(c, v, "comment", &EGR((struct item_ctx *)obj)->comment);
}

void load_egress(struct load_state *ls)
{
	static const struct s_key keys[] = {
	    {"id", false, k_id},           {"from", true, k_egr_from},
	    {"allow", false, k_egr_allow}, {"snat", false, k_egr_snat},
	    {"log", false, k_egr_log},     {"comment", false, k_egr_comment},
	};
	struct sctx *c = &ls->c;
	struct fw_tenant *t = c->t;
	const struct ynode *es = ls->s.egress;

	if (!es || !s_is_seq(c, es, "egress"))
		return;
	t->egress = calloc(es->n ? es->n : 1, sizeof(*t->egress));
	if (!t->egress) {
		c->oom = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < es->n; i++) {
		struct fw_egress *e = &t->egress[t->n_egress++];
		struct item_ctx ic = {.ls = ls, .obj = e};

		e->loc = s_loc(c, es->vals[i]);
		s_walk(c, es->vals[i], "an egress entry", keys, ARRAY_SIZE(keys), &ic);
		e->id = item_id(c, ic.id, "egress", i);
		if (ic.snat && !is_public_addr(t, &e->snat))
			s_err(c, ic.snat, "snat: %s is not one of uplink.addresses", ic.snat->str);
		if (!e->allow && es->vals[i]->kind == YN_MAP && !ymap_get(es->vals[i], "allow")) {
			e->allow = calloc(1, sizeof(*e->allow));
			if (e->allow)
				e->allow[0].ports = calloc(1, sizeof(*e->allow[0].ports));
			if (!e->allow || !e->allow[0].ports ||
			    !(e->allow[0].text = strdup("any"))) {
				c->oom = -ENOMEM;
				continue;
			}
			e->allow[0].ports[0] = (struct fw_port_spec){0, 0, 65535, e->loc};
			e->allow[0].n_ports = 1;
			e->allow[0].loc = e->loc;
			e->n_allow = 1;
		}
	}
}

/* --- management --- */

#define MGMT(ic) ((struct fw_mgmt *)(ic)->obj)

static void k_mgmt_from(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;

	(void)c;
	load_refs(ic->ls, v, "from", &MGMT(ic)->from, &MGMT(ic)->n_from);
}

static void k_mgmt_allow(struct sctx *c, const struct ynode *v, void *obj)
{
	struct item_ctx *ic = obj;

	(void)c;
	load_svc_refs(ic->ls, v, "allow", &MGMT(ic)->allow, &MGMT(ic)->n_allow);
}

static void k_mgmt_log(struct sctx *c, const struct ynode *v, void *obj)
{
	s_bool(c, v, "log", &MGMT((struct item_ctx *)obj)->log);
}

static void k_mgmt_comment(struct sctx *c, const struct ynode *v, void *obj)
{
	s_strdup(c, v, "comment", &MGMT((struct item_ctx *)obj)->comment);
}

void load_management(struct load_state *ls)
{
	static const struct s_key keys[] = {
	    {"id", false, k_id},
	    {"from", true, k_mgmt_from},
	    {"allow", true, k_mgmt_allow},
	    {"log", false, k_mgmt_log},
	    {"comment", false, k_mgmt_comment},
	};
	struct sctx *c = &ls->c;
	struct fw_tenant *t = c->t;
	const struct ynode *ms = ls->s.management;

	if (!ms || !s_is_seq(c, ms, "management"))
		return;
	t->mgmt = calloc(ms->n ? ms->n : 1, sizeof(*t->mgmt));
	if (!t->mgmt) {
		c->oom = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < ms->n; i++) {
		struct fw_mgmt *m = &t->mgmt[t->n_mgmt++];
		struct item_ctx ic = {.ls = ls, .obj = m};

		m->loc = s_loc(c, ms->vals[i]);
		s_walk(c, ms->vals[i], "a management entry", keys, ARRAY_SIZE(keys), &ic);
		m->id = item_id(c, ic.id, "management", i);
	}
}
