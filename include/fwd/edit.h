/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Editing a tenant file's text the way a person would: one rule inserted
 * into, or removed from, the `rules:` list, every other byte (comments,
 * blank lines, quoting, key order) left as it was.
 *
 * Positions come from the located YAML tree (policy/ytree.h): a rule spans
 * from the line of its "-" to its last line, trailing blank lines and
 * comments at the list's indentation belonging to what follows. A new rule
 * takes the indentation of the rules around it (and their blank-line
 * spacing); values are written plain when that is unambiguous, otherwise
 * double-quoted with escapes, so no value can add YAML structure.
 *
 * The result is only text: the caller checks it like any other policy.
 * Pure; errors are messages for the user in `err`.
 */
#ifndef FWD_EDIT_H
#define FWD_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#define FW_EDIT_MAX_VALUE 1024 /* bytes of one name, service or comment */
#define FW_EDIT_MAX_LIST  32   /* entries of from, to, allow */

struct fw_rule_spec {
	const char *id; /* NULL: none written (the loader calls it rule-N) */
	const char *const *from;
	size_t n_from;
	const char *const *to;
	size_t n_to;
	const char *const *allow;
	size_t n_allow;
	bool log;
	const char *comment; /* NULL: none */
	const char *before;  /* insert before the rule with this id; NULL: last */
};

/*
 * Insert spec into the rules of `text` (a tenant file named `file`, used in
 * messages). Returns 0 and *ret (a new NUL-terminated text) and *ret_len;
 * -EEXIST (the id is taken), -ENOENT (no rule `before`), -EINVAL (a value
 * that is empty, too long or not UTF-8, a file that does not parse, rules
 * written in a form this editor does not change), -ENOMEM. On error a
 * message is in err and *ret is untouched.
 */
int fw_edit_rule_add(const char *file, const char *text, size_t len,
                     const struct fw_rule_spec *spec, char **ret, size_t *ret_len, char *err,
                     size_t err_size);

/* Remove the rule with this id (`id:`, or "rule-N" for the N-th rule
 * without one). -ENOENT when there is none; otherwise as above. */
int fw_edit_rule_del(const char *file, const char *text, size_t len, const char *id, char **ret,
                     size_t *ret_len, char *err, size_t err_size);

#endif
