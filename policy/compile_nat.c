// SPDX-License-Identifier: GPL-2.0-or-later
/* NAT: DNAT of published services, SNAT/masquerade of egress entries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "planbuild.h"
#include "util.h"

static void emit_snat(struct pb *b, const struct fw_tenant *t);

void emit_nat(struct pb *b, const struct tenant_flows *tf)
{
	const struct fw_tenant *t = tf->t;
	struct fw_val up = val_ifname(t->uplink_if);
	struct fw_plan_rule *r;

	if (t->n_publish) {
		pb_chain(b, "prerouting.nat", FW_HOOK_PREROUTING, FW_CHAIN_NAT, -100,
		         FW_VERDICT_ACCEPT);
		for (size_t i = 0; i < t->n_publish; i++) {
			const struct fw_publish *p = &t->publish[i];
			const struct fw_host *h = &t->hosts[p->host];
			const struct fw_prefix *to =
			    p->public_addr.family == 4 ? &h->addr4 : &h->addr6;
			bool v6 = p->public_addr.family == 6;
			size_t n_from = p->n_from ? p->n_from : 1;
			struct fw_origin o = {.id = p->id, .loc = p->loc};

			for (size_t f = 0; f < n_from; f++) {
				const struct fw_ref *fr = p->n_from ? &p->from[f] : NULL;

				if (fr && fr->kind == FW_REF_CIDR &&
				    fr->cidr.family != p->public_addr.family)
					continue;
				for (size_t a = 0; a < p->n_allow; a++)
					for (size_t k = 0; k < p->allow[a].n_ports; k++) {
						const struct fw_port_spec *ps =
						    &p->allow[a].ports[k];
						struct fw_val dst = val_prefix(&p->public_addr);
						struct fw_val proto = val_u8(ps->proto);
						struct fw_val port = val_port_range(ps->lo, ps->hi);

						r = pb_rule(b, &o);
						pb_cmp(b, r, FW_SEL_IIFNAME, false, &up);
						if (fr && fr->kind == FW_REF_CIDR) {
							struct fw_val src = val_prefix(&fr->cidr);
							pb_cmp(b, r,
							       v6 ? FW_SEL_IP6_SADDR
							          : FW_SEL_IP_SADDR,
							       false, &src);
						}
						pb_cmp(b, r,
						       v6 ? FW_SEL_IP6_DADDR : FW_SEL_IP_DADDR,
						       false, &dst);
						pb_cmp(b, r, FW_SEL_L4PROTO, false, &proto);
						pb_cmp(b, r, FW_SEL_TH_DPORT, false, &port);
						pb_nat(b, r, FW_ST_DNAT, to, p->to_port);
					}
			}
		}
	}
	if (t->n_egress)
		emit_snat(b, t);
}

struct snat_src {
	const struct fw_egress *e;
	struct fw_prefix p;
	size_t order;
};

/* Most specific source first, then policy order: nft takes the first
 * matching NAT rule, and a host's own egress entry must win over its zone's. */
static int cmp_snat(const void *a, const void *b)
{
	const struct snat_src *x = a, *y = b;

	if (x->p.len != y->p.len)
		return x->p.len > y->p.len ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

static void emit_snat(struct pb *b, const struct fw_tenant *t)
{
	struct fw_val up = val_ifname(t->uplink_if);
	struct snat_src *v = NULL;
	size_t n = 0, cap = 0;

	pb_chain(b, "postrouting.nat", FW_HOOK_POSTROUTING, FW_CHAIN_NAT, 100, FW_VERDICT_ACCEPT);
	for (size_t i = 0; i < t->n_egress; i++) {
		const struct fw_egress *e = &t->egress[i];
		struct eplist src = {0};

		for (size_t f = 0; f < e->n_from; f++)
			if (expand_ref(t, &e->from[f], &src) < 0)
				b->err = -ENOMEM;
		for (size_t k = 0; k < src.n; k++) {
			const struct fw_prefix *p = &src.v[k].p;
			/* IPv6 is routed, not translated, unless an IPv6 snat is set. */
			if (e->has_snat ? p->family != e->snat.family : p->family != 4)
				continue;
			struct snat_src *x = fw_push((void **)&v, &n, &cap, sizeof(*v));
			if (!x) {
				b->err = -ENOMEM;
				break;
			}
			*x = (struct snat_src){e, *p, n};
		}
		free(src.v);
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_snat);
	for (size_t i = 0; i < n && !b->err; i++) {
		const struct fw_egress *e = v[i].e;
		struct fw_origin o = {.id = e->id, .loc = e->loc};
		struct fw_val sv = val_prefix(&v[i].p);

		for (size_t a = 0; a < e->n_allow; a++)
			for (size_t k = 0; k < e->allow[a].n_ports; k++) {
				const struct fw_port_spec *ps = &e->allow[a].ports[k];
				struct fw_plan_rule *r = pb_rule(b, &o);

				pb_cmp(b, r, FW_SEL_OIFNAME, false, &up);
				pb_cmp(b, r,
				       v[i].p.family == 4 ? FW_SEL_IP_SADDR : FW_SEL_IP6_SADDR,
				       false, &sv);
				/* Only what this entry allows takes its address. */
				if (ps->proto) {
					struct fw_val pr = val_u8(ps->proto);
					pb_cmp(b, r, FW_SEL_L4PROTO, false, &pr);
				}
				if ((ps->proto == 6 || ps->proto == 17) &&
				    !(ps->lo == 0 && ps->hi == 65535)) {
					struct fw_val port = val_port_range(ps->lo, ps->hi);
					pb_cmp(b, r, FW_SEL_TH_DPORT, false, &port);
				}
				if (e->has_snat)
					pb_nat(b, r, FW_ST_SNAT, &e->snat, 0);
				else
					pb_nat(b, r, FW_ST_MASQ, NULL, 0);
			}
	}
	free(v);
}
