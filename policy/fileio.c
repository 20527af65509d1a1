// SPDX-License-Identifier: GPL-2.0-or-later
/* Whole files with a limit (include/fwd/fileio.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fwd/fileio.h"

int fw_file_read_at(int dirfd, const char *name, int open_flags, size_t max, char **ret,
                    size_t *ret_len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | open_flags), r = 0;
	struct stat st;
	char *buf = NULL;
	size_t got = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		r = -EFBIG;
		goto out;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		r = -ENOMEM;
		goto out;
	}
	/* the size of the fstat: a file that grows meanwhile is read as it
	 * was, one that shrinks as it is now */
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*ret = buf;
	buf = NULL;
	if (ret_len)
		*ret_len = got;
out:
	free(buf);
	close(fd);
	return r;
}
