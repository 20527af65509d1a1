// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where each rule of a block `rules:` list ends. The located tree knows
 * where nodes start; a rule's last value may be a string over several
 * lines (quoted, folded, literal) whose end only libyaml's end marks tell.
 * So the events are read once more and each item's end is the last
 * character of its last token: a closing quote, the last word of a block
 * scalar (not the blank lines after it), a flow collection's bracket.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <yaml.h>

#include "edit_int.h"

#define MAX_DEPTH 64

/* The byte at (line, column) of libyaml's mark: columns count characters. */
static size_t mark_offset(const struct edit_lines *l, yaml_mark_t m)
{
	size_t o, end;

	if (m.line >= l->n_lines)
		return l->len;
	o = l->off[m.line];
	end = l->off[m.line + 1];
	for (size_t c = 0; c < m.column && o < end; c++) {
		o++;
		while (o < end && ((unsigned char)l->s[o] & 0xc0) == 0x80)
			o++;
	}
	return o;
}

/* The 1-based line of the last non-blank byte before offset o. */
static unsigned last_content_line(const struct edit_lines *l, size_t o)
{
	unsigned line;

	while (o > l->off[0] && strchr(" \t\r\n", l->s[o - 1]))
		o--;
	if (o == l->off[0])
		return 1;
	o--; /* the byte itself */
	for (line = 1; line < l->n_lines && l->off[line] <= o; line++)
		;
	return line;
}

int edit_item_ends(const struct edit_lines *l, unsigned key_line, unsigned key_col, unsigned *ends,
                   size_t n)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	bool flow[MAX_DEPTH] = {0};
	unsigned depth = 0;
	size_t item = 0;
	bool at_key = true, in_rules = false, next_is_rules = false, done = false;
	int r = 0;

	memset(ends, 0, n * sizeof(*ends));
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&parser, (const unsigned char *)l->s + l->off[0],
	                             l->len - l->off[0]);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			r = -EINVAL; /* the caller parsed it already: not expected */
			break;
		}
		bool start =
		    ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT;
		bool end = ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT;
		bool node = start || ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT;

		done = ev.type == YAML_STREAM_END_EVENT;
		if (in_rules && depth == 2 && node)
			item++; /* a new list item */
		if (in_rules && depth >= 2 && item >= 1 && item <= n &&
		    (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT ||
		     (end && depth >= 3 && flow[depth]))) {
			unsigned line = last_content_line(l, mark_offset(l, ev.end_mark));
			if (line > ends[item - 1])
				ends[item - 1] = line;
		}
		/* The top-level mapping's keys and values, one node each. */
		if (depth == 1 && node) {
			if (at_key)
				next_is_rules = ev.type == YAML_SCALAR_EVENT &&
				                ev.start_mark.line + 1 == key_line &&
				                ev.start_mark.column + 1 == key_col;
			else if (next_is_rules && ev.type == YAML_SEQUENCE_START_EVENT)
				in_rules = true;
			at_key = !at_key;
		}
		if (start) {
			if (depth + 1 >= MAX_DEPTH) {
				r = -E2BIG;
				done = true;
			} else {
				flow[++depth] =
				    ev.type == YAML_MAPPING_START_EVENT
				        ? ev.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
				        : ev.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
			}
		} else if (end && depth > 0) {
			depth--;
			if (in_rules && depth == 1)
				done = true; /* the end of the rules list */
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return r;
}
