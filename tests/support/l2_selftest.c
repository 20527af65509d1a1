// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * l2_selftest: the L2 backend's pieces against the real kernel of the
 * current network namespace, for tests/netns/l2_plain.sh
 * (root, run inside a namespace of the test's own).
 *
 *   l2_selftest read
 *       what l2_read() finds, one line per link (the reader checked
 *       against ip(8) and bridge(8)).
 *   l2_selftest steps "OP ARG..." ...
 *       executes single steps in order with l2_exec() (a refused one undoes
 *       those before it). OPs: bridge-add NAME ALIAS | bridge-vlan NAME |
 *       gw-add NAME BRIDGE VID ALIAS | del NAME | up NAME on|off |
 *       enslave PORT BRIDGE | flag PORT isolated|hairpin on|off |
 *       vlan-add DEV VID [pvid] [self] | addr-add DEV CIDR |
 *       addr-del DEV CIDR | sysctl DEV proxy_arp|proxy_arp_pvlan|send_redirects N
 *
 * Diagnostics go to stderr; exit 0 done, 1 refused, 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/policy.h"
#include "l2.h"

static int usage(void)
{
	fputs("usage: l2_selftest read | steps \"OP ARG...\"...\n", stderr);
	return 2;
}

static int finish(struct fw_diags *d, int r)
{
	fw_diags_print(d, stderr, "");
	fw_diags_free(d);
	return r < 0 ? 1 : 0;
}

static void print_vset(const struct l2_vset *s)
{
	for (unsigned v = 1; v <= L2_VID_MAX; v++)
		if (l2_vset_has(s, v))
			printf(" vlan=%u%s%s", v, s->pvid == v ? ":pvid" : "",
			       l2_vset_untagged(s, v) ? ":untagged" : "");
}

static int cmd_read(struct l2_nl *nl)
{
	struct fw_diags d = {0};
	struct l2_kstate k = {0};
	int r = l2_read(nl, &k, &d);

	for (size_t i = 0; r == 0 && i < k.n_links; i++) {
		const struct l2_klink *l = &k.links[i];
		const struct l2_klink *m = l2_kstate_by_index(&k, l->master);
		const struct l2_klink *low = l2_kstate_by_index(&k, l->lower);

		printf("%s kind=%s alias=%s up=%d", l->name, l->kind[0] ? l->kind : "-",
		       l->alias[0] ? l->alias : "-", l->up);
		if (m)
			printf(" master=%s isolated=%d hairpin=%d", m->name, l->isolated,
			       l->hairpin);
		if (!strcmp(l->kind, "bridge"))
			printf(" filtering=%d default_pvid=%u", l->filtering, l->default_pvid);
		if (low)
			printf(" lower=%s vid=%u", low->name, l->vid);
		print_vset(&l->vlans);
		for (size_t j = 0; j < l->n_addrs; j++) {
			char a[64];

			fw_prefix_format(&l->addrs[j], a, sizeof(a));
			printf(" addr=%s", a);
		}
		for (int j = 0; j < L2_N_SYSCTL; j++)
			if (l->sysctl[j] >= 0)
				printf(" %s=%d", l2_sysctl_name((enum l2_sysctl)j), l->sysctl[j]);
		printf("\n");
	}
	l2_kstate_free(&k);
	return finish(&d, r);
}

static int sysctl_key(const char *s, enum l2_sysctl *ret)
{
	for (int i = 0; i < L2_N_SYSCTL; i++)
		if (!strcmp(s, l2_sysctl_name((enum l2_sysctl)i))) {
			*ret = (enum l2_sysctl)i;
			return 0;
		}
	return -EINVAL;
}

static bool number(const char *s, long max, long *ret)
{
	char *end;
	long v;

	if (!s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return false;
	*ret = v;
	return true;
}

/* One step from "OP ARG...". */
static int parse_step(char *text, struct l2_step *st)
{
	char *w[6] = {0};
	int n = 0;
	long v = 0;

	for (char *tok = strtok(text, " "); tok && n < 6; tok = strtok(NULL, " "))
		w[n++] = tok;
	if (n < 2)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	snprintf(st->dev, sizeof(st->dev), "%s", w[1]);
	if (!strcmp(w[0], "bridge-add") && n == 3) {
		st->op = L2_OP_BRIDGE_ADD;
		snprintf(st->alias, sizeof(st->alias), "%s", w[2]);
	} else if (!strcmp(w[0], "bridge-vlan") && n == 2) {
		st->op = L2_OP_BRIDGE_VLAN;
		st->on = true;
		st->prev_pvid = 1;
	} else if (!strcmp(w[0], "gw-add") && n == 5 && number(w[3], L2_VID_MAX, &v)) {
		st->op = L2_OP_GW_ADD;
		snprintf(st->master, sizeof(st->master), "%s", w[2]);
		st->vid = (uint16_t)v;
		snprintf(st->alias, sizeof(st->alias), "%s", w[4]);
	} else if (!strcmp(w[0], "del") && n == 2) {
		st->op = L2_OP_LINK_DEL;
	} else if (!strcmp(w[0], "up") && n == 3) {
		st->op = L2_OP_UP;
		st->on = !strcmp(w[2], "on");
	} else if (!strcmp(w[0], "enslave") && n == 3) {
		st->op = L2_OP_ENSLAVE;
		snprintf(st->master, sizeof(st->master), "%s", w[2]);
	} else if (!strcmp(w[0], "flag") && n == 4) {
		st->op = L2_OP_PORT_FLAG;
		st->flag = !strcmp(w[2], "hairpin") ? L2_PORT_HAIRPIN : L2_PORT_ISOLATED;
		st->on = !strcmp(w[3], "on");
	} else if (!strcmp(w[0], "vlan-add") && n >= 3 && number(w[2], L2_VID_MAX, &v)) {
		st->op = L2_OP_VLAN_ADD;
		st->vid = st->vid_end = (uint16_t)v;
		for (int i = 3; i < n; i++) {
			if (!strcmp(w[i], "pvid"))
				st->flags |= L2_VF_PVID | L2_VF_UNTAGGED;
			else if (!strcmp(w[i], "self"))
				st->self = true;
			else
				return -EINVAL;
		}
	} else if ((!strcmp(w[0], "addr-add") || !strcmp(w[0], "addr-del")) && n == 3 &&
	           fw_prefix_parse(w[2], true, &st->addr) == 0) {
		st->op = w[0][5] == 'a' ? L2_OP_ADDR_ADD : L2_OP_ADDR_DEL;
	} else if (!strcmp(w[0], "sysctl") && n == 4 && sysctl_key(w[2], &st->key) == 0 &&
	           number(w[3], 2, &v)) {
		st->op = L2_OP_SYSCTL;
		st->value = (int)v;
		st->prev_value = !v;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int cmd_steps(struct l2_nl *nl, int argc, char **argv)
{
	struct l2_steps s = {0};
	struct fw_diags d = {0};
	size_t done = 0;
	int r;

	s.v = calloc((size_t)argc + 1, sizeof(*s.v));
	if (!s.v)
		return 1;
	for (int i = 0; i < argc; i++) {
		char buf[256];

		snprintf(buf, sizeof(buf), "%s", argv[i]);
		if (parse_step(buf, &s.v[s.n++]) < 0) {
			fprintf(stderr, "l2_selftest: cannot read step \"%s\"\n", argv[i]);
			free(s.v);
			return 2;
		}
	}
	r = l2_exec(nl, &s, &done, &d);
	printf("%zu of %zu steps done%s\n", done, s.n, r < 0 ? ", undone" : "");
	l2_steps_free(&s);
	return finish(&d, r);
}

int main(int argc, char **argv)
{
	struct l2_nl *nl = NULL;
	int r;

	if (argc < 2)
		return usage();
	if (l2_nl_open(&nl) < 0)
		return 1;
	if (!strcmp(argv[1], "read") && argc == 2)
		r = cmd_read(nl);
	else if (!strcmp(argv[1], "steps"))
		r = cmd_steps(nl, argc - 2, argv + 2);
	else
		r = usage();
	l2_nl_close(nl);
	return r;
}
