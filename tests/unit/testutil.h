/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the cmocka tests (linked into every test program). */
#ifndef FWD_TESTUTIL_H
#define FWD_TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "fwd/diag.h"

struct fw_daemon;

/* Read a whole file, NUL-terminated; *len (if not NULL) gets its size
 * without the NUL. Aborts the test program on failure. Caller frees. */
char *tu_read_file(const char *path, size_t *len);

/* Every diagnostic formatted, one per line each ending in "\n", in recorded
 * order; "" when there are none. Aborts on failure. Caller frees. */
char *tu_diags_text(const struct fw_diags *d);

/* The source tree (FWD_SOURCE_DIR), to find test data. */
const char *tu_source_dir(void);

/* A daemon for the handler tests: a fresh state directory under /tmp and an
 * engine whose backend accepts every plan (a fake kernel, so no root). */
struct tu_daemon {
	char dir[64];
	struct fw_daemon *dm; /* group (gid_t)-1: root only; the rest NULL */
};

/* 0, or -1 with nothing left behind (a cmocka setup's answer). */
int tu_daemon_open(struct tu_daemon *t);
/* Frees the daemon and removes its directory; 0, or -1 when the directory
 * could not be removed. Fine on a fixture that never opened. */
int tu_daemon_close(struct tu_daemon *t);
/* One request line handled as peer uid (gid the same): the parsed answer,
 * for the caller to json_decref. A line that does not parse or an answer
 * that is not JSON fails the test. */
json_t *tu_daemon_call(struct tu_daemon *t, uid_t uid, const char *line);
/* The same for a request object (stolen); its "version" is set to 1. */
json_t *tu_daemon_call_json(struct tu_daemon *t, uid_t uid, json_t *request);
/* cmocka setup and teardown of the fixture *state points to (a test's
 * initial state: cmocka_unit_test_prestate_setup_teardown(test,
 * tu_daemon_setup, tu_daemon_teardown, &fixture)). */
int tu_daemon_setup(void **state);
int tu_daemon_teardown(void **state);

#endif
