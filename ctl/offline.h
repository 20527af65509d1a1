/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loading a policy for the offline commands (check, compile, explain) as
 * the daemon would: with the VPN users' addresses fwd keeps in its state
 * directory (STATE_DIR/vpn-addresses), so an `address: auto` user has the
 * same address offline as live. Without that file (no daemon here, or no
 * user was ever given an address) users get addresses in file order, as
 * fwd does on its first apply.
 */
#ifndef FWCTL_OFFLINE_H
#define FWCTL_OFFLINE_H

#include <stddef.h>

#include "fwd/diag.h"
#include "fwd/policy.h"

/* fwd's default --state-dir (fwd(8)). */
#define FWD_DEFAULT_STATE_DIR "/var/lib/fwd"

/* A leading `--state-dir DIR` or `--state-dir=DIR`: taken out of
 * argc and argv into *state_dir (left NULL without one). 0, or -EINVAL with
 * the usage error printed. */
int ctl_offline_args(const char *cmd, int *argc, char ***argv, const char **state_dir);

/* policy_load_paths with the pins of STATE_DIR (NULL: the default
 * directory). A pins file that exists but cannot be read or parsed: for an
 * explicit directory an error (printed; -EIO), for the default one a note on
 * stderr when the policy has `address: auto` users, and no pins. */
int ctl_offline_load(const char *cmd, const char *const *paths, size_t n_paths,
                     const char *state_dir, struct fw_diags *d, struct fw_policy **ret);

#endif
