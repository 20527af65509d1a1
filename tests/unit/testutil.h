/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the cmocka tests. */
#ifndef FWD_TESTUTIL_H
#define FWD_TESTUTIL_H

#include <stddef.h>

#include "fwd/diag.h"

/* Read a whole file (aborts the test program on failure). */
char *tu_read_file(const char *path, size_t *len);
/* Every diagnostic formatted, one per line; "" when none. Caller frees. */
char *tu_diags_text(const struct fw_diags *d);
const char *tu_source_dir(void);

#endif
