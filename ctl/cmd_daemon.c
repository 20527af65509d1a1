// SPDX-License-Identifier: GPL-2.0-or-later
/* fwctl status|apply|confirm|rollback|history|show: commands for the daemon. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fwctl.h"
#include "fwd/proto.h"

#define FILE_MAX (4u << 20)

/* Print the response (JSON as is, or the error with its diagnostics) and
 * return the exit code; on success *ok_result gets the result (borrowed). */
static int finish(const struct ctl *ctl, json_t *resp, json_t **ok_result)
{
	bool ok = json_is_true(json_object_get(resp, "ok"));

	if (ctl->json) {
		print_json(json_incref(resp));
		if (ok_result)
			*ok_result = NULL;
		return ok ? EXIT_OK : EXIT_ERRORS;
	}
	if (ok) {
		*ok_result = json_object_get(resp, "result");
		return EXIT_OK;
	}
	json_t *e = json_object_get(resp, "error"), *d;
	size_t i;
	fprintf(stderr, "fwctl: %s (%s)\n", json_string_value(json_object_get(e, "message")),
	        json_string_value(json_object_get(e, "code")));
	json_array_foreach(json_object_get(e, "diagnostics"), i, d)
	{
		const char *file = json_string_value(json_object_get(d, "file"));

		if (!file) /* the daemon's own (a backend's), as fw_diag_format says it */
			fprintf(stderr, "fwd: %s: %s\n",
			        json_string_value(json_object_get(d, "severity")),
			        json_string_value(json_object_get(d, "message")));
		else
			fprintf(stderr, "%s:%lld:%lld: %s: %s\n", file,
			        (long long)json_integer_value(json_object_get(d, "line")),
			        (long long)json_integer_value(json_object_get(d, "column")),
			        json_string_value(json_object_get(d, "severity")),
			        json_string_value(json_object_get(d, "message")));
	}
	return EXIT_ERRORS;
}

static int simple(struct ctl *ctl, struct fwp_request *req, json_t **resp, json_t **result)
{
	int r = ctl_call(ctl, req, resp);

	if (r < 0)
		return EXIT_USAGE;
	return finish(ctl, *resp, result);
}

int ctl_simple(struct ctl *ctl, struct fwp_request *req, json_t **resp, json_t **result)
{
	return simple(ctl, req, resp, result);
}

static const char *when(json_int_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, size, "%lld", (long long)t);
	return buf;
}

/* The kernel against the live plan: when fwd last looked, what it found. */
static void print_drift(const json_t *dr)
{
	json_int_t checked = json_integer_value(json_object_get(dr, "checked"));
	json_int_t found = json_integer_value(json_object_get(dr, "found"));
	json_int_t repairs = json_integer_value(json_object_get(dr, "repairs"));
	char buf[64];

	if (!dr)
		return;
	if (!checked) {
		printf("drift check: none yet\n");
		return;
	}
	printf("drift check: %s, %lld repair%s\n", when(checked, buf, sizeof(buf)),
	       (long long)repairs, repairs == 1 ? "" : "s");
	if (found)
		printf("last drift: %s: %s\n", when(found, buf, sizeof(buf)),
		       json_string_value(json_object_get(dr, "detail")));
}

int cmd_status(struct ctl *ctl, int argc, char **argv)
{
	struct fwp_request req = {.command = FWP_STATUS};
	json_t *resp = NULL, *res = NULL, *t;
	size_t i;
	int code;

	(void)argv;
	if (argc) {
		fprintf(stderr, "usage: fwctl status\n");
		return EXIT_USAGE;
	}
	code = simple(ctl, &req, &resp, &res);
	if (res) {
		char buf[64];
		json_int_t pending = json_integer_value(json_object_get(res, "pending"));
		printf("live generation: %lld\n",
		       (long long)json_integer_value(json_object_get(res, "live")));
		if (pending)
			printf("pending: generation %lld, rolled back to %lld at %s unless "
			       "confirmed\n",
			       (long long)pending,
			       (long long)json_integer_value(json_object_get(res, "previous")),
			       when(json_integer_value(json_object_get(res, "confirm_deadline")),
			            buf, sizeof(buf)));
		json_array_foreach(json_object_get(res, "tenants"), i, t)
		{
			printf("tenant %s (id %lld): %lld zones, %lld rules\n",
			       json_string_value(json_object_get(t, "name")),
			       (long long)json_integer_value(json_object_get(t, "id")),
			       (long long)json_integer_value(json_object_get(t, "zones")),
			       (long long)json_integer_value(json_object_get(t, "rules")));
		}
		print_drift(json_object_get(res, "drift"));
		ctl_print_git(json_object_get(res, "git")); /* none: fwd follows no repository */
	}
	json_decref(resp);
	return code;
}

/* Read PATH (a file, or a directory's *.yaml / *.yml) into request files. */
static int add_path(const char *path, struct fwp_file **files, size_t *n, char ***bufs)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "fwctl: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **list;
		int k = scandir(path, &list, NULL, alphasort);
		int r = 0;
		if (k < 0)
			return -errno;
		for (int i = 0; i < k; i++) {
			const char *nm = list[i]->d_name;
			size_t len = strlen(nm);
			if (nm[0] != '.' && ((len > 5 && !strcmp(nm + len - 5, ".yaml")) ||
			                     (len > 4 && !strcmp(nm + len - 4, ".yml")))) {
				char *full;
				if (r == 0 && asprintf(&full, "%s/%s", path, nm) >= 0) {
					r = add_path(full, files, n, bufs);
					free(full);
				}
			}
			free(list[i]);
		}
		free(list);
		return r;
	}
	FILE *f = fopen(path, "rb");
	if (!f || st.st_size > (off_t)FILE_MAX) {
		fprintf(stderr, "fwctl: %s: %s\n", path, f ? "larger than 4 MiB" : strerror(errno));
		if (f)
			fclose(f);
		return -EINVAL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	const char *base = strrchr(path, '/');
	char *name = strdup(base ? base + 1 : path);
	struct fwp_file *nf = realloc(*files, (*n + 1) * sizeof(**files));
	char **nb = realloc(*bufs, (2 * *n + 2) * sizeof(**bufs));
	if (nf)
		*files = nf;
	if (nb)
		*bufs = nb;
	if (!buf || !name || !nf || !nb) {
		free(buf);
		free(name);
		return -ENOMEM;
	}
	buf[got] = '\0';
	/* The request keeps pointers: the buffers live until it is sent. */
	(*files)[*n] = (struct fwp_file){name, buf, got};
	(*bufs)[2 * *n] = buf;
	(*bufs)[2 * *n + 1] = name;
	(*n)++;
	return 0;
}

int cmd_apply(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"confirm", required_argument, NULL, 'c'},
	    {"force", no_argument, NULL, 'f'},
	    {"from-address", required_argument, NULL, 'a'},
	    {0},
	};
	struct fwp_request req = {.command = FWP_APPLY};
	const char *from = NULL;
	char **bufs = NULL;
	json_t *resp = NULL, *res = NULL;
	int c, code = EXIT_USAGE;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (ctl_parse_confirm("apply", optarg, &req.confirm) < 0)
				return EXIT_USAGE;
			break;
		case 'f':
			req.force = true;
			break;
		case 'a':
			from = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc + 1) {
		fprintf(stderr, "usage: fwctl apply [--confirm SECONDS] [--force] "
		                "[--from-address ADDR[,TO[:PORT]]] PATH...\n");
		return EXIT_USAGE;
	}
	if (ctl_origin("apply", from, &req) < 0)
		return EXIT_USAGE;
	for (int i = optind - 1; i < argc; i++)
		if (add_path(argv[i], &req.files, &req.n_files, &bufs) < 0)
			goto out;
	if (req.n_files == 0) {
		fprintf(stderr, "fwctl apply: no policy files (*.yaml, *.yml) found\n");
		goto out;
	}
	code = simple(ctl, &req, &resp, &res);
	if (res) {
		printf("applied generation %lld\n",
		       (long long)json_integer_value(json_object_get(res, "generation")));
		if (req.confirm)
			printf("confirm within %u seconds with 'fwctl confirm', or it is rolled "
			       "back\n",
			       req.confirm);
		ctl_print_change(res);
	}
out:
	for (size_t i = 0; i < 2 * req.n_files; i++)
		free(bufs[i]);
	free(bufs);
	free(req.files);
	json_decref(resp);
	return code;
}

int cmd_confirm(struct ctl *ctl, int argc, char **argv)
{
	struct fwp_request req = {.command = FWP_CONFIRM};
	json_t *resp = NULL, *res = NULL;
	int code;

	(void)argv;
	if (argc) {
		fprintf(stderr, "usage: fwctl confirm\n");
		return EXIT_USAGE;
	}
	code = simple(ctl, &req, &resp, &res);
	if (res)
		printf("generation %lld confirmed\n",
		       (long long)json_integer_value(json_object_get(res, "generation")));
	json_decref(resp);
	return code;
}

int cmd_rollback(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"from-address", required_argument, NULL, 'a'},
	    {0},
	};
	struct fwp_request req = {.command = FWP_ROLLBACK};
	json_t *resp = NULL, *res = NULL;
	const char *from = NULL;
	int c, code;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "", opts, NULL)) != -1) {
		if (c == 'f')
			req.force = true;
		else if (c == 'a')
			from = optarg;
		else
			return EXIT_USAGE;
	}
	argv += optind - 1;
	argc -= optind - 1;
	if (argc > 1) {
		fprintf(stderr, "usage: fwctl rollback [--force] [--from-address ADDR[,TO[:PORT]]] "
		                "[GENERATION]\n");
		return EXIT_USAGE;
	}
	if (argc == 1 && ctl_parse_generation("rollback", argv[0], &req.generation) < 0)
		return EXIT_USAGE;
	if (ctl_origin("rollback", from, &req) < 0)
		return EXIT_USAGE;
	code = simple(ctl, &req, &resp, &res);
	if (res) {
		printf("generation %lld is live\n",
		       (long long)json_integer_value(json_object_get(res, "generation")));
		ctl_print_change(res);
	}
	json_decref(resp);
	return code;
}

int cmd_history(struct ctl *ctl, int argc, char **argv)
{
	struct fwp_request req = {.command = FWP_HISTORY};
	json_t *resp = NULL, *res = NULL, *g;
	size_t i;
	int code;

	if (argc == 1)
		return cmd_history_one(ctl, argv[0]); /* ctl/cmd_change.c */
	if (argc) {
		fprintf(stderr, "usage: fwctl history [GENERATION]\n");
		return EXIT_USAGE;
	}
	code = simple(ctl, &req, &resp, &res);
	json_array_foreach(res ? json_object_get(res, "generations") : NULL, i, g)
	{
		char buf[64];
		printf("%6lld  %s  %-12s %-8s parent %lld%s%s\n",
		       (long long)json_integer_value(json_object_get(g, "generation")),
		       when(json_integer_value(json_object_get(g, "time")), buf, sizeof(buf)),
		       json_string_value(json_object_get(g, "who")),
		       json_string_value(json_object_get(g, "source")),
		       (long long)json_integer_value(json_object_get(g, "parent")),
		       *json_string_value(json_object_get(g, "comment")) ? "  " : "",
		       json_string_value(json_object_get(g, "comment")));
	}
	json_decref(resp);
	return code;
}

int cmd_show(struct ctl *ctl, int argc, char **argv)
{
	struct fwp_request req = {.command = FWP_SHOW};
	json_t *resp = NULL, *res = NULL, *t;
	size_t i;
	int code;

	if (argc > 1) {
		fprintf(stderr, "usage: fwctl show [TENANT]\n");
		return EXIT_USAGE;
	}
	req.tenant = argc ? argv[0] : NULL;
	code = simple(ctl, &req, &resp, &res);
	json_array_foreach(res ? json_object_get(res, "tables") : NULL, i, t)
	    fputs(json_string_value(json_object_get(t, "ruleset")), stdout);
	/* the tenants' bridges, ports and VLANs (older daemons send none) */
	json_array_foreach(res ? json_object_get(res, "l2") : NULL, i, t)
	    fputs(json_string_value(json_object_get(t, "text")), stdout);
	/* the tenants' WireGuard interfaces and peers */
	json_array_foreach(res ? json_object_get(res, "vpn") : NULL, i, t)
	    fputs(json_string_value(json_object_get(t, "text")), stdout);
	json_decref(resp);
	return code;
}

int ctl_add_path(const char *path, struct fwp_file **files, size_t *n, char ***bufs)
{
	return add_path(path, files, n, bufs);
}
