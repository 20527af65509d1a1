// SPDX-License-Identifier: GPL-2.0-or-later
/* YAML documents as located node trees, built from libyaml events with caps. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "util.h"
#include "ytree.h"

struct frame {
	struct ynode *node;
	struct ynode *key; /* mapping: key waiting for its value */
	bool skip_value;   /* mapping: the key was a duplicate */
	char *anchor;
};

struct anchor {
	char *name;
	struct ynode *node;
};

struct builder {
	struct ydoc *doc;
	struct fw_diags *diags;
	struct frame stack[YT_MAX_DEPTH + 1];
	unsigned depth;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	size_t nodes;
	size_t expanded;
	unsigned documents;
	bool failed;
};

static struct fw_loc mark_loc(const struct builder *b, yaml_mark_t m)
{
	struct fw_loc loc = {
	    .file = b->doc->file, .line = (unsigned)m.line + 1, .col = (unsigned)m.column + 1};
	return loc;
}

static int fail(struct builder *b, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct builder *b, yaml_mark_t m, const char *fmt, ...)
{
	struct fw_loc loc = mark_loc(b, m);
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	b->failed = true;
	if (fw_error(b->diags, &loc, "%s", buf) < 0)
		return -ENOMEM;
	return -EINVAL;
}

static struct ynode *node_new(struct builder *b, enum ynode_kind kind, yaml_mark_t m)
{
	struct ydoc *doc = b->doc;
	struct ynode *n;

	if (fw_grow((void **)&doc->arena, &doc->cap_arena, doc->n_arena + 1, sizeof(*doc->arena)) <
	    0)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	doc->arena[doc->n_arena++] = n;
	n->kind = kind;
	n->loc = mark_loc(b, m);
	n->weight = 1;
	b->nodes++;
	return n;
}

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static int append(struct ynode *parent, struct ynode *key, struct ynode *val)
{
	size_t n = parent->n + 1;
	struct ynode **nv = realloc(parent->vals, n * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	parent->vals = nv;
	if (parent->kind == YN_MAP) {
		struct ynode **nk = realloc(parent->keys, n * sizeof(*nk));
		if (!nk)
			return -ENOMEM;
		parent->keys = nk;
		nk[parent->n] = key;
	}
	nv[parent->n] = val;
	parent->n = n;
	parent->weight = sat_add(parent->weight, val->weight);
	return 0;
}

/* Hand a finished node to the collection that holds it (or make it root). */
static int attach(struct builder *b, struct ynode *n, yaml_mark_t m)
{
	struct frame *f;

	(void)m;
	if (b->depth == 0) {
		b->doc->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == YN_SEQ)
		return append(f->node, NULL, n);
	if (!f->key) {
		if (n->kind != YN_SCALAR)
			return fail(
			    b, (yaml_mark_t){.line = n->loc.line - 1, .column = n->loc.col - 1},
			    "mapping keys must be strings, found %s",
			    n->kind == YN_MAP ? "a mapping" : "a list");
		for (size_t i = 0; i < f->node->n; i++)
			if (!strcmp(f->node->keys[i]->str, n->str)) {
				const struct ynode *first = f->node->keys[i];
				struct fw_loc loc = n->loc;
				if (fw_error(b->diags, &loc,
				             "duplicate key '%.64s' (first defined at %u:%u)",
				             n->str, first->loc.line, first->loc.col) < 0)
					return -ENOMEM;
				f->skip_value = true;
				break;
			}
		f->key = n;
		return 0;
	}
	struct ynode *key = f->key;
	f->key = NULL;
	if (f->skip_value) {
		f->skip_value = false;
		return 0;
	}
	return append(f->node, key, n);
}

static int add_anchor(struct builder *b, const char *name, struct ynode *n)
{
	struct anchor *a;

	a = fw_push((void **)&b->anchors, &b->n_anchors, &b->cap_anchors, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->name = strdup(name);
	if (!a->name)
		return -ENOMEM;
	a->node = n;
	return 0;
}

static struct ynode *find_anchor(struct builder *b, const char *name)
{
	for (size_t i = b->n_anchors; i-- > 0;)
		if (!strcmp(b->anchors[i].name, name))
			return b->anchors[i].node;
	return NULL;
}

static bool tag_ok(const yaml_char_t *tag)
{
	static const char *const ok[] = {
	    "tag:yaml.org,2002:str",
	    "tag:yaml.org,2002:int",
	    "tag:yaml.org,2002:bool",
	    "tag:yaml.org,2002:map",
	    "tag:yaml.org,2002:seq",
	    "tag:yaml.org,2002:null",
	    "!",
	};

	if (!tag)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp((const char *)tag, ok[i]))
			return true;
	return false;
}

static int check_counts(struct builder *b, yaml_mark_t m)
{
	if (b->nodes > YT_MAX_NODES)
		return fail(b, m, "more than %u nodes (limit: node count)", YT_MAX_NODES);
	return 0;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	struct ynode *n;
	int r;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1)
			return fail(b, ev->start_mark,
			            "expected a single YAML document, found another one");
		return 0;
	case YAML_SCALAR_EVENT: {
		const yaml_char_t *tag = ev->data.scalar.tag;
		size_t len = ev->data.scalar.length;

		if (!tag_ok(tag))
			return fail(b, ev->start_mark,
			            "YAML tags are not supported (found '%.64s')",
			            (const char *)tag);
		if (len > YT_MAX_SCALAR_LEN)
			return fail(b, ev->start_mark,
			            "string of %zu bytes is longer than %u (limit: string length)",
			            len, YT_MAX_SCALAR_LEN);
		if (memchr(ev->data.scalar.value, 0, len))
			return fail(b, ev->start_mark, "string contains a NUL character");
		n = node_new(b, YN_SCALAR, ev->start_mark);
		if (!n || !(n->str = malloc(len + 1)))
			return -ENOMEM;
		memcpy(n->str, ev->data.scalar.value, len);
		n->str[len] = '\0';
		n->len = len;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if ((r = check_counts(b, ev->start_mark)) < 0)
			return r;
		if (ev->data.scalar.anchor &&
		    (r = add_anchor(b, (const char *)ev->data.scalar.anchor, n)) < 0)
			return r;
		return attach(b, n, ev->start_mark);
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
		const yaml_char_t *tag =
		    seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
		const yaml_char_t *anchor =
		    seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;

		if (!tag_ok(tag))
			return fail(b, ev->start_mark,
			            "YAML tags are not supported (found '%.64s')",
			            (const char *)tag);
		if (b->depth >= YT_MAX_DEPTH)
			return fail(b, ev->start_mark,
			            "nesting deeper than %u levels (limit: depth)", YT_MAX_DEPTH);
		n = node_new(b, seq ? YN_SEQ : YN_MAP, ev->start_mark);
		if (!n)
			return -ENOMEM;
		if ((r = check_counts(b, ev->start_mark)) < 0)
			return r;
		/* A map key that is a collection is refused when it completes. */
		b->stack[b->depth] = (struct frame){.node = n};
		if (anchor && !(b->stack[b->depth].anchor = strdup((const char *)anchor)))
			return -ENOMEM;
		b->depth++;
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct frame f = b->stack[--b->depth];

		/* Registered only now: an alias inside its own anchor is refused. */
		if (f.anchor) {
			r = add_anchor(b, f.anchor, f.node);
			free(f.anchor);
			if (r < 0)
				return r;
		}
		return attach(b, f.node, ev->start_mark);
	}
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;

		n = find_anchor(b, name);
		if (!n)
			return fail(b, ev->start_mark,
			            "alias '*%.64s' names no anchor defined before it", name);
		b->expanded = sat_add(b->expanded, n->weight);
		if (b->expanded > YT_MAX_ALIAS_EXPANSION)
			return fail(b, ev->start_mark,
			            "aliases expand to more than %u nodes (limit: alias expansion)",
			            YT_MAX_ALIAS_EXPANSION);
		return attach(b, n, ev->start_mark);
	}
	default:
		return 0;
	}
}

/* libyaml's reader reports a byte offset, not a mark: count lines ourselves. */
static yaml_mark_t offset_mark(const char *buf, size_t len, size_t offset)
{
	yaml_mark_t m = {0};

	for (size_t i = 0; i < offset && i < len; i++) {
		if (buf[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			m.column++; /* count characters, not UTF-8 continuation bytes */
		}
	}
	m.index = offset;
	return m;
}

void ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < doc->n_arena; i++) {
		free(doc->arena[i]->str);
		free(doc->arena[i]->keys);
		free(doc->arena[i]->vals);
		free(doc->arena[i]);
	}
	free(doc->arena);
	free(doc->file);
	free(doc);
}

static void builder_fini(struct builder *b)
{
	for (unsigned i = 0; i < b->depth; i++)
		free(b->stack[i].anchor);
	for (size_t i = 0; i < b->n_anchors; i++)
		free(b->anchors[i].name);
	free(b->anchors);
}

int ydoc_parse(const char *file, const char *buf, size_t len, struct fw_diags *diags,
               struct ydoc **ret)
{
	struct builder b = {.diags = diags};
	yaml_parser_t parser;
	yaml_event_t ev;
	int r = 0;

	if (len > YT_MAX_FILE_SIZE) {
		struct fw_loc loc = {.file = file};
		fw_error(diags, &loc,
		         "file is %zu bytes, more than the limit of %u (limit: file size)", len,
		         YT_MAX_FILE_SIZE);
		return -EINVAL;
	}
	b.doc = calloc(1, sizeof(*b.doc));
	if (!b.doc || !(b.doc->file = strdup(file))) {
		ydoc_free(b.doc);
		return -ENOMEM;
	}
	if (!yaml_parser_initialize(&parser)) {
		ydoc_free(b.doc);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR)
				r = -ENOMEM;
			else if (parser.error == YAML_READER_ERROR)
				r = fail(&b, offset_mark(buf, len, parser.problem_offset),
				         "invalid YAML: %s",
				         parser.problem ? parser.problem : "bad input");
			else
				r = fail(&b, parser.problem_mark, "invalid YAML: %s",
				         parser.problem ? parser.problem : "unknown problem");
			break;
		}
		bool done = ev.type == YAML_STREAM_END_EVENT;
		r = on_event(&b, &ev);
		yaml_event_delete(&ev);
		if (r < 0 || done)
			break;
	}
	yaml_parser_delete(&parser);
	builder_fini(&b);
	if (r < 0) {
		ydoc_free(b.doc);
		return r;
	}
	*ret = b.doc;
	return 0;
}

int ydoc_load_file(const char *path, struct fw_diags *diags, struct ydoc **ret)
{
	struct fw_loc loc = {.file = path};
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		fw_error(diags, &loc, "cannot read: %s", strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		fw_error(diags, &loc, "cannot read: not a regular file");
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > YT_MAX_FILE_SIZE) {
		close(fd);
		fw_error(diags, &loc,
		         "file is %lld bytes, more than the limit of %u (limit: file size)",
		         (long long)st.st_size, YT_MAX_FILE_SIZE);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	/* Read until EOF, but never past the cap: the file may grow. */
	for (;;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			free(buf);
			close(fd);
			fw_error(diags, &loc, "cannot read: %s", strerror(-r));
			return r;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			free(buf);
			close(fd);
			fw_error(diags, &loc, "cannot read: the file changed while being read");
			return -EINVAL;
		}
	}
	close(fd);
	r = ydoc_parse(path, buf, got, diags, ret);
	free(buf);
	return r;
}

const char *ynode_kind_name(const struct ynode *n)
{
	if (!n)
		return "nothing";
	if (n->kind == YN_MAP)
		return "a mapping";
	if (n->kind == YN_SEQ)
		return "a list";
	return "a string";
}

struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YN_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(map->keys[i]->str, key))
			return map->vals[i];
	return NULL;
}
