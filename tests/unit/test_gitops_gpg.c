// SPDX-License-Identifier: GPL-2.0-or-later
/* gpg-signed commits (fwd/gitops_gpg.c through fw_git_verify_signature):
 * fixed keys and signatures (gpg_vectors.h, made by gpg_vectors.sh) over
 * one commit, in a repository built in a temporary directory; each
 * refusal has its exact message, and no gpg home is left behind. Needs the
 * gpg program (scripts/setup.sh installs it): without it the test fails. */
#include <dirent.h>
#include <errno.h>
#include <gpgme.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gitops_int.h"
#include "gpg_vectors.h"

/* what gpg_vectors.sh signed: a commit of the empty tree */
#define COMMIT                                                                                     \
	"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"                                          \
	"author Alice <alice@example.com> 1700000000 +0000\n"                                      \
	"committer Alice <alice@example.com> 1700000000 +0000\n"                                   \
	"\n"                                                                                       \
	"signed with gpg\n"

static char dir[256], work[300], keys[300], canary[300];
static git_repository *repo;

static int setup(void **state)
{
	git_treebuilder *tb;
	git_oid empty;

	(void)state;
	/* gpgme writes to gpg's pipes: fwd ignores SIGPIPE as well */
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/fwd-gitops-gpg-XXXXXX");
	if (!mkdtemp(dir) || git_libgit2_init() < 0)
		return -1;
	snprintf(work, sizeof(work), "%s/work", dir);
	snprintf(keys, sizeof(keys), "%s/keys.asc", dir);
	/* a gpg that used its default home would create this one */
	snprintf(canary, sizeof(canary), "%s/default-gnupghome", dir);
	setenv("GNUPGHOME", canary, 1);
	if (mkdir(work, 0700) < 0 || git_repository_init(&repo, dir, 1) < 0 ||
	    git_treebuilder_new(&tb, repo, NULL) < 0)
		return -1;
	if (git_treebuilder_write(&empty, tb) < 0)
		return -1;
	git_treebuilder_free(tb);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	git_repository_free(repo);
	git_libgit2_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static git_oid commit(const char *content, const char *sig)
{
	git_oid id;

	assert_int_equal(git_commit_create_with_signature(&id, repo, content, sig, NULL), 0);
	return id;
}

/* The verdict with these trusted files; no gpg home stays in `work`, and
 * the default home is never created. */
static int verify(git_oid c, const char *signers, const char *gpg_keys, char *signer, char *why)
{
	struct fw_git_trust t = {.signers = signers, .gpg_keys = gpg_keys, .work_dir = work};
	struct dirent *de;
	DIR *d;
	int r;

	signer[0] = why[0] = '\0';
	r = fw_git_verify_signature(repo, &c, &t, signer, 128, why, 400);
	assert_non_null(d = opendir(work));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			fail_msg("left in the work directory: %s", de->d_name);
	closedir(d);
	assert_int_equal(access(canary, F_OK), -1);
	return r;
}

static void test_good(void **state)
{
	char signer[128], why[400];

	(void)state;
	write_file(keys, TRUSTED_KEYS, strlen(TRUSTED_KEYS));
	assert_int_equal(verify(commit(COMMIT, SIG_ALICE), NULL, keys, signer, why), 0);
	assert_string_equal(signer, "alice@example.com gpg:" FPR_ALICE);
	/* both kinds trusted: a gpg signature is checked against the gpg keys */
	assert_int_equal(verify(commit(COMMIT, SIG_ALICE), "/nonexistent", keys, signer, why), 0);
	assert_string_equal(signer, "alice@example.com gpg:" FPR_ALICE);
}

static void test_refused(void **state)
{
	char signer[128], why[400];
	git_oid c;

	(void)state;
	write_file(keys, TRUSTED_KEYS, strlen(TRUSTED_KEYS));
	c = commit(COMMIT, SIG_MALLORY);
	assert_int_equal(verify(c, NULL, keys, signer, why), -EPERM);
	assert_string_equal(why, "signed by an untrusted gpg key " FPR_MALLORY);
	assert_string_equal(signer, "");

	/* the signature of another commit */
	c = commit(COMMIT "with a line more\n", SIG_ALICE);
	assert_int_equal(verify(c, NULL, keys, signer, why), -EPERM);
	assert_string_equal(why, "bad signature: the gpg signature does not match the commit");

	c = commit(COMMIT, SIG_OLD);
	assert_int_equal(verify(c, NULL, keys, signer, why), -EPERM);
	assert_string_equal(why, "signed by an expired gpg key: old@example.com gpg:" FPR_OLD);

	c = commit(COMMIT, SIG_GONE);
	assert_int_equal(verify(c, NULL, keys, signer, why), -EPERM);
	assert_string_equal(why, "signed by a revoked gpg key: gone@example.com gpg:" FPR_GONE);

	c = commit(COMMIT, "-----BEGIN PGP SIGNATURE-----\n\niQEz\n-----END PGP SIGNATURE-----\n");
	assert_int_equal(verify(c, NULL, keys, signer, why), -EPERM);
	assert_string_equal(why, "bad signature: no OpenPGP signature in it");

	c = commit(COMMIT, NULL);
	assert_int_equal(verify(c, NULL, keys, signer, why), -EPERM);
	assert_string_equal(why,
	                    "unsigned commit: only commits signed by a trusted key are applied "
	                    "(--git-trusted-gpg-keys)");
	assert_int_equal(verify(c, "/nonexistent", keys, signer, why), -EPERM);
	assert_string_equal(why,
	                    "unsigned commit: only commits signed by a trusted key are applied "
	                    "(--git-trusted-signers, --git-trusted-gpg-keys)");

	c = commit(COMMIT,
	           "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n");
	assert_int_equal(verify(c, NULL, keys, signer, why), -EPERM);
	assert_string_equal(why, "signed with ssh, but only gpg keys are trusted "
	                         "(--git-trusted-signers would trust ssh keys)");

	c = commit(COMMIT, "-----BEGIN SIGNED MESSAGE-----\nMIAG\n-----END SIGNED MESSAGE-----\n");
	assert_int_equal(verify(c, NULL, keys, signer, why), -EPERM);
	assert_string_equal(why,
	                    "an x509 (gpgsm) signature: not supported; sign with ssh or gpg keys");
}

static void test_keys_file(void **state)
{
	char signer[128], why[400], want[600], other[400];
	git_oid c = commit(COMMIT, SIG_ALICE);
	size_t n = 0;
	char *big;

	(void)state;
	snprintf(other, sizeof(other), "%s/missing.asc", dir);
	assert_int_equal(verify(c, NULL, other, signer, why), -ENOENT);
	snprintf(want, sizeof(want), "trusted gpg keys %s: No such file or directory", other);
	assert_string_equal(why, want);

	write_file(keys, "not a key\n", 10);
	assert_int_equal(verify(c, NULL, keys, signer, why), -EINVAL);
	snprintf(want, sizeof(want),
	         "trusted gpg keys %s: no OpenPGP public key in it (gpg --export [--armor] "
	         "writes them)",
	         keys);
	assert_string_equal(why, want);
	write_file(keys, "", 0);
	assert_int_equal(verify(c, NULL, keys, signer, why), -EINVAL);
	assert_string_equal(why, want);

	assert_non_null(big = calloc(1, FW_GIT_GPG_MAX_FILE + 1));
	write_file(keys, big, FW_GIT_GPG_MAX_FILE + 1);
	free(big);
	assert_int_equal(verify(c, NULL, keys, signer, why), -EINVAL);
	snprintf(want, sizeof(want), "trusted gpg keys %s: not a file of at most 1048576 bytes",
	         keys);
	assert_string_equal(why, want);

	/* at start: the keys counted, a home a stopped fwd left removed */
	write_file(keys, TRUSTED_KEYS, strlen(TRUSTED_KEYS));
	snprintf(other, sizeof(other), "%s/gpg-AbC123", work);
	assert_int_equal(mkdir(other, 0700), 0);
	snprintf(want, sizeof(want), "%s/pubring.kbx", other);
	write_file(want, "x", 1);
	assert_int_equal(fw_git_gpg_start(keys, work, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 3);
	assert_int_equal(access(other, F_OK), -1);
	assert_int_equal(verify(c, NULL, keys, signer, why), 0);
}

/* Last: they point gpgme at other programs. */
static void test_gpg_removed(void **state)
{
	char signer[128], why[400], gpg[300], want[600];
	git_oid c = commit(COMMIT, SIG_ALICE);
	gpgme_engine_info_t info;
	FILE *in, *out;
	size_t n;

	(void)state;
	write_file(keys, TRUSTED_KEYS, strlen(TRUSTED_KEYS));
	/* a copy of gpg that works, then is removed while "fwd" runs */
	(void)gpgme_check_version(NULL);
	assert_int_equal(gpgme_get_engine_info(&info), 0);
	for (; info && info->protocol != GPGME_PROTOCOL_OpenPGP; info = info->next)
		;
	assert_non_null(info);
	snprintf(gpg, sizeof(gpg), "%s/gpg", dir);
	assert_non_null(in = fopen(info->file_name, "rb"));
	assert_non_null(out = fopen(gpg, "wb"));
	while ((n = fread(want, 1, sizeof(want), in)) > 0)
		assert_int_equal(fwrite(want, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(gpg, 0755), 0);
	assert_int_equal(gpgme_set_engine_info(GPGME_PROTOCOL_OpenPGP, gpg, NULL), 0);
	assert_int_equal(verify(c, NULL, keys, signer, why), 0);
	assert_int_equal(unlink(gpg), 0);
	assert_int_equal(verify(c, NULL, keys, signer, why), -ENOENT);
	snprintf(want, sizeof(want),
	         "gpg signatures cannot be checked: the gpg program does not run (%s: No such "
	         "file or directory); install gpg",
	         gpg);
	assert_string_equal(why, want);
}

static void test_no_gpg(void **state)
{
	char signer[128], why[400];
	size_t n = 0;

	(void)state;
	write_file(keys, TRUSTED_KEYS, strlen(TRUSTED_KEYS));
	(void)gpgme_check_version(NULL);
	assert_int_equal(gpgme_set_engine_info(GPGME_PROTOCOL_OpenPGP, "/nonexistent/gpg", NULL),
	                 0);
	assert_int_equal(verify(commit(COMMIT, SIG_ALICE), NULL, keys, signer, why), -ENOENT);
	assert_string_equal(why, "gpg signatures cannot be checked: the gpg program does not run "
	                         "(Invalid crypto engine); install gpg");
	assert_int_equal(fw_git_gpg_start(keys, work, &n, why, sizeof(why)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),      cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_keys_file), cmocka_unit_test(test_gpg_removed),
	    cmocka_unit_test(test_no_gpg),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
