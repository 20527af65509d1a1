/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading a whole file with a limit: the one reader of the state directory,
 * the trusted-key files and the pins (pure: no netlink, no logging). */
#ifndef FWD_FILEIO_H
#define FWD_FILEIO_H

#include <stddef.h>

/* The regular file `name` (relative to dirfd, or AT_FDCWD), whole and
 * NUL-terminated, at most max bytes; open_flags adds to O_RDONLY|O_CLOEXEC
 * (O_NOFOLLOW: refuse a symbolic link). 0, *ret (the caller frees it) and
 * *ret_len (if not NULL); -EFBIG larger than max, -EINVAL not a regular
 * file, -ENOMEM, -errno of open or read (*ret untouched on failure). */
int fw_file_read_at(int dirfd, const char *name, int open_flags, size_t max, char **ret,
                    size_t *ret_len);

#endif
