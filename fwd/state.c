// SPDX-License-Identifier: GPL-2.0-or-later
/* The state directory: generations, the live pointer, the audit log (see fwd/state.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fwd/fileio.h"
#include "fwd/state.h"

struct fw_state {
	char *dir;
	int dirfd;
};

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define _cleanup_close_ __attribute__((cleanup(closep)))

static int fsync_dirfd(int dirfd)
{
	return fsync(dirfd) < 0 ? -errno : 0;
}

/* Write a whole file at dirfd/name with mode 0600, fsync'ed. */
static int write_file_at(int dirfd, const char *name, const char *data, size_t len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	return fsync(fd) < 0 ? -errno : 0;
}

static int read_file_at(int dirfd, const char *name, char **ret, size_t *ret_len)
{
	return fw_file_read_at(dirfd, name, O_NOFOLLOW, FW_STATE_MAX_FILE, ret, ret_len);
}

static bool valid_file_name(const char *n)
{
	size_t len = strlen(n);

	return len > 0 && len < NAME_MAX && !strchr(n, '/') && strcmp(n, ".") && strcmp(n, "..");
}

int fw_state_open(const char *dir, struct fw_state **ret)
{
	struct fw_state *st;
	struct stat s;
	int fd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &s) < 0 || (s.st_mode & 077) || s.st_uid != geteuid()) {
		int e = errno;
		close(fd);
		/* Others must not read history (policies, addresses) nor plant files. */
		return e && (s.st_mode & 077) == 0 ? -e : -EPERM;
	}
	if (mkdirat(fd, "history", 0700) < 0 && errno != EEXIST) {
		int e = errno;
		close(fd);
		return -e;
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->dir = strdup(dir))) {
		free(st);
		close(fd);
		return -ENOMEM;
	}
	st->dirfd = fd;
	*ret = st;
	return 0;
}

void fw_state_close(struct fw_state *st)
{
	if (!st)
		return;
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st->dir);
	free(st);
}

static void gen_name(uint64_t gen, char buf[16])
{
	snprintf(buf, 16, "%06llu", (unsigned long long)gen);
}

/* Parse "NNNNNN" (exactly six digits) into a generation number. */
static int parse_gen(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (strlen(s) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v == 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Every generation number in history/, sorted. */
static int list_gens(struct fw_state *st, uint64_t **ret, size_t *ret_n)
{
	int fd = openat(st->dirfd, "history", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		uint64_t g;
		if (parse_gen(de->d_name, &g) < 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			uint64_t *nv = realloc(v, ncap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = g;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_u64);
	*ret = v;
	*ret_n = n;
	return 0;
}

int fw_state_current(struct fw_state *st, uint64_t *ret_generation)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(st->dirfd, "current", target, sizeof(target) - 1);
	uint64_t g;

	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (strncmp(target, "history/", 8) || parse_gen(target + 8, &g) < 0)
		return -EINVAL;
	*ret_generation = g;
	return 0;
}

int fw_state_set_current(struct fw_state *st, uint64_t generation)
{
	char name[16], target[32], tmp[48];
	struct stat s;

	if (generation == 0 || generation > FW_STATE_MAX_GENERATION)
		return -EINVAL;
	gen_name(generation, name);
	snprintf(target, sizeof(target), "history/%s", name);
	if (fstatat(st->dirfd, target, &s, 0) < 0)
		return -errno;
	snprintf(tmp, sizeof(tmp), ".current.%ld", (long)getpid());
	unlinkat(st->dirfd, tmp, 0);
	if (symlinkat(target, st->dirfd, tmp) < 0)
		return -errno;
	if (renameat(st->dirfd, tmp, st->dirfd, "current") < 0) {
		int e = errno;
		unlinkat(st->dirfd, tmp, 0);
		return -e;
	}
	return fsync_dirfd(st->dirfd);
}

static char *meta_json(uint64_t gen, uint64_t parent, const struct fw_state_meta *m)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:s, s:I, s:s, s:s?}", "generation", (json_int_t)gen,
	                      "parent", (json_int_t)parent, "time", (json_int_t)time(NULL), "who",
	                      m->who ? m->who : "?", "uid", (json_int_t)m->uid, "source",
	                      m->source ? m->source : "?", "comment", m->comment);
	char *s;

	if (!o)
		return NULL;
	s = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(o);
	return s;
}

/* Remove a generation directory this module wrote (files and one level of
 * subdirectories). Entries already read may be unlinked while iterating. */
static void remove_gen_dir(int parentfd, const char *name)
{
	int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && (errno == EISDIR || errno == EPERM))
			remove_gen_dir(dirfd(d), de->d_name);
	}
	closedir(d);
	unlinkat(parentfd, name, AT_REMOVEDIR);
}

static int write_generation(int histfd, const char *tmpname, const char *meta,
                            const struct fw_state_file *files, size_t n_files, const char *ruleset,
                            const char *diff)
{
	_cleanup_close_ int gfd = -1;
	_cleanup_close_ int pfd = -1;
	int r;

	if (mkdirat(histfd, tmpname, 0700) < 0)
		return -errno;
	gfd = openat(histfd, tmpname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (gfd < 0)
		return -errno;
	if ((r = write_file_at(gfd, "meta.json", meta, strlen(meta))) < 0)
		return r;
	if ((r = write_file_at(gfd, "ruleset.nft", ruleset ? ruleset : "",
	                       ruleset ? strlen(ruleset) : 0)) < 0)
		return r;
	if (diff && (r = write_file_at(gfd, "diff.txt", diff, strlen(diff))) < 0)
		return r;
	if (mkdirat(gfd, "policy", 0700) < 0)
		return -errno;
	pfd = openat(gfd, "policy", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	for (size_t i = 0; i < n_files; i++)
		if ((r = write_file_at(pfd, files[i].name, files[i].data, files[i].len)) < 0)
			return r;
	if ((r = fsync_dirfd(pfd)) < 0)
		return r;
	return fsync_dirfd(gfd);
}

int fw_state_record(struct fw_state *st, const struct fw_state_meta *meta,
                    const struct fw_state_file *files, size_t n_files, const char *ruleset,
                    uint64_t *ret_generation)
{
	return fw_state_record_diff(st, meta, files, n_files, ruleset, NULL, ret_generation);
}

int fw_state_record_diff(struct fw_state *st, const struct fw_state_meta *meta,
                         const struct fw_state_file *files, size_t n_files, const char *ruleset,
                         const char *diff, uint64_t *ret_generation)
{
	_cleanup_close_ int histfd = -1;
	uint64_t *gens = NULL, gen, parent = 0;
	size_t n_gens = 0;
	char name[16], tmpname[48], *meta_text;
	int r;

	if (n_files > FW_STATE_MAX_FILES)
		return -E2BIG;
	if (diff && strlen(diff) > FW_STATE_MAX_FILE)
		return -EFBIG;
	for (size_t i = 0; i < n_files; i++) {
		if (!valid_file_name(files[i].name))
			return -EINVAL;
		if (files[i].len > FW_STATE_MAX_FILE)
			return -EFBIG;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(files[i].name, files[j].name))
				return -EEXIST;
	}
	if ((r = list_gens(st, &gens, &n_gens)) < 0)
		return r;
	gen = n_gens ? gens[n_gens - 1] + 1 : 1;
	free(gens);
	if (gen > FW_STATE_MAX_GENERATION)
		return -EOVERFLOW;
	if (fw_state_current(st, &parent) < 0)
		parent = 0;
	meta_text = meta_json(gen, parent, meta);
	if (!meta_text)
		return -ENOMEM;
	histfd = openat(st->dirfd, "history", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (histfd < 0) {
		free(meta_text);
		return -errno;
	}
	gen_name(gen, name);
	snprintf(tmpname, sizeof(tmpname), ".tmp-%s-%ld", name, (long)getpid());
	remove_gen_dir(histfd, tmpname);
	r = write_generation(histfd, tmpname, meta_text, files, n_files, ruleset, diff);
	free(meta_text);
	/* The rename publishes the complete generation in one step. */
	if (r == 0 && renameat(histfd, tmpname, histfd, name) < 0)
		r = -errno;
	if (r == 0)
		r = fsync_dirfd(histfd);
	if (r < 0) {
		remove_gen_dir(histfd, tmpname);
		return r;
	}
	*ret_generation = gen;
	return 0;
}

static int gen_dir(struct fw_state *st, uint64_t generation)
{
	char path[32], name[16];
	int fd;

	if (generation == 0 || generation > FW_STATE_MAX_GENERATION)
		return -EINVAL;
	gen_name(generation, name);
	snprintf(path, sizeof(path), "history/%s", name);
	fd = openat(st->dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

static void copy_str(char *dst, size_t size, const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	snprintf(dst, size, "%s", s ? s : "");
}

int fw_state_get(struct fw_state *st, uint64_t generation, struct fw_generation *ret)
{
	_cleanup_close_ int fd = gen_dir(st, generation);
	struct fw_generation g = {0};
	char *text = NULL;
	json_t *o;
	int r;

	if (fd < 0)
		return fd;
	if ((r = read_file_at(fd, "meta.json", &text, NULL)) < 0)
		return r;
	o = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(o)) {
		json_decref(o);
		return -EBADMSG;
	}
	g.generation = generation;
	g.parent = (uint64_t)json_integer_value(json_object_get(o, "parent"));
	g.time = (time_t)json_integer_value(json_object_get(o, "time"));
	g.uid = (uint32_t)json_integer_value(json_object_get(o, "uid"));
	copy_str(g.who, sizeof(g.who), o, "who");
	copy_str(g.source, sizeof(g.source), o, "source");
	copy_str(g.comment, sizeof(g.comment), o, "comment");
	json_decref(o);
	*ret = g;
	return 0;
}

int fw_state_list(struct fw_state *st, struct fw_generation **ret, size_t *ret_n)
{
	uint64_t *gens = NULL;
	size_t n = 0;
	struct fw_generation *v;
	int r = list_gens(st, &gens, &n);

	if (r < 0)
		return r;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		free(gens);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if ((r = fw_state_get(st, gens[i], &v[i])) < 0) {
			free(gens);
			free(v);
			return r;
		}
	free(gens);
	*ret = v;
	*ret_n = n;
	return 0;
}

int fw_state_read(struct fw_state *st, uint64_t generation, const char *name, char **ret,
                  size_t *ret_len)
{
	_cleanup_close_ int fd = gen_dir(st, generation);
	_cleanup_close_ int pfd = -1;

	if (fd < 0)
		return fd;
	if (!strcmp(name, "ruleset.nft") || !strcmp(name, "meta.json") || !strcmp(name, "diff.txt"))
		return read_file_at(fd, name, ret, ret_len);
	if (strncmp(name, "policy/", 7) || !valid_file_name(name + 7))
		return -EINVAL;
	pfd = openat(fd, "policy", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	return read_file_at(pfd, name + 7, ret, ret_len);
}

int fw_state_policy_dir(struct fw_state *st, uint64_t generation, char **ret)
{
	_cleanup_close_ int fd = gen_dir(st, generation);
	char name[16];

	if (fd < 0)
		return fd;
	gen_name(generation, name);
	return asprintf(ret, "%s/history/%s/policy", st->dir, name) < 0 ? -ENOMEM : 0;
}

int fw_state_audit(struct fw_state *st, const char *event, const struct fw_state_meta *meta,
                   uint64_t generation, const char *detail)
{
	return fw_state_audit_summary(st, event, meta, generation, detail, NULL);
}

int fw_state_audit_summary(struct fw_state *st, const char *event, const struct fw_state_meta *meta,
                           uint64_t generation, const char *detail, const char *summary)
{
	_cleanup_close_ int fd = -1;
	json_t *o =
	    json_pack("{s:I, s:s, s:s, s:I, s:s?, s:I, s:s?}", "time", (json_int_t)time(NULL),
	              "event", event, "who", meta && meta->who ? meta->who : "?", "uid",
	              (json_int_t)(meta ? meta->uid : 0), "source", meta ? meta->source : NULL,
	              "generation", (json_int_t)generation, "detail", detail);
	char *line;
	size_t len;
	ssize_t n;

	if (o && summary && json_object_set_new(o, "summary", json_string(summary)) < 0) {
		json_decref(o);
		o = NULL;
	}
	if (!o)
		return -ENOMEM;
	line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!line)
		return -ENOMEM;
	len = strlen(line);
	line[len] = '\n'; /* replaces the NUL: one write of one whole line */
	fd = openat(st->dirfd, "audit.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(line);
		return -errno;
	}
	do
		n = write(fd, line, len + 1);
	while (n < 0 && errno == EINTR);
	free(line);
	if (n < 0)
		return -errno;
	if ((size_t)n != len + 1)
		return -EIO;
	return fsync(fd) < 0 ? -errno : 0;
}

int fw_state_prune(struct fw_state *st, size_t keep)
{
	_cleanup_close_ int histfd = -1;
	uint64_t *gens = NULL, cur = 0;
	size_t n = 0;
	char name[16];
	int r = list_gens(st, &gens, &n);

	if (r < 0)
		return r;
	if (fw_state_current(st, &cur) < 0)
		cur = 0;
	histfd = openat(st->dirfd, "history", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (histfd < 0) {
		free(gens);
		return -errno;
	}
	for (size_t i = 0; n > keep && i < n - keep; i++) {
		if (gens[i] == cur)
			continue;
		gen_name(gens[i], name);
		remove_gen_dir(histfd, name);
	}
	free(gens);
	return fsync_dirfd(histfd);
}
