// SPDX-License-Identifier: GPL-2.0-or-later
/* What a change does: access diff and per-table ruleset diff (fwd/change.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change_l2.h"
#include "fwd/change.h"
#include "fwd/textdiff.h"
#include "util.h"

static const struct fw_plan_table *find_table(const struct fw_plan *plan,
                                              const struct fw_plan_table *like)
{
	return plan ? plan_find_table(plan, like->family, like->name) : NULL;
}

static int add_tenant(struct fw_change *c, size_t *cap, const char *name)
{
	char **slot;

	if (!name)
		return 0; /* the appliance-wide table */
	for (size_t i = 0; i < c->n_tenants; i++)
		if (!strcmp(c->tenants[i], name))
			return 0;
	slot = fw_push((void **)&c->tenants, &c->n_tenants, cap, sizeof(*c->tenants));
	if (!slot || !(*slot = strdup(name))) {
		if (slot)
			c->n_tenants--;
		return -ENOMEM;
	}
	return 0;
}

/*
 * A rule's comment ends in the policy location it came from ("it-rdp
 * windows-stack.yaml:117"): removing or adding a rule moves every rule after
 * it. Those locations do not count in the ruleset diff, or one deleted rule
 * would show as a hundred changed lines.
 */
static void ignore_location(const char *s, size_t len, size_t *from, size_t *to)
{
	static const char marker[] = " comment \"";
	const char *c = NULL, *sp = NULL;
	size_t i;

	if (len < sizeof(marker) || s[len - 1] != '"')
		return;
	for (const char *p = s; (p = memmem(p, (size_t)(s + len - p), marker, sizeof(marker) - 1));
	     p++)
		c = p;
	if (!c)
		return;
	for (const char *p = c + sizeof(marker) - 1; p < s + len - 1; p++)
		if (*p == ' ')
			sp = p;
	if (!sp)
		return;
	/* " FILE:LINE" right before the closing quote */
	for (i = len - 2; i > (size_t)(sp - s) && s[i] >= '0' && s[i] <= '9'; i--)
		;
	if (i == len - 2 || s[i] != ':' || i == (size_t)(sp - s) + 1)
		return;
	*from = (size_t)(sp - s);
	*to = len - 1;
}

/* Diff one table (either side may be missing) into f. */
static int table_diff(struct fw_change *c, size_t *cap, FILE *f, const struct fw_plan_table *o,
                      const struct fw_plan_table *n, const char *old_label, const char *new_label)
{
	const struct fw_plan_table *t = n ? n : o;
	int r = change_text_diff(f, o ? plan_render_table(o) : strdup(""),
	                         n ? plan_render_table(n) : strdup(""), t->name, old_label,
	                         new_label, ignore_location);

	return r == 1 ? add_tenant(c, cap, t->tenant) : r;
}

/* The VPN interface of one tenant (either side may have none), as text. */
static int vpn_diff(struct fw_change *c, size_t *cap, FILE *f, const struct fw_plan *old_plan,
                    const struct fw_plan *new_plan, const struct fw_vpn_iface *x,
                    const char *old_label, const char *new_label)
{
	char name[FW_NAME_MAX + 8];
	int r;

	snprintf(name, sizeof(name), "vpn %s", x->tenant);
	r = change_text_diff(f, old_plan ? vpn_plan_render(&old_plan->vpn, x->tenant) : strdup(""),
	                     new_plan ? vpn_plan_render(&new_plan->vpn, x->tenant) : strdup(""),
	                     name, old_label, new_label, NULL);
	return r == 1 ? add_tenant(c, cap, x->tenant) : r;
}

static bool vpn_has_tenant(const struct fw_plan *plan, const char *tenant)
{
	for (size_t i = 0; plan && i < plan->vpn.n_ifaces; i++)
		if (!strcmp(plan->vpn.ifaces[i].tenant, tenant))
			return true;
	return false;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct l2_ctx {
	struct fw_change *c;
	size_t *cap;
};

static int l2_changed(void *ctx, const char *tenant)
{
	struct l2_ctx *x = ctx;

	return add_tenant(x->c, x->cap, tenant);
}

static int ruleset_diff(struct fw_change *c, size_t *cap, const struct fw_plan *old_plan,
                        const struct fw_plan *new_plan, const char *old_label,
                        const char *new_label)
{
	size_t len = 0;
	FILE *f = open_memstream(&c->ruleset_diff, &len);
	int r = 0;
	bool cut = false;

	if (!f)
		return -ENOMEM;
	/* New tables in plan order, then the tables that go away. */
	for (size_t i = 0; new_plan && r >= 0 && i < new_plan->n_tables; i++) {
		const struct fw_plan_table *n = &new_plan->tables[i];
		if ((cut = (ftell(f) > (long)FW_CHANGE_TEXT_MAX)))
			break;
		r = table_diff(c, cap, f, find_table(old_plan, n), n, old_label, new_label);
	}
	for (size_t i = 0; old_plan && !cut && r >= 0 && i < old_plan->n_tables; i++) {
		const struct fw_plan_table *o = &old_plan->tables[i];
		if (find_table(new_plan, o))
			continue;
		if ((cut = (ftell(f) > (long)FW_CHANGE_TEXT_MAX)))
			break;
		r = table_diff(c, cap, f, o, NULL, old_label, new_label);
	}
	for (size_t i = 0; new_plan && !cut && r >= 0 && i < new_plan->vpn.n_ifaces; i++)
		r = vpn_diff(c, cap, f, old_plan, new_plan, &new_plan->vpn.ifaces[i], old_label,
		             new_label);
	for (size_t i = 0; old_plan && !cut && r >= 0 && i < old_plan->vpn.n_ifaces; i++)
		if (!vpn_has_tenant(new_plan, old_plan->vpn.ifaces[i].tenant))
			r = vpn_diff(c, cap, f, old_plan, new_plan, &old_plan->vpn.ifaces[i],
			             old_label, new_label);
	if (!cut && r >= 0) {
		struct l2_ctx x = {c, cap};
		r = change_l2_diff(f, old_plan, new_plan, old_label, new_label, l2_changed, &x);
	}
	if (cut)
		fprintf(f, "diff cut: more than %u bytes\n", FW_CHANGE_TEXT_MAX);
	if (fclose(f) != 0 || !c->ruleset_diff)
		r = -ENOMEM;
	return r < 0 ? r : 0;
}

int fw_change_compute(const struct fw_policy *old_p, const struct fw_plan *old_plan,
                      const struct fw_policy *new_p, const struct fw_plan *new_plan,
                      const char *old_label, const char *new_label, struct fw_change **ret)
{
	struct fw_change *c = calloc(1, sizeof(*c));
	size_t cap = 0;
	int r;

	if (!c)
		return -ENOMEM;
	r = fw_access_compute(old_p, &c->old_access);
	if (r == 0)
		r = fw_access_compute(new_p, &c->new_access);
	if (r == 0)
		r = fw_access_diff(c->old_access, c->new_access, &c->access);
	if (r == 0 && !(c->access_text = fw_access_diff_text(&c->access)))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < c->access.n; i++)
		r = add_tenant(c, &cap, c->access.v[i].a->tenant);
	if (r == 0)
		r = ruleset_diff(c, &cap, old_plan, new_plan, old_label, new_label);
	if (r < 0) {
		fw_change_free(c);
		return r;
	}
	if (c->n_tenants)
		qsort(c->tenants, c->n_tenants, sizeof(*c->tenants), cmp_name);
	*ret = c;
	return 0;
}

void fw_change_free(struct fw_change *c)
{
	if (!c)
		return;
	fw_access_diff_free(&c->access);
	fw_access_set_free(c->old_access);
	fw_access_set_free(c->new_access);
	free(c->access_text);
	free(c->ruleset_diff);
	for (size_t i = 0; i < c->n_tenants; i++)
		free(c->tenants[i]);
	free(c->tenants);
	free(c);
}

bool fw_change_empty(const struct fw_change *c)
{
	return !*c->access_text && !*c->ruleset_diff;
}

char *fw_change_text(const struct fw_change *c)
{
	size_t la = strlen(c->access_text), lr = strlen(c->ruleset_diff);
	bool gap = la && lr;
	size_t len = la + gap + lr;
	static const char cut[] = "(diff cut at 2 MiB)\n";
	char *s;

	if (len > FW_CHANGE_TEXT_MAX) {
		s = malloc(FW_CHANGE_TEXT_MAX + sizeof(cut));
		if (!s)
			return NULL;
		/* Whole lines only, then the note. */
		size_t keep = 0;
		for (size_t i = 0; i < FW_CHANGE_TEXT_MAX; i++) {
			char ch = i < la           ? c->access_text[i]
			          : gap && i == la ? '\n'
			                           : c->ruleset_diff[i - la - gap];
			s[i] = ch;
			if (ch == '\n')
				keep = i + 1;
		}
		memcpy(s + keep, cut, sizeof(cut));
		return s;
	}
	s = malloc(len + 1);
	if (!s)
		return NULL;
	memcpy(s, c->access_text, la);
	if (gap)
		s[la] = '\n';
	memcpy(s + la + gap, c->ruleset_diff, lr + 1);
	return s;
}

void fw_change_summary(const struct fw_change *c, char *buf, size_t size)
{
	if (c->access.too_many)
		snprintf(buf, size, "access diff too large");
	else
		snprintf(buf, size, "access +%zu -%zu", c->access.n_added, c->access.n_removed);
}
