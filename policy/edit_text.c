// SPDX-License-Identifier: GPL-2.0-or-later
/* A tenant file's text by lines, for the editors (policy/edit*.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "edit_int.h"
#include "fwd/diag.h"
#include "ytree.h"

/* YAML also breaks lines at a lone CR, NEL, LS and PS; positions here are
 * counted in "\n" lines, so such files are left alone. */
static size_t odd_break(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		const unsigned char *u = (const unsigned char *)s + i;
		if ((u[0] == '\r' && (i + 1 == len || u[1] != '\n')) ||
		    (u[0] == 0xc2 && i + 1 < len && u[1] == 0x85) ||
		    (u[0] == 0xe2 && i + 2 < len && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)))
			return i;
	}
	return len;
}

int edit_text_index(const char *file, const char *s, size_t len, struct edit_text *t, char *err,
                    size_t size)
{
	unsigned n = 1;
	size_t odd = odd_break(s, len);

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	if (odd < len) {
		unsigned line = 1;
		for (size_t i = 0; i < odd; i++)
			line += s[i] == '\n';
		return fw_errf(err, size, -EINVAL,
		               "%s:%u: a line break other than LF or CR LF (a lone CR, NEL, LS or "
		               "PS); fwctl does not edit such files",
		               file, line);
	}
	t->off = calloc((size_t)n + 1, sizeof(*t->off));
	if (!t->off)
		return -ENOMEM;
	t->s = s;
	t->len = len;
	t->n_lines = 0;
	/* libyaml does not count a byte order mark in columns: nor do we */
	t->off[0] = len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3) ? 3 : 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n')
			t->off[++t->n_lines] = i + 1;
	if (t->off[t->n_lines] < len) /* a last line without a line break */
		t->off[++t->n_lines] = len;
	t->nl = t->n_lines && t->off[1] >= 2 && s[t->off[1] - 2] == '\r' ? "\r\n" : "\n";
	return 0;
}

/* Line L without its line break. */
const char *edit_text_line(const struct edit_text *t, unsigned L, size_t *len)
{
	size_t a = t->off[L - 1], b = t->off[L];

	while (b > a && (t->s[b - 1] == '\n' || t->s[b - 1] == '\r'))
		b--;
	*len = b - a;
	return t->s + a;
}

int edit_text_splice(const struct edit_text *t, size_t at, const char *ins, size_t ins_len,
                     size_t a, size_t b, char **ret, size_t *ret_len)
{
	size_t len = at + ins_len + (a - at) + (t->len - b);
	char *s = malloc(len + 1);

	if (!s)
		return -ENOMEM;
	memcpy(s, t->s, at);
	memcpy(s + at, ins, ins_len);
	memcpy(s + at + ins_len, t->s + at, a - at);
	memcpy(s + at + ins_len + (a - at), t->s + b, t->len - b);
	s[len] = '\0';
	*ret = s;
	*ret_len = len;
	return 0;
}

int edit_text_reads_back(const char *file, const char *s, size_t len, char *err, size_t size)
{
	struct fw_diags d = {0};
	struct ydoc *doc = NULL;
	char *msg;
	int r = ydoc_parse(file, s, len, &d, &doc);

	ydoc_free(doc);
	if (r == 0 && !fw_diags_has_errors(&d)) {
		fw_diags_free(&d);
		return 0;
	}
	msg = d.n ? fw_diag_format(&d.v[0]) : NULL;
	if (r == -ENOMEM || (d.n && !msg))
		r = -ENOMEM;
	else
		r = fw_errf(err, size, -EINVAL, "the edited file would not read back: %s",
		            msg ? msg : "?");
	free(msg);
	fw_diags_free(&d);
	return r;
}
