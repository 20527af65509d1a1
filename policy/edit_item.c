// SPDX-License-Identifier: GPL-2.0-or-later
/* The rule to add: its values checked, then written as one list item. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "edit_int.h"
#include "fwd/diag.h"

int edit_check_value(const char *key, const char *v, char *err, size_t size)
{
	if (!v || !*v)
		return fw_errf(err, size, -EINVAL, "%s: expected a value, found an empty one", key);
	if (strlen(v) > FW_EDIT_MAX_VALUE)
		return fw_errf(err, size, -EINVAL, "%s: longer than %d bytes", key,
		               FW_EDIT_MAX_VALUE);
	if (!edit_utf8_valid(v))
		return fw_errf(err, size, -EINVAL, "%s: not valid UTF-8", key);
	return 0;
}

static int check_list(const char *key, const char *const *v, size_t n, char *err, size_t size)
{
	int r = 0;

	if (n == 0)
		return fw_errf(err, size, -EINVAL, "%s: expected at least one value", key);
	if (n > FW_EDIT_MAX_LIST)
		return fw_errf(err, size, -EINVAL, "%s: more than %d values", key,
		               FW_EDIT_MAX_LIST);
	for (size_t i = 0; !r && i < n; i++)
		r = edit_check_value(key, v[i], err, size);
	return r;
}

int edit_check_spec(const struct fw_rule_spec *s, char *err, size_t size)
{
	int r = 0;

	if (s->id)
		r = edit_check_value("id", s->id, err, size);
	if (!r)
		r = check_list("from", s->from, s->n_from, err, size);
	if (!r)
		r = check_list("to", s->to, s->n_to, err, size);
	if (!r)
		r = check_list("allow", s->allow, s->n_allow, err, size);
	if (!r && s->comment)
		r = edit_check_value("comment", s->comment, err, size);
	if (!r && s->before)
		r = edit_check_value("before", s->before, err, size);
	return r;
}

/* "- key: " for the first key, "  key: " under it for the others. */
static void put_key(FILE *f, bool *first, unsigned dash, unsigned key, const char *name)
{
	if (*first)
		fprintf(f, "%*s-%*s%s: ", (int)dash, "", (int)(key - dash - 1), "", name);
	else
		fprintf(f, "%*s%s: ", (int)key, "", name);
	*first = false;
}

void edit_put_item(FILE *f, const struct fw_rule_spec *s, unsigned dash, unsigned key,
                   const char *nl)
{
	const char *keys[] = {"from", "to", "allow"};
	const char *const *vals[] = {s->from, s->to, s->allow};
	size_t ns[] = {s->n_from, s->n_to, s->n_allow};
	bool first = true;

	if (s->id) {
		put_key(f, &first, dash, key, "id");
		edit_put_value(f, s->id);
		fputs(nl, f);
	}
	for (size_t i = 0; i < 3; i++) {
		put_key(f, &first, dash, key, keys[i]);
		edit_put_list(f, vals[i], ns[i]);
		fputs(nl, f);
	}
	if (s->log) {
		put_key(f, &first, dash, key, "log");
		fprintf(f, "true%s", nl);
	}
	if (s->comment) {
		put_key(f, &first, dash, key, "comment");
		edit_put_quoted(f, s->comment);
		fputs(nl, f);
	}
}
