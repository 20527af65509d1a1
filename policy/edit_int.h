/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of the tenant-file editor (policy/edit*.c). */
#ifndef FWD_POLICY_EDIT_INT_H
#define FWD_POLICY_EDIT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fwd/edit.h"

/* A text by lines: line L (1-based) is s[off[L-1], off[L]); off[0] skips a
 * byte order mark. */
struct edit_lines {
	const char *s;
	size_t len;
	const size_t *off; /* n_lines + 1 entries */
	unsigned n_lines;
};

/* The whole text by lines (edit_text.c): line L (1-based) is
 * s[off[L-1], off[L]); off[0] skips a byte order mark (libyaml does not
 * count it in columns). */
struct edit_text {
	const char *s;
	size_t len;
	size_t *off; /* n_lines + 1 entries; the caller frees it */
	unsigned n_lines;
	const char *nl; /* the file's line break: "\n" or "\r\n" */
};
/* 0, or -EINVAL with a message naming file:line (a line break other than
 * LF or CR LF: positions are counted in "\n" lines), or -ENOMEM. */
int edit_text_index(const char *file, const char *s, size_t len, struct edit_text *ret, char *err,
                    size_t size);
/* Line L without its line break. */
const char *edit_text_line(const struct edit_text *t, unsigned L, size_t *len);
/* The new text s[0, at) + ins + s[at, a) + s[b, len) (at <= a <= b): an
 * insertion and a removal after it; 0 or -ENOMEM. */
int edit_text_splice(const struct edit_text *t, size_t at, const char *ins, size_t ins_len,
                     size_t a, size_t b, char **ret, size_t *ret_len);
/* The edit must leave a file YAML still reads (a deleted entry may hold an
 * anchor the rest of the file uses): 0, or -EINVAL with the first problem,
 * or -ENOMEM. */
int edit_text_reads_back(const char *file, const char *s, size_t len, char *err, size_t size);

/* The last line of each of the n items of the block list that is the value
 * of the top-level key written at key_line:key_col (edit_span.c); 0 for an
 * item it did not see. 0 or a negative errno. */
int edit_item_ends(const struct edit_lines *l, unsigned key_line, unsigned key_col, unsigned *ends,
                   size_t n);

/* The rule to add (edit_item.c): its values checked (-EINVAL, a message
 * in err), and written as list item lines: "-" at column dash, keys at
 * column key (0-based), each line ending in nl. */
int edit_check_value(const char *key, const char *v, char *err, size_t size);
int edit_check_spec(const struct fw_rule_spec *s, char *err, size_t size);
void edit_put_item(FILE *f, const struct fw_rule_spec *s, unsigned dash, unsigned key,
                   const char *nl);

/* Values (edit_value.c). */
bool edit_utf8_valid(const char *s);
/* A scalar: plain when unambiguous, otherwise double-quoted and escaped. */
void edit_put_value(FILE *f, const char *s);
/* Always double-quoted (comments). */
void edit_put_quoted(FILE *f, const char *s);
/* One value, or a flow list "[a, b]" of values. */
void edit_put_list(FILE *f, const char *const *v, size_t n);

#endif
