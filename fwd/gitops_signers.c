// SPDX-License-Identifier: GPL-2.0-or-later
/* The allowed-signers file of commit verification (format: fwd/signers.h). */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/signers.h"

/* One line split into fields: whitespace separates them, except inside
 * double quotes (principals and option values may be quoted). */
#define MAX_FIELDS 8
struct fields {
	char *v[MAX_FIELDS];
	size_t n;
	bool unbalanced;
};

static void split(char *line, struct fields *f)
{
	char *p = line;

	f->n = 0;
	f->unbalanced = false;
	while (*p && f->n < MAX_FIELDS) {
		bool quoted = false;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		f->v[f->n++] = p;
		while (*p && (quoted || (*p != ' ' && *p != '\t'))) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		if (quoted)
			f->unbalanced = true;
		if (*p)
			*p++ = '\0';
	}
}

/* Remove the quotes of a field or value: "a b" -> a b (in place). */
static void unquote(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++)
		if (*r != '"')
			*w++ = *r;
	*w = '\0';
}

static bool is_key_type(const char *s)
{
	return !strncmp(s, "ssh-", 4) || !strncmp(s, "ecdsa-", 6) || !strncmp(s, "sk-", 3);
}

/* YYYYMMDD[HHMM[SS]][Z]: Z is UTC, otherwise local time (as ssh-keygen). */
static bool parse_time(const char *s, time_t *ret)
{
	struct tm tm = {0};
	size_t n = strspn(s, "0123456789");
	bool utc = s[n] == 'Z' && s[n + 1] == '\0';
	int v[7] = {0};

	if ((n != 8 && n != 12 && n != 14) || (s[n] && !utc))
		return false;
	for (size_t i = 0; i < n / 2; i++)
		v[i] = (s[2 * i] - '0') * 10 + (s[2 * i + 1] - '0');
	tm.tm_year = v[0] * 100 + v[1] - 1900;
	tm.tm_mon = v[2] - 1;
	tm.tm_mday = v[3];
	tm.tm_hour = v[4];
	tm.tm_min = v[5];
	tm.tm_sec = v[6];
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	tm.tm_isdst = -1;
	*ret = utc ? timegm(&tm) : mktime(&tm);
	return *ret != (time_t)-1;
}

/* OPTIONS: comma-separated, values in double quotes may hold commas.
 * 1: the line is fine, 0: ignore it (warned), -1: an error (recorded). */
static int parse_options(char *opts, struct fw_signer *s, struct fw_diags *d,
                         const struct fw_loc *loc)
{
	char *p = opts;

	while (*p) {
		char *start = p, *eq;
		bool quoted = false;

		while (*p && (quoted || *p != ',')) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		if (*p)
			*p++ = '\0';
		eq = strchr(start, '=');
		if (eq)
			*eq++ = '\0';
		if (eq)
			unquote(eq);
		if (!strcmp(start, "cert-authority") && !eq) {
			fw_warning(d, loc, "cert-authority keys are not supported: line ignored");
			return 0;
		} else if (!strcmp(start, "namespaces") && eq) {
			if (strlen(eq) >= sizeof(s->namespaces) || !*eq) {
				fw_error(d, loc, "namespaces: expected 1 to %zu characters",
				         sizeof(s->namespaces) - 1);
				return -1;
			}
			strcpy(s->namespaces, eq);
		} else if ((!strcmp(start, "valid-after") || !strcmp(start, "valid-before")) &&
		           eq) {
			bool after = start[6] == 'a';
			if (!parse_time(eq, after ? &s->valid_after : &s->valid_before)) {
				fw_error(d, loc, "%s: expected YYYYMMDD[HHMM[SS]][Z], not '%.40s'",
				         start, eq);
				return -1;
			}
			*(after ? &s->has_after : &s->has_before) = true;
		} else {
			fw_error(d, loc,
			         "unknown option '%.40s' (cert-authority, namespaces, "
			         "valid-after, valid-before)",
			         start);
			return -1;
		}
	}
	return 1;
}

/* One non-comment line: 1 a key (*s), 0 ignored, -1 error. */
static int parse_line(char *line, struct fw_signer *s, struct fw_diags *d, const struct fw_loc *loc)
{
	struct fields f;
	char err[160];
	size_t k = 1;
	int r;

	split(line, &f);
	if (f.unbalanced) {
		fw_error(d, loc, "unbalanced double quote");
		return -1;
	}
	if (f.n > 1 && !is_key_type(f.v[1]))
		k = 2; /* the second field is the options */
	if (f.n < k + 2 || !is_key_type(f.v[k])) {
		fw_error(d, loc, "expected PRINCIPALS [OPTIONS] KEYTYPE BASE64-KEY");
		return -1;
	}
	unquote(f.v[0]);
	if (!*f.v[0] || strlen(f.v[0]) >= sizeof(s->principals)) {
		fw_error(d, loc, "principals: expected 1 to %zu characters",
		         sizeof(s->principals) - 1);
		return -1;
	}
	strcpy(s->principals, f.v[0]);
	if (k == 2 && (r = parse_options(f.v[1], s, d, loc)) <= 0)
		return r;
	r = fw_sshkey_parse_base64(f.v[k], f.v[k + 1], strlen(f.v[k + 1]), s->key, err,
	                           sizeof(err));
	if (r == -ENOTSUP) {
		fw_warning(d, loc, "%s keys are not supported (only ssh-ed25519): line ignored",
		           f.v[k]);
		return 0;
	}
	if (r < 0) {
		fw_error(d, loc, "%s", err);
		return -1;
	}
	return 1;
}

int fw_signers_parse(const char *name, const char *buf, size_t len, struct fw_diags *d,
                     struct fw_signers *ret)
{
	struct fw_signers out = {0};
	char line[FW_SIGNERS_MAX_LINE];
	size_t errors = d->n_errors;
	unsigned lineno = 0;

	if (len > FW_SIGNERS_MAX_FILE) {
		fw_error(d, NULL, "%s: larger than %u bytes", name, FW_SIGNERS_MAX_FILE);
		return -EINVAL;
	}
	for (size_t pos = 0; pos < len;) {
		const char *start = buf + pos, *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		struct fw_loc loc = {name, ++lineno, 1};
		struct fw_signer s = {0};
		char *p = line;

		pos += n + (nl != NULL);
		if (n && start[n - 1] == '\r')
			n--;
		if (n >= sizeof(line)) {
			fw_error(d, &loc, "line longer than %d bytes", FW_SIGNERS_MAX_LINE - 1);
			continue;
		}
		if (memchr(start, '\0', n)) {
			fw_error(d, &loc, "NUL byte in the line");
			continue;
		}
		memcpy(line, start, n);
		line[n] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		if (parse_line(p, &s, d, &loc) <= 0)
			continue;
		if (out.n == FW_SIGNERS_MAX) {
			fw_error(d, &loc, "more than %d keys", FW_SIGNERS_MAX);
			break;
		}
		struct fw_signer *v = realloc(out.v, (out.n + 1) * sizeof(*v));
		if (!v) {
			fw_signers_free(&out);
			return -ENOMEM;
		}
		s.line = lineno;
		out.v = v;
		out.v[out.n++] = s;
	}
	if (d->n_errors > errors) {
		fw_signers_free(&out);
		return -EINVAL;
	}
	*ret = out;
	return 0;
}

void fw_signers_free(struct fw_signers *s)
{
	if (!s)
		return;
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* An ssh pattern list ("git,file", "!x,*"): a negated match excludes,
 * otherwise any positive match includes. */
static bool match_list(const char *list, const char *name)
{
	char buf[sizeof(((struct fw_signer *)0)->namespaces)];
	bool match = false;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save = NULL, *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		bool neg = *p == '!';
		if (fnmatch(p + neg, name, 0) == 0) {
			if (neg)
				return false;
			match = true;
		}
	}
	return match;
}

const struct fw_signer *fw_signers_find(const struct fw_signers *s,
                                        const uint8_t key[FW_SSHSIG_ED25519_KEY], const char *ns,
                                        time_t t, char *why, size_t why_size)
{
	char fp[FW_SSHSIG_FINGERPRINT];
	const struct fw_signer *refused = NULL;
	const char *reason = "";

	for (size_t i = 0; i < s->n; i++) {
		const struct fw_signer *x = &s->v[i];
		if (memcmp(x->key, key, FW_SSHSIG_ED25519_KEY))
			continue;
		if (x->namespaces[0] && !match_list(x->namespaces, ns))
			reason = "is not allowed to sign in this namespace";
		else if (x->has_after && t < x->valid_after)
			reason = "is not valid yet at the commit's time";
		else if (x->has_before && t > x->valid_before)
			reason = "expired before the commit's time";
		else
			return x;
		refused = x;
	}
	fw_sshkey_fingerprint(key, fp);
	if (refused)
		snprintf(why, why_size, "the key %s of %s (line %u) %s", fp, refused->principals,
		         refused->line, reason);
	else
		snprintf(why, why_size, "no trusted signer has the key ssh-ed25519 %s", fp);
	return NULL;
}
