// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ruleset_hash: a hash of the kernel's ruleset that does not depend on the
 * order its objects were created in. For tests/netns/crash.sh (hundreds of
 * comparisons: one process, no `ip netns exec`, no nft, no interpreter).
 *
 *   ruleset_hash [--netns NAME] [--dump]
 *
 * Lists the ruleset of network namespace NAME (default: our own) through
 * libnftables as JSON without counters and prints the SHA-256 of its
 * canonical form (--dump: the canonical form itself). The kernel lists
 * tables, and a table's sets and chains, in creation order, and a backend
 * that changes a ruleset in place creates them in another order than
 * `nft -f` of the same text; handles differ on every load, and hash sets
 * list their elements in a per-set random order. None of that changes what
 * the ruleset does, so the canonical form drops handles and sorts tables,
 * objects and set elements; rules keep their order within each chain.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY)

/* Remove "handle" members everywhere: they differ on every load. */
static void strip_handles(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_del(v, "handle");
		json_object_foreach(v, k, x) strip_handles(x);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) strip_handles(x);
	}
}

struct item {
	char *key;  /* what sorts it */
	json_t *v;  /* borrowed */
	size_t pos; /* listing order, for rules of one chain */
};

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Sort a JSON array in place by the compact dump of its members. */
static int sort_array(json_t *a)
{
	size_t n = json_array_size(a), i;
	struct item *it = calloc(n ? n : 1, sizeof(*it));
	json_t *copy = json_array(), *x;
	int r = 0;

	if (!it || !copy) {
		free(it);
		json_decref(copy);
		return -ENOMEM;
	}
	json_array_foreach(a, i, x)
	{
		it[i] = (struct item){json_dumps(x, DUMP_FLAGS), x, i};
		if (!it[i].key)
			r = -ENOMEM;
	}
	if (r == 0) {
		qsort(it, n, sizeof(*it), cmp_item);
		for (i = 0; i < n; i++)
			json_array_append(copy, it[i].v);
		json_array_clear(a);
		json_array_extend(a, copy);
	}
	for (i = 0; i < n; i++)
		free(it[i].key);
	free(it);
	json_decref(copy);
	return r;
}

/* The canonical form of an `nft -j list ruleset` document: objects (tables,
 * chains, sets, ...) sorted; rules sorted by their chain, in listing order
 * within it. Returns a new compact string. */
static char *canonical(json_t *doc, size_t flags)
{
	json_t *list = json_object_get(doc, "nftables"), *entry, *out = json_array();
	size_t n = json_array_size(list), i, k = 0;
	struct item *it = calloc(n ? n : 1, sizeof(*it));
	char *text = NULL;
	int r = 0;

	if (!it || !out)
		goto done;
	json_array_foreach(list, i, entry)
	{
		const char *kind = NULL;
		json_t *body = NULL;
		void *iter = json_object_iter(entry);

		if (iter) {
			kind = json_object_iter_key(iter);
			body = json_object_iter_value(iter);
		}
		if (!kind || !strcmp(kind, "metainfo"))
			continue;
		strip_handles(body);
		if ((!strcmp(kind, "set") || !strcmp(kind, "map")) && json_object_get(body, "elem"))
			r |= sort_array(json_object_get(body, "elem"));
		if (!strcmp(kind, "rule")) {
			/* key: "rule" + its chain; pos keeps the order */
			json_t *where = json_pack(
			    "[s, O?, O?, O?]", "rule", json_object_get(body, "family"),
			    json_object_get(body, "table"), json_object_get(body, "chain"));
			it[k].key = where ? json_dumps(where, DUMP_FLAGS) : NULL;
			json_decref(where);
		} else {
			it[k].key = json_dumps(entry, DUMP_FLAGS);
		}
		if (!it[k].key) {
			r = -ENOMEM;
			break;
		}
		it[k].v = entry;
		it[k].pos = i;
		k++;
	}
	if (r == 0) {
		qsort(it, k, sizeof(*it), cmp_item);
		for (i = 0; i < k; i++)
			json_array_append(out, it[i].v);
		text = json_dumps(out, flags);
	}
done:
	for (i = 0; it && i < k; i++)
		free(it[i].key);
	free(it);
	json_decref(out);
	return text;
}

static int enter_netns(const char *name)
{
	char path[256];
	int fd, r = 0;

	if (snprintf(path, sizeof(path), "/run/netns/%s", name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0)
		r = -errno;
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	const char *netns = NULL;
	bool dump = false;
	struct nft_ctx *nft = NULL;
	json_t *doc = NULL;
	json_error_t jerr;
	char *text = NULL;
	int code = 1, r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--netns") && i + 1 < argc) {
			netns = argv[++i];
		} else if (!strcmp(argv[i], "--dump")) {
			dump = true;
		} else {
			fputs("usage: ruleset_hash [--netns NAME] [--dump]\n", stderr);
			return 2;
		}
	}
	if (netns && (r = enter_netns(netns)) < 0) {
		fprintf(stderr, "ruleset_hash: netns %s: %s\n", netns, strerror(-r));
		return 1;
	}
	if (sodium_init() < 0 || !(nft = nft_ctx_new(NFT_CTX_DEFAULT)))
		goto out;
	nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_STATELESS);
	if (nft_ctx_buffer_output(nft) < 0 || nft_ctx_buffer_error(nft) < 0)
		goto out;
	if (nft_run_cmd_from_buffer(nft, "list ruleset") < 0) {
		fprintf(stderr, "ruleset_hash: list ruleset: %s", nft_ctx_get_error_buffer(nft));
		goto out;
	}
	doc = json_loads(nft_ctx_get_output_buffer(nft), 0, &jerr);
	if (!doc) {
		fprintf(stderr, "ruleset_hash: the listing is not JSON: %s\n", jerr.text);
		goto out;
	}
	text = canonical(doc, dump ? (JSON_SORT_KEYS | JSON_INDENT(1)) : DUMP_FLAGS);
	if (!text) {
		fputs("ruleset_hash: out of memory\n", stderr);
		goto out;
	}
	if (dump) {
		puts(text);
	} else {
		unsigned char h[crypto_hash_sha256_BYTES];
		crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
		for (size_t i = 0; i < sizeof(h); i++)
			printf("%02x", h[i]);
		putchar('\n');
	}
	code = 0;
out:
	free(text);
	json_decref(doc);
	if (nft)
		nft_ctx_free(nft);
	return code;
}
