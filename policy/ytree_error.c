// SPDX-License-Identifier: GPL-2.0-or-later
/* Error reporting of the YAML tree builder: locations, quoting of names in
 * messages, libyaml's errors (including reader errors, which carry only a
 * byte offset), and duplicate keys held back until the document parsed. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util.h"
#include "ytree_build.h"

struct fw_loc yt_mark_loc(const struct builder *b, yaml_mark_t m)
{
	struct fw_loc loc = {
	    .file = b->doc->file, .line = (unsigned)m.line + 1, .col = (unsigned)m.column + 1};

	return loc;
}

/* `s` made fit for quoting: control bytes as \xNN, cut after MSG_NAME_MAX
 * bytes (on a character boundary) with "...". */
const char *yt_msg_name(char *buf, size_t size, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= MSG_NAME_MAX && (c & 0xc0) != 0x80) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* Record the one fatal diagnostic. Returns -EINVAL (or -ENOMEM). */
int yt_fail(struct builder *b, yaml_mark_t m, const char *fmt, ...)
{
	struct fw_loc loc = yt_mark_loc(b, m);
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (fw_error(b->diags, &loc, "%s", buf) < 0)
		return -ENOMEM;
	return -EINVAL;
}

/* libyaml's reader reports a byte offset, not a mark: find line and column
 * the way its scanner counts them (characters; \n, \r\n, \r, NEL, LS and PS
 * end a line). */
yaml_mark_t yt_offset_mark(const unsigned char *s, size_t len, size_t offset)
{
	yaml_mark_t m = {.index = offset};

	if (offset > len)
		offset = len;
	for (size_t i = 0; i < offset; i++) {
		unsigned char c = s[i];
		bool brk = false;

		if (c == '\n') {
			brk = true;
		} else if (c == '\r') {
			if (i + 1 < len && s[i + 1] == '\n')
				continue; /* the \n ends the line */
			brk = true;
		} else if (c == 0xc2 && i + 1 < offset && s[i + 1] == 0x85) {
			brk = true;
			i += 1;
		} else if (c == 0xe2 && i + 2 < offset && s[i + 1] == 0x80 &&
		           (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			brk = true;
			i += 2;
		}
		if (brk) {
			m.line++;
			m.column = 0;
		} else if ((c & 0xc0) != 0x80) {
			m.column++; /* UTF-8 continuation bytes are not characters */
		}
	}
	return m;
}

int yt_parser_error(struct builder *b, const yaml_parser_t *p, const unsigned char *in, size_t len)
{
	const char *problem = p->problem ? p->problem : "unknown problem";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return -ENOMEM;
	case YAML_READER_ERROR:
		return yt_fail(b, yt_offset_mark(in, len, p->problem_offset), "invalid YAML: %s",
		               problem);
	default:
		return yt_fail(b, p->problem_mark, "invalid YAML: %s", problem);
	}
}

int yt_report_duplicates(struct builder *b)
{
	for (size_t i = 0; i < b->n_dups; i++)
		if (fw_error(b->diags, &b->dups[i].loc, "%s", b->dups[i].msg) < 0)
			return -ENOMEM;
	return 0;
}

int ytree_file_too_big(struct fw_diags *diags, const char *file, uintmax_t size)
{
	struct fw_loc loc = {.file = file};

	if (fw_error(diags, &loc, "file is %ju bytes, more than the limit of %u (limit: file size)",
	             size, YT_MAX_FILE_SIZE) < 0)
		return -ENOMEM;
	return -EINVAL;
}
