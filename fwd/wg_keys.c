// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * WireGuard interface keys: X25519 with libsodium, stored as base64 (the
 * format of `wg genkey`) in the state directory. Only this file reads a
 * private key from disk; whoever holds one wipes it after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wg.h"

int wg_keys_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

void wg_key_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

/* WireGuard's clamping of a Curve25519 private key. */
static void clamp(uint8_t k[WG_KEY_LEN])
{
	k[0] &= 248;
	k[31] = (uint8_t)((k[31] & 127) | 64);
}

void wg_key_generate(uint8_t priv[WG_KEY_LEN])
{
	randombytes_buf(priv, WG_KEY_LEN);
	clamp(priv);
}

int wg_key_public(const uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN])
{
	uint8_t k[WG_KEY_LEN];
	int r;

	memcpy(k, priv, WG_KEY_LEN);
	clamp(k);
	r = crypto_scalarmult_base(pub, k);
	sodium_memzero(k, sizeof(k));
	return r == 0 ? 0 : -EINVAL;
}

/* The key directory: created 0700, or refused unless it is ours and 0700. */
static int key_dir(const char *dir, char *msg, size_t size)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		int e = errno;
		snprintf(msg, size, "cannot create key directory %s: %s", dir, strerror(e));
		return -e;
	}
	if (lstat(dir, &st) < 0) {
		int e = errno;
		snprintf(msg, size, "key directory %s: %s", dir, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 07777) != 0700) {
		snprintf(msg, size,
		         "key directory %s has mode %04o (owner %u): it must be a directory of "
		         "user %u with mode 0700; refusing it",
		         dir, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
		         (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

static int write_new_key(const char *dir, const char *path, uint8_t priv[WG_KEY_LEN], char *msg,
                         size_t size)
{
	char b64[sodium_base64_ENCODED_LEN(WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL) + 1];
	char tmp[4096];
	size_t len;
	int fd, r = 0;

	wg_key_generate(priv);
	sodium_bin2base64(b64, sizeof(b64) - 1, priv, WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
	len = strlen(b64);
	b64[len++] = '\n';
	if (snprintf(tmp, sizeof(tmp), "%s/.new-key.XXXXXX", dir) >= (int)sizeof(tmp)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC); /* 0600 */
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || write(fd, b64, len) != (ssize_t)len || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	/* link(2), not rename: a key another fwd wrote meanwhile wins. */
	if (r == 0 && link(tmp, path) < 0)
		r = -errno;
	unlink(tmp);
out:
	sodium_memzero(b64, sizeof(b64));
	if (r < 0) {
		sodium_memzero(priv, WG_KEY_LEN);
		if (r != -EEXIST)
			snprintf(msg, size, "cannot store a new key in %s: %s", path, strerror(-r));
	}
	return r;
}

static int read_key(int fd, const char *path, uint8_t priv[WG_KEY_LEN], char *msg, size_t size)
{
	char buf[128];
	struct stat st;
	size_t bin_len = 0;
	ssize_t n;
	int r = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(msg, size, "key file %s is not a regular file of user %u; refusing it",
		         path, (unsigned)geteuid());
		return -EPERM;
	}
	if (st.st_mode & 077) {
		snprintf(msg, size,
		         "key file %s has mode %04o: it is readable or writable by group or "
		         "others; refusing it (chmod 600 it, and make a new key if it leaked)",
		         path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		r = -errno;
	else {
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		if (strlen(buf) != 44 ||
		    sodium_base642bin(priv, WG_KEY_LEN, buf, strlen(buf), NULL, &bin_len, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    bin_len != WG_KEY_LEN) {
			snprintf(msg, size, "key file %s does not hold a WireGuard key (base64)",
			         path);
			r = -EINVAL;
		}
	}
	sodium_memzero(buf, sizeof(buf));
	if (r < 0)
		sodium_memzero(priv, WG_KEY_LEN);
	return r;
}

int wg_key_load_or_create(const char *state_dir, const char *key_file, uint8_t priv[WG_KEY_LEN],
                          char *msg, size_t size)
{
	char dir[4096], path[4096];
	const char *slash = strrchr(key_file, '/');
	uint8_t k[WG_KEY_LEN];
	int fd, r;

	if (!slash ||
	    snprintf(dir, sizeof(dir), "%s/%.*s", state_dir, (int)(slash - key_file), key_file) >=
	        (int)sizeof(dir) ||
	    snprintf(path, sizeof(path), "%s/%s", state_dir, key_file) >= (int)sizeof(path)) {
		snprintf(msg, size, "key file %s/%s: name too long", state_dir, key_file);
		return -ENAMETOOLONG;
	}
	if ((r = key_dir(dir, msg, size)) < 0)
		return r;
	for (int tries = 0; tries < 2; tries++) {
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			r = read_key(fd, path, k, msg, size);
			close(fd);
			break;
		}
		if (errno != ENOENT) {
			r = -errno;
			snprintf(msg, size, "key file %s: %s", path, strerror(-r));
			return r;
		}
		r = write_new_key(dir, path, k, msg, size);
		if (r != -EEXIST)
			break;
	}
	if (r == 0)
		memcpy(priv, k, WG_KEY_LEN);
	sodium_memzero(k, sizeof(k));
	return r;
}
