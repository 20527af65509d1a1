/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Trusted signers of git commits: an ssh "allowed signers" file
 * (ssh-keygen(1), ALLOWED SIGNERS), one key per line:
 *
 *   PRINCIPALS [OPTIONS] KEYTYPE BASE64-KEY [COMMENT]
 *   alice@example.com ssh-ed25519 AAAAC3Nza...
 *   ops@example.com namespaces="git",valid-before="20271231" ssh-ed25519 AAAA...
 *
 * Options: namespaces="PATTERN,..." (the signature's namespace must match),
 * valid-after / valid-before="YYYYMMDD[HHMM[SS]][Z]" (checked at the commit's
 * time, as git does). A cert-authority line or a key type other than
 * ssh-ed25519 is ignored with a warning: it can never make a commit
 * trusted, and the other lines keep working. Anything malformed is an
 * error naming file:line, and a file with errors trusts nobody.
 *
 * Pure: parses a buffer, no I/O.
 */
#ifndef FWD_SIGNERS_H
#define FWD_SIGNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fwd/diag.h"
#include "fwd/sshsig.h"

#define FW_SIGNERS_MAX      1000       /* keys in one file */
#define FW_SIGNERS_MAX_FILE (1u << 20) /* bytes */
#define FW_SIGNERS_MAX_LINE 8192

struct fw_signer {
	char principals[128];
	uint8_t key[FW_SSHSIG_ED25519_KEY];
	char namespaces[128]; /* "": any */
	bool has_after, has_before;
	time_t valid_after, valid_before;
	unsigned line;
};

struct fw_signers {
	struct fw_signer *v;
	size_t n;
};

/* Parse `len` bytes of the file `name` (used in diagnostics). 0 and *ret
 * (may hold no key); -EINVAL when there were errors (*ret untouched);
 * -ENOMEM. Warnings and errors go to d. */
int fw_signers_parse(const char *name, const char *buf, size_t len, struct fw_diags *d,
                     struct fw_signers *ret);
void fw_signers_free(struct fw_signers *s);

/* The signer whose key this is, allowed to sign in namespace ns at time t;
 * NULL (and why, e.g. "no trusted signer has the key SHA256:...") when
 * there is none. */
const struct fw_signer *fw_signers_find(const struct fw_signers *s,
                                        const uint8_t key[FW_SSHSIG_ED25519_KEY], const char *ns,
                                        time_t t, char *why, size_t why_size);

#endif
