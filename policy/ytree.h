/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A YAML document as a tree of nodes that each remember file:line:column.
 *
 * Built from libyaml's event stream with our own caps, because the released
 * libyaml has no nesting limit and leaves alias expansion to the caller:
 *   - file size, nesting depth, scalar length, node count;
 *   - aliases are shared (not copied) and every alias use is charged the
 *     full size of the subtree it names, so "billion laughs" documents stop
 *     at the expansion cap instead of exhausting memory or time.
 * Every node lives in the document's arena and is freed with the document.
 */
#ifndef FWD_YTREE_H
#define FWD_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd/diag.h"

#define YT_MAX_FILE_SIZE       (4u * 1024 * 1024)
#define YT_MAX_DEPTH           32u
#define YT_MAX_SCALAR_LEN      4096u
#define YT_MAX_NODES           1000000u
#define YT_MAX_ALIAS_EXPANSION 100000u

enum ynode_kind {
	YN_SCALAR,
	YN_MAP,
	YN_SEQ,
};

struct ynode {
	enum ynode_kind kind;
	struct fw_loc loc;
	/* YN_SCALAR */
	char *str; /* NUL-terminated; the scalar never contains a NUL */
	size_t len;
	bool plain; /* unquoted: only plain scalars may be numbers/booleans/null */
	/* YN_MAP: keys[i] -> vals[i], in document order; keys are scalars */
	/* YN_SEQ: vals[i] */
	struct ynode **keys;
	struct ynode **vals;
	size_t n;
	/* Nodes in the fully alias-expanded subtree, saturating. */
	size_t weight;
};

struct ydoc {
	char *file;         /* owned; every loc.file points here */
	struct ynode *root; /* NULL for an empty document */
	struct ynode **arena;
	size_t n_arena;
	size_t cap_arena;
};

/*
 * Parse `len` bytes named `file` (used in locations).
 * Returns 0 and stores a new document in *ret when the bytes are well-formed
 * YAML within the caps. Duplicate mapping keys do not stop parsing: each is
 * recorded as an error, the duplicate pair is left out of the map, and the
 * document is still returned so the rest of the file can be checked too.
 * On a YAML syntax error or a cap records exactly one diagnostic naming
 * file:line:col and the problem or cap, returns -EINVAL, *ret untouched.
 * -ENOMEM on allocation failure.
 */
int ydoc_parse(const char *file, const char *buf, size_t len, struct fw_diags *diags,
               struct ydoc **ret);

/* Read the file (refusing more than YT_MAX_FILE_SIZE bytes) and parse it. */
int ydoc_load_file(const char *path, struct fw_diags *diags, struct ydoc **ret);

void ydoc_free(struct ydoc *doc);

/* Records "file is N bytes, more than the limit ..." and returns -EINVAL. */
int ytree_file_too_big(struct fw_diags *diags, const char *file, uintmax_t size);

/* Convenience for schema code. */
const char *ynode_kind_name(const struct ynode *n); /* "a mapping", "a list", "a string" */
struct ynode *ymap_get(const struct ynode *map, const char *key);

#endif
