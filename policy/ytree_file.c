// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading policy files (bounded by the file-size cap) and small node helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "ytree.h"

#define READ_CHUNK 65536

static int read_error(struct fw_diags *diags, const char *path, int err)
{
	struct fw_loc loc = {.file = path};

	if (fw_error(diags, &loc, "cannot read: %s", strerror(err)) < 0)
		return -ENOMEM;
	return -err;
}

/* Read all of fd into *buf, at most YT_MAX_FILE_SIZE + 1 bytes. */
static int read_all(int fd, size_t size_hint, char **buf, size_t *len)
{
	size_t size = size_hint + 1, got = 0;
	char *b;

	if (size_hint == 0 || size > YT_MAX_FILE_SIZE + 1)
		size = size_hint == 0 ? READ_CHUNK : YT_MAX_FILE_SIZE + 1;
	b = malloc(size);
	if (!b)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (got == size) {
			char *nb;

			if (size > YT_MAX_FILE_SIZE)
				break; /* the caller sees got > the cap */
			size = size > (YT_MAX_FILE_SIZE + 1) / 2 ? YT_MAX_FILE_SIZE + 1 : size * 2;
			nb = realloc(b, size);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		n = read(fd, b + got, size - got);
		if (n < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			free(b);
			return -err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*buf = b;
	*len = got;
	return 0;
}

int ydoc_load_file(const char *path, struct fw_diags *diags, struct ydoc **ret)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return read_error(diags, path, errno);
	if (fstat(fd, &st) < 0) {
		r = errno;
		close(fd);
		return read_error(diags, path, r);
	}
	if (S_ISREG(st.st_mode) && st.st_size > (off_t)YT_MAX_FILE_SIZE) {
		close(fd);
		return ytree_file_too_big(diags, path, (uintmax_t)st.st_size);
	}
	r = read_all(fd, S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size : 0, &buf,
	             &len);
	if (r == -ENOMEM) {
		close(fd);
		return r;
	}
	if (r < 0) {
		close(fd);
		return read_error(diags, path, -r);
	}
	if (len > YT_MAX_FILE_SIZE) {
		/* It grew after fstat, or is not a regular file. */
		struct fw_loc loc = {.file = path};

		free(buf);
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size > (off_t)YT_MAX_FILE_SIZE) {
			close(fd);
			return ytree_file_too_big(diags, path, (uintmax_t)st.st_size);
		}
		close(fd);
		if (fw_error(diags, &loc, "file is more than %u bytes (limit: file size)",
		             YT_MAX_FILE_SIZE) < 0)
			return -ENOMEM;
		return -EINVAL;
	}
	close(fd);
	r = ydoc_parse(path, buf, len, diags, ret);
	free(buf);
	return r;
}

/* ---- helpers for schema code ---- */

static bool all_digits(const char *s, size_t len, const char *digits)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!s[i] || !strchr(digits, s[i]))
			return false;
	return true;
}

/* YAML 1.2 core schema integers: 42, -7, +1, 0x1f, 0o17. */
static bool looks_like_int(const char *s, size_t len)
{
	if (len > 2 && s[0] == '0' && s[1] == 'x')
		return all_digits(s + 2, len - 2, "0123456789abcdefABCDEF");
	if (len > 2 && s[0] == '0' && s[1] == 'o')
		return all_digits(s + 2, len - 2, "01234567");
	if (len > 0 && (s[0] == '-' || s[0] == '+'))
		return all_digits(s + 1, len - 1, "0123456789");
	return all_digits(s, len, "0123456789");
}

const char *ynode_kind_name(const struct ynode *n)
{
	if (!n)
		return "nothing";
	if (n->kind == YN_MAP)
		return "a mapping";
	if (n->kind == YN_SEQ)
		return "a list";
	if (n->plain) {
		if (n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null"))
			return "null";
		if (!strcmp(n->str, "true") || !strcmp(n->str, "false"))
			return "a boolean";
		if (looks_like_int(n->str, n->len))
			return "a number";
	}
	return "a string";
}

struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	if (!map || !key || map->kind != YN_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i]->str, key))
			return map->vals[i];
	return NULL;
}
