// SPDX-License-Identifier: GPL-2.0-or-later
/* `fwctl vpn status`: the devices as they are, named by the live plan. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpn_backend.h"

static void format_endpoint(const union wg_sockaddr *ep, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->sa.sa_family == AF_INET && inet_ntop(AF_INET, &ep->in.sin_addr, a, sizeof(a)))
		snprintf(buf, size, "%s:%u", a, ntohs(ep->in.sin_port));
	else if (ep->sa.sa_family == AF_INET6 &&
	         inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a)))
		snprintf(buf, size, "[%s]:%u", a, ntohs(ep->in6.sin6_port));
	else
		buf[0] = '\0';
}

static void peer_status(const struct fw_vpn_iface *x, const struct wg_peer *p,
                        struct fw_vpn_peer_status *s)
{
	const struct fw_vpn_peer *pp = vpn_iface_find_peer(x, p->key);
	size_t used = 0;

	vpn_key_to_b64(p->key, s->key_b64);
	snprintf(s->name, sizeof(s->name), "%s", pp ? pp->name : "");
	s->kind = !pp ? "unplanned" : pp->kind == FW_VPN_PEER_USER ? "user" : "site";
	s->allowed[0] = '\0';
	for (size_t i = 0; i < p->n_allowed && used < sizeof(s->allowed); i++) {
		char a[64];

		fw_prefix_format(&p->allowed[i], a, sizeof(a));
		used += (size_t)snprintf(s->allowed + used, sizeof(s->allowed) - used, "%s%s",
		                         i ? ", " : "", a);
	}
	if (p->has_endpoint)
		format_endpoint(&p->endpoint, s->endpoint, sizeof(s->endpoint));
	s->handshake = p->handshake_sec;
	s->rx_bytes = p->rx_bytes;
	s->tx_bytes = p->tx_bytes;
}

static int iface_status(struct vpn_backend *b, const struct fw_vpn_iface *x,
                        struct fw_vpn_iface_status *s)
{
	struct wg_device dev = {0};
	char path[WG_UAPI_PATH_MAX];
	struct wg_api api;
	int r;

	snprintf(s->ifname, sizeof(s->ifname), "%s", x->ifname);
	snprintf(s->tenant, sizeof(s->tenant), "%s", x->tenant);
	if (vpn_backend_api(b, x->ifname, false, &api, path, s->error, sizeof(s->error)) < 0)
		return 0;
	r = api.get(api.ctx, x->ifname, &dev);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		snprintf(s->error, sizeof(s->error), "reading the device (%s): %s", api.name,
		         strerror(-r));
		wg_device_clear(&dev);
		return 0;
	}
	s->impl = api.name;
	s->listen_port = dev.listen_port;
	if (dev.has_public_key)
		vpn_key_to_b64(dev.public_key, s->public_key);
	wg_device_sort(&dev);
	s->peers = calloc(dev.n_peers ? dev.n_peers : 1, sizeof(*s->peers));
	if (!s->peers) {
		wg_device_clear(&dev);
		return -ENOMEM;
	}
	for (size_t i = 0; i < dev.n_peers; i++)
		peer_status(x, &dev.peers[i], &s->peers[s->n_peers++]);
	wg_device_clear(&dev);
	return 0;
}

int vpn_status_read(void *ctx, const struct fw_vpn_plan *plan, const char *tenant,
                    struct fw_vpn_status *ret)
{
	struct fw_vpn_status st = {0};
	int r = 0;

	st.ifaces = calloc(plan->n_ifaces ? plan->n_ifaces : 1, sizeof(*st.ifaces));
	if (!st.ifaces)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < plan->n_ifaces; i++)
		if (!tenant || !strcmp(plan->ifaces[i].tenant, tenant))
			r = iface_status(ctx, &plan->ifaces[i], &st.ifaces[st.n_ifaces++]);
	if (r < 0) {
		fw_vpn_status_clear(&st);
		return r;
	}
	*ret = st;
	return 0;
}
