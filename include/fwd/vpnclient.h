/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a VPN user's own device needs (`fwctl vpn user add`): the prefixes
 * its tunnel should carry, and its wg-quick configuration as text.
 *
 * AllowedIPs is limited to what the user may reach: the destinations of
 * every rule, egress and management entry whose `from` takes the user in
 * (vpn:USER, a vpn:group:G the user is in, vpn:all, a group holding one of
 * those, a prefix holding the user's address), as prefixes of the user's
 * address family, sorted, each one not inside another. Everything else
 * stays off the tunnel on the client's side too.
 *
 * Pure: no I/O, no root. The configuration holds the private key: the
 * caller wipes the returned text before freeing it.
 */
#ifndef FWD_VPNCLIENT_H
#define FWD_VPNCLIENT_H

#include <stddef.h>

#include "fwd/policy.h"

/* 0 and *ret (sorted, may be empty: *ret_n 0, *ret NULL), -ENOENT (no
 * such tenant or user, or a user without an address), -ENOMEM. */
int vpn_client_allowed_ips(const struct fw_policy *p, const char *tenant, const char *user,
                           struct fw_prefix **ret, size_t *ret_n);
/* "10.41.10.0/24, 10.41.99.1/32": a new string (NULL: no memory). */
char *vpn_client_prefixes_text(const struct fw_prefix *v, size_t n);

struct vpn_client_conf {
	const char *private_key; /* base64 */
	const char *address;     /* "10.41.99.2/32" */
	const char *dns;         /* "10.41.10.53, 10.41.10.54" or NULL */
	const char *server_key;  /* the firewall interface's public key */
	const char *endpoint;    /* "203.0.113.40:51840" or NULL */
	const char *allowed_ips; /* as vpn_client_prefixes_text, NULL or "": none */
	unsigned keepalive;      /* seconds, 0: none */
};

/* wg-quick's format: [Interface] PrivateKey, Address, DNS; [Peer]
 * PublicKey, Endpoint, AllowedIPs, PersistentKeepalive; lines absent when
 * their value is. A new string, NULL on allocation failure. */
char *vpn_client_config_render(const struct vpn_client_conf *c);

#endif
