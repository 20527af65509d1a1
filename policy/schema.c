// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"
#include "util.h"

struct fw_loc s_loc(const struct sctx *c, const struct ynode *n)
{
	struct fw_loc loc = {.file = c->t->file};

	if (n) {
		loc.line = n->loc.line;
		loc.col = n->loc.col;
	}
	return loc;
}

static void s_vadd(struct sctx *c, enum fw_severity sev, const struct fw_loc *loc, const char *fmt,
                   va_list ap) __attribute__((format(printf, 4, 0)));

static void s_vadd(struct sctx *c, enum fw_severity sev, const struct fw_loc *loc, const char *fmt,
                   va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (fw_diag_add(c->diags, sev, loc, "%s", buf) < 0)
		c->oom = -ENOMEM;
}

void s_err_at(struct sctx *c, const struct fw_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s_vadd(c, FW_SEV_ERROR, loc, fmt, ap);
	va_end(ap);
}

void s_warn_at(struct sctx *c, const struct fw_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s_vadd(c, FW_SEV_WARNING, loc, fmt, ap);
	va_end(ap);
}

void s_err(struct sctx *c, const struct ynode *n, const char *fmt, ...)
{
	struct fw_loc loc = s_loc(c, n);
	va_list ap;

	va_start(ap, fmt);
	s_vadd(c, FW_SEV_ERROR, &loc, fmt, ap);
	va_end(ap);
}

void s_warn(struct sctx *c, const struct ynode *n, const char *fmt, ...)
{
	struct fw_loc loc = s_loc(c, n);
	va_list ap;

	va_start(ap, fmt);
	s_vadd(c, FW_SEV_WARNING, &loc, fmt, ap);
	va_end(ap);
}

bool s_is_null(const struct ynode *n)
{
	return !n || (n->kind == YN_SCALAR && n->plain &&
	              (n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null")));
}

const char *s_found(const struct ynode *n, char *buf, size_t size)
{
	size_t o = 0;

	if (!n || s_is_null(n))
		return "an empty value";
	if (n->kind == YN_MAP)
		return "a mapping";
	if (n->kind == YN_SEQ)
		return "a list";
	buf[o++] = '\'';
	for (size_t i = 0; i < n->len && o + 8 < size; i++) {
		unsigned char ch = (unsigned char)n->str[i];
		if (i == 40) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (isprint(ch)) {
			buf[o++] = (char)ch;
		} else {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
		}
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

bool s_is_map(struct sctx *c, const struct ynode *n, const char *what)
{
	char fb[64];

	if (n && n->kind == YN_MAP)
		return true;
	s_err(c, n, "%s: expected a mapping, found %s", what, s_found(n, fb, sizeof(fb)));
	return false;
}

bool s_is_seq(struct sctx *c, const struct ynode *n, const char *what)
{
	char fb[64];

	if (n && n->kind == YN_SEQ)
		return true;
	s_err(c, n, "%s: expected a list, found %s", what, s_found(n, fb, sizeof(fb)));
	return false;
}

void s_walk(struct sctx *c, const struct ynode *map, const char *what, const struct s_key *keys,
            size_t n_keys, void *obj)
{
	bool seen[32] = {0};

	if (n_keys > ARRAY_SIZE(seen) || !s_is_map(c, map, what))
		return;
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->keys[i]->str;
		size_t j;

		for (j = 0; j < n_keys; j++)
			if (!strcmp(k, keys[j].name))
				break;
		if (j == n_keys) {
			char list[512];
			size_t o = 0;

			list[0] = '\0';
			for (size_t m = 0; m < n_keys && o < sizeof(list); m++)
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
				                      m ? ", " : "", keys[m].name);
			s_err(c, map->keys[i], "unknown key '%.64s' in %s (expected one of: %s)", k,
			      what, list);
			continue;
		}
		seen[j] = true;
		keys[j].fn(c, map->vals[i], obj);
	}
	for (size_t j = 0; j < n_keys; j++)
		if (keys[j].required && !seen[j])
			s_err(c, map, "%s: missing required key '%s'", what, keys[j].name);
}

bool s_str(struct sctx *c, const struct ynode *n, const char *key, const char **ret)
{
	char fb[64];

	if (!n || n->kind != YN_SCALAR || s_is_null(n)) {
		s_err(c, n, "%s: expected a string, found %s", key, s_found(n, fb, sizeof(fb)));
		return false;
	}
	*ret = n->str;
	return true;
}

bool s_strdup(struct sctx *c, const struct ynode *n, const char *key, char **ret)
{
	const char *s;

	if (!s_str(c, n, key, &s))
		return false;
	free(*ret);
	*ret = strdup(s);
	if (!*ret) {
		c->oom = -ENOMEM;
		return false;
	}
	return true;
}

static const char *const reserved[] = {"all", "any", "firewall", "internet"};

bool s_valid_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > FW_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return false;
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (!strcmp(s, reserved[i]))
			return false;
	return true;
}

bool s_name(struct sctx *c, const struct ynode *n, const char *key, const char **ret)
{
	char fb[64];
	const char *s;

	if (!s_str(c, n, key, &s))
		return false;
	if (!s_valid_name(s)) {
		s_err(c, n,
		      "%s: expected a name (a lowercase letter, then up to 31 of a-z 0-9 - _; not "
		      "all/any/firewall/internet), found %s",
		      key, s_found(n, fb, sizeof(fb)));
		return false;
	}
	*ret = s;
	return true;
}

bool s_uint(struct sctx *c, const struct ynode *n, const char *key, unsigned long lo,
            unsigned long hi, const char *desc, unsigned long *ret)
{
	char fb[64];
	unsigned long v;

	if (n && n->kind == YN_SCALAR && !n->plain) {
		s_err(c, n,
		      "%s: expected %s from %lu to %lu, found the quoted string %s (write numbers "
		      "without quotes)",
		      key, desc, lo, hi, s_found(n, fb, sizeof(fb)));
		return false;
	}
	if (!n || n->kind != YN_SCALAR || fw_parse_ulong(n->str, hi, &v) < 0 || v < lo) {
		s_err(c, n, "%s: expected %s from %lu to %lu, found %s", key, desc, lo, hi,
		      s_found(n, fb, sizeof(fb)));
		return false;
	}
	*ret = v;
	return true;
}

bool s_bool(struct sctx *c, const struct ynode *n, const char *key, bool *ret)
{
	char fb[64];

	if (n && n->kind == YN_SCALAR && n->plain) {
		if (!strcmp(n->str, "true")) {
			*ret = true;
			return true;
		}
		if (!strcmp(n->str, "false")) {
			*ret = false;
			return true;
		}
	}
	s_err(c, n, "%s: expected true or false, found %s", key, s_found(n, fb, sizeof(fb)));
	return false;
}

bool s_ifname(struct sctx *c, const struct ynode *n, const char *key, char ret[16])
{
	char fb[64];
	const char *s;
	size_t len;

	if (!s_str(c, n, key, &s))
		return false;
	len = strlen(s);
	bool ok = len > 0 && len <= FW_IFNAME_MAX && strcmp(s, ".") && strcmp(s, "..");
	for (size_t i = 0; ok && i < len; i++)
		ok = isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.';
	if (!ok) {
		s_err(c, n,
		      "%s: expected an interface name (1 to 15 of A-Z a-z 0-9 . - _), found %s",
		      key, s_found(n, fb, sizeof(fb)));
		return false;
	}
	memcpy(ret, s, len + 1);
	return true;
}

static const char *family_word(int want)
{
	return want == 4 ? "an IPv4" : want == 6 ? "an IPv6" : "an IPv4 or IPv6";
}

bool s_addr(struct sctx *c, const struct ynode *n, const char *key, int want, struct fw_prefix *ret)
{
	char fb[64];
	const char *s;
	struct fw_prefix p;

	if (!s_str(c, n, key, &s))
		return false;
	if (strchr(s, '/') || fw_prefix_parse(s, false, &p) < 0 || (want && p.family != want)) {
		s_err(c, n, "%s: expected %s address like %s, found %s", key, family_word(want),
		      want == 6 ? "2001:db8::10" : "10.0.0.10", s_found(n, fb, sizeof(fb)));
		return false;
	}
	*ret = p;
	return true;
}

bool s_subnet(struct sctx *c, const struct ynode *n, const char *key, int want,
              struct fw_prefix *ret)
{
	char fb[64], net[64];
	const char *s;
	struct fw_prefix p;
	int r;

	if (!s_str(c, n, key, &s))
		return false;
	r = strchr(s, '/') ? fw_prefix_parse(s, false, &p) : -EINVAL;
	if (r == -EDOM) {
		fw_prefix_parse(s, true, &p);
		fw_prefix_network(&p);
		fw_prefix_format(&p, net, sizeof(net));
		s_err(c, n, "%s: %s has host bits set, expected the network address %s", key,
		      s_found(n, fb, sizeof(fb)), net);
		return false;
	}
	if (r < 0 || (want && p.family != want)) {
		s_err(c, n, "%s: expected %s prefix like %s, found %s", key, family_word(want),
		      want == 6 ? "2001:db8:10::/64" : "10.0.0.0/24", s_found(n, fb, sizeof(fb)));
		return false;
	}
	*ret = p;
	return true;
}

void s_each_scalar(struct sctx *c, const struct ynode *n, const char *key,
                   void (*fn)(struct sctx *c, const struct ynode *item, void *obj), void *obj)
{
	char fb[64];

	if (n && n->kind == YN_SCALAR && !s_is_null(n)) {
		fn(c, n, obj);
		return;
	}
	if (!n || n->kind != YN_SEQ || n->n == 0) {
		s_err(c, n, "%s: expected a name or a list of names, found %s", key,
		      n && n->kind == YN_SEQ ? "an empty list" : s_found(n, fb, sizeof(fb)));
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->vals[i];
		if (it->kind != YN_SCALAR || s_is_null(it)) {
			s_err(c, it, "%s: expected a name, found %s", key,
			      s_found(it, fb, sizeof(fb)));
			continue;
		}
		fn(c, it, obj);
	}
}
