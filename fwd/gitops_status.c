// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What happened to each commit, kept for the last FW_GIT_KEEP of them, and
 * STATE/gitops/status.json, the same as JSON for pipelines to poll:
 *
 *   {"branch": "main", "head": SHA, "live_commit": SHA|null, "drift": TEXT|null,
 *    "commits": [{"commit": SHA, "state": "applied", "generation": 7,
 *                 "time": T, "subject": S, "signer": S, "reason": S}, ...]}
 *
 * newest first. The file is replaced whole (temporary file, fsync, rename):
 * a reader sees the old or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitops_int.h"

#define STATUS_MAX_FILE (1u << 20)

static const char *const state_names[] = {
    [FW_GIT_QUEUED] = "queued",           [FW_GIT_PENDING] = "pending",
    [FW_GIT_APPLIED] = "applied",         [FW_GIT_REFUSED] = "refused",
    [FW_GIT_ROLLED_BACK] = "rolled-back", [FW_GIT_SUPERSEDED] = "superseded",
    [FW_GIT_FAILED] = "failed",
};

#define N_STATES (sizeof(state_names) / sizeof(state_names[0]))

const char *fw_git_state_name(enum fw_git_state s)
{
	return (size_t)s < N_STATES ? state_names[s] : "?";
}

struct fw_git_record *fw_git_status_find(struct fw_git_status *s, const char *commit)
{
	for (size_t i = s->n; i-- > 0;)
		if (!strcmp(s->rec[i].commit, commit))
			return &s->rec[i];
	return NULL;
}

struct fw_git_record *fw_git_status_add(struct fw_git_status *s, const char *commit)
{
	struct fw_git_record *r;

	if (s->n == FW_GIT_KEEP) {
		memmove(&s->rec[0], &s->rec[1], (FW_GIT_KEEP - 1) * sizeof(s->rec[0]));
		s->n--;
	}
	r = &s->rec[s->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->commit, sizeof(r->commit), "%s", commit);
	r->time = time(NULL);
	return r;
}

json_t *fw_git_record_json(const struct fw_git_record *r)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "commit", r->commit, "state",
	                      fw_git_state_name(r->state), "time", (json_int_t)r->time, "subject",
	                      r->subject, "signer", r->signer, "reason", r->reason);

	if (o && r->generation)
		json_object_set_new(o, "generation", json_integer((json_int_t)r->generation));
	return o;
}

static json_t *sha_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

json_t *fw_git_status_to_json(const struct fw_git_status *s, size_t max)
{
	json_t *commits = json_array(), *o;

	for (size_t i = s->n; commits && i-- > 0 && s->n - i <= max;)
		json_array_append_new(commits, fw_git_record_json(&s->rec[i]));
	o = json_pack("{s:o, s:o, s:I, s:s, s:o}", "head", sha_or_null(s->head), "last_applied",
	              sha_or_null(s->last_applied), "fetched", (json_int_t)s->fetched,
	              "fetch_error", s->fetch_error, "commits", commits ? commits : json_array());
	return o;
}

int fw_git_status_save(const struct fw_git_status *s, json_t *extra, const char *path)
{
	json_t *o = fw_git_status_to_json(s, FW_GIT_KEEP);
	char tmp[4200];
	char *text;
	size_t len;
	int fd, r = 0;

	if (o && extra)
		json_object_update(o, extra);
	text = o ? json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;
	json_decref(o);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
	} else {
		errno = 0;
		if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
		    fsync(fd) < 0)
			r = errno ? -errno : -EIO;
		if (close(fd) < 0 && !r)
			r = -errno;
		if (!r && rename(tmp, path) < 0)
			r = -errno;
		if (r)
			unlink(tmp);
	}
	free(text);
	return r;
}

static bool is_sha(const char *s)
{
	return s && strlen(s) == FW_GIT_SHA_LEN && strspn(s, "0123456789abcdef") == FW_GIT_SHA_LEN;
}

static void copy(char *dst, size_t size, json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	snprintf(dst, size, "%s", v ? v : "");
}

/* One record as saved; false when it is not one (the file was edited). */
static bool load_record(json_t *o, struct fw_git_record *r)
{
	const char *commit = json_string_value(json_object_get(o, "commit"));
	const char *state = json_string_value(json_object_get(o, "state"));
	size_t k;

	if (!is_sha(commit) || !state)
		return false;
	for (k = 0; k < N_STATES && strcmp(state, state_names[k]); k++)
		;
	if (k == N_STATES)
		return false;
	memset(r, 0, sizeof(*r));
	snprintf(r->commit, sizeof(r->commit), "%s", commit);
	r->state = (enum fw_git_state)k;
	r->time = (time_t)json_integer_value(json_object_get(o, "time"));
	r->generation = (uint64_t)json_integer_value(json_object_get(o, "generation"));
	copy(r->subject, sizeof(r->subject), o, "subject");
	copy(r->signer, sizeof(r->signer), o, "signer");
	copy(r->reason, sizeof(r->reason), o, "reason");
	return true;
}

int fw_git_status_load(const char *path, struct fw_git_status *ret)
{
	struct fw_git_status *s = calloc(1, sizeof(*s));
	json_t *o, *commits;
	json_error_t jerr;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (!s) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	if (fd < 0) {
		int e = errno;
		free(s);
		if (e != ENOENT)
			return -e;
		memset(ret, 0, sizeof(*ret));
		return 0;
	}
	if (fstat(fd, &st) < 0 || st.st_size > (off_t)STATUS_MAX_FILE) {
		close(fd);
		free(s);
		return -EFBIG;
	}
	o = json_loadfd(fd, 0, &jerr);
	close(fd);
	if (!json_is_object(o)) {
		json_decref(o);
		free(s);
		return -EBADMSG;
	}
	commits = json_object_get(o, "commits");
	/* newest first in the file, oldest first in memory */
	size_t n = json_array_size(commits) < FW_GIT_KEEP ? json_array_size(commits) : FW_GIT_KEEP;
	for (size_t i = n; i-- > 0;)
		if (load_record(json_array_get(commits, i), &s->rec[s->n]))
			s->n++;
	if (is_sha(json_string_value(json_object_get(o, "head"))))
		copy(s->head, sizeof(s->head), o, "head");
	if (is_sha(json_string_value(json_object_get(o, "last_applied"))))
		copy(s->last_applied, sizeof(s->last_applied), o, "last_applied");
	s->fetched = (time_t)json_integer_value(json_object_get(o, "fetched"));
	json_decref(o);
	*ret = *s;
	free(s);
	return 0;
}
