// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the tenant-file editor on any bytes. Whatever it
 * accepts must still parse, with exactly one rule more (add) or less (del),
 * and the added rule must read back value for value.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/edit.h"
#include "ytree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t n_rules(const char *text, size_t len, struct ydoc **ret)
{
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;
	const struct ynode *rules;
	size_t n;

	if (ydoc_parse("f.yaml", text, len, &d, &doc) < 0 || fw_diags_has_errors(&d))
		abort(); /* the editor made the file unreadable */
	fw_diags_free(&d);
	rules = doc->root ? ymap_get(doc->root, "rules") : NULL;
	n = rules && rules->kind == YN_SEQ ? rules->n : 0;
	*ret = doc;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const from[] = {"x\n- evil: [1", "10.0.0.1"}, *const to[] = {"b: c"},
	                         *const allow[] = {"tcp/1433"};
	const struct fw_rule_spec spec = {.id = "fz",
	                                  .from = from,
	                                  .n_from = 2,
	                                  .to = to,
	                                  .n_to = 1,
	                                  .allow = allow,
	                                  .n_allow = 1,
	                                  .log = true,
	                                  .comment = "\"#\\\x01\u2028"};
	char *text = malloc(size + 1), *out = NULL, err[512];
	size_t len, before;
	struct ydoc *doc = NULL, *after = NULL;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	len = strlen(text); /* the daemon's files are strings */
	if (fw_edit_rule_add("f.yaml", text, len, &spec, &out, &len, err, sizeof(err)) == 0) {
		before = n_rules(text, strlen(text), &doc);
		if (n_rules(out, len, &after) != before + 1)
			abort();
		const struct ynode *rules = ymap_get(after->root, "rules"), *r = NULL;
		for (size_t i = 0; i < rules->n; i++) {
			const struct ynode *id = ymap_get(rules->vals[i], "id");
			if (rules->vals[i]->kind == YN_MAP && id && id->kind == YN_SCALAR &&
			    !strcmp(id->str, "fz"))
				r = rules->vals[i];
		}
		if (!r || strcmp(ymap_get(r, "from")->vals[0]->str, from[0]) ||
		    strcmp(ymap_get(r, "to")->str, to[0]) ||
		    strcmp(ymap_get(r, "comment")->str, spec.comment))
			abort();
		ydoc_free(after);
		ydoc_free(doc);
		free(out);
	}
	out = NULL;
	len = strlen(text);
	if (fw_edit_rule_del("f.yaml", text, len, "rule-1", &out, &len, err, sizeof(err)) == 0) {
		before = n_rules(text, strlen(text), &doc);
		if (n_rules(out, len, &after) + 1 != before)
			abort();
		ydoc_free(after);
		ydoc_free(doc);
		free(out);
	}
	free(text);
	return 0;
}
