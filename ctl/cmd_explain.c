// SPDX-License-Identifier: GPL-2.0-or-later
/* fwctl explain [--state-dir DIR] PATH FROM TO SERVICE: allow or deny, and
 * why (VPN users at their live addresses: ctl/offline.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwctl.h"
#include "fwd/explain.h"
#include "fwd/plan.h"
#include "fwd/policy.h"
#include "offline.h"

static const char *base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "?";
}

static void port_text(const struct fw_port_spec *s, char *buf, size_t size)
{
	if (s->proto == 6 || s->proto == 17)
		snprintf(buf, size, "%s/%u", s->proto == 6 ? "tcp" : "udp", s->lo);
	else
		snprintf(buf, size, "%s",
		         s->proto == 1    ? "icmp"
		         : s->proto == 58 ? "icmpv6"
		                          : "any");
}

/* The policy item that decided, or NULL. The default drop counts under an
 * origin of its own (fwctl counters), but no item of the policy decided. */
static const struct fw_origin *decided_by(const struct fw_eval *e)
{
	if (!e->origin.id || !strcmp(e->origin.id, FW_ORIGIN_DEFAULT_DENY))
		return NULL;
	return &e->origin;
}

/* "rule 'app-to-sql' (acme.yaml:88:5)" or "default deny (fwd_acme forward)" */
static void reason(const struct fw_explain_port *p, char *buf, size_t size)
{
	const struct fw_eval *e = &p->eval;

	if (decided_by(e))
		snprintf(buf, size, "'%s' at %s:%u:%u", e->origin.id, e->origin.loc.file,
		         e->origin.loc.line, e->origin.loc.col);
	else if (p->allowed && !e->table[0])
		snprintf(buf, size, "the zone is not isolated");
	else if (p->allowed)
		snprintf(buf, size, "%s %s", e->table, e->chain);
	else
		snprintf(buf, size, "no rule: default drop in %s %s", e->table, e->chain);
}

int cmd_explain(struct ctl *ctl, int argc, char **argv)
{
	struct fw_diags d = {0};
	struct fw_policy *p = NULL;
	struct fw_plan *plan = NULL;
	struct fw_explain ex;
	const char *path, *state_dir;
	int r, code;

	if (ctl_offline_args("explain", &argc, &argv, &state_dir) < 0)
		return EXIT_USAGE;
	if (argc != 4) {
		fprintf(stderr, "usage: fwctl explain [--state-dir DIR] PATH FROM TO SERVICE\n");
		return EXIT_USAGE;
	}
	path = argv[0];
	r = ctl_offline_load("explain", &path, 1, state_dir, &d, &p);
	if (r == 0)
		r = plan_compile(p, &d, &plan);
	if (r == 0)
		r = policy_explain(p, plan, argv[1], argv[2], argv[3], &d, &ex);
	if (fw_diags_has_errors(&d) || r < 0) {
		code = fw_diags_has_errors(&d) && !p ? EXIT_ERRORS : EXIT_USAGE;
		if (ctl->json)
			print_json(json_pack("{s:i, s:b, s:o}", "version", 1, "ok", 0,
			                     "diagnostics", diags_to_json(&d)));
		else
			for (size_t i = 0; i < d.n; i++) {
				char *s = fw_diag_format(&d.v[i]);
				fprintf(stderr, "%s\n", s ? s : "fwctl: out of memory");
				free(s);
			}
		goto out;
	}
	code = ex.allowed ? EXIT_OK : EXIT_DENY;
	if (ctl->json) {
		json_t *ports = json_array();
		for (size_t i = 0; i < ex.n_ports; i++) {
			const struct fw_explain_port *ep = &ex.ports[i];
			const struct fw_origin *o = decided_by(&ep->eval);
			struct fw_origin none = {0};
			char pt[32];

			if (!o)
				o = &none;
			port_text(&ep->spec, pt, sizeof(pt));
			json_array_append_new(
			    ports,
			    json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:I, s:s, s:s, s:b, s:s}",
			              "service", pt, "verdict", ep->allowed ? "allow" : "deny",
			              "rule", o->id, "file", o->loc.file, "line",
			              (json_int_t)o->loc.line, "column", (json_int_t)o->loc.col,
			              "table", ep->eval.table, "chain", ep->eval.chain, "nat",
			              ep->eval.nat, "path", ep->path));
		}
		print_json(json_pack("{s:i, s:b, s:s, s:s, s:s, s:s, s:s, s:o}", "version", 1, "ok",
		                     1, "tenant", ex.tenant->name, "from", ex.from, "to", ex.to,
		                     "service", argv[3], "verdict", ex.allowed ? "allow" : "deny",
		                     "ports", ports));
	} else {
		printf("%s -> %s: %s\n", ex.from, ex.to, argv[3]);
		for (size_t i = 0; i < ex.n_ports; i++) {
			const struct fw_explain_port *ep = &ex.ports[i];
			char pt[32], why[512];

			port_text(&ep->spec, pt, sizeof(pt));
			reason(ep, why, sizeof(why));
			printf("  %s: %s (%s%s) [%s]\n", pt, ep->allowed ? "allow" : "deny", why,
			       ep->eval.nat ? ", published by DNAT" : "", ep->path);
		}
		printf("%s\n", ex.allowed ? "allow" : "deny");
	}
out:
	(void)base;
	plan_free(plan);
	policy_free(p);
	fw_diags_free(&d);
	return code;
}
