/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The L2 backend's netlink socket (libnl-3), private to fwd/l2_*.c: one
 * request at a time, every request acknowledged, the kernel's extended-ack
 * message kept for the error report.
 */
#ifndef FWD_L2_NL_H
#define FWD_L2_NL_H

#include <stddef.h>

#include <netlink/msg.h>

#include "l2.h"

#define L2_KMSG_MAX 160 /* the kernel's extended-ack message, cut */

/* Send `msg` (not freed) with NLM_F_ACK and wait for its answer. 0, or the
 * kernel's -errno with its message (may be "") in kmsg. */
int l2_nl_talk(struct l2_nl *nl, struct nl_msg *msg, char *kmsg, size_t n);

/* Send the dump request `msg` (not freed) and call fn for every message of
 * the answer. fn always returns NL_OK (it records its own errors in arg:
 * stopping early would leave the rest of the dump in the socket). 0 or
 * -errno; -EAGAIN: the dump was interrupted by a change, try again. */
int l2_nl_dump(struct l2_nl *nl, struct nl_msg *msg, int (*fn)(struct nl_msg *, void *), void *arg,
               char *kmsg, size_t n);

/* A new request: nlmsghdr of `type` with `flags` | NLM_F_REQUEST, then an
 * ifinfomsg of `family` for `ifindex`. NULL when out of memory. */
struct nl_msg *l2_link_msg(int type, int flags, int family, int ifindex);

#endif
