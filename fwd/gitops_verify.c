// SPDX-License-Identifier: GPL-2.0-or-later
/* Which commits may be applied: signed by a trusted key, descending from
 * the live one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fwd/fileio.h"
#include "fwd/signers.h"
#include "fwd/sshsig.h"
#include "gitops_int.h"

static bool starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

/* The allowed-signers file, read again for every commit: a key added or
 * removed counts from the next push on, without a restart. */
int fw_git_signers_read(const char *path, struct fw_signers *ret, struct fw_diags *warnings,
                        char *why, size_t why_size)
{
	struct fw_diags d = {0};
	char *buf = NULL;
	size_t n = 0;
	int r = fw_file_read_at(AT_FDCWD, path, 0, FW_SIGNERS_MAX_FILE, &buf, &n);

	if (r == -EFBIG || r == -EINVAL) {
		snprintf(why, why_size, "trusted signers %s: not a file of at most %u bytes", path,
		         FW_SIGNERS_MAX_FILE);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(why, why_size, "trusted signers %s: %s", path, strerror(-r));
		return r;
	}
	r = fw_signers_parse(path, buf, n, &d, ret);
	if (r < 0) {
		char *first = NULL;
		for (size_t i = 0; !first && i < d.n; i++)
			if (d.v[i].sev == FW_SEV_ERROR)
				first = fw_diag_format(&d.v[i]);
		snprintf(why, why_size, "trusted signers: %s", first ? first : strerror(-r));
		free(first);
	}
	for (size_t i = 0; r == 0 && warnings && i < d.n; i++)
		fw_warning(warnings, &d.v[i].loc, "%s", d.v[i].msg);
	fw_diags_free(&d);
	free(buf);
	return r;
}

static time_t commit_time(git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;
	time_t t = 0;

	if (git_commit_lookup(&c, repo, id) == 0)
		t = (time_t)git_commit_committer(c)->when.time;
	git_commit_free(c);
	return t;
}

/* The armored signature against the signed data and the trusted keys. */
static int check_ssh(git_repository *repo, const git_oid *commit, const git_buf *sig,
                     const git_buf *data, const char *signers, char *signer, size_t signer_size,
                     char *why, size_t why_size)
{
	struct fw_signers trusted = {0};
	const struct fw_signer *who;
	struct fw_sshsig s;
	char err[200];
	int r = fw_sshsig_parse(sig->ptr, sig->size, &s, err, sizeof(err));

	if (r < 0) {
		snprintf(why, why_size, "bad signature: %s", err);
		return -EPERM;
	}
	if ((r = fw_git_signers_read(signers, &trusted, NULL, why, why_size)) < 0)
		return r;
	who = fw_signers_find(&trusted, s.key, "git", commit_time(repo, commit), err, sizeof(err));
	if (!who) {
		snprintf(why, why_size, "signed by an untrusted key: %s", err);
		r = -EPERM;
	} else if (fw_sshsig_verify(&s, "git", data->ptr, data->size, err, sizeof(err)) < 0) {
		snprintf(why, why_size, "bad signature: %s", err);
		r = -EPERM;
	} else {
		snprintf(signer, signer_size, "%s", who->principals);
	}
	fw_signers_free(&trusted);
	return r;
}

/* The options that trust keys, for messages. */
static const char *trust_options(const struct fw_git_trust *t)
{
	if (t->signers && t->gpg_keys)
		return "--git-trusted-signers, --git-trusted-gpg-keys";
	return t->gpg_keys ? "--git-trusted-gpg-keys" : "--git-trusted-signers";
}

/* Dispatched by the signature's armor, as git writes it (gpg.format
 * openpgp, ssh or x509); a kind no option trusts is refused by name. */
int fw_git_verify_signature(git_repository *repo, const git_oid *commit,
                            const struct fw_git_trust *trust, char *signer, size_t signer_size,
                            char *why, size_t why_size)
{
	git_buf sig = {0}, data = {0};
	git_oid id = *commit;
	int r = git_commit_extract_signature(&sig, &data, repo, &id, NULL);

	if (r == GIT_ENOTFOUND) {
		snprintf(why, why_size,
		         "unsigned commit: only commits signed by a trusted key are "
		         "applied (%s)",
		         trust_options(trust));
		r = -EPERM;
	} else if (r < 0) {
		snprintf(why, why_size, "cannot read the commit's signature: %s", fw_git_errmsg());
		r = -EIO;
	} else if (starts(sig.ptr, sig.size, "-----BEGIN PGP SIGNATURE-----") ||
	           starts(sig.ptr, sig.size, "-----BEGIN PGP MESSAGE-----")) {
		if (!trust->gpg_keys) {
			snprintf(why, why_size,
			         "signed with gpg, but only ssh keys are trusted "
			         "(--git-trusted-gpg-keys would trust gpg keys)");
			r = -EPERM;
		} else {
			r = fw_git_gpg_verify(trust->gpg_keys, trust->work_dir, sig.ptr, sig.size,
			                      data.ptr, data.size, signer, signer_size, why,
			                      why_size);
		}
	} else if (starts(sig.ptr, sig.size, "-----BEGIN SSH SIGNATURE-----")) {
		if (!trust->signers) {
			snprintf(why, why_size,
			         "signed with ssh, but only gpg keys are trusted "
			         "(--git-trusted-signers would trust ssh keys)");
			r = -EPERM;
		} else {
			r = check_ssh(repo, commit, &sig, &data, trust->signers, signer,
			              signer_size, why, why_size);
		}
	} else if (starts(sig.ptr, sig.size, "-----BEGIN SIGNED MESSAGE-----")) {
		snprintf(why, why_size,
		         "an x509 (gpgsm) signature: not supported; sign with ssh or gpg keys");
		r = -EPERM;
	} else {
		snprintf(
		    why, why_size,
		    "a signature in a format that is not supported; sign with ssh or gpg keys");
		r = -EPERM;
	}
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return r;
}

int fw_git_verify_descendant(git_repository *repo, const git_oid *commit, const git_oid *live,
                             char *why, size_t why_size)
{
	char l[FW_GIT_SHA_LEN + 1];
	git_odb *odb = NULL;
	bool known = false;
	int r;

	if (git_oid_equal(commit, live))
		return 0;
	git_oid_tostr(l, sizeof(l), live);
	if (git_repository_odb(&odb, repo) == 0)
		known = git_odb_exists(odb, live);
	git_odb_free(odb);
	if (!known) {
		snprintf(why, why_size,
		         "the live commit %.12s is not in the repository: cannot tell whether this "
		         "one descends from it (--git-allow-rewind to apply anyway)",
		         l);
		return -EPERM;
	}
	r = git_graph_descendant_of(repo, commit, live);
	if (r == 1)
		return 0;
	if (r < 0) {
		snprintf(why, why_size, "cannot compare with the live commit %.12s: %s", l,
		         fw_git_errmsg());
		return -EIO;
	}
	snprintf(why, why_size,
	         "not a descendant of the live commit %.12s (a force-push or a rewind; "
	         "--git-allow-rewind allows it)",
	         l);
	return -EPERM;
}
