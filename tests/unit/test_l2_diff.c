// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The L2 diff: kernel state and plan in, the exact steps out. A small model
 * of the kernel (sim_*) executes the steps the way the kernel does, so a
 * second diff after them shows that an apply is idempotent.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "l2.h"
#include "testutil.h"

/* --- plans ---------------------------------------------------------------- */

static struct fw_prefix v4(const char *s)
{
	struct fw_prefix p;

	assert_int_equal(fw_prefix_parse(s, true, &p), 0);
	return p;
}

struct tplan {
	struct fw_l2_plan plan;
	struct fw_l2_bridge br;
	struct fw_l2_port ports[4];
	struct fw_l2_vlan vlans[8];
};

static void add_vlan(struct tplan *t, uint16_t vid, const char *gw, bool isolated)
{
	struct fw_l2_vlan *v = &t->vlans[t->br.n_vlans++];

	memset(v, 0, sizeof(*v));
	v->vid = vid;
	v->zone = "zone";
	snprintf(v->ifname, sizeof(v->ifname), "vlan%u", vid);
	if (gw) {
		v->has_gw4 = true;
		v->gw4 = v4(gw);
	}
	v->proxy_arp = isolated;
}

static void add_port(struct tplan *t, const char *ifname, uint16_t pvid, bool isolated)
{
	struct fw_l2_port *p = &t->ports[t->br.n_ports++];

	memset(p, 0, sizeof(*p));
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	p->pvid = pvid;
	p->isolated = isolated;
}

/* Tenant acme: trunk eth1, dmz (VLAN 110, isolated) and servers (120). */
static void acme(struct tplan *t)
{
	memset(t, 0, sizeof(*t));
	t->br.tenant = "acme";
	snprintf(t->br.name, sizeof(t->br.name), "br-acme");
	t->br.ports = t->ports;
	t->br.vlans = t->vlans;
	t->plan.bridges = &t->br;
	t->plan.n_bridges = 1;
	add_port(t, "eth1", 0, false);
	add_vlan(t, 110, "10.10.110.1/24", true);
	add_vlan(t, 120, "10.10.120.1/24", false);
}

/* --- the kernel model ------------------------------------------------------ */

struct sim {
	struct l2_kstate k;
	int next_index;
};

static struct l2_klink *sim_add(struct sim *s, const char *name, const char *kind,
                                const char *alias)
{
	struct l2_klink *l;

	s->k.links = realloc(s->k.links, (s->k.n_links + 1) * sizeof(*l));
	assert_non_null(s->k.links);
	l = &s->k.links[s->k.n_links++];
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	snprintf(l->alias, sizeof(l->alias), "%s", alias);
	l->ifindex = ++s->next_index;
	l->up = true;
	for (int i = 0; i < L2_N_SYSCTL; i++)
		l->sysctl[i] = !strncmp(alias, "fwd:", 4) ? s->k.sysctl_default[i] : -1;
	return l;
}

static struct l2_klink *sim_get(struct sim *s, const char *name)
{
	struct l2_klink *l = (struct l2_klink *)l2_kstate_find(&s->k, name);

	assert_non_null(l);
	return l;
}

/* The machine's links: lo, the uplink eth0, the trunk eth1. */
static void sim_init(struct sim *s)
{
	memset(s, 0, sizeof(*s));
	s->k.sysctl_default[L2_SYSCTL_PROXY_ARP] = 0;
	s->k.sysctl_default[L2_SYSCTL_PROXY_ARP_PVLAN] = 0;
	s->k.sysctl_default[L2_SYSCTL_SEND_REDIRECTS] = 1;
	sim_add(s, "lo", "", "");
	sim_add(s, "eth0", "", "");
	sim_add(s, "eth1", "", "");
}

static void sim_del(struct sim *s, struct l2_klink *l)
{
	int idx = l->ifindex;
	size_t i = (size_t)(l - s->k.links);

	memmove(l, l + 1, (s->k.n_links - i - 1) * sizeof(*l));
	s->k.n_links--;
	for (size_t j = 0; j < s->k.n_links; j++) {
		struct l2_klink *o = &s->k.links[j];

		if (o->lower == idx) { /* 802.1Q devices go with their lower device */
			sim_del(s, o);
			j = (size_t)-1;
			continue;
		}
		if (o->master == idx) {
			o->master = 0;
			memset(&o->vlans, 0, sizeof(o->vlans));
			o->isolated = o->hairpin = false;
		}
	}
}

static void sim_step(struct sim *s, const struct l2_step *st)
{
	struct l2_klink *l;

	switch (st->op) {
	case L2_OP_BRIDGE_ADD:
		l = sim_add(s, st->dev, "bridge", st->alias);
		l->up = false;
		l->default_pvid = 1;
		l2_vset_add(&l->vlans, 1, true, true);
		break;
	case L2_OP_BRIDGE_VLAN:
		l = sim_get(s, st->dev);
		if (l->default_pvid && !st->pvid) {
			if (l->vlans.pvid == l->default_pvid)
				l2_vset_del(&l->vlans, l->default_pvid);
			for (size_t i = 0; i < s->k.n_links; i++)
				if (s->k.links[i].master == l->ifindex &&
				    s->k.links[i].vlans.pvid == l->default_pvid)
					l2_vset_del(&s->k.links[i].vlans, l->default_pvid);
		}
		l->filtering = st->on;
		l->default_pvid = st->pvid;
		break;
	case L2_OP_GW_ADD: {
		int lower = sim_get(s, st->master)->ifindex;

		l = sim_add(s, st->dev, "vlan", st->alias);
		l->up = false;
		l->lower = lower;
		l->vid = st->vid;
		break;
	}
	case L2_OP_LINK_DEL:
		sim_del(s, sim_get(s, st->dev));
		break;
	case L2_OP_UP:
		sim_get(s, st->dev)->up = st->on;
		break;
	case L2_OP_ENSLAVE: {
		int m = sim_get(s, st->master)->ifindex;

		l = sim_get(s, st->dev);
		l->master = m;
		memset(&l->vlans, 0, sizeof(l->vlans));
		break;
	}
	case L2_OP_RELEASE:
		l = sim_get(s, st->dev);
		l->master = 0;
		memset(&l->vlans, 0, sizeof(l->vlans));
		l->isolated = l->hairpin = false;
		break;
	case L2_OP_PORT_FLAG:
		l = sim_get(s, st->dev);
		if (st->flag == L2_PORT_ISOLATED)
			l->isolated = st->on;
		else
			l->hairpin = st->on;
		break;
	case L2_OP_VLAN_ADD:
	case L2_OP_VLAN_DEL:
		l = sim_get(s, st->dev);
		assert_true(st->self == !strcmp(l->kind, "bridge"));
		for (unsigned v = st->vid; v <= st->vid_end; v++)
			if (st->op == L2_OP_VLAN_ADD)
				l2_vset_add(&l->vlans, v, st->flags & L2_VF_PVID,
				            st->flags & L2_VF_UNTAGGED);
			else
				l2_vset_del(&l->vlans, v);
		break;
	case L2_OP_ADDR_ADD:
		l = sim_get(s, st->dev);
		l->addrs[l->n_addrs++] = st->addr;
		break;
	case L2_OP_ADDR_DEL:
		l = sim_get(s, st->dev);
		for (size_t i = 0; i < l->n_addrs; i++)
			if (!memcmp(&l->addrs[i], &st->addr, sizeof(st->addr)))
				l->addrs[i--] = l->addrs[--l->n_addrs];
		break;
	case L2_OP_SYSCTL:
		sim_get(s, st->dev)->sysctl[st->key] = st->value;
		break;
	}
}

/* --- diffing ----------------------------------------------------------------- */

/* The steps in words, one per line; *ret_r gets l2_diff's result. */
static char *diff_text(struct sim *s, const struct fw_l2_plan *plan, bool apply, int *ret_r,
                       struct fw_diags *d)
{
	struct l2_steps st = {0};
	char *out = calloc(1, 1 << 16);
	size_t len = 0;
	int r = l2_diff(&s->k, plan, &st, d);

	assert_non_null(out);
	if (ret_r)
		*ret_r = r;
	else
		assert_int_equal(r, 0);
	for (size_t i = 0; r == 0 && i < st.n; i++) {
		len += (size_t)l2_step_describe(&st.v[i], out + len, (1 << 16) - len);
		out[len++] = '\n';
		if (apply)
			sim_step(s, &st.v[i]);
	}
	l2_steps_free(&st);
	return out;
}

/* Apply the plan to the model; the second diff must be empty. */
static void converge(struct sim *s, const struct fw_l2_plan *plan)
{
	struct fw_diags d = {0};
	char *t = diff_text(s, plan, true, NULL, &d);

	free(t);
	t = diff_text(s, plan, false, NULL, &d);
	assert_string_equal(t, "");
	free(t);
	fw_diags_free(&d);
}

static void expect_steps(struct sim *s, const struct fw_l2_plan *plan, const char *want)
{
	struct fw_diags d = {0};
	char *t = diff_text(s, plan, true, NULL, &d);

	assert_string_equal(t, want);
	free(t);
	t = diff_text(s, plan, false, NULL, &d);
	assert_string_equal(t, ""); /* the second apply does nothing */
	free(t);
	fw_diags_free(&d);
}

static const char acme_new[] = "br-acme: create bridge (alias fwd:acme)\n"
                               "br-acme: turn on VLAN filtering, no default VLAN\n"
                               "br-acme: set up\n"
                               "br-acme: add VLAN 110 tagged (bridge itself)\n"
                               "br-acme: add VLAN 120 tagged (bridge itself)\n"
                               "vlan110 on br-acme: add 802.1Q device (VLAN 110)\n"
                               "vlan110: proxy_arp = 1\n"
                               "vlan110: proxy_arp_pvlan = 1\n"
                               "vlan110: send_redirects = 0\n"
                               "vlan110: add address 10.10.110.1/24\n"
                               "vlan110: set up\n"
                               "vlan120 on br-acme: add 802.1Q device (VLAN 120)\n"
                               "vlan120: add address 10.10.120.1/24\n"
                               "vlan120: set up\n"
                               "eth1: add as a port of br-acme\n"
                               "eth1: add VLAN 110 tagged\n"
                               "eth1: add VLAN 120 tagged\n";

/* Each test's plan (tenant acme) and kernel model (sim_init), fresh. */
struct fixture {
	struct tplan t;
	struct sim s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	acme(&f->t);
	sim_init(&f->s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	l2_kstate_free(&f->s.k);
	free(f);
	return 0;
}

static struct fixture *fixture(void **state)
{
	return *state;
}

/* The diagnostics are exactly want (one per line); d is emptied. */
static void diags_are(struct fw_diags *d, const char *want)
{
	char *text = tu_diags_text(d);

	assert_string_equal(text, want);
	free(text);
	fw_diags_free(d);
}

static void test_new_tenant(void **state)
{
	struct tplan *t = &fixture(state)->t;
	struct sim *s = &fixture(state)->s;

	expect_steps(s, &t->plan, acme_new);
}

static void test_add_zone(void **state)
{
	struct tplan *t = &fixture(state)->t;
	struct sim *s = &fixture(state)->s;

	converge(s, &t->plan);
	add_vlan(t, 130, "10.10.130.1/24", false);
	expect_steps(s, &t->plan,
	             "br-acme: add VLAN 130 tagged (bridge itself)\n"
	             "vlan130 on br-acme: add 802.1Q device (VLAN 130)\n"
	             "vlan130: add address 10.10.130.1/24\n"
	             "vlan130: set up\n"
	             "eth1: add VLAN 130 tagged\n");
}

static void test_remove_zone(void **state)
{
	struct tplan *t = &fixture(state)->t;
	struct sim *s = &fixture(state)->s;

	converge(s, &t->plan);
	t->br.n_vlans = 1; /* servers (120) goes */
	expect_steps(s, &t->plan,
	             "br-acme: delete VLAN 120 (bridge itself)\n"
	             "eth1: delete VLAN 120\n"
	             "vlan120 on br-acme: delete 802.1Q device (VLAN 120)\n");
	assert_null(l2_kstate_find(&s->k, "vlan120"));
	assert_non_null(l2_kstate_find(&s->k, "vlan110"));
}

/* Consecutive VLANs alike are one range on the trunk and the bridge. */
static void test_ranges(void **state)
{
	struct tplan *t = &fixture(state)->t;
	struct sim *s = &fixture(state)->s;

	t->br.n_vlans = 0;
	add_vlan(t, 110, NULL, false);
	add_vlan(t, 111, NULL, false);
	add_vlan(t, 112, NULL, false);
	add_vlan(t, 120, NULL, false);
	converge(s, &t->plan);
	t->br.n_vlans = 1;
	expect_steps(s, &t->plan,
	             "br-acme: delete VLANs 111-112 (bridge itself)\n"
	             "br-acme: delete VLAN 120 (bridge itself)\n"
	             "eth1: delete VLANs 111-112\n"
	             "eth1: delete VLAN 120\n"
	             "vlan111 on br-acme: delete 802.1Q device (VLAN 111)\n"
	             "vlan112 on br-acme: delete 802.1Q device (VLAN 112)\n"
	             "vlan120 on br-acme: delete 802.1Q device (VLAN 120)\n");
}

/* Access ports: untagged in one VLAN, isolated in an isolated zone; a
 * port that moves to another zone changes its pvid. */
static void test_access_ports(void **state)
{
	struct tplan *t = &fixture(state)->t;
	struct sim *s = &fixture(state)->s;

	add_port(t, "tap-web", 110, true);
	add_port(t, "tap-app", 120, false);
	sim_add(s, "tap-web", "tun", "");
	sim_add(s, "tap-app", "tun", "");
	converge(s, &t->plan);
	assert_true(l2_kstate_find(&s->k, "tap-web")->isolated);
	assert_int_equal(l2_kstate_find(&s->k, "tap-web")->vlans.pvid, 110);
	t->ports[2].pvid = 110; /* tap-app moves to the dmz */
	t->ports[2].isolated = true;
	expect_steps(s, &t->plan,
	             "tap-app: isolated on\n"
	             "tap-app: add VLAN 110 pvid untagged\n"
	             "tap-app: delete VLAN 120\n");
}

/* What somebody else changed is found and put back; only that. */
static void test_drift(void **state)
{
	struct tplan *t = &fixture(state)->t;
	struct sim *s = &fixture(state)->s;
	struct l2_klink *l;

	converge(s, &t->plan);
	l = sim_get(s, "vlan110");
	l->n_addrs = 0;
	l->sysctl[L2_SYSCTL_PROXY_ARP] = 0;
	l->addrs[l->n_addrs++] = v4("192.0.2.1/24");
	l = sim_get(s, "eth1");
	l2_vset_del(&l->vlans, 120);
	l->hairpin = true;
	l = sim_get(s, "br-acme");
	l->filtering = false;
	expect_steps(s, &t->plan,
	             "br-acme: turn on VLAN filtering, no default VLAN\n"
	             "vlan110: proxy_arp = 1\n"
	             "vlan110: add address 10.10.110.1/24\n"
	             "eth1: hairpin off\n"
	             "eth1: add VLAN 120 tagged\n"
	             "vlan110: delete address 192.0.2.1/24\n");
	/* a gateway deleted by hand is made again */
	sim_del(s, sim_get(s, "vlan120"));
	expect_steps(s, &t->plan,
	             "vlan120 on br-acme: add 802.1Q device (VLAN 120)\n"
	             "vlan120: add address 10.10.120.1/24\n"
	             "vlan120: set up\n");
}

/* Links fwd did not make are never in a step, whatever the plan. */
static void test_foreign_untouched(void **state)
{
	struct tplan *t = &fixture(state)->t;
	struct sim *s = &fixture(state)->s;
	static const char *foreign[] = {"br0", "eth2", "eth0.5", "tap9"};
	struct fw_l2_plan none = {0};
	struct fw_diags d = {0};
	struct l2_klink *l;
	char *text;

	l = sim_add(s, "br0", "bridge", "");
	l->filtering = true;
	l2_vset_add(&l->vlans, 110, false, false);
	sim_add(s, "eth2", "", "")->master = l->ifindex;
	l = sim_add(s, "eth0.5", "vlan", "uplink");
	l->lower = 2;
	l->addrs[l->n_addrs++] = v4("10.10.110.1/24");
	sim_add(s, "tap9", "tun", "fwdx:no");
	for (int pass = 0; pass < 2; pass++) {
		text = diff_text(s, pass ? &none : &t->plan, true, NULL, &d);
		for (size_t i = 0; i < sizeof(foreign) / sizeof(*foreign); i++) {
			char needle[32];

			snprintf(needle, sizeof(needle), "%s:", foreign[i]);
			assert_null(strstr(text, needle));
		}
		free(text);
	}
	/* the tenant gone: its bridge and gateways go, its trunk is released */
	assert_null(l2_kstate_find(&s->k, "br-acme"));
	assert_null(l2_kstate_find(&s->k, "vlan110"));
	assert_int_equal(l2_kstate_find(&s->k, "eth1")->master, 0);
	assert_int_equal(l2_kstate_find(&s->k, "eth2")->master,
	                 l2_kstate_find(&s->k, "br0")->ifindex);
	diags_are(&d, "");
}

static void test_tenant_removed(void **state)
{
	struct tplan *t = &fixture(state)->t;
	struct sim *s = &fixture(state)->s;
	struct fw_l2_plan none = {0};

	add_port(t, "tap-web", 110, true);
	sim_add(s, "tap-web", "tun", "");
	converge(s, &t->plan);
	expect_steps(s, &none,
	             "eth1: release from br-acme\n"
	             "tap-web: release from br-acme\n"
	             "vlan110 on br-acme: delete 802.1Q device (VLAN 110)\n"
	             "vlan120 on br-acme: delete 802.1Q device (VLAN 120)\n"
	             "br-acme: delete bridge\n");
}

/* A planned name held by a link fwd did not make: refused, no steps. */
static void test_name_taken(void **state)
{
	struct tplan *t = &fixture(state)->t;
	struct sim *s = &fixture(state)->s;
	struct l2_steps st = {.n = 7};
	struct fw_diags d = {0};

	sim_add(s, "vlan110", "vlan", "");
	assert_int_equal(l2_diff(&s->k, &t->plan, &st, &d), -EEXIST);
	assert_int_equal(st.n, 7); /* untouched */
	diags_are(&d, "fwd: error: l2: vlan110: gateway: a link of that name exists that fwd "
	              "did not create (alias \"\", not \"fwd:acme\"): not touched\n");
}

static void test_trunk_taken(void **state)
{
	struct tplan *t = &fixture(state)->t;
	struct sim *s = &fixture(state)->s;
	struct l2_steps st = {0};
	struct fw_diags d = {0};

	sim_get(s, "eth1")->master = sim_add(s, "br0", "bridge", "")->ifindex;
	assert_int_equal(l2_diff(&s->k, &t->plan, &st, &d), -EBUSY);
	diags_are(&d, "fwd: error: l2: eth1: trunk of br-acme: already a port of br0, which "
	              "fwd did not create: not taken over\n");
}

/* A port that is not there yet: a warning, the rest is done. */
static void test_port_missing(void **state)
{
	struct tplan *t = &fixture(state)->t;
	struct sim *s = &fixture(state)->s;
	struct fw_diags d = {0};
	char *text;

	add_port(t, "tap-web", 110, true);
	text = diff_text(s, &t->plan, true, NULL, &d);
	assert_string_equal(text, acme_new);
	free(text);
	diags_are(&d, "fwd: warning: l2: tap-web: access port of br-acme: no such interface "
	              "(it is configured when it appears)\n");
	sim_add(s, "tap-web", "tun", "");
	expect_steps(s, &t->plan,
	             "tap-web: add as a port of br-acme\n"
	             "tap-web: isolated on\n"
	             "tap-web: add VLAN 110 pvid untagged\n");
}

/* A plan without an L2 part needs nothing, whatever the kernel lacks. */
static void test_no_l2(void **state)
{
	struct sim *s = &fixture(state)->s;
	struct fw_l2_plan none = {0};

	expect_steps(s, &none, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_new_tenant, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_zone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_zone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_access_ports, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drift, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_untouched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tenant_removed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_name_taken, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trunk_taken, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_l2, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
