/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A unified line diff of two texts (rendered rulesets), as diff -u prints it:
 * "--- A" / "+++ B" headers, "@@ -l,n +l,n @@" hunks with 3 lines of
 * context. Myers' O((N+M)D) algorithm in linear space (the middle-snake
 * divide and conquer), lines compared as integers after hashing, so a
 * 10,000-rule ruleset with a few changes diffs in milliseconds. Past a number
 * of changed lines the search stops and the diff says "diff too large":
 * time and memory stay bounded whatever the input.
 *
 * A final line without a newline compares as if it had one. Pure.
 */
#ifndef FWD_TEXTDIFF_H
#define FWD_TEXTDIFF_H

#include <stddef.h>

#define FW_TEXTDIFF_MAX_EDITS 10000   /* changed lines (removed + added), default */
#define FW_TEXTDIFF_MAX_LINES 2000000 /* lines per side */
#define FW_TEXTDIFF_CONTEXT   3

/* Optional: the part s[*from, *to) of a line that does not count when lines
 * are compared (both start at len: all of it counts). Equal lines that
 * differ there are shown as context, in a's version. */
typedef void (*fw_textdiff_ignore_fn)(const char *s, size_t len, size_t *from, size_t *to);

/*
 * Diff a -> b. Returns 0 when they are equal (*ret = NULL), 1 when they
 * differ (*ret = a new string: headers and hunks, or headers and one line
 * "diff too large: more than N changed lines" past max_edits, 0 meaning
 * FW_TEXTDIFF_MAX_EDITS), -ENOMEM (*ret untouched). `ignore` may be NULL.
 */
int fw_textdiff(const char *a, const char *b, const char *label_a, const char *label_b,
                size_t max_edits, fw_textdiff_ignore_fn ignore, char **ret);

#endif
