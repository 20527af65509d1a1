// SPDX-License-Identifier: GPL-2.0-or-later
/* The repository of gitops: a bare one, opened or created; fetches of the
 * followed branch; the post-receive hook of the receive mode. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitops_int.h"

const char *fw_git_errmsg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

int fw_git_repo_open(const char *path, git_repository **ret, char *err, size_t err_size)
{
	git_repository_init_options o;
	git_repository *repo = NULL;
	int r = git_repository_open_bare(&repo, path);

	if (r == GIT_ENOTFOUND) {
		git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
		/* The umask mode: a shared repository would get
		 * receive.denyNonFastforwards, and whether a rewind is
		 * applied is fwd's decision (--git-allow-rewind). */
		o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
		r = git_repository_init_ext(&repo, path, &o);
	}
	if (r < 0)
		return fw_errf(err, err_size, -EIO, "repository %s: %s", path, fw_git_errmsg());
	*ret = repo;
	return 0;
}

int fw_git_tip(git_repository *repo, const char *branch, git_oid *ret)
{
	char ref[300];
	git_oid id;

	snprintf(ref, sizeof(ref), "refs/heads/%s", branch);
	if (git_reference_name_to_id(&id, repo, ref) < 0)
		return -ENOENT;
	*ret = id;
	return 0;
}

struct fetch_ctx {
	const char *ssh_key;
	int tries;
	size_t max_bytes;
	bool too_big;
};

/* ssh: the configured key, else the agent; once (a refused key would be
 * offered again forever). Other transports: libgit2's defaults. */
static int credentials(git_credential **out, const char *url, const char *user, unsigned allowed,
                       void *payload)
{
	struct fetch_ctx *c = payload;

	(void)url;
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY) || c->tries++)
		return GIT_PASSTHROUGH;
	if (c->ssh_key)
		return git_credential_ssh_key_new(out, user ? user : "git", NULL, c->ssh_key, NULL);
	return git_credential_ssh_key_from_agent(out, user ? user : "git");
}

/* The pack as it arrives: a remote that sends more than a policy
 * repository can hold is cut off, before the disk fills. */
static int transfer_progress(const git_indexer_progress *stats, void *payload)
{
	struct fetch_ctx *c = payload;

	if (stats->received_bytes <= c->max_bytes)
		return 0;
	c->too_big = true;
	return -1;
}

int fw_git_fetch(git_repository *repo, const char *url, const char *branch, const char *ssh_key,
                 size_t max_bytes, char *err, size_t err_size)
{
	git_fetch_options fo;
	git_remote_create_options ro;
	struct fetch_ctx ctx = {ssh_key, 0, max_bytes, false};
	git_remote *remote = NULL;
	char spec[600];
	char *specs[] = {spec};
	git_strarray refspecs = {specs, 1};
	int r;

	/* Forced: a force-push arrives as it is, and the verification
	 * refuses it unless rewinds are allowed. */
	snprintf(spec, sizeof(spec), "+refs/heads/%s:refs/heads/%s", branch, branch);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	fo.callbacks.credentials = credentials;
	fo.callbacks.transfer_progress = transfer_progress;
	fo.callbacks.payload = &ctx;
	/* In memory, and without url.*.insteadOf: its look-up goes through
	 * libgit2's regex wrapper, which leaks its pcre2 match data on every
	 * config entry that does not match in libgit2 1.5 (fixed upstream in
	 * libgit2 PR #6382) — about 120 KiB a fetch. The URL is used as given. */
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	r = git_remote_create_with_opts(&remote, url, &ro);
	if (r == 0)
		r = git_remote_fetch(remote, &refspecs, &fo, NULL);
	if (r < 0 && ctx.too_big)
		r = fw_errf(
		    err, err_size, -E2BIG,
		    "fetch %s %s: more than %zu MiB received: stopped (--git-fetch-max-mib)", url,
		    branch, max_bytes >> 20);
	else if (r < 0)
		r = fw_errf(err, err_size, -EIO, "fetch %s %s: %s", url, branch, fw_git_errmsg());
	git_remote_free(remote);
	return r;
}

/* s in single quotes for sh: ' becomes '\''. */
static void sh_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

static char *hook_text(const char *branch, const char *fwctl, const char *socket)
{
	char *buf = NULL, ref[300];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	snprintf(ref, sizeof(ref), "refs/heads/%s", branch);
	fputs("#!/bin/sh\n"
	      "# Installed by fwd --git-receive (written again whenever fwd starts): hands\n"
	      "# each push of the branch to fwd, which verifies, applies and health-checks\n"
	      "# the commit (fwd(8), fwctl sync).\n"
	      "while read -r old new ref; do\n"
	      "\t[ \"$ref\" = ",
	      f);
	sh_quote(f, ref);
	fputs(" ] || continue\n"
	      "\t[ \"$new\" = 0000000000000000000000000000000000000000 ] && continue\n"
	      "\t",
	      f);
	sh_quote(f, fwctl);
	fputs(" --socket ", f);
	sh_quote(f, socket);
	fputs(" sync --commit \"$new\"\n"
	      "done\n"
	      "exit 0\n",
	      f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int fw_git_hook_install(git_repository *repo, const char *branch, const char *fwctl,
                        const char *socket, char *err, size_t err_size)
{
	const char *gitdir = git_repository_path(repo);
	char dir[4096], tmp[4200], path[4200];
	char *text = hook_text(branch, fwctl, socket);
	size_t len;
	int fd, r = 0;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	snprintf(dir, sizeof(dir), "%shooks", gitdir);
	snprintf(path, sizeof(path), "%s/post-receive", dir);
	snprintf(tmp, sizeof(tmp), "%s/.post-receive.fwd.%ld", dir, (long)getpid());
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		r = -errno;
	/* A new file renamed over the old: a push never runs half a hook. */
	fd = r ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0755);
	if (!r && fd < 0)
		r = -errno;
	if (fd >= 0) {
		errno = 0;
		if (write(fd, text, len) != (ssize_t)len || fchmod(fd, 0755) < 0 || fsync(fd) < 0)
			r = errno ? -errno : -EIO;
		if (close(fd) < 0 && !r)
			r = -errno;
		if (!r && rename(tmp, path) < 0)
			r = -errno;
		if (r)
			unlink(tmp);
	}
	free(text);
	if (r < 0)
		return fw_errf(err, err_size, r, "hook %s: %s", path, strerror(-r));
	return 0;
}
