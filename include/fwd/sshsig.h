/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SSH signatures as git records them (gpg.format ssh): the armored "sshsig"
 * format of OpenSSH (PROTOCOL.sshsig), and the keys of an allowed-signers
 * file (ssh-keygen(1), ALLOWED SIGNERS).
 *
 *   -----BEGIN SSH SIGNATURE-----
 *   base64 of: "SSHSIG" uint32 version(1) string publickey string namespace
 *              string reserved string hash_algorithm string signature
 *   -----END SSH SIGNATURE-----
 *
 * The signature covers "SSHSIG" string(namespace) string(reserved)
 * string(hash_algorithm) string(H(message)), H being SHA-512 or SHA-256.
 * Only ssh-ed25519 keys are verified (libsodium); other key types are
 * parsed far enough to say which they are. Every length is checked against
 * what is left of the input before it is used: these parsers see what
 * anybody who can push a commit wrote (fuzz/fuzz_sshsig.c).
 *
 * Pure: no I/O, no globals; errors are a negative errno and a message.
 */
#ifndef FWD_SSHSIG_H
#define FWD_SSHSIG_H

#include <stddef.h>
#include <stdint.h>

#define FW_SSHSIG_MAX_ARMORED 16384 /* bytes of an armored signature */
#define FW_SSHSIG_KEY_TYPE    32    /* room for a key type name */
#define FW_SSHSIG_ED25519_KEY 32
#define FW_SSHSIG_ED25519_SIG 64
/* "SHA256:" and 43 characters of unpadded base64 */
#define FW_SSHSIG_FINGERPRINT 56

struct fw_sshsig {
	char key_type[FW_SSHSIG_KEY_TYPE]; /* "ssh-ed25519" (others: -ENOTSUP) */
	uint8_t key[FW_SSHSIG_ED25519_KEY];
	char namespace_[32]; /* "git" for commits */
	char hash_alg[8];    /* "sha512" or "sha256" */
	uint8_t sig[FW_SSHSIG_ED25519_SIG];
};

/*
 * Parse an armored signature (len bytes, need not be NUL-terminated).
 * 0 and *ret; -EINVAL for a malformed one, -ENOTSUP for a well-formed one
 * of a key type (named in the message) or hash this code does not verify —
 * with a message in err either way.
 */
int fw_sshsig_parse(const char *armored, size_t len, struct fw_sshsig *ret, char *err,
                    size_t err_size);

/* Does s sign msg in namespace ns? 0 yes; -EBADMSG (message in err): the
 * namespace differs or the signature does not verify. */
int fw_sshsig_verify(const struct fw_sshsig *s, const char *ns, const void *msg, size_t len,
                     char *err, size_t err_size);

/* The base64 of a public key blob as an allowed-signers line or an
 * authorized_keys line has it: 0 and the ed25519 key; -ENOTSUP when the blob
 * is well formed but of another type (named in err); -EINVAL. `type` is the
 * key type written before it on the line, which the blob must repeat. */
int fw_sshkey_parse_base64(const char *type, const char *b64, size_t len,
                           uint8_t key[FW_SSHSIG_ED25519_KEY], char *err, size_t err_size);

/* "SHA256:..." as ssh-keygen -l prints it, of an ed25519 key. */
void fw_sshkey_fingerprint(const uint8_t key[FW_SSHSIG_ED25519_KEY],
                           char buf[FW_SSHSIG_FINGERPRINT]);

#endif
