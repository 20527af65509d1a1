/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Editing a tenant file's `vpn:` section the way a person would
 * (`fwctl vpn user add|del`, `fwctl vpn site add|del`): one entry added to
 * the end of `users:` or `sites:`, or one removed, every other byte
 * (comments, blank lines, quoting, key order) left as it was. A new entry
 * takes the indentation of the entries beside it.
 *
 * Only the text changes here: whether the address is in the pool and free,
 * whether a site's networks overlap a zone, is for the loader and checker
 * the result goes through like any policy. Pure; errors are messages for the
 * user in `err` (the file's name and the line in question in front).
 */
#ifndef FWD_EDIT_VPN_H
#define FWD_EDIT_VPN_H

#include <stddef.h>

#include "fwd/edit.h"

struct fw_vpn_user_spec {
	const char *name;
	const char *address; /* an address, or NULL / "auto": fwd picks one */
	const char *public_key;
	const char *const *groups; /* a group not yet named is a new group */
	size_t n_groups;
};

struct fw_vpn_site_spec {
	const char *name;
	const char *public_key;
	const char *const *networks; /* at least one */
	size_t n_networks;
	const char *endpoint; /* HOST:PORT, NULL: the site dials in */
	int keepalive;        /* seconds 0..65535, -1: not written */
};

/*
 * Returns 0 and *ret (a new NUL-terminated text) and *ret_len; -EEXIST (the
 * name is taken), -ENOENT (del: no such entry; add: the file has no `vpn:`
 * section), -EINVAL (a bad name, key, address or network; a file that does
 * not parse or a section written in a form this editor does not change),
 * -ENOMEM. *ret untouched on error.
 */
int fw_edit_vpn_user_add(const char *file, const char *text, size_t len,
                         const struct fw_vpn_user_spec *spec, char **ret, size_t *ret_len,
                         char *err, size_t err_size);
int fw_edit_vpn_user_del(const char *file, const char *text, size_t len, const char *name,
                         char **ret, size_t *ret_len, char *err, size_t err_size);
int fw_edit_vpn_site_add(const char *file, const char *text, size_t len,
                         const struct fw_vpn_site_spec *spec, char **ret, size_t *ret_len,
                         char *err, size_t err_size);
int fw_edit_vpn_site_del(const char *file, const char *text, size_t len, const char *name,
                         char **ret, size_t *ret_len, char *err, size_t err_size);

#endif
