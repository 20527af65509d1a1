// SPDX-License-Identifier: GPL-2.0-or-later
/* SSH signatures and allowed-signers files, against what OpenSSH 9.2's
 * ssh-keygen -Y sign wrote (the vectors below; message "tree 1\n\nhello fwd\n"). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fwd/signers.h"
#include "fwd/sshsig.h"
#include "testutil.h"

static const char msg[] = "tree 1\n\nhello fwd\n";

#define PUB "AAAAC3NzaC1lZDI1NTE5AAAAIOAlH8KbgaxFZTCWjuRSmoES8R+klJpef7917XRK3+/T"
#define FP  "SHA256:CAs6Eokfy9dyYafss7kxD/vUUJTrGLHRd0gjYGYvAMI"

static const char sig_sha512[] =
    "-----BEGIN SSH SIGNATURE-----\n"
    "U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg4CUfwpuBrEVlMJaO5FKagRLxH6\n"
    "SUml5/v3XtdErf79MAAAADZ2l0AAAAAAAAAAZzaGE1MTIAAABTAAAAC3NzaC1lZDI1NTE5\n"
    "AAAAQCd5Kf45J7TUMtYwtA2zS3pfhx8kSpHSuibv4Q0E3x7AOUMLstl7nzJUxBFi1c1/nR\n"
    "02hxmXaa99K4jAWncGnwo=\n"
    "-----END SSH SIGNATURE-----\n";

static const char sig_sha256[] =
    "-----BEGIN SSH SIGNATURE-----\n"
    "U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg4CUfwpuBrEVlMJaO5FKagRLxH6\n"
    "SUml5/v3XtdErf79MAAAADZ2l0AAAAAAAAAAZzaGEyNTYAAABTAAAAC3NzaC1lZDI1NTE5\n"
    "AAAAQH1flVssnzgpigGB4RGBjzstRgZA38bnzcVsA9v/OAZfYVOM6wlEhHEaXHJ6G8Nanh\n"
    "7VxdGzQyvB5kCJMBFrewA=\n"
    "-----END SSH SIGNATURE-----\n";

/* namespace "file", same key */
static const char sig_file[] =
    "-----BEGIN SSH SIGNATURE-----\n"
    "U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg4CUfwpuBrEVlMJaO5FKagRLxH6\n"
    "SUml5/v3XtdErf79MAAAAEZmlsZQAAAAAAAAAGc2hhNTEyAAAAUwAAAAtzc2gtZWQyNTUx\n"
    "OQAAAEClcLSSCZQPhBUFjrUiz8OF6eKPtr/kXK/oXA7ifyCj7Fj8KBfkFEw+/7VgPpu4xS\n"
    "mBzW8eCeTgflDUcfo3N9cB\n"
    "-----END SSH SIGNATURE-----\n";

static const char sig_rsa[] =
    "-----BEGIN SSH SIGNATURE-----\n"
    "U1NIU0lHAAAAAQAAAJcAAAAHc3NoLXJzYQAAAAMBAAEAAACBAPkdGDVbbBvJcL1LGGE6Yo\n"
    "K3rKS1ubpy1RflVBqWmET6BoArzdMzXZ9k2BkLvpHBW/AiXsl+rIL1slg0SmGXP4wRIUWa\n"
    "oHhRaGhCYUxMvqRwcOj5zu5CNEaoE1/uaz80tngRW62fZDtk1qgldv6yuJBfR3hjKf9A49\n"
    "c0Z3ECGMgZAAAAA2dpdAAAAAAAAAAGc2hhNTEyAAAAlAAAAAxyc2Etc2hhMi01MTIAAACA\n"
    "QuG67ZAUa29VUYzF2Ksg4cDMj8Rv4rUcFjkrJE0XLR5e/0xmEyioy0M+C/quFQuX/lX9g1\n"
    "5RXrgSnT6myoM+6ZXsuIJFKqEzSdPmCt7M8XvwGWpgU1tY0jVCRvpg3qdp7TblYW+/f9xV\n"
    "T4FlMfgvV+itH9ECbXuyEZtT3HrZma8=\n"
    "-----END SSH SIGNATURE-----\n";

#define RSA_PUB                                                                                    \
	"AAAAB3NzaC1yc2EAAAADAQABAAAAgQD5HRg1W2wbyXC9SxhhOmKCt6yktbm6ctUX5VQalphE+"                \
	"gaAK83TM12fZNgZC7"                                                                        \
	"6RwVvwIl7JfqyC9bJYNEphlz+MESFFmqB4UWhoQmFMTL6kcHDo+c7uQjRGqBNf7ms/"                       \
	"NLZ4EVutn2Q7ZNaoJXb+sriQ"                                                                 \
	"X0d4Yyn/QOPXNGdxAhjIGQ=="

static void test_verify_ssh_keygen(void **state)
{
	struct fw_sshsig s;
	char err[200], fp[FW_SSHSIG_FINGERPRINT];
	uint8_t key[FW_SSHSIG_ED25519_KEY];

	(void)state;
	assert_int_equal(fw_sshsig_parse(sig_sha512, strlen(sig_sha512), &s, err, sizeof(err)), 0);
	assert_string_equal(s.key_type, "ssh-ed25519");
	assert_string_equal(s.namespace_, "git");
	assert_string_equal(s.hash_alg, "sha512");
	assert_int_equal(fw_sshsig_verify(&s, "git", msg, strlen(msg), err, sizeof(err)), 0);
	/* one byte of the message changed */
	assert_int_equal(
	    fw_sshsig_verify(&s, "git", "tree 2\n\nhello fwd\n", strlen(msg), err, sizeof(err)),
	    -EBADMSG);
	assert_string_equal(err, "the signature does not match the commit");
	assert_int_equal(fw_sshsig_verify(&s, "file", msg, strlen(msg), err, sizeof(err)),
	                 -EBADMSG);
	assert_string_equal(err, "signature for namespace 'git', not 'file'");
	/* the signer's key, as the allowed-signers line has it */
	assert_int_equal(
	    fw_sshkey_parse_base64("ssh-ed25519", PUB, strlen(PUB), key, err, sizeof(err)), 0);
	assert_memory_equal(key, s.key, sizeof(key));
	fw_sshkey_fingerprint(key, fp);
	assert_string_equal(fp, FP); /* as ssh-keygen -l prints it */

	assert_int_equal(fw_sshsig_parse(sig_sha256, strlen(sig_sha256), &s, err, sizeof(err)), 0);
	assert_string_equal(s.hash_alg, "sha256");
	assert_int_equal(fw_sshsig_verify(&s, "git", msg, strlen(msg), err, sizeof(err)), 0);

	assert_int_equal(fw_sshsig_parse(sig_file, strlen(sig_file), &s, err, sizeof(err)), 0);
	assert_int_equal(fw_sshsig_verify(&s, "git", msg, strlen(msg), err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "signature for namespace 'file', not 'git'");
}

static void test_other_keys(void **state)
{
	struct fw_sshsig s;
	uint8_t key[FW_SSHSIG_ED25519_KEY];
	char err[200];

	(void)state;
	assert_int_equal(fw_sshsig_parse(sig_rsa, strlen(sig_rsa), &s, err, sizeof(err)), -ENOTSUP);
	assert_string_equal(err, "a ssh-rsa key: only ssh-ed25519 keys are supported");
	assert_int_equal(
	    fw_sshkey_parse_base64("ssh-rsa", RSA_PUB, strlen(RSA_PUB), key, err, sizeof(err)),
	    -ENOTSUP);
	/* an ed25519 key written down as another type */
	assert_int_equal(fw_sshkey_parse_base64("ssh-rsa", PUB, strlen(PUB), key, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "public key: a ssh-ed25519 key written as ssh-rsa");
	assert_int_equal(fw_sshkey_parse_base64("ssh-ed25519", "AAAA!", 5, key, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "public key: invalid base64");
}

static void expect_parse(const char *text, int code, const char *message)
{
	struct fw_sshsig s;
	char err[200] = "";

	assert_int_equal(fw_sshsig_parse(text, strlen(text), &s, err, sizeof(err)), code);
	assert_string_equal(err, message);
}

/* Every prefix of a good signature is refused, never read past. */
static void test_malformed(void **state)
{
	char buf[sizeof(sig_sha512) + 64];
	const char *body = strchr(sig_sha512, '\n') + 1;
	struct fw_sshsig s;
	char err[200];

	(void)state;
	expect_parse("", -EINVAL,
	             "not an armored ssh signature (-----BEGIN SSH SIGNATURE----- ... -----END "
	             "SSH SIGNATURE-----)");
	expect_parse("-----BEGIN SSH SIGNATURE-----\nAAAA*\n-----END SSH SIGNATURE-----\n", -EINVAL,
	             "ssh signature: invalid base64");
	expect_parse("-----BEGIN SSH SIGNATURE-----\nU1NIU0lI\n-----END SSH SIGNATURE-----\n",
	             -EINVAL, "ssh signature: no SSHSIG magic");
	/* "SSHSIG" version 2 */
	expect_parse(
	    "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAg==\n-----END SSH SIGNATURE-----\n",
	    -ENOTSUP, "ssh signature version 2 is not supported");
	/* "SSHSIG" version 1, then a string claiming 4 GiB */
	expect_parse("-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAf////8=\n"
	             "-----END SSH SIGNATURE-----\n",
	             -EINVAL, "ssh signature: truncated");
	/* text after the armor */
	snprintf(buf, sizeof(buf), "%sx", sig_sha512);
	expect_parse(buf, -EINVAL,
	             "not an armored ssh signature (-----BEGIN SSH SIGNATURE----- ... -----END "
	             "SSH SIGNATURE-----)");
	/* the base64 cut short at every length: each refused */
	for (size_t n = 0; body + n < strstr(sig_sha512, "-----END"); n++) {
		int r;
		snprintf(buf, sizeof(buf),
		         "-----BEGIN SSH SIGNATURE-----\n%.*s\n"
		         "-----END SSH SIGNATURE-----\n",
		         (int)n, body);
		r = fw_sshsig_parse(buf, strlen(buf), &s, err, sizeof(err));
		if (body[n] == '\n' || body[n] == '=')
			continue; /* whole lines: may still be a valid base64 prefix */
		assert_true(r == -EINVAL || r == -ENOTSUP);
	}
}

static const char *signers_text =
    "# engineers allowed to change the policy\n"
    "\n"
    "alice@example.com ssh-ed25519 " PUB " alice's laptop\n"
    "\"ops team\" namespaces=\"file,git\",valid-before=\"20991231Z\" ssh-ed25519 " PUB "\n"
    "bob@example.com ssh-rsa " RSA_PUB "\n"
    "ca@example.com cert-authority ssh-ed25519 " PUB "\n";

static void test_signers(void **state)
{
	struct fw_signers s;
	struct fw_diags d = {0};
	const struct fw_signer *x;
	uint8_t key[FW_SSHSIG_ED25519_KEY], other[FW_SSHSIG_ED25519_KEY] = {1};
	char why[200], *text;

	(void)state;
	assert_int_equal(fw_signers_parse("signers", signers_text, strlen(signers_text), &d, &s),
	                 0);
	text = tu_diags_text(&d);
	assert_string_equal(text, "signers:5:1: warning: ssh-rsa keys are not supported (only "
	                          "ssh-ed25519): line ignored\n"
	                          "signers:6:1: warning: cert-authority keys are not supported: "
	                          "line ignored\n");
	free(text);
	fw_diags_free(&d);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0].principals, "alice@example.com");
	assert_int_equal(s.v[0].line, 3);
	assert_string_equal(s.v[1].principals, "ops team");
	assert_string_equal(s.v[1].namespaces, "file,git");
	assert_true(s.v[1].has_before);
	assert_int_equal(
	    fw_sshkey_parse_base64("ssh-ed25519", PUB, strlen(PUB), key, why, sizeof(why)), 0);
	x = fw_signers_find(&s, key, "git", time(NULL), why, sizeof(why));
	assert_non_null(x);
	assert_string_equal(x->principals, "alice@example.com");
	assert_null(fw_signers_find(&s, other, "git", time(NULL), why, sizeof(why)));
	assert_string_equal(why, "no trusted signer has the key ssh-ed25519 "
	                         "SHA256:q9jkFkikArwJmdSqU/TYAoPoqVoVkplM9LDHikciiCM");
	fw_signers_free(&s);
}

static void test_signer_options(void **state)
{
	const char *text = "a@x namespaces=\"file\" ssh-ed25519 " PUB "\n"
	                   "b@x valid-after=\"20300101\" ssh-ed25519 " PUB "\n"
	                   "c@x valid-before=\"200001010000Z\" ssh-ed25519 " PUB "\n";
	struct fw_signers s;
	struct fw_diags d = {0};
	uint8_t key[FW_SSHSIG_ED25519_KEY];
	char why[300];

	(void)state;
	assert_int_equal(fw_signers_parse("as", text, strlen(text), &d, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(
	    fw_sshkey_parse_base64("ssh-ed25519", PUB, strlen(PUB), key, why, sizeof(why)), 0);
	/* each line refuses for its own reason; the last one found is said */
	assert_null(fw_signers_find(&s, key, "git", 1700000000, why, sizeof(why)));
	assert_string_equal(why, "the key " FP " of c@x (line 3) expired before the commit's "
	                         "time");
	assert_non_null(fw_signers_find(&s, key, "file", 1700000000, why, sizeof(why)));
	assert_non_null(fw_signers_find(&s, key, "git", 1900000000 + 100000000, why, sizeof(why)));
	fw_signers_free(&s);
	fw_diags_free(&d);
}

static void expect_signers_error_n(const char *text, size_t len, const char *diag)
{
	struct fw_signers s = {0};
	struct fw_diags d = {0};
	char *got;

	assert_int_equal(fw_signers_parse("as", text, len, &d, &s), -EINVAL);
	got = tu_diags_text(&d);
	assert_string_equal(got, diag);
	free(got);
	fw_diags_free(&d);
	assert_null(s.v);
}

static void expect_signers_error(const char *text, const char *diag)
{
	expect_signers_error_n(text, strlen(text), diag);
}

static void test_signer_errors(void **state)
{
	(void)state;
	expect_signers_error("alice\n", "as:1:1: error: expected PRINCIPALS [OPTIONS] KEYTYPE "
	                                "BASE64-KEY\n");
	expect_signers_error("a ssh-ed25519 AAAA\n", "as:1:1: error: malformed public key: no "
	                                             "key type\n");
	expect_signers_error("a ssh-ed25519 " PUB "\n\"b ssh-ed25519 " PUB "\n",
	                     "as:2:1: error: unbalanced double quote\n");
	expect_signers_error("a trust-me ssh-ed25519 " PUB "\n",
	                     "as:1:1: error: unknown option 'trust-me' (cert-authority, "
	                     "namespaces, valid-after, valid-before)\n");
	expect_signers_error("a valid-after=\"2030\" ssh-ed25519 " PUB "\n",
	                     "as:1:1: error: valid-after: expected YYYYMMDD[HHMM[SS]][Z], not "
	                     "'2030'\n");
	static const char nul[] = "a ssh-ed25519 " PUB "\na\0b\n";
	expect_signers_error_n(nul, sizeof(nul) - 1, "as:2:1: error: NUL byte in the line\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verify_ssh_keygen), cmocka_unit_test(test_other_keys),
	    cmocka_unit_test(test_malformed),         cmocka_unit_test(test_signers),
	    cmocka_unit_test(test_signer_options),    cmocka_unit_test(test_signer_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
