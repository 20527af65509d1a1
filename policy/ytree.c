// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * YAML documents as located node trees, built from libyaml's event stream
 * with our own caps (see ytree.h).
 *
 * Cost stays linear in the input: mapping keys are checked for duplicates
 * through a hash index once a mapping grows past a few keys, anchors are
 * found through a hash index, and an alias shares the node it names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "util.h"
#include "ytree.h"
#include "ytree_build.h"

#define STD_TAG_PREFIX "tag:yaml.org,2002:"
/* Mappings with at least this many keys get a hash index of their keys. */
#define KEY_INDEX_MIN 8
/* Initial read buffer for files whose size fstat does not tell. */
#define READ_CHUNK 65536

/* ---- hashing ---- */

/* ---- messages ---- */

static struct site mark_site(yaml_mark_t m)
{
	struct site s = {.line = (unsigned)m.line + 1, .col = (unsigned)m.column + 1};

	return s;
}

static struct site node_site(const struct ynode *n)
{
	struct site s = {.line = n->loc.line, .col = n->loc.col};

	return s;
}

#define MSG_NAME_BUF (MSG_NAME_MAX * 4 + 16)

/* ---- nodes ---- */

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* A scalar's string is allocated with the node: `extra` bytes after it. */
static struct ynode *node_new(struct builder *b, enum ynode_kind kind, yaml_mark_t m, size_t extra)
{
	struct ydoc *doc = b->doc;
	struct ynode *n;

	if (fw_grow((void **)&doc->arena, &doc->cap_arena, doc->n_arena + 1, sizeof(*doc->arena)) <
	    0)
		return NULL;
	n = calloc(1, sizeof(*n) + extra);
	if (!n)
		return NULL;
	doc->arena[doc->n_arena++] = n;
	n->kind = kind;
	n->loc = yt_mark_loc(b, m);
	n->weight = 1;
	b->nodes++;
	return n;
}

static int check_node_count(struct builder *b, yaml_mark_t m)
{
	if (b->nodes >= YT_MAX_NODES)
		return yt_fail(b, m, "more than %u nodes (limit: node count)", YT_MAX_NODES);
	return 0;
}

/* Child arrays grow by doubling; the capacity follows from n: 4, 8, 16... */
static bool child_array_full(size_t n)
{
	return n == 0 || (n >= 4 && (n & (n - 1)) == 0);
}

static int grow_children(struct ynode ***v, size_t n)
{
	size_t ncap = n ? n * 2 : 4;
	struct ynode **nv;

	if (ncap > SIZE_MAX / sizeof(*nv))
		return -ENOMEM;
	nv = realloc(*v, ncap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	return 0;
}

/* ---- mapping keys ---- */

static int record_duplicate(struct builder *b, const struct frame *f, const struct ynode *key,
                            struct site at, size_t first)
{
	struct pending *p;
	char name[MSG_NAME_BUF];

	p = fw_push((void **)&b->dups, &b->n_dups, &b->cap_dups, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->loc.file = b->doc->file;
	p->loc.line = at.line;
	p->loc.col = at.col;
	if (asprintf(&p->msg, "duplicate key '%s' (first defined at %u:%u)",
	             yt_msg_name(name, sizeof(name), key->str, key->len), f->sites[first].line,
	             f->sites[first].col) < 0) {
		p->msg = NULL;
		b->n_dups--;
		return -ENOMEM;
	}
	return 0;
}

static int key_written(struct builder *b, struct frame *f, struct ynode *key, struct site at)
{
	ssize_t first = yt_find_key(b, f, key);

	f->key = key;
	f->key_site = at;
	f->skip_value = first >= 0;
	if (first >= 0)
		return record_duplicate(b, f, key, at, (size_t)first);
	return 0;
}

static int append(struct builder *b, struct frame *f, struct ynode *key, struct ynode *val)
{
	struct ynode *parent = f->node;
	size_t n = parent->n;

	if (child_array_full(n) && grow_children(&parent->vals, n) < 0)
		return -ENOMEM;
	if (parent->kind == YN_MAP) {
		if (child_array_full(n) && grow_children(&parent->keys, n) < 0)
			return -ENOMEM;
		if (fw_grow((void **)&f->sites, &f->cap_sites, n + 1, sizeof(*f->sites)) < 0)
			return -ENOMEM;
		parent->keys[n] = key;
		f->sites[n] = f->key_site;
		parent->weight = sat_add(parent->weight, key->weight);
	}
	parent->vals[n] = val;
	parent->n = n + 1;
	parent->weight = sat_add(parent->weight, val->weight);
	if (parent->kind != YN_MAP)
		return 0;
	if (f->cap_index) {
		if (parent->n > f->cap_index / 2)
			return yt_index_build(b, f, parent->n);
		yt_index_insert(f, f->key_hash, n);
		return 0;
	}
	if (parent->n >= KEY_INDEX_MIN)
		return yt_index_build(b, f, parent->n);
	return 0;
}

/* Hand a finished node to the collection that holds it (or make it root).
 * Keys were checked to be scalars before this. */
static int attach(struct builder *b, struct ynode *n, struct site at)
{
	struct frame *f;
	struct ynode *key;

	if (b->depth == 0) {
		b->doc->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == YN_SEQ)
		return append(b, f, NULL, n);
	if (!f->key)
		return key_written(b, f, n, at);
	key = f->key;
	f->key = NULL;
	if (f->skip_value) {
		f->skip_value = false;
		return 0;
	}
	return append(b, f, key, n);
}

/* Is the next node attached a mapping key? */
static bool expecting_key(const struct builder *b)
{
	const struct frame *f;

	if (b->depth == 0)
		return false;
	f = &b->stack[b->depth - 1];
	return f->node->kind == YN_MAP && !f->key;
}

/* ---- anchors ---- */

/* ---- events ---- */

static bool tag_ok(const char *tag)
{
	static const char *const ok[] = {"str", "int", "bool", "map", "seq", "null"};

	if (!tag)
		return true;
	if (strncmp(tag, STD_TAG_PREFIX, strlen(STD_TAG_PREFIX)) != 0)
		return false;
	tag += strlen(STD_TAG_PREFIX);
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(tag, ok[i]))
			return true;
	return false;
}

static int check_tag(struct builder *b, const yaml_char_t *ytag, yaml_mark_t m)
{
	const char *tag = (const char *)ytag;
	char name[MSG_NAME_BUF];
	char *shown;
	int r;

	if (tag_ok(tag))
		return 0;
	/* Shown the way it is usually written: !!binary, not tag:yaml.org,... */
	if (!strncmp(tag, STD_TAG_PREFIX, strlen(STD_TAG_PREFIX))) {
		if (asprintf(&shown, "!!%s", tag + strlen(STD_TAG_PREFIX)) < 0)
			return -ENOMEM;
	} else if (!(shown = strdup(tag))) {
		return -ENOMEM;
	}
	r = yt_fail(b, m, "YAML tags are not supported (found '%s')",
	            yt_msg_name(name, sizeof(name), shown, strlen(shown)));
	free(shown);
	return r;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const char *val = (const char *)ev->data.scalar.value;
	const char *anchor = (const char *)ev->data.scalar.anchor;
	size_t len = ev->data.scalar.length;
	struct ynode *n;
	ssize_t a;
	int r;

	if ((r = check_tag(b, ev->data.scalar.tag, ev->start_mark)) < 0)
		return r;
	if (len > YT_MAX_SCALAR_LEN)
		return yt_fail(b, ev->start_mark,
		               "string of %zu bytes is longer than %u (limit: string length)", len,
		               YT_MAX_SCALAR_LEN);
	/* Only a "\0" escape can put one there: the reader refuses NUL bytes. */
	if (memchr(val, '\0', len))
		return yt_fail(b, ev->start_mark, "string contains a NUL character");
	/* "---" with nothing after it: the empty scalar libyaml makes up is an
	 * empty document, like no document at all. */
	if (b->depth == 0 && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && len == 0 &&
	    !ev->data.scalar.tag && !anchor && ev->start_mark.index == ev->end_mark.index)
		return 0;
	if ((r = check_node_count(b, ev->start_mark)) < 0)
		return r;
	n = node_new(b, YN_SCALAR, ev->start_mark, len + 1);
	if (!n)
		return -ENOMEM;
	n->str = (char *)(n + 1);
	memcpy(n->str, val, len);
	n->str[len] = '\0';
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (anchor && (a = yt_anchor_define(b, anchor, n, false)) < 0)
		return (int)a;
	return attach(b, n, node_site(n));
}

static int on_collection_start(struct builder *b, const yaml_event_t *ev)
{
	bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
	const yaml_char_t *tag = seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
	const char *anchor =
	    (const char *)(seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor);
	struct frame *f;
	struct ynode *n;
	int r;

	if ((r = check_tag(b, tag, ev->start_mark)) < 0)
		return r;
	if (expecting_key(b))
		return yt_fail(b, ev->start_mark, "mapping keys must be strings, found %s",
		               seq ? "a list" : "a mapping");
	if (b->depth >= YT_MAX_DEPTH)
		return yt_fail(b, ev->start_mark, "nesting deeper than %u levels (limit: depth)",
		               YT_MAX_DEPTH);
	if ((r = check_node_count(b, ev->start_mark)) < 0)
		return r;
	n = node_new(b, seq ? YN_SEQ : YN_MAP, ev->start_mark, 0);
	if (!n)
		return -ENOMEM;
	f = &b->stack[b->depth++];
	f->node = n;
	f->key = NULL;
	f->skip_value = false;
	f->cap_index = 0;
	f->anchor = 0;
	if (anchor) {
		/* Open until its end: an alias inside it would be recursive. */
		ssize_t a;

		if ((a = yt_anchor_define(b, anchor, n, true)) < 0)
			return (int)a;
		f->anchor = (size_t)a;
		f->anchor_seq = b->anchors[a - 1].seq;
	}
	return 0;
}

static int on_collection_end(struct builder *b)
{
	struct frame *f = &b->stack[--b->depth];
	struct ynode *n = f->node;

	if (f->anchor) {
		struct anchor *a = &b->anchors[f->anchor - 1];
		/* Unless redefined inside, the anchor can now be used. */
		if (a->seq == f->anchor_seq)
			a->open = false;
	}
	f->node = NULL;
	return attach(b, n, node_site(n));
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const struct anchor *a =
	    yt_anchor_find(b, name, yt_hash_bytes(b->seed, name, strlen(name)));

	if (!a || a->open) {
		char shown[MSG_NAME_BUF];

		return yt_fail(b, ev->start_mark, "alias '*%s' names no anchor defined before it",
		               yt_msg_name(shown, sizeof(shown), name, strlen(name)));
	}
	if (a->node->kind != YN_SCALAR && expecting_key(b))
		return yt_fail(b, ev->start_mark, "mapping keys must be strings, found %s",
		               a->node->kind == YN_SEQ ? "a list" : "a mapping");
	b->expanded = sat_add(b->expanded, a->node->weight);
	if (b->expanded > YT_MAX_ALIAS_EXPANSION)
		return yt_fail(b, ev->start_mark,
		               "aliases expand to more than %u nodes (limit: alias expansion)",
		               YT_MAX_ALIAS_EXPANSION);
	return attach(b, a->node, mark_site(ev->start_mark));
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1)
			return yt_fail(b, ev->start_mark,
			               "expected a single YAML document, found another one");
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return on_collection_start(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_collection_end(b);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	default:
		return 0;
	}
}

void ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < doc->n_arena; i++) {
		struct ynode *n = doc->arena[i];
		/* A scalar's string lives in the node's own allocation. */
		free(n->keys);
		free(n->vals);
		free(n);
	}
	free(doc->arena);
	free(doc->file);
	free(doc);
}

static void builder_fini(struct builder *b)
{
	for (size_t i = 0; i < ARRAY_SIZE(b->stack); i++) {
		free(b->stack[i].sites);
		free(b->stack[i].index);
	}
	for (size_t i = 0; i < b->n_anchors; i++)
		free(b->anchors[i].name);
	free(b->anchors);
	free(b->anchor_index);
	for (size_t i = 0; i < b->n_dups; i++)
		free(b->dups[i].msg);
	free(b->dups);
}

int ydoc_parse(const char *file, const char *buf, size_t len, struct fw_diags *diags,
               struct ydoc **ret)
{
	const unsigned char *in = (const unsigned char *)(buf ? buf : "");
	struct builder b = {.diags = diags};
	yaml_parser_t parser;
	yaml_event_t ev;
	int r = 0;

	if (!file)
		file = "<input>";
	if (len > YT_MAX_FILE_SIZE)
		return ytree_file_too_big(diags, file, len);
	if (!buf)
		len = 0;
	/* Read as UTF-8 only (a UTF-16 file gets a clean error instead of
	 * reader offsets we could not map to lines); libyaml would count a
	 * byte order mark as a column, so skip it here. */
	if (len >= 3 && !memcmp(in, "\xef\xbb\xbf", 3)) {
		in += 3;
		len -= 3;
	}
	b.seed = yt_make_seed();
	b.doc = calloc(1, sizeof(*b.doc));
	if (!b.doc || !(b.doc->file = strdup(file))) {
		ydoc_free(b.doc);
		return -ENOMEM;
	}
	if (!yaml_parser_initialize(&parser)) {
		ydoc_free(b.doc);
		return -ENOMEM;
	}
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&parser, in, len);
	for (;;) {
		bool done;

		if (!yaml_parser_parse(&parser, &ev)) {
			r = yt_parser_error(&b, &parser, in, len);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		r = on_event(&b, &ev);
		yaml_event_delete(&ev);
		if (r < 0 || done)
			break;
	}
	yaml_parser_delete(&parser);
	if (r == 0)
		r = yt_report_duplicates(&b);
	builder_fini(&b);
	if (r < 0) {
		ydoc_free(b.doc);
		return r;
	}
	*ret = b.doc;
	return 0;
}
