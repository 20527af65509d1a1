// SPDX-License-Identifier: GPL-2.0-or-later
/* The L2 plan as text for humans: fwctl show and the diffs of fwctl diff. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/l2plan.h"

static void render_bridge(FILE *f, const struct fw_l2_bridge *b)
{
	char a[64];

	fprintf(f, "bridge %s vlan_filtering 1\n", b->name);
	for (size_t i = 0; i < b->n_ports; i++) {
		const struct fw_l2_port *p = &b->ports[i];

		if (p->pvid) {
			fprintf(f, "\tport %s access vlan %u%s\n", p->ifname, p->pvid,
			        p->isolated ? " isolated" : "");
			continue;
		}
		fprintf(f, "\tport %s trunk vlans ", p->ifname);
		for (size_t v = 0; v < b->n_vlans; v++)
			fprintf(f, "%s%u", v ? "," : "", b->vlans[v].vid);
		fputc('\n', f);
	}
	for (size_t i = 0; i < b->n_vlans; i++) {
		const struct fw_l2_vlan *v = &b->vlans[i];

		fprintf(f, "\tvlan %u %s gateway %s", v->vid, v->zone, v->ifname);
		if (v->has_gw4 && fw_prefix_format(&v->gw4, a, sizeof(a)) == 0)
			fprintf(f, " %s", a);
		if (v->has_gw6 && fw_prefix_format(&v->gw6, a, sizeof(a)) == 0)
			fprintf(f, " %s", a);
		fprintf(f, "%s\n", v->proxy_arp ? " proxy-arp" : "");
	}
}

/* The stream sets *buf when it is closed. */
static char *finish(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

char *plan_render_l2_bridge(const struct fw_l2_bridge *b)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (b)
		render_bridge(f, b);
	return finish(f, &buf);
}

char *plan_render_l2(const struct fw_l2_plan *lp, const char *tenant)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < lp->n_bridges; i++)
		if (!tenant || !strcmp(lp->bridges[i].tenant, tenant))
			render_bridge(f, &lp->bridges[i]);
	return finish(f, &buf);
}
