// SPDX-License-Identifier: GPL-2.0-or-later
/* Interface keys: X25519 as RFC 7748 says, stored 0600 in a 0700 directory,
 * refused when group or others could read them (exact messages). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "wg.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* RFC 7748, 6.1: Alice's key pair. */
static void test_public_key(void **state)
{
	uint8_t priv[32], pub[32], want[32];

	(void)state;
	assert_int_equal(wg_keys_init(), 0);
	hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", priv, 32);
	hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", want, 32);
	assert_int_equal(wg_key_public(priv, pub), 0);
	assert_memory_equal(pub, want, 32);
	wg_key_generate(priv);
	assert_int_equal(priv[0] & 7, 0);
	assert_int_equal(priv[31] & 0xc0, 0x40);
}

static void test_store(void **state)
{
	char dir[] = "/tmp/fwd-wgkeys-XXXXXX", path[256], kdir[256], msg[512] = "";
	uint8_t a[32], b[32];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(kdir, sizeof(kdir), "%s/keys", dir);
	snprintf(path, sizeof(path), "%s/keys/wg-t.key", dir);
	assert_int_equal(wg_key_load_or_create(dir, "keys/wg-t.key", a, msg, sizeof(msg)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(kdir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* the same key the next time */
	assert_int_equal(wg_key_load_or_create(dir, "keys/wg-t.key", b, msg, sizeof(msg)), 0);
	assert_memory_equal(a, b, 32);

	chmod(path, 0640);
	memset(b, 0x55, sizeof(b));
	assert_int_equal(wg_key_load_or_create(dir, "keys/wg-t.key", b, msg, sizeof(msg)), -EPERM);
	char want[600];
	snprintf(want, sizeof(want),
	         "key file %s has mode 0640: it is readable or writable by group or others; "
	         "refusing it (chmod 600 it, and make a new key if it leaked)",
	         path);
	assert_string_equal(msg, want);
	chmod(path, 0600);

	chmod(kdir, 0755);
	assert_int_equal(wg_key_load_or_create(dir, "keys/wg-t.key", b, msg, sizeof(msg)), -EPERM);
	snprintf(want, sizeof(want),
	         "key directory %s has mode 0755 (owner %u): it must be a directory of user %u "
	         "with mode 0700; refusing it",
	         kdir, (unsigned)geteuid(), (unsigned)geteuid());
	assert_string_equal(msg, want);
	chmod(kdir, 0700);

	/* not a key */
	FILE *f = fopen(path, "w");
	fputs("hello\n", f);
	fclose(f);
	assert_int_equal(wg_key_load_or_create(dir, "keys/wg-t.key", b, msg, sizeof(msg)), -EINVAL);
	unlink(path);
	rmdir(kdir);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_public_key),
	    cmocka_unit_test(test_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
