// SPDX-License-Identifier: GPL-2.0-or-later
/* The VPN backend (fwd/vpn_backend.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpn_backend.h"

struct vpn_backend {
	struct vpn_backend_opts o;
	struct wg_link *link;
	struct wg_genl *genl; /* NULL: the kernel has no wireguard family */
	struct fw_vpn_pins pins;
	struct fw_load_opts load_opts;
	char pins_path[4096];
};

static int read_pins(struct vpn_backend *b, char *msg, size_t size)
{
	return vpn_pins_read(b->pins_path, &b->pins, msg, size);
}

/* Written whole to a temporary file, synced, renamed over the old one. */
static int write_pins(struct vpn_backend *b, const struct fw_vpn_pins *pins)
{
	char tmp[4200];
	char *text = vpn_pins_format(pins);
	size_t len;
	int fd, r = 0;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), "%s.new", b->pins_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		r = -errno;
	else {
		if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
			r = errno ? -errno : -EIO;
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r == 0 && rename(tmp, b->pins_path) < 0)
			r = -errno;
		if (r < 0)
			unlink(tmp);
	}
	free(text);
	return r;
}

int vpn_backend_new(const struct vpn_backend_opts *o, struct vpn_backend **ret, char *msg,
                    size_t size)
{
	struct vpn_backend *b = calloc(1, sizeof(*b));
	int r;

	*msg = '\0';
	if (!b) {
		snprintf(msg, size, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	b->o = *o;
	b->load_opts.vpn_pins = &b->pins;
	if ((r = wg_keys_init()) < 0) {
		snprintf(msg, size, "libsodium: cannot initialise");
		goto fail;
	}
	if (snprintf(b->pins_path, sizeof(b->pins_path), "%s/%s", o->state_dir, VPN_PINS_FILE) >=
	    (int)sizeof(b->pins_path)) {
		r = -ENAMETOOLONG;
		goto fail;
	}
	if ((r = read_pins(b, msg, size)) < 0)
		goto fail;
	if ((r = wg_link_open(o->mode, o->wireguard_go, &b->link)) < 0) {
		snprintf(msg, size, "rtnetlink: %s", strerror(-r));
		goto fail;
	}
	r = o->mode == WG_MODE_USERSPACE ? -ENOENT : wg_genl_open(&b->genl);
	if (r < 0 && r != -ENOENT) {
		snprintf(msg, size, "generic netlink: %s", strerror(-r));
		goto fail;
	}
	*ret = b;
	return 0;
fail:
	if (!*msg)
		snprintf(msg, size, "%s", strerror(-r));
	vpn_backend_free(b);
	return r;
}

void vpn_backend_free(struct vpn_backend *b)
{
	if (!b)
		return;
	wg_genl_close(b->genl);
	wg_link_close(b->link);
	vpn_pins_clear(&b->pins);
	free(b);
}

const struct fw_load_opts *vpn_backend_load_opts(const struct vpn_backend *b)
{
	return &b->load_opts;
}

int vpn_backend_api(struct vpn_backend *b, const char *ifname, bool userspace, struct wg_api *ret,
                    char path[WG_UAPI_PATH_MAX], char *msg, size_t size)
{
	wg_link_uapi_path(b->link, ifname, path);
	if (userspace || wg_uapi_present(path, NULL)) {
		*ret = wg_uapi_api(path);
		return 0;
	}
	if (!b->genl && wg_genl_open(&b->genl) < 0) {
		snprintf(msg, size,
		         "%s: neither a wireguard-go socket nor the kernel's WireGuard API answers",
		         ifname);
		return -ENODEV;
	}
	*ret = wg_genl_api(b->genl);
	return 0;
}

/* Make one interface as planned; stats say what the peers' sync did. */
static int sync_iface(struct vpn_backend *b, const struct fw_vpn_iface *x,
                      const struct fw_vpn_iface *old, struct wg_sync_stats *st, bool *key_set,
                      char *msg, size_t size)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	struct wg_device dev = {0}, change = {0};
	char path[WG_UAPI_PATH_MAX];
	struct wg_api api;
	bool userspace;
	int r;

	*msg = '\0';
	r = wg_key_load_or_create(b->o.state_dir, x->key_file, priv, msg, size);
	if (r < 0)
		return r;
	if ((r = wg_key_public(priv, pub)) < 0)
		goto out;
	if ((r = wg_link_ensure(b->link, x, old, &userspace, msg, size)) < 0)
		goto out;
	if ((r = vpn_backend_api(b, x->ifname, userspace, &api, path, msg, size)) < 0)
		goto out;
	if ((r = api.get(api.ctx, x->ifname, &dev)) < 0) {
		snprintf(msg, size, "%s: reading the device (%s): %s", x->ifname, api.name,
		         strerror(-r));
		goto out;
	}
	wg_device_sort(&dev);
	if ((r = wg_sync_diff(&dev, x, wg_resolve, &change, st)) < 0)
		goto out;
	if (!dev.has_public_key || memcmp(dev.public_key, pub, WG_KEY_LEN)) {
		memcpy(change.private_key, priv, WG_KEY_LEN);
		change.has_private_key = true;
		*key_set = true;
	}
	if (!wg_change_empty(&change) && (r = api.set(api.ctx, &change)) < 0)
		snprintf(msg, size, "%s: configuring the device (%s): %s", x->ifname, api.name,
		         strerror(-r));
out:
	wg_key_wipe(priv, sizeof(priv));
	wg_device_clear(&change);
	wg_device_clear(&dev);
	if (r < 0 && !*msg)
		snprintf(msg, size, "%s: %s", x->ifname, strerror(-r));
	return r;
}

static void save_pins(struct vpn_backend *b, const struct fw_plan *plan, struct fw_diags *d)
{
	struct fw_vpn_pins now = {0};
	int r = vpn_pins_from_plan(&plan->vpn, &now);

	if (r == 0 && !vpn_pins_equal(&now, &b->pins)) {
		r = write_pins(b, &now);
		if (r == 0) {
			vpn_pins_clear(&b->pins);
			b->pins = now;
			now = (struct fw_vpn_pins){0};
		}
	}
	if (r < 0)
		fw_warning(d, NULL, "vpn: cannot keep the users' addresses in %s: %s", b->pins_path,
		           strerror(-r));
	vpn_pins_clear(&now);
}

static int apply_plan(struct vpn_backend *b, const struct fw_plan *old, const struct fw_plan *plan,
                      struct fw_diags *diags)
{
	char msg[512];
	int r = 0;

	for (size_t i = 0; r == 0 && i < plan->vpn.n_ifaces; i++) {
		const struct fw_vpn_iface *x = &plan->vpn.ifaces[i];
		const struct fw_vpn_iface *was = old ? vpn_plan_find(&old->vpn, x->ifname) : NULL;
		struct wg_sync_stats st;
		bool key_set = false;

		/* Like the nftables layer: an interface whose plan did not change
		 * is not touched (what others changed there, the drift check
		 * repairs). */
		if (was && vpn_iface_equal(was, x))
			continue;
		r = sync_iface(b, x, was, &st, &key_set, msg, sizeof(msg));
		if (r < 0)
			fw_error(diags, NULL, "vpn %s: %s", x->tenant, msg);
	}
	/* Interfaces the plan no longer has go, with their peers. */
	for (size_t i = 0; r == 0 && old && i < old->vpn.n_ifaces; i++) {
		const char *ifname = old->vpn.ifaces[i].ifname;

		if (vpn_plan_find(&plan->vpn, ifname))
			continue;
		r = wg_link_delete(b->link, ifname);
		if (r < 0)
			fw_error(diags, NULL, "vpn %s: deleting %s: %s", old->vpn.ifaces[i].tenant,
			         ifname, strerror(-r));
	}
	return r;
}

int vpn_backend_apply(void *ctx, const struct fw_plan *old, const struct fw_plan *plan,
                      struct fw_diags *diags)
{
	struct vpn_backend *b = ctx;
	int r = apply_plan(b, old, plan, diags);

	if (r == 0)
		save_pins(b, plan, diags);
	else if (old) {
		/* Like the other layers: what this one owns goes back as it was
		 * (best effort; its errors are already reported above). */
		struct fw_diags ignore = {0};
		(void)apply_plan(b, plan, old, &ignore);
		fw_diags_free(&ignore);
	}
	return r;
}

int vpn_backend_check(void *ctx, const struct fw_plan *plan, struct fw_drift *ret,
                      struct fw_diags *diags)
{
	struct vpn_backend *b = ctx;
	size_t used = strlen(ret->detail);
	char msg[512];
	int r = 0;

	for (size_t i = 0; i < plan->vpn.n_ifaces; i++) {
		const struct fw_vpn_iface *x = &plan->vpn.ifaces[i];
		struct wg_sync_stats st = {0};
		bool key_set = false;
		int e = sync_iface(b, x, x, &st, &key_set, msg, sizeof(msg));

		if (e < 0) {
			fw_error(diags, NULL, "vpn %s: %s", x->tenant, msg);
			r = r ? r : e;
			continue;
		}
		if (!st.added && !st.updated && !st.removed && !key_set)
			continue;
		ret->tables++;
		ret->repaired = true;
		used += (size_t)snprintf(
		    ret->detail + used, used < sizeof(ret->detail) ? sizeof(ret->detail) - used : 0,
		    "%s%s: peers %zu added, %zu changed, %zu removed%s", used ? "; " : "",
		    x->ifname, st.added, st.updated, st.removed, key_set ? ", key set" : "");
		if (used >= sizeof(ret->detail))
			used = sizeof(ret->detail) - 1;
	}
	return r;
}
