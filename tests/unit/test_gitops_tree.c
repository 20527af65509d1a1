// SPDX-License-Identifier: GPL-2.0-or-later
/* A commit's policy files and its verification, on repositories built with
 * libgit2 in a temporary directory: every bad repository gets its message. */
#include <errno.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/sshsig.h"
#include "gitops_int.h"
#include "testutil.h"

static char dir[256];
static git_repository *repo;
static git_signature *who;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fwd-gitops-test-XXXXXX");
	if (!mkdtemp(dir) || git_libgit2_init() < 0 || sodium_init() < 0)
		return -1;
	if (git_repository_init(&repo, dir, 1) < 0 ||
	    git_signature_new(&who, "Alice", "alice@example.com", 1700000000, 0) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	git_signature_free(who);
	git_repository_free(repo);
	git_libgit2_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static git_oid blob(const char *data, size_t len)
{
	git_oid id;

	assert_int_equal(git_blob_create_from_buffer(&id, repo, data, len), 0);
	return id;
}

/* A tree of (name, mode, object) entries. */
struct entry {
	const char *name;
	git_filemode_t mode;
	git_oid id;
};

static git_oid tree(const struct entry *e, size_t n)
{
	git_treebuilder *tb;
	git_oid id;

	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(git_treebuilder_insert(NULL, tb, e[i].name, &e[i].id, e[i].mode),
		                 0);
	assert_int_equal(git_treebuilder_write(&id, tb), 0);
	git_treebuilder_free(tb);
	return id;
}

static git_oid commit_of(git_oid t, const git_oid *parent)
{
	git_tree *tr;
	git_commit *p = NULL;
	const git_commit *parents[1];
	git_oid id;

	assert_int_equal(git_tree_lookup(&tr, repo, &t), 0);
	if (parent) {
		assert_int_equal(git_commit_lookup(&p, repo, parent), 0);
		parents[0] = p;
	}
	assert_int_equal(git_commit_create(&id, repo, NULL, who, who, NULL, "policy\n", tr,
	                                   parent ? 1 : 0, parents),
	                 0);
	git_commit_free(p);
	git_tree_free(tr);
	return id;
}

#define YAML "tenant: {name: acme}\n"

static git_oid one_file(void)
{
	struct entry e[] = {{"acme.yaml", GIT_FILEMODE_BLOB, blob(YAML, strlen(YAML))}};

	return commit_of(tree(e, 1), NULL);
}

/* Read the commit; the diagnostics as text. */
static char *read_errors(git_oid c, const char *subdir, int code)
{
	struct fw_git_files f = {0};
	struct fw_diags d = {0};
	char *text;

	assert_int_equal(fw_git_tree_read(repo, &c, subdir, &d, &f), code);
	text = tu_diags_text(&d);
	fw_diags_free(&d);
	fw_git_files_free(&f);
	return text;
}

static void expect_errors(const struct entry *e, size_t n, const char *subdir, const char *want)
{
	char *got = read_errors(commit_of(tree(e, n), NULL), subdir, -EINVAL);

	assert_string_equal(got, want);
	free(got);
}

static void test_good_tree(void **state)
{
	git_oid sub = tree((struct entry[]){{"x.yaml", GIT_FILEMODE_BLOB, blob("a", 1)}}, 1);
	struct entry e[] = {
	    {"acme.yaml", GIT_FILEMODE_BLOB, blob(YAML, strlen(YAML))},
	    {"shop.yml", GIT_FILEMODE_BLOB_EXECUTABLE, blob("x: 1\n", 5)},
	    {"README.md", GIT_FILEMODE_BLOB, blob("\0binary", 7)}, /* not a policy: ignored */
	    {".hidden.yaml", GIT_FILEMODE_BLOB, blob("\0", 1)},
	    {"docs", GIT_FILEMODE_LINK, blob("/etc", 4)}, /* a link, but not a policy file */
	    {"sites", GIT_FILEMODE_TREE, sub},            /* not recursive */
	};
	struct fw_git_files f = {0};
	struct fw_diags d = {0};
	git_oid c = commit_of(tree(e, 6), NULL);

	(void)state;
	assert_int_equal(fw_git_tree_read(repo, &c, NULL, &d, &f), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].name, "acme.yaml");
	assert_int_equal(f.v[0].len, strlen(YAML));
	assert_string_equal(f.v[0].data, YAML);
	assert_string_equal(f.v[1].name, "shop.yml");
	fw_git_files_free(&f);
	/* the same files in a subdirectory */
	git_oid top = tree((struct entry[]){{"policy", GIT_FILEMODE_TREE, tree(e, 6)}}, 1);
	c = commit_of(top, NULL);
	assert_int_equal(fw_git_tree_read(repo, &c, "policy", &d, &f), 0);
	assert_int_equal(f.n, 2);
	fw_git_files_free(&f);
	fw_diags_free(&d);
}

static void test_bad_entries(void **state)
{
	git_oid text = blob(YAML, strlen(YAML));

	(void)state;
	expect_errors(
	    (struct entry[]){{"acme.yaml", GIT_FILEMODE_LINK, blob("../../etc/shadow", 16)}}, 1,
	    NULL, "acme.yaml: error: a symbolic link (policy files must be regular files)\n");
	expect_errors((struct entry[]){{"vendor.yaml", GIT_FILEMODE_COMMIT, one_file()}}, 1, NULL,
	              "vendor.yaml: error: a submodule (policy files must be regular files)\n");
	expect_errors((struct entry[]){{"x.yaml", GIT_FILEMODE_TREE,
	                                tree((struct entry[]){{"a", GIT_FILEMODE_BLOB, text}}, 1)}},
	              1, NULL, "x.yaml: error: a directory, not a policy file\n");
	expect_errors(
	    (struct entry[]){{"acme.yaml", GIT_FILEMODE_BLOB, blob("ten\0ant", 7)}}, 1, NULL,
	    "acme.yaml: error: binary data (a NUL byte at offset 3), not a policy file\n");
	expect_errors((struct entry[]){{"acme.yaml", GIT_FILEMODE_BLOB, blob("name: \xc3\x28", 8)}},
	              1, NULL, "acme.yaml: error: not UTF-8 text (an invalid byte at offset 6)\n");
	expect_errors((struct entry[]){{"a\nb.yaml", GIT_FILEMODE_BLOB, text}}, 1, NULL,
	              "fwd: error: a policy file name with control characters or longer than 255 "
	              "bytes\n");
	expect_errors((struct entry[]){{"README", GIT_FILEMODE_BLOB, text}}, 1, NULL,
	              "fwd: error: no policy files (*.yaml, *.yml) in the top directory of the "
	              "commit\n");
	/* every problem, not just the first */
	expect_errors((struct entry[]){{"a.yaml", GIT_FILEMODE_LINK, text},
	                               {"b.yaml", GIT_FILEMODE_BLOB, blob("\0", 1)},
	                               {"c.yaml", GIT_FILEMODE_BLOB, text}},
	              3, NULL,
	              "a.yaml: error: a symbolic link (policy files must be regular files)\n"
	              "b.yaml: error: binary data (a NUL byte at offset 0), not a policy file\n");
}

static void test_git_path(void **state)
{
	git_oid text = blob(YAML, strlen(YAML));
	struct entry e[] = {{"policy", GIT_FILEMODE_BLOB, text},
	                    {"link", GIT_FILEMODE_LINK, blob("policy", 6)}};

	(void)state;
	expect_errors(e, 2, "sites",
	              "fwd: error: sites: no such directory in the commit (--git-path)\n");
	expect_errors(e, 2, "policy",
	              "fwd: error: policy: not a directory but a file (--git-path)\n");
	expect_errors(e, 2, "link",
	              "fwd: error: link: not a directory but a symbolic link (--git-path)\n");
	expect_errors(
	    (struct entry[]){{"policy", GIT_FILEMODE_TREE,
	                      tree((struct entry[]){{"README", GIT_FILEMODE_BLOB, text}}, 1)}},
	    1, "policy", "fwd: error: no policy files (*.yaml, *.yml) in policy of the commit\n");
}

static void test_limits(void **state)
{
	size_t big = FW_GIT_MAX_FILE + 1, part = 3u << 20;
	char *buf = malloc(big), name[32];
	struct entry *e = calloc(FW_GIT_MAX_FILES + 1, sizeof(*e));
	char *got;

	(void)state;
	assert_non_null(buf);
	assert_non_null(e);
	memset(buf, 'x', big);
	expect_errors((struct entry[]){{"huge.yaml", GIT_FILEMODE_BLOB, blob(buf, big)}}, 1, NULL,
	              "huge.yaml: error: 4194305 bytes: larger than the limit of 4 MiB\n");
	/* six files of 3 MiB: the sixth passes 16 MiB */
	for (int i = 0; i < 6; i++) {
		buf[0] = (char)('a' + i); /* six different blobs */
		snprintf(name, sizeof(name), "t%d.yaml", i);
		e[i] = (struct entry){strdup(name), GIT_FILEMODE_BLOB, blob(buf, part)};
	}
	expect_errors(e, 6, NULL, "fwd: error: the policy files are larger than 16 MiB together\n");
	for (int i = 0; i < 6; i++)
		free((char *)e[i].name);
	for (int i = 0; i <= FW_GIT_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "t%03d.yaml", i);
		e[i] = (struct entry){strdup(name), GIT_FILEMODE_BLOB, blob(YAML, strlen(YAML))};
	}
	got = read_errors(commit_of(tree(e, FW_GIT_MAX_FILES + 1), NULL), NULL, -EINVAL);
	assert_string_equal(got, "fwd: error: more than 256 policy files in the top directory\n");
	free(got);
	for (int i = 0; i <= FW_GIT_MAX_FILES; i++)
		free((char *)e[i].name);
	free(e);
	free(buf);
}

/* Directories too large to parse, and with too many entries. */
static void test_big_trees(void **state)
{
	size_t n = 111000; /* 39 bytes an entry: past 4 MiB */
	git_oid text = blob("x", 1);
	git_treebuilder *tb;
	git_oid t;
	char name[32], *got;

	(void)state;
	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%06zu.txt", i);
		assert_int_equal(git_treebuilder_insert(NULL, tb, name, &text, GIT_FILEMODE_BLOB),
		                 0);
		if (i == FW_GIT_MAX_ENTRIES) { /* one too many */
			assert_int_equal(git_treebuilder_write(&t, tb), 0);
			got = read_errors(commit_of(t, NULL), NULL, -EINVAL);
			assert_string_equal(got, "fwd: error: the top directory has 10001 entries: "
			                         "more than 10000\n");
			free(got);
		}
	}
	assert_int_equal(git_treebuilder_write(&t, tb), 0);
	git_treebuilder_free(tb);
	got = read_errors(commit_of(t, NULL), NULL, -EINVAL);
	assert_string_equal(got, "fwd: error: the top directory: a directory of 4329000 bytes: "
	                         "larger than the limit of 4 MiB\n");
	free(got);
	/* the same tree on the way to --git-path */
	t = tree((struct entry[]){{"sites", GIT_FILEMODE_TREE, t}}, 1);
	got = read_errors(commit_of(t, NULL), "sites/acme", -EINVAL);
	assert_string_equal(got, "fwd: error: sites/acme: a directory of 4329000 bytes: larger "
	                         "than the limit of 4 MiB\n");
	free(got);
}

/* --- signatures: sshsig written here with libsodium (the format against
 * ssh-keygen's own output: test_gitops_sshsig.c) */

static size_t put_string(uint8_t *p, const void *s, size_t len)
{
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	memcpy(p + 4, s, len);
	return 4 + len;
}

static char *sshsig(const uint8_t pk[32], const uint8_t sk[64], const char *data, size_t len)
{
	uint8_t h[64], sd[256], sig[64], body[512], inner[128], keyblob[64];
	size_t n = 6, k = 0, kb = 0;
	char b64[1024], *out;

	crypto_hash_sha512(h, (const uint8_t *)data, len);
	memcpy(sd, "SSHSIG", 6);
	n += put_string(sd + n, "git", 3);
	n += put_string(sd + n, "", 0);
	n += put_string(sd + n, "sha512", 6);
	n += put_string(sd + n, h, 64);
	crypto_sign_detached(sig, NULL, sd, n, sk);
	kb += put_string(keyblob, "ssh-ed25519", 11);
	kb += put_string(keyblob + kb, pk, 32);
	k += put_string(inner, "ssh-ed25519", 11);
	k += put_string(inner + k, sig, 64);
	memcpy(body, "SSHSIG\0\0\0\1", 10);
	n = 10;
	n += put_string(body + n, keyblob, kb);
	n += put_string(body + n, "git", 3);
	n += put_string(body + n, "", 0);
	n += put_string(body + n, "sha512", 6);
	n += put_string(body + n, inner, k);
	sodium_bin2base64(b64, sizeof(b64), body, n, sodium_base64_VARIANT_ORIGINAL);
	assert_true(asprintf(&out, "-----BEGIN SSH SIGNATURE-----\n%s\n-----END SSH SIGNATURE-----",
	                     b64) > 0);
	return out;
}

static git_oid signed_commit(const char *signature, const char *sign_this)
{
	git_buf buf = {0};
	git_tree *tr;
	git_oid id,
	    t = tree((struct entry[]){{"acme.yaml", GIT_FILEMODE_BLOB, blob(YAML, strlen(YAML))}},
	             1);

	assert_int_equal(git_tree_lookup(&tr, repo, &t), 0);
	assert_int_equal(
	    git_commit_create_buffer(&buf, repo, who, who, NULL, "signed\n", tr, 0, NULL), 0);
	git_tree_free(tr);
	if (!signature) {
		assert_int_equal(git_commit_create_with_signature(&id, repo, buf.ptr, NULL, NULL),
		                 0);
	} else if (!strcmp(signature, "ssh")) {
		uint8_t pk[32], sk[64];
		char *sig;
		FILE *f;
		char path[300], b64[128];

		crypto_sign_keypair(pk, sk);
		/* the message signed: this commit, or another one */
		sig = sshsig(pk, sk, sign_this ? sign_this : buf.ptr,
		             sign_this ? strlen(sign_this) : buf.size);
		assert_int_equal(git_commit_create_with_signature(&id, repo, buf.ptr, sig, NULL),
		                 0);
		free(sig);
		/* the signers file trusts this key */
		uint8_t key[64];
		size_t n = put_string(key, "ssh-ed25519", 11);
		n += put_string(key + n, pk, 32);
		sodium_bin2base64(b64, sizeof(b64), key, n, sodium_base64_VARIANT_ORIGINAL);
		snprintf(path, sizeof(path), "%s/signers", dir);
		assert_non_null(f = fopen(path, "w"));
		fprintf(f, "alice@example.com ssh-ed25519 %s\n", b64);
		fclose(f);
	} else {
		assert_int_equal(
		    git_commit_create_with_signature(&id, repo, buf.ptr, signature, NULL), 0);
	}
	git_buf_dispose(&buf);
	return id;
}

static int verify(git_oid c, char *why, size_t size, char *signer)
{
	char path[300];
	struct fw_git_trust t = {.signers = path, .work_dir = dir};

	snprintf(path, sizeof(path), "%s/signers", dir);
	return fw_git_verify_signature(repo, &c, &t, signer, 128, why, size);
}

static void test_signatures(void **state)
{
	char why[400], signer[128] = "", path[300], want[600];
	git_oid c;
	FILE *f;

	(void)state;
	c = signed_commit("ssh", NULL);
	assert_int_equal(verify(c, why, sizeof(why), signer), 0);
	assert_string_equal(signer, "alice@example.com");

	c = signed_commit("ssh", "another commit\n");
	assert_int_equal(verify(c, why, sizeof(why), signer), -EPERM);
	assert_string_equal(why, "bad signature: the signature does not match the commit");

	c = signed_commit(NULL, NULL);
	assert_int_equal(verify(c, why, sizeof(why), signer), -EPERM);
	assert_string_equal(why,
	                    "unsigned commit: only commits signed by a trusted key are applied "
	                    "(--git-trusted-signers)");

	c = signed_commit("-----BEGIN PGP SIGNATURE-----\n\niQEz\n-----END PGP SIGNATURE-----",
	                  NULL);
	assert_int_equal(verify(c, why, sizeof(why), signer), -EPERM);
	assert_string_equal(why, "signed with gpg, but only ssh keys are trusted "
	                         "(--git-trusted-gpg-keys would trust gpg keys)");

	c = signed_commit("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----",
	                  NULL);
	assert_int_equal(verify(c, why, sizeof(why), signer), -EPERM);
	assert_string_equal(why, "bad signature: ssh signature: truncated");

	/* a good signature by a key the file does not hold */
	c = signed_commit("ssh", NULL);
	snprintf(path, sizeof(path), "%s/signers", dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "bob@example.com ssh-ed25519 "
	           "AAAAC3NzaC1lZDI1NTE5AAAAIOAlH8KbgaxFZTCWjuRSmoES8R+klJpef7917XRK3+/T\n");
	fclose(f);
	assert_int_equal(verify(c, why, sizeof(why), signer), -EPERM);
	assert_true(!strncmp(why,
	                     "signed by an untrusted key: no trusted signer has the key "
	                     "ssh-ed25519 SHA256:",
	                     strlen("signed by an untrusted key: no trusted signer has the key "
	                            "ssh-ed25519 SHA256:")));

	/* a broken signers file trusts nobody */
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "bob@example.com\n");
	fclose(f);
	assert_int_equal(verify(c, why, sizeof(why), signer), -EINVAL);
	snprintf(want, sizeof(want),
	         "trusted signers: %s/signers:1:1: error: expected PRINCIPALS "
	         "[OPTIONS] KEYTYPE BASE64-KEY",
	         dir);
	assert_string_equal(why, want);
}

static void test_descendant(void **state)
{
	git_oid a = one_file(), b, unrelated, missing;
	char why[300], want[300], sha[41];

	(void)state;
	b = commit_of(tree((struct entry[]){{"b.yaml", GIT_FILEMODE_BLOB, blob("b: 1\n", 5)}}, 1),
	              &a);
	unrelated = commit_of(
	    tree((struct entry[]){{"c.yaml", GIT_FILEMODE_BLOB, blob("c: 1\n", 5)}}, 1), NULL);
	assert_int_equal(fw_git_verify_descendant(repo, &b, &a, why, sizeof(why)), 0);
	assert_int_equal(fw_git_verify_descendant(repo, &a, &a, why, sizeof(why)), 0);
	assert_int_equal(fw_git_verify_descendant(repo, &a, &b, why, sizeof(why)), -EPERM);
	git_oid_tostr(sha, sizeof(sha), &b);
	snprintf(want, sizeof(want),
	         "not a descendant of the live commit %.12s (a force-push or a rewind; "
	         "--git-allow-rewind allows it)",
	         sha);
	assert_string_equal(why, want);
	assert_int_equal(fw_git_verify_descendant(repo, &unrelated, &b, why, sizeof(why)), -EPERM);
	assert_string_equal(why, want);
	assert_int_equal(git_oid_fromstr(&missing, "0123456789abcdef0123456789abcdef01234567"), 0);
	assert_int_equal(fw_git_verify_descendant(repo, &a, &missing, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "the live commit 0123456789ab is not in the repository: cannot "
	                         "tell whether this one descends from it (--git-allow-rewind to "
	                         "apply anyway)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_tree),  cmocka_unit_test(test_bad_entries),
	    cmocka_unit_test(test_git_path),   cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_big_trees),  cmocka_unit_test(test_signatures),
	    cmocka_unit_test(test_descendant),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
