// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>

#include "fwctl.h"

void print_diags_text(const struct fw_diags *d)
{
	fw_diags_print(d, stderr, "");
}

json_t *diags_to_json(const struct fw_diags *d)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < d->n; i++) {
		const struct fw_diag *x = &d->v[i];
		json_t *o = json_pack("{s:s, s:s?, s:I, s:I, s:s}", "severity",
		                      x->sev == FW_SEV_ERROR ? "error" : "warning", "file",
		                      x->loc.file, "line", (json_int_t)x->loc.line, "column",
		                      (json_int_t)x->loc.col, "message", x->msg);
		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int print_json(json_t *doc)
{
	if (!doc) {
		fprintf(stderr, "fwctl: out of memory\n");
		return -1;
	}
	int r = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(doc);
	return r;
}
