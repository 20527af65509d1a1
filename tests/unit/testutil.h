/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the cmocka tests (linked into every test program). */
#ifndef FWD_TESTUTIL_H
#define FWD_TESTUTIL_H

#include <stddef.h>

#include "fwd/diag.h"

/* Read a whole file, NUL-terminated; *len (if not NULL) gets its size
 * without the NUL. Aborts the test program on failure. Caller frees. */
char *tu_read_file(const char *path, size_t *len);

/* Every diagnostic formatted, one per line each ending in "\n", in recorded
 * order; "" when there are none. Aborts on failure. Caller frees. */
char *tu_diags_text(const struct fw_diags *d);

/* The source tree (FWD_SOURCE_DIR), to find test data. */
const char *tu_source_dir(void);

#endif
