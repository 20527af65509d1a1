// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The steps from what the kernel has to the L2 plan (pure: no netlink).
 *
 * Additions and changes come first, in an order that never lets a link
 * forward before it is configured: a bridge gets VLAN filtering (with no
 * default VLAN) before any port joins, a gateway its sysctls and addresses
 * before it goes up (after its bridge: the kernel wants the lower device
 * up), a port its isolation before its VLANs. Removals come
 * last: VLANs and addresses the plan no longer has, then links of ours the
 * plan does not name (gateways before their bridge, a bridge's ports
 * released before it goes). Each removal step keeps what undoing it needs.
 *
 * The diff models what its own steps do to the kernel's state (a new
 * bridge starts with VLAN 1 as pvid until its default pvid is set to none,
 * which also removes that VLAN where it is an untagged pvid; a new port
 * starts with no VLANs and no flags), so a second diff right after the
 * steps were applied is empty.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2.h"

/* A kernel link is HANDLED once decided on (kept, replaced or removed),
 * RELEASED once a step takes it out of its bridge. */
#define MARK_HANDLED  1u
#define MARK_RELEASED 2u

struct diff {
	const struct l2_kstate *k;
	const struct fw_l2_plan *plan;
	struct l2_steps adds, dels, sweep;
	unsigned char *mark; /* per kernel link: MARK_* */
	struct fw_diags *d;
	int err;
};

void l2_vset_add(struct l2_vset *s, unsigned vid, bool pvid, bool untagged)
{
	if (vid == 0 || vid > L2_VID_MAX)
		return;
	s->member[vid / 32] |= 1u << (vid % 32);
	if (untagged)
		s->untagged[vid / 32] |= 1u << (vid % 32);
	else
		s->untagged[vid / 32] &= ~(1u << (vid % 32));
	if (pvid)
		s->pvid = (uint16_t)vid;
	else if (s->pvid == vid)
		s->pvid = 0;
}

void l2_vset_del(struct l2_vset *s, unsigned vid)
{
	if (vid == 0 || vid > L2_VID_MAX)
		return;
	s->member[vid / 32] &= ~(1u << (vid % 32));
	s->untagged[vid / 32] &= ~(1u << (vid % 32));
	if (s->pvid == vid)
		s->pvid = 0;
}

bool l2_klink_ours(const struct l2_klink *l)
{
	return !strncmp(l->alias, L2_ALIAS_PREFIX, strlen(L2_ALIAS_PREFIX));
}

const struct l2_klink *l2_kstate_find(const struct l2_kstate *k, const char *name)
{
	for (size_t i = 0; i < k->n_links; i++)
		if (!strcmp(k->links[i].name, name))
			return &k->links[i];
	return NULL;
}

const struct l2_klink *l2_kstate_by_index(const struct l2_kstate *k, int ifindex)
{
	for (size_t i = 0; ifindex > 0 && i < k->n_links; i++)
		if (k->links[i].ifindex == ifindex)
			return &k->links[i];
	return NULL;
}

void l2_steps_free(struct l2_steps *s)
{
	for (size_t i = 0; s && i < s->n; i++)
		free(s->v[i].prev);
	if (s)
		free(s->v);
}

static struct l2_step *push(struct diff *df, struct l2_steps *s, enum l2_op op, const char *dev,
                            const struct fw_loc *loc)
{
	struct l2_step *st;

	if (df->err == -ENOMEM)
		return NULL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct l2_step *v = cap <= L2_MAX_STEPS ? realloc(s->v, cap * sizeof(*v)) : NULL;

		if (!v) {
			df->err = -ENOMEM;
			return NULL;
		}
		s->v = v;
		s->cap = cap;
	}
	st = &s->v[s->n++];
	memset(st, 0, sizeof(*st));
	st->op = op;
	snprintf(st->dev, sizeof(st->dev), "%s", dev);
	st->loc = loc;
	return st;
}

/* A copy of the link for the undo of a removal. */
static struct l2_step *push_removal(struct diff *df, struct l2_steps *s, enum l2_op op,
                                    const struct l2_klink *l)
{
	struct l2_step *st = push(df, s, op, l->name, NULL);

	if (!st)
		return NULL;
	st->prev = malloc(sizeof(*st->prev));
	if (!st->prev) {
		s->n--;
		df->err = -ENOMEM;
		return NULL;
	}
	*st->prev = *l;
	return st;
}

static void fail(struct diff *df, int err)
{
	if (!df->err)
		df->err = err;
}

static size_t index_of(const struct diff *df, const struct l2_klink *l)
{
	return (size_t)(l - df->k->links);
}

/* A port leaves our bridge `br`: one step, its VLANs and flags kept for undo. */
static void release_port(struct diff *df, struct l2_steps *s, const struct l2_klink *port,
                         const struct l2_klink *br)
{
	struct l2_step *st;

	if (df->mark[index_of(df, port)] & MARK_RELEASED)
		return;
	df->mark[index_of(df, port)] |= MARK_RELEASED;
	st = push_removal(df, s, L2_OP_RELEASE, port);
	if (st)
		snprintf(st->master, sizeof(st->master), "%s", br->name);
}

static void remove_gateway(struct diff *df, struct l2_steps *s, const struct l2_klink *gw)
{
	const struct l2_klink *lower = l2_kstate_by_index(df->k, gw->lower);
	struct l2_step *st = push_removal(df, s, L2_OP_LINK_DEL, gw);

	df->mark[index_of(df, gw)] |= MARK_HANDLED;
	if (st && lower)
		snprintf(st->prev_master, sizeof(st->prev_master), "%s", lower->name);
}

static bool planned_port_elsewhere(const struct diff *df, const char *name,
                                   const struct fw_l2_bridge *except)
{
	for (size_t i = 0; i < df->plan->n_bridges; i++) {
		const struct fw_l2_bridge *b = &df->plan->bridges[i];

		for (size_t j = 0; b != except && j < b->n_ports; j++)
			if (!strcmp(b->ports[j].ifname, name))
				return true;
	}
	return false;
}

/* Remove one of our links (a bridge with what hangs on it, or a gateway). */
static void remove_link(struct diff *df, struct l2_steps *s, const struct l2_klink *l)
{
	const struct l2_kstate *k = df->k;
	bool foreign_upper = false;

	if (df->mark[index_of(df, l)] & MARK_HANDLED)
		return;
	if (!strcmp(l->kind, "vlan")) {
		remove_gateway(df, s, l);
		return;
	}
	df->mark[index_of(df, l)] |= MARK_HANDLED;
	if (strcmp(l->kind, "bridge") != 0) {
		/* fwd makes bridges and 802.1Q devices only: somebody else
		 * aliased this one, it is not ours to delete */
		fw_warning(df->d, NULL,
		           "l2: %s: alias %s but a %s link, not made by fwd: not touched", l->name,
		           l->alias, l->kind[0] ? l->kind : "plain");
		return;
	}
	for (size_t i = 0; i < k->n_links; i++) {
		const struct l2_klink *p = &k->links[i];

		if (p->master == l->ifindex)
			release_port(df, s, p, l);
		if (p->lower == l->ifindex && !strcmp(p->kind, "vlan")) {
			if (l2_klink_ours(p))
				remove_link(df, s, p);
			else
				foreign_upper = true;
		}
	}
	if (foreign_upper) {
		fw_warning(df->d, NULL,
		           "l2: %s: not deleted: 802.1Q devices fwd did not make are on it",
		           l->name);
		return;
	}
	push_removal(df, s, L2_OP_LINK_DEL, l);
}

static unsigned vflags(const struct l2_vset *s, unsigned vid)
{
	return (s->pvid == vid ? L2_VF_PVID : 0) | (l2_vset_untagged(s, vid) ? L2_VF_UNTAGGED : 0);
}

/* VLAN additions/changes (to `adds`) and deletions (to `dels`) that turn
 * `have` into `want`; consecutive VLANs alike become one range (never one
 * with a pvid: the kernel takes a pvid only for a single VLAN). */
static void diff_vset(struct diff *df, const char *dev, bool self, const struct l2_vset *have,
                      const struct l2_vset *want, const struct fw_loc *loc)
{
	struct l2_step *add = NULL, *del = NULL;

	for (unsigned vid = 1; vid <= L2_VID_MAX; vid++) {
		bool h = l2_vset_has(have, vid), w = l2_vset_has(want, vid);
		unsigned hf = h ? vflags(have, vid) : 0, wf = w ? vflags(want, vid) : 0;

		if (w && (!h || hf != wf)) {
			if (add && add->vid_end == vid - 1 && add->flags == wf &&
			    add->prev_member == h && add->prev_flags == hf &&
			    !((wf | hf) & L2_VF_PVID)) {
				add->vid_end = (uint16_t)vid;
			} else if ((add = push(df, &df->adds, L2_OP_VLAN_ADD, dev, loc))) {
				add->self = self;
				add->vid = add->vid_end = (uint16_t)vid;
				add->flags = wf;
				add->prev_member = h;
				add->prev_flags = hf;
			}
		}
		if (h && !w) {
			if (del && del->vid_end == vid - 1 && del->prev_flags == hf &&
			    !(hf & L2_VF_PVID)) {
				del->vid_end = (uint16_t)vid;
			} else if ((del = push(df, &df->dels, L2_OP_VLAN_DEL, dev, NULL))) {
				del->self = self;
				del->vid = del->vid_end = (uint16_t)vid;
				del->prev_flags = hf;
			}
		}
	}
}

/* What the kernel does when the default pvid goes from `pvid` to none:
 * that VLAN goes where it is still the untagged pvid. */
static void drop_default_pvid(struct l2_vset *s, uint16_t pvid)
{
	if (pvid && s->pvid == pvid && l2_vset_untagged(s, pvid))
		l2_vset_del(s, pvid);
}

static void want_sysctl(struct diff *df, const struct fw_l2_vlan *v, const int *have)
{
	const int want[L2_N_SYSCTL] = {
	    [L2_SYSCTL_PROXY_ARP] = v->proxy_arp,
	    [L2_SYSCTL_PROXY_ARP_PVLAN] = v->proxy_arp,
	    /* the gateway of an isolated zone sends a host to the firewall
	     * for its neighbours, never past it */
	    [L2_SYSCTL_SEND_REDIRECTS] = !v->proxy_arp,
	};

	for (int i = 0; i < L2_N_SYSCTL; i++) {
		struct l2_step *st;

		if (have[i] == want[i])
			continue;
		if (!(st = push(df, &df->adds, L2_OP_SYSCTL, v->ifname, &v->loc)))
			return;
		st->key = (enum l2_sysctl)i;
		st->value = want[i];
		st->prev_value = have[i] < 0 ? !want[i] : have[i];
	}
}

static bool same_prefix(const struct fw_prefix *a, const struct fw_prefix *b)
{
	size_t n = a->family == 4 ? 4 : 16;

	return a->family == b->family && a->len == b->len && !memcmp(a->a, b->a, n);
}

static void diff_addrs(struct diff *df, const struct fw_l2_vlan *v, const struct fw_prefix *have,
                       size_t n_have)
{
	const struct fw_prefix *want[2];
	size_t n_want = 0;

	if (v->has_gw4)
		want[n_want++] = &v->gw4;
	if (v->has_gw6)
		want[n_want++] = &v->gw6;
	for (size_t i = 0; i < n_want; i++) {
		bool found = false;
		struct l2_step *st;

		for (size_t j = 0; j < n_have && !found; j++)
			found = same_prefix(want[i], &have[j]);
		if (!found && (st = push(df, &df->adds, L2_OP_ADDR_ADD, v->ifname, &v->loc)))
			st->addr = *want[i];
	}
	for (size_t j = 0; j < n_have; j++) {
		bool found = false;
		struct l2_step *st;

		for (size_t i = 0; i < n_want && !found; i++)
			found = same_prefix(want[i], &have[j]);
		if (!found && (st = push(df, &df->dels, L2_OP_ADDR_DEL, v->ifname, NULL)))
			st->addr = have[j];
	}
}

static void want_alias(char *buf, size_t n, const struct fw_l2_bridge *b)
{
	snprintf(buf, n, "%s%s", L2_ALIAS_PREFIX, b->tenant ? b->tenant : "");
}

/* A planned name held by somebody else's link: nothing of the plan is done. */
static void refuse_foreign(struct diff *df, const struct l2_klink *l, const char *what,
                           const char *alias, const struct fw_loc *loc)
{
	fw_error(df->d, loc,
	         "l2: %s: %s: a link of that name exists that fwd did not create (alias \"%s\", "
	         "not \"%s\"): not touched",
	         l->name, what, l->alias, alias);
	fail(df, -EEXIST);
}

static void diff_gateway(struct diff *df, const struct fw_l2_bridge *b, const struct fw_l2_vlan *v,
                         int br_ifindex, const char *alias)
{
	const struct l2_klink *g = l2_kstate_find(df->k, v->ifname);
	struct l2_klink cur = {.sysctl = {-1, -1, -1}};
	struct l2_step *st;

	if (g && !l2_klink_ours(g)) {
		refuse_foreign(df, g, "gateway", alias, &v->loc);
		return;
	}
	if (g && (df->mark[index_of(df, g)] & MARK_HANDLED))
		g = NULL; /* removed with the bridge it was on */
	if (g && (strcmp(g->kind, "vlan") != 0 || g->lower != br_ifindex || g->vid != v->vid ||
	          strcmp(g->alias, alias) != 0)) {
		remove_link(df, &df->adds, g); /* not what the plan says: made again */
		g = NULL;
	}
	if (g) {
		df->mark[index_of(df, g)] |= MARK_HANDLED;
		cur = *g;
	} else {
		if (!(st = push(df, &df->adds, L2_OP_GW_ADD, v->ifname, &v->loc)))
			return;
		snprintf(st->master, sizeof(st->master), "%s", b->name);
		snprintf(st->alias, sizeof(st->alias), "%s", alias);
		st->vid = v->vid;
		memcpy(cur.sysctl, df->k->sysctl_default, sizeof(cur.sysctl));
	}
	want_sysctl(df, v, cur.sysctl);
	diff_addrs(df, v, cur.addrs, cur.n_addrs);
	if (!cur.up && (st = push(df, &df->adds, L2_OP_UP, v->ifname, &v->loc)))
		st->on = true;
}

static void diff_port(struct diff *df, const struct fw_l2_bridge *b, const struct fw_l2_port *p,
                      const struct l2_klink *br, uint16_t dropped_pvid)
{
	const struct l2_klink *l = l2_kstate_find(df->k, p->ifname);
	struct l2_klink cur = {0};
	struct l2_vset want = {0};
	struct l2_step *st;

	if (!l) {
		fw_warning(df->d, &p->loc,
		           "l2: %s: %s of %s: no such interface (it is configured when it appears)",
		           p->ifname, p->pvid ? "access port" : "trunk", b->name);
		return;
	}
	if (l2_klink_ours(l) && (!strcmp(l->kind, "bridge") || !strcmp(l->kind, "vlan"))) {
		fw_error(df->d, &p->loc, "l2: %s: cannot be a port of %s: fwd made it for %s",
		         l->name, b->name, l->alias + strlen(L2_ALIAS_PREFIX));
		fail(df, -EINVAL);
		return;
	}
	if (br && l->master == br->ifindex) {
		cur = *l;
		drop_default_pvid(&cur.vlans, dropped_pvid);
	} else {
		const struct l2_klink *m = l2_kstate_by_index(df->k, l->master);

		if (l->master && !(m && l2_klink_ours(m) && !strcmp(m->kind, "bridge"))) {
			fw_error(
			    df->d, &p->loc,
			    "l2: %s: %s of %s: already a port of %s, which fwd did not create: "
			    "not taken over",
			    l->name, p->pvid ? "access port" : "trunk", b->name,
			    m ? m->name : "another device");
			fail(df, -EBUSY);
			return;
		}
		if (m)
			release_port(df, &df->adds, l, m); /* moves from another of our bridges */
		if (!(st = push(df, &df->adds, L2_OP_ENSLAVE, p->ifname, &p->loc)))
			return;
		snprintf(st->master, sizeof(st->master), "%s", b->name);
	}
	if (cur.isolated != p->isolated &&
	    (st = push(df, &df->adds, L2_OP_PORT_FLAG, p->ifname, &p->loc))) {
		st->flag = L2_PORT_ISOLATED;
		st->on = p->isolated;
	}
	/* hairpin would send a frame back out of the port it came in by:
	 * past the hypervisor's port isolation, around the policy */
	if (cur.hairpin && (st = push(df, &df->adds, L2_OP_PORT_FLAG, p->ifname, &p->loc))) {
		st->flag = L2_PORT_HAIRPIN;
		st->on = false;
	}
	if (p->pvid)
		l2_vset_add(&want, p->pvid, true, true);
	else
		for (size_t i = 0; i < b->n_vlans; i++)
			l2_vset_add(&want, b->vlans[i].vid, false, false);
	diff_vset(df, p->ifname, false, &cur.vlans, &want, &p->loc);
}

static void diff_bridge(struct diff *df, const struct fw_l2_bridge *b)
{
	const struct l2_klink *br = l2_kstate_find(df->k, b->name);
	struct l2_klink cur = {0};
	struct l2_vset want = {0};
	char alias[L2_ALIAS_MAX];
	uint16_t dropped = 0;
	struct l2_step *st;

	want_alias(alias, sizeof(alias), b);
	if (br && !l2_klink_ours(br)) {
		refuse_foreign(df, br, "bridge", alias, &b->loc);
		return;
	}
	if (br && (strcmp(br->kind, "bridge") != 0 || strcmp(br->alias, alias) != 0)) {
		remove_link(df, &df->adds, br); /* another tenant's or not a bridge */
		br = NULL;
	}
	if (br) {
		df->mark[index_of(df, br)] |= MARK_HANDLED;
		cur = *br;
	} else {
		if (!(st = push(df, &df->adds, L2_OP_BRIDGE_ADD, b->name, &b->loc)))
			return;
		snprintf(st->alias, sizeof(st->alias), "%s", alias);
		/* the kernel's defaults for a new bridge */
		cur.default_pvid = 1;
		l2_vset_add(&cur.vlans, 1, true, true);
	}
	if (!cur.filtering || cur.default_pvid) {
		if (!(st = push(df, &df->adds, L2_OP_BRIDGE_VLAN, b->name, &b->loc)))
			return;
		st->on = true;
		st->prev_on = cur.filtering;
		st->prev_pvid = cur.default_pvid;
		dropped = cur.default_pvid;
		drop_default_pvid(&cur.vlans, dropped);
	}
	/* up before its gateways: an 802.1Q device cannot go up on a
	 * lower device that is down (ENETDOWN); with no port yet nothing
	 * passes */
	if (!cur.up && (st = push(df, &df->adds, L2_OP_UP, b->name, &b->loc)))
		st->on = true;
	for (size_t i = 0; i < b->n_vlans; i++)
		l2_vset_add(&want, b->vlans[i].vid, false, false);
	diff_vset(df, b->name, true, &cur.vlans, &want, &b->loc);
	for (size_t i = 0; i < b->n_vlans; i++)
		diff_gateway(df, b, &b->vlans[i], br ? br->ifindex : -1, alias);
	for (size_t i = 0; i < b->n_ports; i++)
		diff_port(df, b, &b->ports[i], br, dropped);
	/* ports the plan no longer has (those moving to another of our
	 * bridges are released there, right before they join it) */
	for (size_t i = 0; br && i < df->k->n_links; i++) {
		const struct l2_klink *p = &df->k->links[i];
		bool planned = false;

		if (p->master != br->ifindex)
			continue;
		for (size_t j = 0; j < b->n_ports && !planned; j++)
			planned = !strcmp(b->ports[j].ifname, p->name);
		if (!planned && !planned_port_elsewhere(df, p->name, b))
			release_port(df, &df->dels, p, br);
	}
}

static int append(struct l2_steps *to, struct l2_steps *from)
{
	if (from->n && to->n + from->n > to->cap) {
		struct l2_step *v = realloc(to->v, (to->n + from->n) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		to->v = v;
		to->cap = to->n + from->n;
	}
	if (from->n)
		memcpy(to->v + to->n, from->v, from->n * sizeof(*from->v));
	to->n += from->n;
	from->n = 0; /* the removal copies moved too */
	return 0;
}

int l2_diff(const struct l2_kstate *k, const struct fw_l2_plan *plan, struct l2_steps *ret,
            struct fw_diags *diags)
{
	static const struct fw_l2_plan empty;
	struct diff df = {.k = k, .plan = plan ? plan : &empty, .d = diags};

	if (!k || !ret || !diags)
		return -EINVAL;
	df.mark = calloc(k->n_links + 1, sizeof(*df.mark));
	if (!df.mark)
		return -ENOMEM;
	for (size_t i = 0; i < df.plan->n_bridges && df.err != -ENOMEM; i++)
		diff_bridge(&df, &df.plan->bridges[i]);
	/* our links the plan does not have */
	for (size_t i = 0; i < k->n_links && df.err != -ENOMEM; i++)
		if (l2_klink_ours(&k->links[i]) && !(df.mark[i] & MARK_HANDLED))
			remove_link(&df, &df.sweep, &k->links[i]);
	if (!df.err)
		df.err = append(&df.adds, &df.dels);
	if (!df.err)
		df.err = append(&df.adds, &df.sweep);
	free(df.mark);
	l2_steps_free(&df.dels);
	l2_steps_free(&df.sweep);
	if (df.err) {
		l2_steps_free(&df.adds);
		if (df.err == -ENOMEM)
			fw_error(diags, NULL, "l2: out of memory");
		return df.err;
	}
	*ret = df.adds;
	return 0;
}
