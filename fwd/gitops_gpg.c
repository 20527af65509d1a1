// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * OpenPGP commit signatures (gpg.format=openpgp, git's default), checked
 * with gpgme and the gpg program against the keys of --git-trusted-gpg-keys.
 *
 * Every check builds its own keyring: a fresh gpg home (STATE/gitops/
 * gpg-XXXXXX, 0700) that imports the keys file as it is now, trusts
 * exactly those keys (`trusted-key FPR` in its gpg.conf: gpgme then calls
 * a good signature by one of them VALID) and is removed afterwards. So a
 * key taken out of the file is no longer trusted from the next commit on,
 * no state survives between checks, and neither root's ~/.gnupg nor a
 * gpg-agent is ever used (no-autostart). gpgme parses everything OpenPGP;
 * nothing here reads a packet.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gpgme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fwd/fileio.h"
#include "gitops_int.h"

#define HOME_PREFIX "gpg-"

/* The keys file whole, at most FW_GIT_GPG_MAX_FILE bytes. */
static int read_keys(const char *path, char **ret, size_t *len, char *why, size_t why_size)
{
	int r = fw_file_read_at(AT_FDCWD, path, 0, FW_GIT_GPG_MAX_FILE, ret, len);

	if (r == -EFBIG || r == -EINVAL)
		return fw_errf(why, why_size, -EINVAL,
		               "trusted gpg keys %s: not a file of at most %u bytes", path,
		               FW_GIT_GPG_MAX_FILE);
	if (r == -ENOMEM)
		return fw_errf(why, why_size, r, "trusted gpg keys %s: out of memory", path);
	if (r < 0)
		return fw_errf(why, why_size, r, "trusted gpg keys %s: %s", path, strerror(-r));
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* A gpg home and everything gpg put in it (no symbolic link followed). */
static void remove_home(const char *home)
{
	/* gpgme does not wait for gpg itself (it spawns through a child that
	 * exits at once): a gpg that has already answered may still be
	 * finishing in the home. Without locks and a seed file it writes
	 * nothing then, but give it up to 0.5 s to be gone. */
	for (int i = 0; i < 50; i++) {
		(void)nftw(home, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
		if (access(home, F_OK) < 0)
			return;
		usleep(10000);
	}
}

/* A fresh home whose gpg.conf keeps gpg local: no agent, no key servers. */
static int make_home(const char *work_dir, char *home, size_t size, char *why, size_t why_size)
{
	char conf[4300];
	FILE *f;
	int r;

	if ((size_t)snprintf(home, size, "%s/" HOME_PREFIX "XXXXXX", work_dir) >= size)
		return fw_errf(why, why_size, -ENAMETOOLONG, "%s: path too long", work_dir);
	if (!mkdtemp(home)) {
		r = -errno;
		return fw_errf(why, why_size, r, "a gpg home in %s: %s", work_dir, strerror(-r));
	}
	snprintf(conf, sizeof(conf), "%s/gpg.conf", home);
	/* one home, one check: no locks needed */
	if (!(f = fopen(conf, "we"))) {
		r = -errno;
	} else {
		r = fputs("no-autostart\nno-auto-key-retrieve\nauto-key-locate local\n"
		          "lock-never\nno-random-seed-file\n",
		          f) < 0
		        ? -EIO
		        : 0;
		if (fclose(f) != 0 && r == 0)
			r = -errno;
	}
	if (r < 0) {
		remove_home(home);
		return fw_errf(why, why_size, r, "%s: %s", conf, strerror(-r));
	}
	return 0;
}

/* gpgme set up, the gpg program runs: 0, or -ENOENT and why. gpgme finds
 * gpg once per process; the program is looked at again every time, as it
 * may be gone since (a package removed). */
static int ready(char *why, size_t why_size)
{
	gpgme_engine_info_t info = NULL;
	gpgme_error_t e;

	/* once per process in effect: later calls only compare versions */
	(void)gpgme_check_version(NULL);
	if ((e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)))
		return fw_errf(
		    why, why_size, -ENOENT,
		    "gpg signatures cannot be checked: the gpg program does not run (%s); "
		    "install gpg",
		    gpgme_strerror(e));
	if (gpgme_get_engine_info(&info))
		info = NULL;
	for (; info; info = info->next)
		if (info->protocol == GPGME_PROTOCOL_OpenPGP && info->file_name &&
		    access(info->file_name, X_OK) < 0)
			return fw_errf(
			    why, why_size, -ENOENT,
			    "gpg signatures cannot be checked: the gpg program does not run "
			    "(%s: %s); install gpg",
			    info->file_name, strerror(errno));
	return 0;
}

/* A context on that home only, offline. */
static int context(const char *home, gpgme_ctx_t *ret, char *why, size_t why_size)
{
	gpgme_ctx_t ctx;
	gpgme_error_t e;

	if ((e = gpgme_new(&ctx)))
		return fw_errf(why, why_size, -ENOMEM, "gpgme: %s", gpgme_strerror(e));
	if ((e = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) ||
	    (e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home)) ||
	    (e = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL))) {
		gpgme_release(ctx);
		return fw_errf(why, why_size, -EIO, "gpgme: %s", gpgme_strerror(e));
	}
	gpgme_set_offline(ctx, 1);
	*ret = ctx;
	return 0;
}

/* Import the keys file into home and trust each of its keys: 0 and the
 * number of keys, or -errno and why (naming the file). */
static int import_keys(gpgme_ctx_t ctx, const char *home, const char *path, size_t *n_keys,
                       char *why, size_t why_size)
{
	gpgme_import_result_t res;
	gpgme_import_status_t s;
	gpgme_data_t d = NULL;
	gpgme_error_t e;
	char *buf = NULL, conf[4300];
	size_t len = 0, n = 0;
	FILE *f = NULL;
	int r;

	if ((r = read_keys(path, &buf, &len, why, why_size)) < 0)
		return r;
	if ((e = gpgme_data_new_from_mem(&d, buf, len, 0))) {
		r = fw_errf(why, why_size, -ENOMEM, "gpgme: %s", gpgme_strerror(e));
		goto out;
	}
	e = gpgme_op_import(ctx, d);
	res = e ? NULL : gpgme_op_import_result(ctx);
	if (e && gpgme_err_code(e) != GPG_ERR_NO_DATA) {
		r = fw_errf(why, why_size, -EIO, "trusted gpg keys %s: gpg: %s", path,
		            gpgme_strerror(e));
		goto out;
	}
	if (res && res->secret_read > 0) {
		r = fw_errf(why, why_size, -EINVAL,
		            "trusted gpg keys %s: holds a secret key; give public keys only (gpg "
		            "--export)",
		            path);
		goto out;
	}
	if (!res || res->considered == 0) {
		r = fw_errf(
		    why, why_size, -EINVAL,
		    "trusted gpg keys %s: no OpenPGP public key in it (gpg --export [--armor] "
		    "writes them)",
		    path);
		goto out;
	}
	for (s = res->imports; s; s = s->next)
		if (s->result) {
			r = fw_errf(why, why_size, -EINVAL,
			            "trusted gpg keys %s: the key %s cannot be used: %s", path,
			            s->fpr ? s->fpr : "?", gpgme_strerror(s->result));
			goto out;
		}
	if (res->not_imported > 0) {
		r = fw_errf(
		    why, why_size, -EINVAL,
		    "trusted gpg keys %s: %d of %d keys cannot be used (no valid user id or "
		    "self-signature)",
		    path, res->not_imported, res->considered);
		goto out;
	}
	/* gpg reads its gpg.conf anew for every operation: the trust holds
	 * for the verification that follows */
	snprintf(conf, sizeof(conf), "%s/gpg.conf", home);
	if (!(f = fopen(conf, "ae"))) {
		r = -errno;
		fw_errf(why, why_size, r, "%s: %s", conf, strerror(-r));
		goto out;
	}
	for (s = res->imports; s; s = s->next)
		if (s->fpr) {
			fprintf(f, "trusted-key %s\n", s->fpr);
			n++;
		}
	if (fclose(f) != 0) {
		r = -errno;
		fw_errf(why, why_size, r, "%s: %s", conf, strerror(-r));
		goto out;
	}
	*n_keys = n;
out:
	gpgme_data_release(d);
	free(buf);
	return r;
}

/* "alice@example.com gpg:FPR" (the user id when it has no address):
 * the primary key of fpr, which may be a subkey's. */
static void describe(gpgme_ctx_t ctx, const char *fpr, char *out, size_t size)
{
	gpgme_key_t key = NULL;
	gpgme_user_id_t u;

	if (!fpr || gpgme_get_key(ctx, fpr, &key, 0) || !key || !key->fpr) {
		snprintf(out, size, "gpg:%s", fpr ? fpr : "?");
		gpgme_key_unref(key);
		return;
	}
	for (u = key->uids; u && (u->revoked || u->invalid); u = u->next)
		;
	if (!u)
		u = key->uids;
	if (u && u->email && *u->email)
		snprintf(out, size, "%s gpg:%s", u->email, key->fpr);
	else if (u && u->uid && *u->uid)
		snprintf(out, size, "%s gpg:%s", u->uid, key->fpr);
	else
		snprintf(out, size, "gpg:%s", key->fpr);
	gpgme_key_unref(key);
}

/* The verdict on the one signature of a verification. */
static int judge(gpgme_ctx_t ctx, gpgme_verify_result_t vr, char *signer, size_t signer_size,
                 char *why, size_t why_size)
{
	gpgme_signature_t s = vr ? vr->signatures : NULL;
	char who[300];

	if (!s)
		return fw_errf(why, why_size, -EPERM, "bad signature: no OpenPGP signature in it");
	if (s->next)
		return fw_errf(why, why_size, -EPERM,
		               "bad signature: more than one OpenPGP signature; sign with one key");
	switch (gpgme_err_code(s->status)) {
	case GPG_ERR_NO_ERROR:
		describe(ctx, s->fpr, who, sizeof(who));
		if (!(s->summary & GPGME_SIGSUM_VALID) || s->wrong_key_usage)
			return fw_errf(why, why_size, -EPERM,
			               "bad signature: the gpg signature by %s is not valid", who);
		snprintf(signer, signer_size, "%s", who);
		return 0;
	case GPG_ERR_NO_PUBKEY:
		return fw_errf(why, why_size, -EPERM, "signed by an untrusted gpg key %s",
		               s->fpr ? s->fpr : "(no key id)");
	case GPG_ERR_BAD_SIGNATURE:
		return fw_errf(why, why_size, -EPERM,
		               "bad signature: the gpg signature does not match the commit");
	case GPG_ERR_KEY_EXPIRED:
		describe(ctx, s->fpr, who, sizeof(who));
		return fw_errf(why, why_size, -EPERM, "signed by an expired gpg key: %s", who);
	case GPG_ERR_CERT_REVOKED:
		describe(ctx, s->fpr, who, sizeof(who));
		return fw_errf(why, why_size, -EPERM, "signed by a revoked gpg key: %s", who);
	case GPG_ERR_SIG_EXPIRED:
		describe(ctx, s->fpr, who, sizeof(who));
		return fw_errf(why, why_size, -EPERM,
		               "bad signature: the gpg signature by %s expired", who);
	default:
		return fw_errf(why, why_size, -EPERM, "bad signature: gpg: %s",
		               gpgme_strerror(s->status));
	}
}

int fw_git_gpg_verify(const char *keys, const char *work_dir, const char *sig, size_t sig_size,
                      const char *data, size_t data_size, char *signer, size_t signer_size,
                      char *why, size_t why_size)
{
	gpgme_data_t sd = NULL, dd = NULL;
	gpgme_ctx_t ctx = NULL;
	char home[4200], who[300];
	gpgme_error_t e;
	size_t n;
	int r;

	if ((r = ready(why, why_size)) < 0 ||
	    (r = make_home(work_dir, home, sizeof(home), why, why_size)) < 0)
		return r;
	if ((r = context(home, &ctx, why, why_size)) < 0 ||
	    (r = import_keys(ctx, home, keys, &n, why, why_size)) < 0)
		goto out;
	if ((e = gpgme_data_new_from_mem(&sd, sig, sig_size, 0)) ||
	    (e = gpgme_data_new_from_mem(&dd, data, data_size, 0))) {
		r = fw_errf(why, why_size, -ENOMEM, "gpgme: %s", gpgme_strerror(e));
		goto out;
	}
	if ((e = gpgme_op_verify(ctx, sd, dd, NULL))) {
		if (gpgme_err_code(e) == GPG_ERR_NO_DATA)
			r = fw_errf(why, why_size, -EPERM,
			            "bad signature: no OpenPGP signature in it");
		else
			r = fw_errf(why, why_size, -EPERM, "bad signature: gpg: %s",
			            gpgme_strerror(e));
		goto out;
	}
	r = judge(ctx, gpgme_op_verify_result(ctx), who, sizeof(who), why, why_size);
	if (r == 0)
		snprintf(signer, signer_size, "%s", who);
out:
	gpgme_data_release(sd);
	gpgme_data_release(dd);
	gpgme_release(ctx);
	remove_home(home);
	return r;
}

/* Homes left by a fwd that stopped during a check. */
static void remove_stale_homes(const char *work_dir)
{
	char path[4300];
	struct dirent *de;
	DIR *d = opendir(work_dir);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, HOME_PREFIX, strlen(HOME_PREFIX)) &&
		    strlen(de->d_name) == strlen(HOME_PREFIX) + 6) {
			snprintf(path, sizeof(path), "%s/%s", work_dir, de->d_name);
			remove_home(path);
		}
	closedir(d);
}

int fw_git_gpg_start(const char *keys, const char *work_dir, size_t *n_keys, char *why,
                     size_t why_size)
{
	gpgme_ctx_t ctx = NULL;
	char home[4200];
	size_t n = 0;
	int r;

	remove_stale_homes(work_dir);
	if ((r = ready(why, why_size)) < 0 ||
	    (r = make_home(work_dir, home, sizeof(home), why, why_size)) < 0)
		return r;
	if ((r = context(home, &ctx, why, why_size)) == 0 &&
	    (r = import_keys(ctx, home, keys, &n, why, why_size)) == 0)
		*n_keys = n;
	gpgme_release(ctx);
	remove_home(home);
	return r;
}
