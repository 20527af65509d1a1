// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Two canonical forms of a table (nft_canon.c), what the kernel holds and
 * what the plan says, compared: how many differences, and the first ones
 * named by the object they are in, the way an engineer would look for them
 * with `nft list`: "fwd_acme: chain in.lan has 3 rules, expected 4".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nft_int.h"

struct report {
	char *out;
	size_t n, count;
};

static void say(struct report *r, const char *table, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct report *r, const char *table, const char *fmt, ...)
{
	size_t len = strnlen(r->out, r->n);
	char msg[512];
	va_list ap;
	int m;

	r->count++;
	if (len + 1 >= r->n)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m = snprintf(NULL, 0, "%s%s: %s", len ? "; " : "", table, msg);
	/* whole differences only: a cut one would say something else */
	if (m > 0 && len + (size_t)m < r->n)
		snprintf(r->out + len, r->n - len, "%s%s: %s", len ? "; " : "", table, msg);
}

static const struct nft_canon_chain *find_chain(const struct nft_canon_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_chains; i++)
		if (!strcmp(t->chains[i].name, name))
			return &t->chains[i];
	return NULL;
}

/* Elements in k not in p, and in p not in k (both sorted). */
static void count_elems(const struct nft_canon_set *k, const struct nft_canon_set *p, size_t *extra,
                        size_t *missing)
{
	size_t i = 0, j = 0;

	*extra = *missing = 0;
	while (i < k->n_elems || j < p->n_elems) {
		if (j == p->n_elems || (i < k->n_elems && k->elems[i] < p->elems[j]))
			i++, (*extra)++;
		else if (i == k->n_elems || p->elems[j] < k->elems[i])
			j++, (*missing)++;
		else
			i++, j++;
	}
}

static void diff_elems(struct report *r, const char *table, const struct nft_canon_set *k,
                       const struct nft_canon_set *p)
{
	size_t extra, missing;

	count_elems(k, p, &extra, &missing);
	if (extra && missing)
		say(r, table, "set %s has %zu element%s not in the plan and lacks %zu", p->name,
		    extra, extra == 1 ? "" : "s", missing);
	else if (extra)
		say(r, table, "set %s has %zu element%s not in the plan", p->name, extra,
		    extra == 1 ? "" : "s");
	else if (missing)
		say(r, table, "set %s lacks %zu of its %zu elements", p->name, missing, p->n_elems);
}

static void diff_chains(struct report *r, const struct nft_canon_table *k,
                        const struct nft_canon_table *p)
{
	for (size_t i = 0; i < p->n_chains; i++) {
		const struct nft_canon_chain *pc = &p->chains[i], *kc = find_chain(k, pc->name);

		if (!kc || !kc->has_decl) {
			say(r, p->name, "chain %s is missing", pc->name);
			continue;
		}
		if (kc->decl != pc->decl)
			say(r, p->name, "chain %s has another hook, type, priority or policy",
			    pc->name);
		if (kc->n_rules != pc->n_rules) {
			say(r, p->name, "chain %s has %zu rule%s, expected %zu", pc->name,
			    kc->n_rules, kc->n_rules == 1 ? "" : "s", pc->n_rules);
			continue;
		}
		for (size_t j = 0; j < pc->n_rules; j++)
			if (kc->rules[j] != pc->rules[j]) {
				say(r, p->name, "chain %s: rule %zu differs", pc->name, j + 1);
				break;
			}
	}
	for (size_t i = 0; i < k->n_chains; i++)
		if (!find_chain(p, k->chains[i].name))
			say(r, p->name, "chain %s is not in the plan", k->chains[i].name);
}

size_t nft_canon_diff_set(const char *table, const struct nft_canon_set *k,
                          const struct nft_canon_set *p, char *out, size_t n)
{
	struct report r = {out, n, 0};

	if (!k || !k->has_decl)
		say(&r, table, "set %s is missing", p->name);
	else
		diff_elems(&r, table, k, p);
	return r.count;
}

size_t nft_canon_diff_delta(const char *table, const char *set, size_t lacking, size_t n_add,
                            size_t kept, size_t n_del, char *out, size_t n)
{
	struct report r = {out, n, 0};

	if (lacking)
		say(&r, table, "set %s lacks %zu of the %zu element%s just added", set, lacking,
		    n_add, n_add == 1 ? "" : "s");
	if (kept)
		say(&r, table, "set %s still holds %zu of the %zu element%s just deleted", set,
		    kept, n_del, n_del == 1 ? "" : "s");
	return r.count;
}

size_t nft_canon_diff(const struct nft_canon_table *k, const struct nft_canon_table *p, char *out,
                      size_t n)
{
	struct report r = {out, n, 0};

	if (!p) {
		say(&r, k->name, "table is not in the plan");
		return r.count;
	}
	if (!k || !k->has_decl) {
		say(&r, p->name, "table is missing");
		return r.count;
	}
	if (k->decl != p->decl)
		say(&r, p->name, "table flags differ (dormant?)");
	diff_chains(&r, k, p);
	for (size_t i = 0; i < p->n_sets; i++) {
		const struct nft_canon_set *ps = &p->sets[i], *ks = nft_canon_find_set(k, ps->name);

		if (!ks || !ks->has_decl)
			say(&r, p->name, "set %s is missing", ps->name);
		else if (ks->decl != ps->decl)
			say(&r, p->name, "set %s has another declaration", ps->name);
		else
			diff_elems(&r, p->name, ks, ps);
	}
	for (size_t i = 0; i < k->n_sets; i++)
		if (!nft_canon_find_set(p, k->sets[i].name))
			say(&r, p->name, "set %s is not in the plan", k->sets[i].name);
	if (k->n_extra != p->n_extra)
		say(&r, p->name, "%zu stateful object%s or flowtable%s not in the plan", k->n_extra,
		    k->n_extra == 1 ? "" : "s", k->n_extra == 1 ? "" : "s");
	return r.count;
}
