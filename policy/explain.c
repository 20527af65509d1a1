// SPDX-License-Identifier: GPL-2.0-or-later
/* "FROM TO SERVICE": build the packets and follow them through the plan. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile.h"
#include "fwd/explain.h"
#include "load.h"
#include "path.h"
#include "util.h"

/* A resolved endpoint of an explain question. */
struct point {
	size_t side;
	struct fw_prefix addr; /* one address */
	bool firewall;         /* the firewall itself */
	bool is_public;        /* one of the tenant's public addresses */
	char text[128];
};

static void first_host(struct fw_prefix *p)
{
	/* The first usable address of a prefix stands for it. */
	if (p->len < (p->family == 4 ? 31 : 127))
		fw_addr_add(p, 1);
	p->len = p->family == 4 ? 32 : 128;
}

static int resolve(const struct fw_tenant *t, const char *s, struct point *pt, struct fw_diags *d)
{
	char ab[64];
	ssize_t i;

	memset(pt, 0, sizeof(*pt));
	if (!strcmp(s, "firewall")) {
		pt->firewall = true;
		snprintf(pt->text, sizeof(pt->text), "the firewall");
		return 0;
	}
	if (!strcmp(s, "internet")) {
		/* A documentation address (TEST-NET-2) stands for the internet. */
		fw_prefix_parse("198.51.100.200", false, &pt->addr);
		pt->side = SIDE_INTERNET;
		snprintf(pt->text, sizeof(pt->text), "internet (198.51.100.200)");
		return 0;
	}
	if ((i = tenant_find_host(t, s)) >= 0) {
		const struct fw_host *h = &t->hosts[i];
		pt->addr = h->has_addr4 ? h->addr4 : h->addr6;
		pt->side = SIDE_ZONE(h->zone);
		fw_addr_format(&pt->addr, ab, sizeof(ab));
		snprintf(pt->text, sizeof(pt->text), "%s (%s, zone %s)", h->name, ab,
		         t->zones[h->zone].name);
		return 0;
	}
	if (!strncmp(s, "vpn:", 4) && strncmp(s, "vpn:group:", 10) &&
	    (i = tenant_find_vpn_user(t, s + 4)) >= 0) {
		pt->addr = t->vpn.users[i].addr;
		pt->side = side_count(t) - 1;
		fw_addr_format(&pt->addr, ab, sizeof(ab));
		snprintf(pt->text, sizeof(pt->text), "VPN user %s (%s)", s + 4, ab);
		return 0;
	}
	if (!strncmp(s, "site:", 5) && (i = tenant_find_site(t, s + 5)) >= 0 &&
	    t->vpn.sites[i].n_networks) {
		pt->addr = t->vpn.sites[i].networks[0];
		first_host(&pt->addr);
		pt->side = side_count(t) - 1;
		fw_addr_format(&pt->addr, ab, sizeof(ab));
		snprintf(pt->text, sizeof(pt->text), "site %s (%s)", s + 5, ab);
		return 0;
	}
	if (fw_prefix_parse(s, false, &pt->addr) == 0 &&
	    pt->addr.len == (pt->addr.family == 4 ? 32 : 128)) {
		struct path_addr pa;
		if (path_classify(t, &pt->addr, &pa) < 0)
			return -ENOMEM;
		pt->side = pa.side;
		pt->is_public = pa.is_public;
		/* A gateway or the VPN address: the firewall itself (input). */
		pt->firewall = pa.firewall && !pa.is_public;
		snprintf(pt->text, sizeof(pt->text), "%s (%s)", s,
		         pt->is_public ? "public address" : side_name(t, pt->side));
		return 0;
	}
	if (tenant_find_zone(t, s) >= 0 || tenant_find_group(t, s) >= 0 ||
	    !strncmp(s, "vpn:group:", 10) || !strcmp(s, "vpn:all"))
		fw_error(
		    d, NULL,
		    "'%s' names several hosts; explain takes one host, address, VPN user or site",
		    s);
	else
		fw_error(d, NULL,
		         "'%s' is not a host, VPN user (vpn:NAME), site (site:NAME), address, "
		         "'internet' or 'firewall' of tenant '%s'",
		         s, t->name);
	return -EINVAL;
}

/* Split "tenant/name"; without a prefix the only tenant, or the one that
 * knows the name. */
/* Split "tenant/name" (on FROM, TO or both); without a prefix the only
 * tenant, or the one that knows either name. */
static const struct fw_tenant *pick_tenant(const struct fw_policy *p, const char *from,
                                           const char *to, const char **f, const char **t,
                                           struct fw_diags *d)
{
	const char *names[2] = {from, to};
	const char **outs[2] = {f, t};
	const struct fw_tenant *found = NULL;

	*f = from;
	*t = to;
	for (int k = 0; k < 2; k++) {
		const char *slash = strchr(names[k], '/');
		size_t len = slash ? (size_t)(slash - names[k]) : 0;
		const struct fw_tenant *tn = NULL;

		/* "10.0.0.0/24" is an address, not a tenant. */
		if (!slash || len == 0 || (names[k][0] >= '0' && names[k][0] <= '9') ||
		    memchr(names[k], ':', len))
			continue;
		for (size_t i = 0; i < p->n_tenants; i++)
			if (strlen(p->tenants[i].name) == len &&
			    !strncmp(p->tenants[i].name, names[k], len))
				tn = &p->tenants[i];
		if (!tn) {
			fw_error(d, NULL, "no tenant named '%.*s'", (int)len, names[k]);
			return NULL;
		}
		if (found && found != tn) {
			fw_error(d, NULL,
			         "FROM and TO name different tenants; traffic between "
			         "tenants is always denied");
			return NULL;
		}
		found = tn;
		*outs[k] = slash + 1;
	}
	if (found)
		return found;
	if (p->n_tenants == 1)
		return &p->tenants[0];
	for (size_t i = 0; i < p->n_tenants; i++) {
		const struct fw_tenant *t1 = &p->tenants[i];
		if (tenant_find_host(t1, from) >= 0 || tenant_find_host(t1, to) >= 0)
			return t1;
	}
	fw_error(d, NULL, "several tenants are loaded: name one as TENANT/%s", from);
	return NULL;
}

static int service_ports(const struct fw_tenant *t, const char *svc, struct fw_explain *ex,
                         struct fw_diags *d)
{
	const struct fw_port_spec *ports = NULL;
	struct fw_port_spec one;
	size_t n = 0;
	ssize_t i;

	if (fw_port_spec_parse(svc, &one) == 0 && strcmp(svc, "any") && strcmp(svc, "tcp") &&
	    strcmp(svc, "udp")) {
		ports = &one;
		n = 1;
	} else if ((i = tenant_find_service(t, svc)) >= 0) {
		ports = t->services[i].ports;
		n = t->services[i].n_ports;
	} else if (fw_catalogue_find(svc)) {
		ports = fw_catalogue_find(svc)->ports;
		n = fw_catalogue_find(svc)->n_ports;
	} else {
		fw_error(
		    d, NULL,
		    "'%s' is not a service name or a spec like tcp/1433, udp/53, icmp (explain "
		    "needs one port or service)",
		    svc);
		return -EINVAL;
	}
	for (size_t k = 0; k < n && ex->n_ports < FW_EXPLAIN_MAX_PORTS; k++) {
		struct fw_port_spec s = ports[k];
		s.hi = s.lo;
		ex->ports[ex->n_ports++].spec = s;
	}
	return 0;
}

static void packet(struct fw_packet *pk, const struct point *s, const struct point *dpt,
                   const struct fw_port_spec *ps)
{
	memset(pk, 0, sizeof(*pk));
	pk->family = s->addr.family;
	memcpy(pk->saddr, s->addr.a, 16);
	memcpy(pk->daddr, dpt->addr.a, 16);
	pk->proto = ps->proto;
	pk->sport = 40000;
	pk->dport = ps->lo;
	pk->icmp_type = ps->proto == 58 ? 128 : 8; /* echo request */
	pk->tcp_flags = 0x02;                      /* SYN */
	pk->ct_state = FW_CT_NEW;
}

static void explain_one(const struct fw_plan *plan, const struct fw_tenant *t,
                        const struct point *s, const struct point *d, struct fw_explain_port *ep)
{
	struct fw_packet pk;
	struct point dst = *d;
	struct path_ends e = {.src_side = s->side,
	                      .dst_side = d->side,
	                      .to_firewall = d->firewall,
	                      .dst_public = d->is_public};
	int r;

	if (dst.firewall && d->addr.len == 0)
		path_firewall_addr(t, s->side, s->addr.family, &dst.addr);
	packet(&pk, s, &dst, &ep->spec);
	r = path_follow(plan, t, &e, &pk, &ep->eval, ep->path, sizeof(ep->path));
	ep->allowed = r > 0;
}

int policy_explain(const struct fw_policy *p, const struct fw_plan *plan, const char *from,
                   const char *to, const char *service, struct fw_diags *diags,
                   struct fw_explain *ret)
{
	struct fw_explain ex = {0};
	struct point s, d;
	const char *f, *tt;
	const struct fw_tenant *t = pick_tenant(p, from, to, &f, &tt, diags);
	int r;

	if (!t)
		return -EINVAL;
	if ((r = resolve(t, f, &s, diags)) < 0 || (r = resolve(t, tt, &d, diags)) < 0)
		return r;
	if (s.firewall) {
		fw_error(diags, NULL, "traffic from the firewall itself is not filtered");
		return -EINVAL;
	}
	if (d.addr.family && s.addr.family != d.addr.family) {
		fw_error(diags, NULL, "'%s' and '%s' have no address family in common", f, tt);
		return -EINVAL;
	}
	if ((r = service_ports(t, service, &ex, diags)) < 0)
		return r;
	ex.tenant = t;
	snprintf(ex.from, sizeof(ex.from), "%s", s.text);
	snprintf(ex.to, sizeof(ex.to), "%s", d.text);
	ex.allowed = true;
	for (size_t i = 0; i < ex.n_ports; i++) {
		explain_one(plan, t, &s, &d, &ex.ports[i]);
		ex.allowed &= ex.ports[i].allowed;
	}
	*ret = ex;
	return 0;
}
