// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The policy files of a commit, read from the object database: no checkout,
 * so nothing in the repository (a symbolic link, a submodule, a name with
 * "..") can make fwd read anything but blobs of that commit's tree. Only the
 * *.yaml / *.yml entries of one directory count, as `fwctl apply DIR`
 * reads them; everything else there is ignored, whatever it is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gitops_int.h"

static bool is_policy_name(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' && ((len > 5 && !strcmp(n + len - 5, ".yaml")) ||
	                       (len > 4 && !strcmp(n + len - 4, ".yml")));
}

/* A name the state directory can store and a message can quote. */
static bool plain_name(const char *n)
{
	size_t len = strlen(n);

	if (len > 255)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)n[i] < 0x20 || n[i] == 0x7f)
			return false;
	return true;
}

size_t fw_git_text_check(const char *buf, size_t len, bool *nul)
{
	const unsigned char *s = (const unsigned char *)buf;

	*nul = false;
	for (size_t i = 0; i < len;) {
		unsigned c = s[i];
		size_t n;
		unsigned cp, min;

		if (c == 0) {
			*nul = true;
			return i + 1;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07, min = 0x10000;
		else
			return i + 1;
		if (len - i <= n)
			return i + 1;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i + 1;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* overlong forms, UTF-16 surrogates, past U+10FFFF */
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return i + 1;
		i += n + 1;
	}
	return 0;
}

void fw_git_files_free(struct fw_git_files *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free((char *)f->v[i].name);
		free((char *)f->v[i].data);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

/* Where the message says the files were looked for. */
static const char *where(const char *subdir)
{
	return subdir ? subdir : "the top directory";
}

int fw_git_object_size(git_repository *repo, const git_oid *id, git_object_t type, size_t *ret)
{
	git_odb *odb = NULL;
	git_object_t t;
	size_t size;
	int r = git_repository_odb(&odb, repo);

	if (r == 0)
		r = git_odb_read_header(&size, &t, odb, id);
	git_odb_free(odb);
	if (r < 0)
		return r == GIT_ENOTFOUND ? -ENOENT : -EIO;
	if (t != type)
		return -EINVAL;
	*ret = size;
	return 0;
}

/* A tree, unless its object is larger than a directory of policy files
 * can be: libgit2 parses a tree whole. */
static int lookup_tree(git_repository *repo, const git_oid *id, const char *name,
                       struct fw_diags *d, git_tree **ret)
{
	size_t size;

	if (fw_git_object_size(repo, id, GIT_OBJECT_TREE, &size) < 0 ||
	    git_tree_lookup(ret, repo, id) < 0) {
		fw_error(d, NULL, "cannot read %s: %s", name, fw_git_errmsg());
		return -EIO;
	}
	if (size > FW_GIT_MAX_TREE) {
		git_tree_free(*ret);
		fw_error(d, NULL, "%s: a directory of %zu bytes: larger than the limit of %u MiB",
		         name, size, FW_GIT_MAX_TREE >> 20);
		return -EINVAL;
	}
	return 0;
}

static const char *mode_name(git_filemode_t m)
{
	return m == GIT_FILEMODE_LINK     ? "symbolic link"
	       : m == GIT_FILEMODE_COMMIT ? "submodule"
	                                  : "file";
}

/* The directory the policy is in: the root tree, or subdir's, walked one
 * part at a time so that no tree on the way is parsed unchecked. */
static int policy_tree(git_repository *repo, const git_oid *commit, const char *subdir,
                       struct fw_diags *d, git_tree **ret)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	char part[256];
	int r;

	if (git_commit_lookup(&c, repo, commit) < 0) {
		fw_error(d, NULL, "cannot read the commit: %s", fw_git_errmsg());
		return -EIO;
	}
	r = lookup_tree(repo, git_commit_tree_id(c), "the top directory", d, &tree);
	git_commit_free(c);
	for (const char *p = subdir; r == 0 && p && *p;) {
		size_t n = strcspn(p, "/");
		const git_tree_entry *e;
		git_tree *next;

		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		p += n + (p[n] == '/');
		e = n < sizeof(part) ? git_tree_entry_byname(tree, part) : NULL;
		if (!e) {
			fw_error(d, NULL, "%s: no such directory in the commit (--git-path)",
			         subdir);
			r = -EINVAL;
		} else if (git_tree_entry_filemode(e) != GIT_FILEMODE_TREE) {
			fw_error(d, NULL, "%s: not a directory but a %s (--git-path)", subdir,
			         mode_name(git_tree_entry_filemode(e)));
			r = -EINVAL;
		} else if ((r = lookup_tree(repo, git_tree_entry_id(e), subdir, d, &next)) == 0) {
			git_tree_free(tree);
			tree = next;
		}
	}
	if (r < 0) {
		git_tree_free(tree);
		return r;
	}
	*ret = tree;
	return 0;
}

/* One blob into files, unless it breaks a limit or is not text. */
static int read_blob(git_repository *repo, git_odb *odb, const git_tree_entry *e, size_t *total,
                     struct fw_diags *d, struct fw_git_files *files)
{
	const char *name = git_tree_entry_name(e);
	struct fw_loc loc = {name, 0, 0};
	git_blob *blob = NULL;
	git_object_t type;
	size_t size, bad;
	char *data, *dup;
	bool nul;

	/* The size from the object's header: a huge blob is never inflated. */
	if (git_odb_read_header(&size, &type, odb, git_tree_entry_id(e)) < 0 ||
	    type != GIT_OBJECT_BLOB) {
		fw_error(d, &loc, "cannot read the file: %s", fw_git_errmsg());
		return -EIO;
	}
	if (size > FW_GIT_MAX_FILE) {
		fw_error(d, &loc, "%zu bytes: larger than the limit of %u MiB", size,
		         FW_GIT_MAX_FILE >> 20);
		return -EINVAL;
	}
	if (*total + size > FW_GIT_MAX_TOTAL) {
		*total = SIZE_MAX; /* said once */
		fw_error(d, NULL, "the policy files are larger than %u MiB together",
		         FW_GIT_MAX_TOTAL >> 20);
		return -EINVAL;
	}
	*total += size;
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0) {
		fw_error(d, &loc, "cannot read the file: %s", fw_git_errmsg());
		return -EIO;
	}
	size = (size_t)git_blob_rawsize(blob);
	bad = fw_git_text_check(git_blob_rawcontent(blob), size, &nul);
	if (bad) {
		git_blob_free(blob);
		if (nul)
			fw_error(d, &loc,
			         "binary data (a NUL byte at offset %zu), not a policy file",
			         bad - 1);
		else
			fw_error(d, &loc, "not UTF-8 text (an invalid byte at offset %zu)",
			         bad - 1);
		return -EINVAL;
	}
	data = malloc(size + 1);
	dup = strdup(name);
	if (!data || !dup) {
		git_blob_free(blob);
		free(data);
		free(dup);
		return -ENOMEM;
	}
	memcpy(data, git_blob_rawcontent(blob), size);
	data[size] = '\0';
	git_blob_free(blob);
	files->v[files->n].name = dup;
	files->v[files->n].data = data;
	files->v[files->n].len = size;
	files->n++;
	return 0;
}

int fw_git_tree_read(git_repository *repo, const git_oid *commit, const char *subdir,
                     struct fw_diags *d, struct fw_git_files *ret)
{
	struct fw_git_files files = {0};
	git_tree *tree = NULL;
	git_odb *odb = NULL;
	size_t n, total = 0, errors = d->n_errors, policies = 0;
	int r;

	if ((r = policy_tree(repo, commit, subdir, d, &tree)) < 0)
		return r;
	n = git_tree_entrycount(tree);
	if (n > FW_GIT_MAX_ENTRIES) {
		fw_error(d, NULL, "%s has %zu entries: more than %d", where(subdir), n,
		         FW_GIT_MAX_ENTRIES);
		r = -EINVAL;
		goto out;
	}
	if (git_repository_odb(&odb, repo) < 0) {
		fw_error(d, NULL, "cannot read the repository: %s", fw_git_errmsg());
		r = -EIO;
		goto out;
	}
	files.v = calloc(FW_GIT_MAX_FILES, sizeof(*files.v));
	if (!files.v) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		struct fw_loc loc = {name, 0, 0};

		if (!is_policy_name(name))
			continue;
		if (!plain_name(name)) {
			fw_error(d, NULL,
			         "a policy file name with control characters or longer "
			         "than 255 bytes");
			continue;
		}
		switch (git_tree_entry_filemode(e)) {
		case GIT_FILEMODE_BLOB:
		case GIT_FILEMODE_BLOB_EXECUTABLE:
			if (++policies > FW_GIT_MAX_FILES) {
				if (policies == FW_GIT_MAX_FILES + 1)
					fw_error(d, NULL, "more than %d policy files in %s",
					         FW_GIT_MAX_FILES, where(subdir));
				continue;
			}
			if (total == SIZE_MAX)
				continue;
			r = read_blob(repo, odb, e, &total, d, &files);
			if (r == -ENOMEM)
				goto out;
			break;
		case GIT_FILEMODE_LINK:
			fw_error(d, &loc, "a symbolic link (policy files must be regular files)");
			break;
		case GIT_FILEMODE_COMMIT:
			fw_error(d, &loc, "a submodule (policy files must be regular files)");
			break;
		default:
			fw_error(d, &loc, "a directory, not a policy file");
			break;
		}
	}
	if (d->n_errors == errors && files.n == 0)
		fw_error(d, NULL, "no policy files (*.yaml, *.yml) in %s of the commit",
		         where(subdir));
	r = d->n_errors > errors ? -EINVAL : 0;
	if (r == 0) {
		*ret = files;
		files = (struct fw_git_files){0};
	}
out:
	fw_git_files_free(&files);
	git_odb_free(odb);
	git_tree_free(tree);
	return r;
}
