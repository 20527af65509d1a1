// SPDX-License-Identifier: GPL-2.0-or-later
/* fw_file_read_at: whole files within a limit, and each refusal. */
#include <errno.h>
#include <fcntl.h>
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

#include "fwd/fileio.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fwd-fileio-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	const char *names[] = {"five", "empty", "link", "sub"};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		snprintf(cmd, sizeof(cmd), "%s/%s", dir, names[i]);
		(void)unlink(cmd);
		(void)rmdir(cmd);
	}
	return rmdir(dir);
}

static int dirfd_of(void)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void put(int dfd, const char *name, const char *text)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_read(void **state)
{
	int dfd = dirfd_of();
	char *buf = NULL, *untouched = (char *)"x";
	size_t len = 99;

	(void)state;
	put(dfd, "five", "12345");
	put(dfd, "empty", "");
	assert_int_equal(symlinkat("five", dfd, "link"), 0);
	assert_int_equal(mkdirat(dfd, "sub", 0700), 0);

	assert_int_equal(fw_file_read_at(dfd, "five", 0, 5, &buf, &len), 0);
	assert_string_equal(buf, "12345");
	assert_int_equal(len, 5);
	free(buf);
	assert_int_equal(fw_file_read_at(dfd, "empty", 0, 5, &buf, NULL), 0);
	assert_string_equal(buf, "");
	free(buf);
	/* a link is followed unless O_NOFOLLOW */
	assert_int_equal(fw_file_read_at(dfd, "link", 0, 5, &buf, &len), 0);
	assert_string_equal(buf, "12345");
	free(buf);

	buf = untouched;
	assert_int_equal(fw_file_read_at(dfd, "five", 0, 4, &buf, &len), -EFBIG);
	assert_int_equal(fw_file_read_at(dfd, "link", O_NOFOLLOW, 5, &buf, &len), -ELOOP);
	assert_int_equal(fw_file_read_at(dfd, "sub", 0, 5, &buf, &len), -EINVAL);
	assert_int_equal(fw_file_read_at(dfd, "missing", 0, 5, &buf, &len), -ENOENT);
	assert_ptr_equal(buf, untouched);
	close(dfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_read, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
