// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writing values into YAML text so that they stay values: plain when a YAML
 * reader cannot take them for anything else, otherwise double-quoted with
 * every character that could end the string, start a line or be read as a
 * line break escaped. `x\n- evil` becomes "x\n- evil", one string.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "edit_int.h"

/* Decode one UTF-8 character at s (len bytes left): its length, or 0 when
 * the bytes are not UTF-8 (overlong forms and surrogates included). */
static size_t utf8_char(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool edit_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_char(p + i, len - i, &cp);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Plain only for names and for specs/prefixes with a '/': nothing YAML
 * reads as a number, a boolean, null, a key or an indicator. */
static bool plain_ok(const char *s)
{
	static const char *const words[] = {"true", "false", "yes", "no", "on",
	                                    "off",  "null",  "y",   "n",  "~"};
	size_t len = strlen(s);
	bool slash = strchr(s, '/') != NULL;

	if (len == 0 || s[len - 1] == ':' || !(is_alpha(s[0]) || s[0] == '_' || slash))
		return false;
	if (!is_alpha(s[0]) && !is_digit(s[0]) && s[0] != '_')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && !strchr("_.:/-", s[i]))
			return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(s, words[i]))
			return false;
	return true;
}

void edit_put_quoted(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);

	fputc('"', f);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_char(p + i, len - i, &cp);

		if (n == 0) { /* callers check UTF-8 first; never emit a broken byte */
			fprintf(f, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else if (cp < 0x20 || cp == 0x7f)
			fprintf(f, "\\x%02x", (unsigned)cp);
		else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff)
			/* C1 controls, YAML 1.1 line and paragraph separators, BOM */
			fprintf(f, "\\u%04x", (unsigned)cp);
		else
			fwrite(p + i, 1, n, f);
		i += n;
	}
	fputc('"', f);
}

void edit_put_value(FILE *f, const char *s)
{
	if (plain_ok(s))
		fputs(s, f);
	else
		edit_put_quoted(f, s);
}

void edit_put_list(FILE *f, const char *const *v, size_t n)
{
	if (n == 1) {
		edit_put_value(f, v[0]);
		return;
	}
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		edit_put_value(f, v[i]);
	}
	fputc(']', f);
}
