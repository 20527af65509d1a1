// SPDX-License-Identifier: GPL-2.0-or-later
/* vpn_pins_read: the pins file of a state directory, as fwd and fwctl's
 * offline commands read it. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fwd/vpnplan.h"

static char dir[] = "/tmp/fwd-test-pins-XXXXXX";

static void put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int read_it(const char *name, struct fw_vpn_pins *pins, char *msg, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return vpn_pins_read(path, pins, msg, size);
}

/* No file: no pins, no error (no user was ever given an address). */
static void test_missing(void **state)
{
	struct fw_vpn_pins pins = {0};
	char msg[256] = "x";

	(void)state;
	assert_int_equal(read_it(FW_VPN_PINS_FILE, &pins, msg, sizeof(msg)), 0);
	assert_int_equal(pins.n, 0);
	assert_null(pins.v);
	assert_string_equal(msg, "");
}

static void test_read(void **state)
{
	struct fw_vpn_pins pins = {0};
	char msg[256];

	(void)state;
	put("good", "# fwd: VPN users' addresses\nvt bob 10.99.0.2\nvt al 10.99.0.9\n");
	assert_int_equal(read_it("good", &pins, msg, sizeof(msg)), 0);
	assert_int_equal(pins.n, 2);
	assert_non_null(vpn_pins_find(&pins, "vt", "bob"));
	assert_int_equal(vpn_pins_find(&pins, "vt", "bob")->addr.a[3], 2);
	/* a bad file: the line named, the pins untouched */
	put("bad", "vt bob 10.99.0.2\nvt al\n");
	assert_int_equal(read_it("bad", &pins, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(pins.n, 2);
	assert_non_null(strstr(msg, "/bad:2: expected TENANT USER ADDRESS (one user once)"));
	vpn_pins_clear(&pins);
	/* a directory is not a pins file */
	assert_int_equal(read_it("", &pins, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "/: not a regular file"));
	assert_int_equal(pins.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_missing),
	    cmocka_unit_test(test_read),
	};
	int r;

	if (!mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	for (size_t i = 0; i < 2; i++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, i ? "bad" : "good");
		unlink(path);
	}
	rmdir(dir);
	return r;
}
