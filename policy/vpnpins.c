// SPDX-License-Identifier: GPL-2.0-or-later
/* VPN users' addresses kept across applies: the pins and their text form. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fwd/vpnplan.h"
#include "util.h"

static int cmp_pin(const void *a, const void *b)
{
	const struct fw_vpn_pin *x = a, *y = b;
	int c = strcmp(x->tenant, y->tenant);

	return c ? c : strcmp(x->user, y->user);
}

const struct fw_vpn_pin *vpn_pins_find(const struct fw_vpn_pins *pins, const char *tenant,
                                       const char *user)
{
	struct fw_vpn_pin key = {0};

	if (!pins || !pins->n || strlen(tenant) > FW_NAME_MAX || strlen(user) > FW_NAME_MAX)
		return NULL;
	snprintf(key.tenant, sizeof(key.tenant), "%s", tenant);
	snprintf(key.user, sizeof(key.user), "%s", user);
	return bsearch(&key, pins->v, pins->n, sizeof(*pins->v), cmp_pin);
}

void vpn_pins_clear(struct fw_vpn_pins *pins)
{
	if (!pins)
		return;
	free(pins->v);
	pins->v = NULL;
	pins->n = 0;
}

int vpn_pins_from_plan(const struct fw_vpn_plan *vp, struct fw_vpn_pins *ret)
{
	struct fw_vpn_pins out = {0};
	size_t n = 0;

	for (size_t i = 0; i < vp->n_ifaces; i++)
		n += vp->ifaces[i].n_users;
	out.v = calloc(n ? n : 1, sizeof(*out.v));
	if (!out.v)
		return -ENOMEM;
	for (size_t i = 0; i < vp->n_ifaces; i++) {
		const struct fw_vpn_iface *f = &vp->ifaces[i];

		for (size_t j = 0; j < f->n_users; j++) {
			struct fw_vpn_pin *pin = &out.v[out.n++];

			snprintf(pin->tenant, sizeof(pin->tenant), "%s", f->tenant);
			snprintf(pin->user, sizeof(pin->user), "%s", f->users[j].user);
			pin->addr = f->users[j].addr;
		}
	}
	qsort(out.v, out.n, sizeof(*out.v), cmp_pin);
	vpn_pins_clear(ret);
	*ret = out;
	return 0;
}

bool vpn_pins_equal(const struct fw_vpn_pins *a, const struct fw_vpn_pins *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (cmp_pin(&a->v[i], &b->v[i]) || a->v[i].addr.family != b->v[i].addr.family ||
		    memcmp(a->v[i].addr.a, b->v[i].addr.a, 16))
			return false;
	return true;
}

char *vpn_pins_format(const struct fw_vpn_pins *pins)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs("# fwd: VPN users' addresses, kept for good (TENANT USER ADDRESS)\n", f);
	for (size_t i = 0; i < pins->n; i++) {
		char a[64];

		fw_addr_format(&pins->v[i].addr, a, sizeof(a));
		fprintf(f, "%s %s %s\n", pins->v[i].tenant, pins->v[i].user, a);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* One "TENANT USER ADDRESS" line (NUL-terminated, no newline). */
static int parse_line(char *line, struct fw_vpn_pin *pin)
{
	char *save = NULL, *t = strtok_r(line, " \t", &save);
	char *u = t ? strtok_r(NULL, " \t", &save) : NULL;
	char *a = u ? strtok_r(NULL, " \t", &save) : NULL;

	if (!a || strtok_r(NULL, " \t", &save) || strlen(t) > FW_NAME_MAX ||
	    strlen(u) > FW_NAME_MAX || fw_prefix_parse(a, false, &pin->addr) < 0 ||
	    pin->addr.len != (pin->addr.family == 4 ? 32 : 128))
		return -EINVAL;
	snprintf(pin->tenant, sizeof(pin->tenant), "%s", t);
	snprintf(pin->user, sizeof(pin->user), "%s", u);
	return 0;
}

int vpn_pins_parse(const char *text, size_t len, struct fw_vpn_pins *ret, unsigned *bad_line)
{
	struct fw_vpn_pins out = {0};
	size_t cap = 0, pos = 0;
	unsigned lineno = 0;
	char line[256];

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		struct fw_vpn_pin *pin;

		lineno++;
		if (ll >= sizeof(line) || out.n >= FW_VPN_MAX_PINS)
			goto bad;
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += ll + 1;
		if (!line[strspn(line, " \t")] || line[0] == '#')
			continue;
		pin = fw_push((void **)&out.v, &out.n, &cap, sizeof(*out.v));
		if (!pin) {
			free(out.v);
			return -ENOMEM;
		}
		if (parse_line(line, pin) < 0)
			goto bad;
	}
	if (out.n)
		qsort(out.v, out.n, sizeof(*out.v), cmp_pin);
	for (size_t i = 1; i < out.n; i++)
		if (!cmp_pin(&out.v[i - 1], &out.v[i])) {
			lineno = 0; /* a user twice: no line to name after sorting */
			goto bad;
		}
	vpn_pins_clear(ret);
	*ret = out;
	return 0;
bad:
	free(out.v);
	if (bad_line)
		*bad_line = lineno;
	return -EINVAL;
}
