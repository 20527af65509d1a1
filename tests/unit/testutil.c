// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
