// SPDX-License-Identifier: GPL-2.0-or-later
/* SSH signatures (sshsig) and ed25519 public keys: parsing and verification
 * (the format: include/fwd/sshsig.h). */
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fwd/diag.h"
#include "fwd/sshsig.h"

#define BEGIN_MARK  "-----BEGIN SSH SIGNATURE-----"
#define END_MARK    "-----END SSH SIGNATURE-----"
#define MAGIC       "SSHSIG"
#define MAGIC_LEN   6
#define ED25519     "ssh-ed25519"
#define MAX_BLOB    (FW_SSHSIG_MAX_ARMORED / 4 * 3)
#define MAX_KEYBLOB 1024

/* A cursor over a decoded blob: every read checks what is left first. */
struct rd {
	const uint8_t *p;
	size_t left;
};

static bool rd_u32(struct rd *r, uint32_t *v)
{
	if (r->left < 4)
		return false;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return true;
}

/* An SSH "string": uint32 length, then that many bytes (no NUL). */
static bool rd_string(struct rd *r, struct rd *ret)
{
	uint32_t n;

	if (!rd_u32(r, &n) || n > r->left)
		return false;
	ret->p = r->p;
	ret->left = n;
	r->p += n;
	r->left -= n;
	return true;
}

static bool rd_equals(const struct rd *s, const char *text)
{
	return s->left == strlen(text) && !memcmp(s->p, text, s->left);
}

/* A short name (key type, namespace, hash) as a C string: printable ASCII
 * only, so a message that quotes it stays one readable line. */
static bool rd_name(const struct rd *s, char *buf, size_t size)
{
	if (s->left >= size)
		return false;
	for (size_t i = 0; i < s->left; i++)
		if (s->p[i] < 0x21 || s->p[i] > 0x7e)
			return false;
	memcpy(buf, s->p, s->left);
	buf[s->left] = '\0';
	return true;
}

static int b64_decode(const char *b64, size_t len, uint8_t *out, size_t out_size, size_t *ret_len)
{
	const char *end = NULL;
	size_t n = 0;

	if (sodium_base642bin(out, out_size, b64, len, " \t\r\n", &n, &end,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != b64 + len)
		return -EINVAL;
	*ret_len = n;
	return 0;
}

/* The body between the armor lines; nothing but whitespace around them. */
static int unarmor(const char *s, size_t len, const char **body, size_t *body_len)
{
	size_t i = 0, bl = strlen(BEGIN_MARK), el = strlen(END_MARK);
	const char *end;

	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	if (i + bl > len || memcmp(s + i, BEGIN_MARK, bl))
		return -EINVAL;
	i += bl;
	end = memmem(s + i, len - i, END_MARK, el);
	if (!end)
		return -EINVAL;
	for (const char *t = end + el; t < s + len; t++)
		if (*t != ' ' && *t != '\t' && *t != '\r' && *t != '\n')
			return -EINVAL;
	*body = s + i;
	*body_len = (size_t)(end - (s + i));
	return 0;
}

/* A public key blob: string type, then for ed25519 string key(32), and
 * nothing after. type_buf gets the type whenever it is readable. */
static int parse_key_blob(struct rd blob, char *type_buf, size_t type_size,
                          uint8_t key[FW_SSHSIG_ED25519_KEY], char *err, size_t err_size)
{
	struct rd type, k;

	if (!rd_string(&blob, &type) || !rd_name(&type, type_buf, type_size))
		return fw_errf(err, err_size, -EINVAL, "malformed public key: no key type");
	if (strcmp(type_buf, ED25519))
		return fw_errf(err, err_size, -ENOTSUP,
		               "a %s key: only ssh-ed25519 keys are supported", type_buf);
	if (!rd_string(&blob, &k) || k.left != FW_SSHSIG_ED25519_KEY || blob.left)
		return fw_errf(err, err_size, -EINVAL, "malformed ssh-ed25519 public key");
	memcpy(key, k.p, FW_SSHSIG_ED25519_KEY);
	return 0;
}

int fw_sshsig_parse(const char *armored, size_t len, struct fw_sshsig *ret, char *err,
                    size_t err_size)
{
	static uint8_t const magic[MAGIC_LEN] = {'S', 'S', 'H', 'S', 'I', 'G'};
	struct fw_sshsig s = {0};
	uint8_t blob[MAX_BLOB];
	struct rd r, pk, ns, reserved, hash, sig, sigtype, sigbytes;
	const char *body;
	size_t body_len, n;
	uint32_t version;
	int e;

	if (len > FW_SSHSIG_MAX_ARMORED)
		return fw_errf(err, err_size, -EINVAL, "ssh signature larger than %d bytes",
		               FW_SSHSIG_MAX_ARMORED);
	if (unarmor(armored, len, &body, &body_len) < 0)
		return fw_errf(err, err_size, -EINVAL,
		               "not an armored ssh signature (" BEGIN_MARK " ... " END_MARK ")");
	if (b64_decode(body, body_len, blob, sizeof(blob), &n) < 0)
		return fw_errf(err, err_size, -EINVAL, "ssh signature: invalid base64");
	r = (struct rd){blob, n};
	if (r.left < MAGIC_LEN || memcmp(r.p, magic, MAGIC_LEN))
		return fw_errf(err, err_size, -EINVAL, "ssh signature: no SSHSIG magic");
	r.p += MAGIC_LEN;
	r.left -= MAGIC_LEN;
	if (!rd_u32(&r, &version))
		return fw_errf(err, err_size, -EINVAL, "ssh signature: truncated");
	if (version != 1)
		return fw_errf(err, err_size, -ENOTSUP, "ssh signature version %u is not supported",
		               version);
	if (!rd_string(&r, &pk) || !rd_string(&r, &ns) || !rd_string(&r, &reserved) ||
	    !rd_string(&r, &hash) || !rd_string(&r, &sig))
		return fw_errf(err, err_size, -EINVAL, "ssh signature: truncated");
	if (r.left)
		return fw_errf(err, err_size, -EINVAL,
		               "ssh signature: %zu bytes after the signature", r.left);
	e = parse_key_blob(pk, s.key_type, sizeof(s.key_type), s.key, err, err_size);
	if (e < 0)
		return e; /* err names the key type */
	if (!rd_name(&ns, s.namespace_, sizeof(s.namespace_)))
		return fw_errf(err, err_size, -EINVAL, "ssh signature: malformed namespace");
	/* Reserved: empty in every version so far; a non-empty one would be
	 * signed over too, but no signer writes one, so refuse it. */
	if (reserved.left)
		return fw_errf(err, err_size, -ENOTSUP, "ssh signature: non-empty reserved field");
	if (!rd_name(&hash, s.hash_alg, sizeof(s.hash_alg)) ||
	    (strcmp(s.hash_alg, "sha512") && strcmp(s.hash_alg, "sha256")))
		return fw_errf(err, err_size, -ENOTSUP,
		               "ssh signature: hash algorithm not supported (sha512, sha256 are)");
	if (!rd_string(&sig, &sigtype) || !rd_string(&sig, &sigbytes) || sig.left ||
	    !rd_equals(&sigtype, ED25519) || sigbytes.left != FW_SSHSIG_ED25519_SIG)
		return fw_errf(err, err_size, -EINVAL,
		               "ssh signature: malformed ssh-ed25519 signature");
	memcpy(s.sig, sigbytes.p, FW_SSHSIG_ED25519_SIG);
	*ret = s;
	return 0;
}

static size_t put_string(uint8_t *p, const void *data, size_t len)
{
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	memcpy(p + 4, data, len);
	return 4 + len;
}

int fw_sshsig_verify(const struct fw_sshsig *s, const char *ns, const void *msg, size_t len,
                     char *err, size_t err_size)
{
	/* "SSHSIG" + 4 strings: namespace (< 32), reserved (0), hash name
	 * (< 8), hash (<= 64) */
	uint8_t signed_data[MAGIC_LEN + 4 * 4 + 32 + 8 + crypto_hash_sha512_BYTES];
	uint8_t h[crypto_hash_sha512_BYTES];
	size_t hlen, n = MAGIC_LEN;

	if (strcmp(s->namespace_, ns))
		return fw_errf(err, err_size, -EBADMSG, "signature for namespace '%s', not '%s'",
		               s->namespace_, ns);
	if (!strcmp(s->hash_alg, "sha512")) {
		crypto_hash_sha512(h, msg, len);
		hlen = crypto_hash_sha512_BYTES;
	} else {
		crypto_hash_sha256(h, msg, len);
		hlen = crypto_hash_sha256_BYTES;
	}
	memcpy(signed_data, MAGIC, MAGIC_LEN);
	n += put_string(signed_data + n, s->namespace_, strlen(s->namespace_));
	n += put_string(signed_data + n, "", 0);
	n += put_string(signed_data + n, s->hash_alg, strlen(s->hash_alg));
	n += put_string(signed_data + n, h, hlen);
	if (crypto_sign_verify_detached(s->sig, signed_data, n, s->key) != 0)
		return fw_errf(err, err_size, -EBADMSG, "the signature does not match the commit");
	return 0;
}

int fw_sshkey_parse_base64(const char *type, const char *b64, size_t len,
                           uint8_t key[FW_SSHSIG_ED25519_KEY], char *err, size_t err_size)
{
	uint8_t blob[MAX_KEYBLOB];
	char blob_type[FW_SSHSIG_KEY_TYPE];
	size_t n;
	int e;

	if (len > MAX_KEYBLOB || b64_decode(b64, len, blob, sizeof(blob), &n) < 0)
		return fw_errf(err, err_size, -EINVAL, "public key: invalid base64");
	e = parse_key_blob((struct rd){blob, n}, blob_type, sizeof(blob_type), key, err, err_size);
	if (e == -EINVAL)
		return e;
	if (strcmp(blob_type, type))
		return fw_errf(err, err_size, -EINVAL, "public key: a %s key written as %s",
		               blob_type, type);
	return e;
}

void fw_sshkey_fingerprint(const uint8_t key[FW_SSHSIG_ED25519_KEY],
                           char buf[FW_SSHSIG_FINGERPRINT])
{
	uint8_t blob[4 + sizeof(ED25519) - 1 + 4 + FW_SSHSIG_ED25519_KEY];
	uint8_t h[crypto_hash_sha256_BYTES];
	size_t n = put_string(blob, ED25519, strlen(ED25519));

	n += put_string(blob + n, key, FW_SSHSIG_ED25519_KEY);
	crypto_hash_sha256(h, blob, n);
	memcpy(buf, "SHA256:", 7);
	sodium_bin2base64(buf + 7, FW_SSHSIG_FINGERPRINT - 7, h, sizeof(h),
	                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}
