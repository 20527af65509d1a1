// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: what a pusher controls of commit verification. The first
 * byte picks the parser:
 *   0  the rest as an armored ssh signature (as git stores it);
 *   1  the rest as the binary sshsig blob, base64-encoded and armored here,
 *      so the fuzzer works on the fields rather than on base64;
 *   2  the rest as an allowed-signers file.
 * A signature that parses is verified against a fixed message; a signers
 * file that parses is searched for the key of the first line.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/signers.h"
#include "fwd/sshsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define END   "\n-----END SSH SIGNATURE-----\n"

static void signature(const char *text, size_t len)
{
	static const char msg[] = "tree 0\n\nfuzz\n";
	struct fw_sshsig s;
	char err[256];

	if (fw_sshsig_parse(text, len, &s, err, sizeof(err)) == 0 &&
	    (fw_sshsig_verify(&s, "git", msg, sizeof(msg) - 1, err, sizeof(err)) == 0 ||
	     !memchr(err, '\0', sizeof(err))))
		abort(); /* a fixed message and a fuzzed signature never verify */
}

static void blob(const uint8_t *data, size_t size)
{
	size_t b64 = sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL);
	char *text = malloc(strlen(BEGIN) + b64 + strlen(END));

	if (!text)
		return;
	strcpy(text, BEGIN);
	sodium_bin2base64(text + strlen(BEGIN), b64, data, size, sodium_base64_VARIANT_ORIGINAL);
	strcat(text, END);
	signature(text, strlen(text));
	free(text);
}

static void signers(const char *text, size_t len)
{
	struct fw_signers s = {0};
	struct fw_diags d = {0};
	char why[256];

	if (fw_signers_parse("fuzz", text, len, &d, &s) == 0 && s.n &&
	    !fw_signers_find(&s, s.v[0].key, "git", 0, why, sizeof(why)) &&
	    !memchr(why, '\0', sizeof(why)))
		abort();
	fw_signers_free(&s);
	fw_diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly the input's size: ASan sees a read past it. */
	char *copy;

	if (size == 0 || sodium_init() < 0)
		return 0;
	if (data[0] % 3 == 1) {
		blob(data + 1, size - 1);
		return 0;
	}
	if (!(copy = malloc(size - 1 ? size - 1 : 1)))
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] % 3 == 0)
		signature(copy, size - 1);
	else
		signers(copy, size - 1);
	free(copy);
	return 0;
}
