// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Peers synced by difference: the device as read back against the plan's
 * interface. Only what differs goes into the change, attribute by
 * attribute, so a peer that is as planned is never named and its session
 * (handshake, keys, roaming endpoint) stays as it is. No I/O here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wg.h"

struct wg_peer *wg_device_add_peer(struct wg_device *d)
{
	if (d->n_peers >= WG_MAX_DEV_PEERS)
		return NULL;
	if (d->n_peers == d->cap_peers) {
		size_t ncap = d->cap_peers ? d->cap_peers * 2 : 16;
		struct wg_peer *np = realloc(d->peers, ncap * sizeof(*np));

		if (!np)
			return NULL;
		d->peers = np;
		d->cap_peers = ncap;
	}
	memset(&d->peers[d->n_peers], 0, sizeof(*d->peers));
	return &d->peers[d->n_peers++];
}

int wg_peer_add_allowed(struct wg_peer *p, const struct fw_prefix *a)
{
	if (p->n_allowed >= WG_MAX_ALLOWED)
		return -E2BIG;
	if (p->n_allowed == p->cap_allowed) {
		size_t ncap = p->cap_allowed ? p->cap_allowed * 2 : 4;
		struct fw_prefix *na = realloc(p->allowed, ncap * sizeof(*na));

		if (!na)
			return -ENOMEM;
		p->allowed = na;
		p->cap_allowed = ncap;
	}
	p->allowed[p->n_allowed++] = *a;
	return 0;
}

static int cmp_peer(const void *a, const void *b)
{
	return vpn_key_cmp(((const struct wg_peer *)a)->key, ((const struct wg_peer *)b)->key);
}

void wg_device_sort(struct wg_device *d)
{
	if (d->n_peers)
		qsort(d->peers, d->n_peers, sizeof(*d->peers), cmp_peer);
	for (size_t i = 0; i < d->n_peers; i++)
		if (d->peers[i].n_allowed)
			qsort(d->peers[i].allowed, d->peers[i].n_allowed, sizeof(struct fw_prefix),
			      vpn_prefix_cmp);
}

void wg_device_clear(struct wg_device *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_peers; i++)
		free(d->peers[i].allowed);
	free(d->peers);
	wg_key_wipe(d, sizeof(*d));
}

static void plan_endpoint(const struct fw_vpn_endpoint *e, wg_resolve_fn resolve,
                          union wg_sockaddr *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (e->family == 0 && e->host[0] && resolve && resolve(e, ret) < 0)
		memset(ret, 0, sizeof(*ret));
	if (e->family == 4) {
		ret->in.sin_family = AF_INET;
		memcpy(&ret->in.sin_addr, e->addr, 4);
		ret->in.sin_port = htons(e->port);
	} else if (e->family == 6) {
		ret->in6.sin6_family = AF_INET6;
		memcpy(&ret->in6.sin6_addr, e->addr, 16);
		ret->in6.sin6_port = htons(e->port);
	}
}

static bool endpoint_equal(const union wg_sockaddr *a, const union wg_sockaddr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		       !memcmp(&a->in.sin_addr, &b->in.sin_addr, 4);
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16);
	return true;
}

static bool allowed_equal(const struct wg_peer *d, const struct fw_vpn_peer *p)
{
	if (d->n_allowed != p->n_allowed)
		return false;
	for (size_t i = 0; i < p->n_allowed; i++)
		if (vpn_prefix_cmp(&d->allowed[i], &p->allowed[i]))
			return false;
	return true;
}

/* The planned peer, or only what differs from the device's (dev NULL: new). */
static int want_peer(struct wg_device *c, const struct wg_peer *dev, const struct fw_vpn_peer *p,
                     wg_resolve_fn resolve, struct wg_sync_stats *st)
{
	union wg_sockaddr ep;
	bool set_ep, set_ka, set_allowed;
	struct wg_peer *n;
	int r = 0;

	if (p->has_endpoint)
		plan_endpoint(&p->endpoint, resolve, &ep);
	else
		memset(&ep, 0, sizeof(ep));
	/* Users roam: their endpoint is whatever they last came from. A
	 * site's name that does not resolve leaves the endpoint as it is. */
	set_ep = p->has_endpoint && ep.sa.sa_family &&
	         (!dev || !dev->has_endpoint || !endpoint_equal(&dev->endpoint, &ep));
	set_ka = dev ? dev->keepalive != p->keepalive : p->keepalive != 0;
	set_allowed = !dev || !allowed_equal(dev, p);
	if (dev && !set_ep && !set_ka && !set_allowed) {
		st->kept++;
		return 0;
	}
	if (!(n = wg_device_add_peer(c)))
		return -ENOMEM;
	memcpy(n->key, p->key, WG_KEY_LEN);
	n->update_only = dev != NULL;
	n->set_endpoint = n->has_endpoint = set_ep;
	n->endpoint = ep;
	n->set_keepalive = set_ka;
	n->keepalive = p->keepalive;
	n->replace_allowed = set_allowed;
	for (size_t i = 0; set_allowed && r == 0 && i < p->n_allowed; i++)
		r = wg_peer_add_allowed(n, &p->allowed[i]);
	if (dev)
		st->updated++;
	else
		st->added++;
	return r;
}

static int remove_peer(struct wg_device *c, const struct wg_peer *dev, struct wg_sync_stats *st)
{
	struct wg_peer *n = wg_device_add_peer(c);

	if (!n)
		return -ENOMEM;
	memcpy(n->key, dev->key, WG_KEY_LEN);
	n->remove = true;
	st->removed++;
	return 0;
}

int wg_sync_diff(const struct wg_device *dev, const struct fw_vpn_iface *want,
                 wg_resolve_fn resolve, struct wg_device *ret_change,
                 struct wg_sync_stats *ret_stats)
{
	struct wg_device c = {0};
	struct wg_sync_stats st = {0};
	size_t i = 0, j = 0;
	int r = 0;

	snprintf(c.ifname, sizeof(c.ifname), "%s", want->ifname);
	if (!dev->set_listen_port || dev->listen_port != want->listen_port) {
		c.set_listen_port = true;
		c.listen_port = want->listen_port;
	}
	/* Both sorted by key: one merge. */
	while (r == 0 && (i < dev->n_peers || j < want->n_peers)) {
		int cmp = i == dev->n_peers    ? 1
		          : j == want->n_peers ? -1
		                               : vpn_key_cmp(dev->peers[i].key, want->peers[j].key);

		if (cmp < 0)
			r = remove_peer(&c, &dev->peers[i++], &st);
		else if (cmp > 0)
			r = want_peer(&c, NULL, &want->peers[j++], resolve, &st);
		else
			r = want_peer(&c, &dev->peers[i++], &want->peers[j++], resolve, &st);
	}
	if (r < 0) {
		wg_device_clear(&c);
		return r;
	}
	*ret_change = c;
	if (ret_stats)
		*ret_stats = st;
	return 0;
}

bool wg_change_empty(const struct wg_device *c)
{
	return !c->has_private_key && !c->set_listen_port && c->n_peers == 0;
}

int wg_resolve(const struct fw_vpn_endpoint *e, union wg_sockaddr *ret)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	char port[8];
	int r;

	snprintf(port, sizeof(port), "%u", e->port);
	r = getaddrinfo(e->host, port, &hints, &ai);
	if (r != 0)
		return r == EAI_MEMORY ? -ENOMEM : -EHOSTUNREACH;
	r = -EAFNOSUPPORT;
	if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6) {
		memset(ret, 0, sizeof(*ret));
		memcpy(ret, ai->ai_addr, ai->ai_addrlen);
		r = 0;
	}
	freeaddrinfo(ai);
	return r;
}
