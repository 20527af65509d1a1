// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/handlers.h"
#include "testutil.h"

/* Set by tests/CMakeLists.txt; the fallback only serves static checkers. */
#ifndef FWD_SOURCE_DIR
#define FWD_SOURCE_DIR "."
#endif

static void die(const char *what, const char *path)
{
	fprintf(stderr, "testutil: %s %s: %s\n", what, path ? path : "", strerror(errno));
	abort();
}

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t size = 4096, got = 0;
	char *buf = malloc(size);

	if (!f)
		die("cannot open", path);
	if (!buf)
		die("out of memory reading", path);
	for (;;) {
		size_t n = fread(buf + got, 1, size - got - 1, f);

		got += n;
		if (got + 1 < size) {
			if (ferror(f))
				die("cannot read", path);
			break;
		}
		char *nb = realloc(buf, size * 2);
		if (!nb)
			die("out of memory reading", path);
		buf = nb;
		size *= 2;
	}
	fclose(f);
	buf[got] = '\0';
	if (len)
		*len = got;
	return buf;
}

char *tu_diags_text(const struct fw_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		die("open_memstream", NULL);
	for (size_t i = 0; d && i < d->n; i++) {
		char *s = fw_diag_format(&d->v[i]);

		if (!s)
			die("fw_diag_format", NULL);
		fprintf(f, "%s\n", s);
		free(s);
	}
	if (fclose(f) != 0 || !buf)
		die("open_memstream", NULL);
	return buf;
}

const char *tu_source_dir(void)
{
	return FWD_SOURCE_DIR;
}

static int fake_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                      struct fw_diags *d)
{
	(void)ctx;
	(void)old;
	(void)plan;
	(void)d;
	return 0;
}

int tu_daemon_open(struct tu_daemon *t)
{
	static const struct fw_backend be = {.apply = fake_apply};

	snprintf(t->dir, sizeof(t->dir), "/tmp/fwd-unit-daemon-XXXXXX");
	t->dm = calloc(1, sizeof(*t->dm));
	if (!t->dm || !mkdtemp(t->dir)) {
		free(t->dm);
		t->dm = NULL;
		t->dir[0] = '\0';
		return -1;
	}
	t->dm->group = (gid_t)-1;
	if (fw_state_open(t->dir, &t->dm->state) < 0 ||
	    fw_engine_new(t->dm->state, &be, &t->dm->engine) < 0) {
		tu_daemon_close(t);
		return -1;
	}
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

int tu_daemon_close(struct tu_daemon *t)
{
	int rc = 0;

	if (t->dm) {
		fw_engine_free(t->dm->engine);
		fw_state_close(t->dm->state);
		free(t->dm);
		t->dm = NULL;
	}
	if (t->dir[0] && nftw(t->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		rc = -1;
	t->dir[0] = '\0';
	return rc;
}

json_t *tu_daemon_call(struct tu_daemon *t, uid_t uid, const char *line)
{
	struct ctl_peer peer = {.pid = 1, .uid = uid, .gid = uid};
	struct fwp_request req;
	char err[256], *out;
	json_t *resp;

	if (fwp_request_parse(line, strlen(line), &req, err, sizeof(err)) != 0)
		fail_msg("request %s: %s", line, err);
	out = fw_daemon_handle(t->dm, &peer, &req);
	fwp_request_free(&req);
	assert_non_null(out);
	resp = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(resp);
	return resp;
}

json_t *tu_daemon_call_json(struct tu_daemon *t, uid_t uid, json_t *request)
{
	char *line;
	json_t *resp;

	json_object_set_new(request, "version", json_integer(1));
	line = json_dumps(request, JSON_COMPACT);
	json_decref(request);
	assert_non_null(line);
	resp = tu_daemon_call(t, uid, line);
	free(line);
	return resp;
}

int tu_daemon_setup(void **state)
{
	return tu_daemon_open(*state);
}

int tu_daemon_teardown(void **state)
{
	return tu_daemon_close(*state);
}
