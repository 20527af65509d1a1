// SPDX-License-Identifier: GPL-2.0-or-later
/* One VPN user or site into or out of a tenant file's text (fwd/edit_vpn.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit_int.h"
#include "fwd/edit_vpn.h"
#include "fwd/vpnplan.h"
#include "schema.h"
#include "ytree.h"

/* The `users:` or `sites:` map of the vpn section, as found. */
struct section {
	struct ydoc *doc;
	const struct ynode *vpn;       /* the vpn map */
	const struct ynode *key, *val; /* users: / sites:, NULL when absent */
};

static size_t indent_at(const struct edit_text *t, unsigned L, bool *blank)
{
	size_t len, i = 0;
	const char *s = edit_text_line(t, L, &len);

	while (i < len && s[i] == ' ')
		i++;
	*blank = i == len;
	return i;
}

static char char_at(const struct edit_text *t, const struct ynode *n)
{
	size_t len;
	const char *s = edit_text_line(t, n->loc.line, &len);

	return n->loc.col - 1 < len ? s[n->loc.col - 1] : '\0';
}

static unsigned last_line(const struct ynode *n, unsigned depth)
{
	unsigned m = n->loc.line;

	for (size_t i = 0; depth < YT_MAX_DEPTH && n->kind != YN_SCALAR && i < n->n; i++) {
		unsigned k = last_line(n->vals[i], depth + 1);
		if (k > m)
			m = k;
	}
	return m;
}

/* The last line of an entry whose key is indented `indent`: its last node's
 * line, then the lines indented deeper that continue it (a value over
 * several lines, a comment inside the entry). */
static unsigned entry_end(const struct edit_text *t, const struct ynode *val, size_t indent)
{
	unsigned end = last_line(val, 0);
	bool blank;

	while (end < t->n_lines && indent_at(t, end + 1, &blank) > indent && !blank)
		end++;
	return end;
}

static int section_find(const char *file, const struct edit_text *t, const char *which,
                        struct section *sec, char *err, size_t size)
{
	struct fw_diags d = {0};
	const struct ynode *root;
	int r = ydoc_parse(file, t->s, t->len, &d, &sec->doc);

	if (r < 0 || fw_diags_has_errors(&d)) {
		char *msg = d.n ? fw_diag_format(&d.v[0]) : NULL;
		r = r == -ENOMEM
		        ? r
		        : fw_errf(err, size, -EINVAL, "%s", msg ? msg : "the file does not parse");
		free(msg);
		fw_diags_free(&d);
		return r;
	}
	fw_diags_free(&d);
	root = sec->doc->root;
	if (!root || root->kind != YN_MAP || char_at(t, root) == '{')
		return fw_errf(err, size, -EINVAL,
		               "%s: not a tenant file fwctl edits (a block mapping)", file);
	sec->vpn = ymap_get(root, "vpn");
	if (!sec->vpn || sec->vpn->kind != YN_MAP || sec->vpn->n == 0)
		return fw_errf(
		    err, size, -ENOENT,
		    "%s: the tenant has no vpn: section (listen_port, pool); add it first", file);
	if (char_at(t, sec->vpn) == '{')
		return fw_errf(
		    err, size, -EINVAL,
		    "%s:%u:%u: vpn: written as a flow mapping ({...}); fwctl does not edit "
		    "it; edit the file",
		    file, sec->vpn->loc.line, sec->vpn->loc.col);
	for (size_t i = 0; i < sec->vpn->n; i++)
		if (!strcmp(sec->vpn->keys[i]->str, which)) {
			sec->key = sec->vpn->keys[i];
			sec->val = sec->vpn->vals[i];
		}
	if (sec->val &&
	    !(sec->val->kind == YN_MAP && (sec->val->n == 0 || char_at(t, sec->val) != '{')) &&
	    !(sec->val->kind == YN_SCALAR && sec->val->plain && sec->val->len == 0))
		return fw_errf(
		    err, size, -EINVAL,
		    "%s:%u:%u: %s: written in a form fwctl does not edit (not a mapping, or "
		    "a flow mapping); edit the file",
		    file, sec->val->loc.line, sec->val->loc.col, which);
	return 0;
}

static const struct ynode *entry_find(const struct section *sec, const char *name, size_t *ret_i)
{
	for (size_t i = 0; sec->val && sec->val->kind == YN_MAP && i < sec->val->n; i++)
		if (!strcmp(sec->val->keys[i]->str, name)) {
			*ret_i = i;
			return sec->val->keys[i];
		}
	return NULL;
}

/* Writes the entry's lines: the name at `ind`, its keys at `sub`. */
typedef void (*put_fn)(FILE *f, const void *spec, unsigned ind, unsigned sub, const char *nl);

static void put_flow_list(FILE *f, const char *const *v, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		edit_put_value(f, v[i]);
	}
	fputc(']', f);
}

static void put_user(FILE *f, const void *spec, unsigned ind, unsigned sub, const char *nl)
{
	const struct fw_vpn_user_spec *u = spec;
	const char *a = u->address ? u->address : "auto";

	fprintf(f, "%*s%s:%s", (int)ind, "", u->name, nl);
	/* an address checked to parse: plain unless YAML would read ':' first */
	if (a[0] == ':')
		fprintf(f, "%*saddress: \"%s\"%s", (int)sub, "", a, nl);
	else
		fprintf(f, "%*saddress: %s%s", (int)sub, "", a, nl);
	fprintf(f, "%*spublic_key: \"%s\"%s", (int)sub, "", u->public_key, nl);
	if (u->n_groups) {
		fprintf(f, "%*sgroups: ", (int)sub, "");
		put_flow_list(f, u->groups, u->n_groups);
		fputs(nl, f);
	}
}

static void put_site(FILE *f, const void *spec, unsigned ind, unsigned sub, const char *nl)
{
	const struct fw_vpn_site_spec *s = spec;

	fprintf(f, "%*s%s:%s", (int)ind, "", s->name, nl);
	if (s->endpoint) {
		fprintf(f, "%*sendpoint: ", (int)sub, "");
		edit_put_value(f, s->endpoint);
		fputs(nl, f);
	}
	fprintf(f, "%*spublic_key: \"%s\"%s", (int)sub, "", s->public_key, nl);
	fprintf(f, "%*snetworks: ", (int)sub, "");
	put_flow_list(f, s->networks, s->n_networks);
	fputs(nl, f);
	if (s->keepalive >= 0)
		fprintf(f, "%*skeepalive: %d%s", (int)sub, "", s->keepalive, nl);
}

/* Where the new entry goes and how it is indented. */
static int place(const struct edit_text *t, const struct section *sec, const char *which, FILE *f,
                 size_t *a, size_t *b, size_t *c, unsigned *ind, unsigned *sub, char *err,
                 size_t size)
{
	bool blank;

	if (sec->val && sec->val->kind == YN_MAP && sec->val->n > 0) {
		const struct ynode *k0 = sec->val->keys[0], *v0 = sec->val->vals[0];
		size_t i = sec->val->n - 1;
		unsigned end;

		*ind = k0->loc.col - 1;
		if (indent_at(t, k0->loc.line, &blank) != *ind)
			return fw_errf(
			    err, size, -EINVAL,
			    "%s:%u:%u: %s: an entry not on a line of its own; edit the file",
			    sec->doc->file, k0->loc.line, k0->loc.col, which);
		*sub = v0->kind == YN_MAP && v0->n && v0->keys[0]->loc.line > k0->loc.line
		           ? v0->keys[0]->loc.col - 1
		           : *ind + 2;
		end = entry_end(t, sec->val->vals[i], sec->val->keys[i]->loc.col - 1);
		if (end == t->n_lines && !(t->len && t->s[t->len - 1] == '\n'))
			fputs(t->nl, f);
		*a = *b = *c = t->off[end];
		return 0;
	}
	if (sec->key) {
		/* `users:` or `users: {}`: the entries go under the key's line and
		 * the "{}" goes; a comment on the line stays. */
		unsigned L = sec->key->loc.line;
		size_t len, start = t->off[L - 1];
		const char *p = edit_text_line(t, L, &len);
		size_t eol = (size_t)(p - t->s) + len;

		*ind = sec->key->loc.col - 1 + 2;
		*sub = *ind + 2;
		if (sec->val->kind == YN_MAP) {
			size_t open = start + sec->val->loc.col - 1;
			const char *close = memchr(t->s + open, '}', eol - open);

			if (sec->val->loc.line != L || !close)
				return fw_errf(
				    err, size, -EINVAL,
				    "%s:%u: %s: written in a form fwctl does not edit; edit the "
				    "file",
				    sec->doc->file, L, which);
			*a = open;
			while (*a > start && t->s[*a - 1] == ' ')
				(*a)--;
			*b = (size_t)(close - t->s) + 1;
		} else {
			*a = *b = eol;
		}
		/* text[0,a) + "" ... rebuilt below: the rest of the line, then the entry */
		fwrite(t->s + *b, 1, eol - *b, f);
		fputs(t->nl, f);
		*c = L < t->n_lines ? t->off[L] : t->len;
		*b = *a;
		return 0;
	}
	/* No `users:` yet: a new key at the end of the vpn section. */
	{
		const struct ynode *vk = sec->vpn->keys[0];
		size_t i = sec->vpn->n - 1;
		unsigned end = entry_end(t, sec->vpn->vals[i], sec->vpn->keys[i]->loc.col - 1);

		if (end == t->n_lines && !(t->len && t->s[t->len - 1] == '\n'))
			fputs(t->nl, f);
		fprintf(f, "%*s%s:%s", (int)(vk->loc.col - 1), "", which, t->nl);
		*ind = vk->loc.col - 1 + 2;
		*sub = *ind + 2;
		*a = *b = *c = t->off[end];
		return 0;
	}
}

static int add(const char *file, const char *text, size_t len, const char *which, const char *what,
               const char *name, const void *spec, put_fn put, char **ret, size_t *ret_len,
               char *err, size_t size)
{
	struct edit_text t = {0};
	struct section sec = {0};
	char *ins = NULL, *out = NULL;
	size_t ins_len = 0, a = 0, b = 0, c = 0, out_len = 0, at;
	unsigned ind = 0, sub = 0;
	const struct ynode *k;
	FILE *f = NULL;
	int r = edit_text_index(file, text, len, &t, err, size);

	if (!r)
		r = section_find(file, &t, which, &sec, err, size);
	if (!r && (k = entry_find(&sec, name, &at)))
		r = fw_errf(err, size, -EEXIST, "%s:%u:%u: VPN %s '%s' already exists", file,
		            k->loc.line, k->loc.col, what, name);
	if (!r && !(f = open_memstream(&ins, &ins_len)))
		r = -ENOMEM;
	if (!r)
		r = place(&t, &sec, which, f, &a, &b, &c, &ind, &sub, err, size);
	if (!r)
		put(f, spec, ind, sub, t.nl);
	if (f && fclose(f) != 0 && !r)
		r = -ENOMEM;
	if (!r)
		r = edit_text_splice(&t, a, ins, ins_len, b, c, &out, &out_len);
	if (!r)
		r = edit_text_reads_back(file, out, out_len, err, size);
	if (!r) {
		*ret = out;
		*ret_len = out_len;
	} else {
		free(out);
	}
	if (r == -ENOMEM && !err[0])
		fw_errf(err, size, r, "out of memory");
	free(ins);
	free(t.off);
	ydoc_free(sec.doc);
	return r;
}

static int del(const char *file, const char *text, size_t len, const char *which, const char *what,
               const char *name, char **ret, size_t *ret_len, char *err, size_t size)
{
	struct edit_text t = {0};
	struct section sec = {0};
	char *out = NULL;
	size_t out_len = 0, i = 0;
	const struct ynode *k = NULL;
	bool blank;
	int r;

	err[0] = '\0';
	r = edit_check_value("name", name, err, size);
	if (!r)
		r = edit_text_index(file, text, len, &t, err, size);
	if (!r)
		r = section_find(file, &t, which, &sec, err, size);
	if (r == -ENOENT || (!r && !(k = entry_find(&sec, name, &i))))
		r = fw_errf(err, size, -ENOENT, "%s: no VPN %s '%s'", file, what, name);
	if (!r && indent_at(&t, k->loc.line, &blank) != k->loc.col - 1)
		r = fw_errf(err, size, -EINVAL,
		            "%s:%u:%u: VPN %s '%s' is not on a line of its own; edit the file",
		            file, k->loc.line, k->loc.col, what, name);
	if (!r) {
		unsigned end = entry_end(&t, sec.val->vals[i], k->loc.col - 1);
		size_t from = t.off[k->loc.line - 1], to = t.off[end];

		if (sec.val->n == 1) {
			/* The last one: "users: {}" keeps the section a mapping. */
			size_t kl;
			const char *p = edit_text_line(&t, sec.key->loc.line, &kl);
			const char *colon =
			    memchr(p + sec.key->loc.col - 1, ':', kl - (sec.key->loc.col - 1));
			size_t at = colon ? (size_t)(colon - t.s) + 1 : from;

			r = edit_text_splice(&t, at, " {}", colon ? 3 : 0, from, to, &out,
			                     &out_len);
		} else {
			r = edit_text_splice(&t, from, "", 0, from, to, &out, &out_len);
		}
	}
	if (!r)
		r = edit_text_reads_back(file, out, out_len, err, size);
	if (!r) {
		*ret = out;
		*ret_len = out_len;
	} else {
		free(out);
	}
	if (r == -ENOMEM && !err[0])
		fw_errf(err, size, r, "out of memory");
	free(t.off);
	ydoc_free(sec.doc);
	return r;
}

static int check_name(const char *what, const char *s, char *err, size_t size)
{
	if (!s || !s_valid_name(s))
		return fw_errf(
		    err, size, -EINVAL,
		    "%s: expected a name (a lowercase letter, then up to 31 of a-z 0-9 - _; "
		    "not all/any/firewall/internet), found '%.40s'",
		    what, s ? s : "");
	return 0;
}

static int check_key(const char *s, char *err, size_t size)
{
	uint8_t k[FW_WG_KEY_LEN];

	if (!s || vpn_key_from_b64(s, k) < 0)
		return fw_errf(
		    err, size, -EINVAL,
		    "public key: expected a WireGuard public key (44 characters of base64), "
		    "found '%.60s'",
		    s ? s : "");
	return 0;
}

/* What a user and a site both have: a name and a public key. */
static int check_peer(const char *what, const char *name, const char *key, char *err,
                      size_t err_size)
{
	int r;

	err[0] = '\0';
	r = check_name(what, name, err, err_size);
	return r ? r : check_key(key, err, err_size);
}

int fw_edit_vpn_user_add(const char *file, const char *text, size_t len,
                         const struct fw_vpn_user_spec *spec, char **ret, size_t *ret_len,
                         char *err, size_t err_size)
{
	struct fw_prefix p;
	int r;

	r = check_peer("VPN user name", spec->name, spec->public_key, err, err_size);
	if (!r && spec->address && strcmp(spec->address, "auto") &&
	    (strlen(spec->address) > 64 || fw_prefix_parse(spec->address, false, &p) < 0 ||
	     p.len != (p.family == 4 ? 32 : 128) || strchr(spec->address, '/')))
		r = fw_errf(err, err_size, -EINVAL,
		            "address: expected an address or auto, found '%.64s'", spec->address);
	if (!r && spec->n_groups > FW_EDIT_MAX_LIST)
		r = fw_errf(err, err_size, -EINVAL, "groups: more than %d", FW_EDIT_MAX_LIST);
	for (size_t i = 0; !r && i < spec->n_groups; i++)
		r = check_name("group", spec->groups[i], err, err_size);
	if (r)
		return r;
	return add(file, text, len, "users", "user", spec->name, spec, put_user, ret, ret_len, err,
	           err_size);
}

int fw_edit_vpn_user_del(const char *file, const char *text, size_t len, const char *name,
                         char **ret, size_t *ret_len, char *err, size_t err_size)
{
	return del(file, text, len, "users", "user", name, ret, ret_len, err, err_size);
}

int fw_edit_vpn_site_add(const char *file, const char *text, size_t len,
                         const struct fw_vpn_site_spec *spec, char **ret, size_t *ret_len,
                         char *err, size_t err_size)
{
	struct fw_prefix p;
	int r;

	r = check_peer("VPN site name", spec->name, spec->public_key, err, err_size);
	if (!r && (spec->n_networks == 0 || spec->n_networks > FW_EDIT_MAX_LIST))
		r = fw_errf(err, err_size, -EINVAL, "networks: expected 1 to %d prefixes",
		            FW_EDIT_MAX_LIST);
	for (size_t i = 0; !r && i < spec->n_networks; i++)
		if (strlen(spec->networks[i]) > 64 ||
		    fw_prefix_parse(spec->networks[i], false, &p) < 0)
			r = fw_errf(err, err_size, -EINVAL,
			            "networks: expected a prefix like 10.20.0.0/16, found '%.64s'",
			            spec->networks[i]);
	if (!r && spec->endpoint &&
	    (edit_check_value("endpoint", spec->endpoint, err, err_size) < 0 ||
	     strlen(spec->endpoint) > 80 || !strrchr(spec->endpoint, ':')))
		r = fw_errf(err, err_size, -EINVAL,
		            "endpoint: expected HOST:PORT like 198.51.100.20:51820, found '%.80s'",
		            spec->endpoint);
	if (!r && (spec->keepalive < -1 || spec->keepalive > 65535))
		r = fw_errf(err, err_size, -EINVAL, "keepalive: expected seconds from 0 to 65535");
	if (r)
		return r;
	return add(file, text, len, "sites", "site", spec->name, spec, put_site, ret, ret_len, err,
	           err_size);
}

int fw_edit_vpn_site_del(const char *file, const char *text, size_t len, const char *name,
                         char **ret, size_t *ret_len, char *err, size_t err_size)
{
	return del(file, text, len, "sites", "site", name, ret, ret_len, err, err_size);
}
