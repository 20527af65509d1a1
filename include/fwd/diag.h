/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Diagnostics: every problem found in a policy is recorded with the place
 * it came from (file:line:column, 1-based) so the user can fix it without
 * guessing. Library code only records; callers decide how to print.
 */
#ifndef FWD_DIAG_H
#define FWD_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A place in a source file. `file` points at a string owned by whoever
 * loaded the file; a recorded fw_diag keeps its own copy. */
struct fw_loc {
	const char *file;
	unsigned line;
	unsigned col;
};

enum fw_severity {
	FW_SEV_ERROR,
	FW_SEV_WARNING,
};

struct fw_diag {
	enum fw_severity sev;
	struct fw_loc loc;
	char *msg;
};

/* Default cap on recorded errors per run: past it one final
 * "too many errors" entry is recorded and further errors are counted only. */
#define FW_DIAG_MAX_ERRORS 100

struct fw_diags {
	struct fw_diag *v;
	size_t n;
	size_t cap;
	size_t n_errors; /* all errors seen, including those past the cap */
	size_t n_warnings;
	size_t max_errors; /* 0 means FW_DIAG_MAX_ERRORS */
	bool truncated;
};

/* Record a diagnostic. Returns 0 or -ENOMEM. `loc` may be NULL. */
int fw_diag_add(struct fw_diags *d, enum fw_severity sev, const struct fw_loc *loc, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

#define fw_error(d, loc, ...)   fw_diag_add((d), FW_SEV_ERROR, (loc), __VA_ARGS__)
#define fw_warning(d, loc, ...) fw_diag_add((d), FW_SEV_WARNING, (loc), __VA_ARGS__)

/* Format one diagnostic as "file:line:col: error: msg" into a new string. */
char *fw_diag_format(const struct fw_diag *diag);

/* Sort by file, line, column (stable), so output order does not depend on
 * the order in which checks ran. */
void fw_diags_sort(struct fw_diags *d);

bool fw_diags_has_errors(const struct fw_diags *d);

/* Print every diagnostic, one per line, each preceded by `prefix` (may be ""). */
void fw_diags_print(const struct fw_diags *d, FILE *f, const char *prefix);
void fw_diags_free(struct fw_diags *d);

/* The one-line message of a failure that has no place in a file: written
 * into err (size 0: nowhere) and code returned, so that a function can say
 * `return fw_errf(err, size, -EINVAL, "...", ...)`. */
int fw_errf(char *err, size_t size, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
