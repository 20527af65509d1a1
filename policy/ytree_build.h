/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of the YAML tree builder shared by ytree.c and ytree_index.c. */
#ifndef FWD_YTREE_BUILD_H
#define FWD_YTREE_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <yaml.h>

#include "ytree.h"

/* Where something was written: an alias key is written at the alias, not
 * where the node it names is. */
struct site {
	unsigned line, col;
};

struct key_slot {
	uint64_t hash;
	size_t idx; /* 1 + index into the mapping's keys; 0 = free */
};

/* An open mapping or sequence. Buffers are kept when the frame is reused. */
struct frame {
	struct ynode *node;
	struct ynode *key; /* mapping: key waiting for its value */
	struct site key_site;
	uint64_t key_hash; /* valid while the mapping has an index */
	bool skip_value;   /* mapping: that key was a duplicate */
	size_t anchor;     /* 1 + index into builder.anchors, or 0 */
	size_t anchor_seq;
	struct site *sites; /* mapping: where each key was written */
	size_t cap_sites;
	struct key_slot *index; /* mapping: hash index of the keys */
	size_t cap_index;       /* 0 while the mapping is small */
	size_t cap_index_alloc;
};

struct anchor {
	char *name;
	struct ynode *node;
	uint64_t hash;
	size_t seq;
	bool open; /* a collection not finished yet: aliasing it would recurse */
};

struct pending {
	struct fw_loc loc;
	char *msg;
};

struct builder {
	struct ydoc *doc;
	struct fw_diags *diags;
	uint64_t seed;
	struct frame stack[YT_MAX_DEPTH];
	unsigned depth;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	size_t *anchor_index; /* 1 + index into anchors; 0 = free */
	size_t cap_anchor_index;
	size_t anchor_seq;
	size_t nodes;
	size_t expanded;
	unsigned documents;
	/* Duplicate keys are reported only if the whole document parses, so a
	 * fatal error is always the single diagnostic. */
	struct pending *dups;
	size_t n_dups, cap_dups;
};

/* Hashing, the key index of large mappings, and anchors (ytree_index.c). */
uint64_t yt_hash_bytes(uint64_t seed, const char *s, size_t len);
uint64_t yt_make_seed(void);
void yt_index_insert(struct frame *f, uint64_t hash, size_t idx);
int yt_index_build(struct builder *b, struct frame *f, size_t need);
ssize_t yt_find_key(struct builder *b, struct frame *f, const struct ynode *key);
struct anchor *yt_anchor_find(const struct builder *b, const char *name, uint64_t hash);
ssize_t yt_anchor_define(struct builder *b, const char *name, struct ynode *n, bool open);

/* Error reporting (ytree_error.c). Names quoted in messages are cut to MSG_NAME_MAX bytes. */
#define MSG_NAME_MAX 64
struct fw_loc yt_mark_loc(const struct builder *b, yaml_mark_t m);
const char *yt_msg_name(char *buf, size_t size, const char *s, size_t len);
int yt_fail(struct builder *b, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
yaml_mark_t yt_offset_mark(const unsigned char *s, size_t len, size_t offset);
int yt_parser_error(struct builder *b, const yaml_parser_t *p, const unsigned char *in, size_t len);
int yt_report_duplicates(struct builder *b);

#endif
