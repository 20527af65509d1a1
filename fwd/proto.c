// SPDX-License-Identifier: GPL-2.0-or-later
/* The control protocol: parsing and validating requests, formatting responses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/proto.h"

static const char *const command_names[] = {
    [FWP_STATUS] = "status",     [FWP_APPLY] = "apply",     [FWP_CONFIRM] = "confirm",
    [FWP_ROLLBACK] = "rollback", [FWP_HISTORY] = "history", [FWP_SHOW] = "show",
};

#define N_COMMANDS (sizeof(command_names) / sizeof(command_names[0]))

/* Which arguments each command takes: a bit per argument. */
enum {
	ARG_FILES = 1 << 0,
	ARG_CONFIRM = 1 << 1,
	ARG_GENERATION = 1 << 3,
	ARG_TENANT = 1 << 4,
};

static const unsigned command_args[] = {
    [FWP_STATUS] = 0,  [FWP_APPLY] = ARG_FILES | ARG_CONFIRM,
    [FWP_CONFIRM] = 0, [FWP_ROLLBACK] = ARG_GENERATION,
    [FWP_HISTORY] = 0, [FWP_SHOW] = ARG_TENANT,
};

static const struct {
	const char *name;
	unsigned bit;
} arg_names[] = {
    {"files", ARG_FILES},
    {"confirm", ARG_CONFIRM},
    {"generation", ARG_GENERATION},
    {"tenant", ARG_TENANT},
};

const char *fwp_command_name(enum fwp_command c)
{
	return (size_t)c < N_COMMANDS ? command_names[c] : "?";
}

static int fail(char *err, size_t size, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t size, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return code;
}

/* A plain file name: no directories, no dot names, printable. */
static bool valid_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 255 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int parse_files(json_t *v, struct fwp_request *r, char *err, size_t size)
{
	if (!json_is_array(v))
		return fail(err, size, -EINVAL, "args.files: expected a list of {name, content}");
	if (json_array_size(v) == 0)
		return fail(err, size, -EINVAL, "args.files: expected at least one policy file");
	if (json_array_size(v) > FWP_MAX_FILES)
		return fail(err, size, -E2BIG, "args.files: more than %d files", FWP_MAX_FILES);
	r->files = calloc(json_array_size(v), sizeof(*r->files));
	if (!r->files)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *f = json_array_get(v, i), *n = json_object_get(f, "name"),
		       *c = json_object_get(f, "content");

		if (!json_is_object(f) || json_object_size(f) != 2 || !json_is_string(n) ||
		    !json_is_string(c))
			return fail(
			    err, size, -EINVAL,
			    "args.files[%zu]: expected {\"name\": string, \"content\": string}", i);
		if (!valid_name(json_string_value(n)))
			return fail(err, size, -EINVAL,
			            "args.files[%zu].name: expected a file name without '/'", i);
		for (size_t j = 0; j < r->n_files; j++)
			if (!strcmp(r->files[j].name, json_string_value(n)))
				return fail(err, size, -EINVAL, "args.files[%zu].name: '%s' twice",
				            i, json_string_value(n));
		r->files[i].name = json_string_value(n);
		r->files[i].content = json_string_value(c);
		r->files[i].len = json_string_length(c);
		r->n_files++;
	}
	return 0;
}

static int parse_args(json_t *args, struct fwp_request *r, char *err, size_t size)
{
	unsigned allowed = command_args[r->command];
	const char *key;
	json_t *v;

	if (!args)
		args = json_object(); /* none given: the same checks apply */
	else
		json_incref(args);
	if (!json_is_object(args)) {
		json_decref(args);
		return fail(err, size, -EINVAL, "args: expected an object");
	}
	json_object_foreach(args, key, v)
	{
		unsigned bit = 0;

		for (size_t i = 0; i < sizeof(arg_names) / sizeof(arg_names[0]); i++)
			if (!strcmp(key, arg_names[i].name))
				bit = arg_names[i].bit;
		if (!(bit & allowed)) {
			fail(err, size, -EINVAL, "args: '%s' does not take '%.64s'",
			     fwp_command_name(r->command), key);
			json_decref(args);
			return -EINVAL;
		}
	}
	int e = 0;
	if (allowed & ARG_FILES) {
		json_t *f = json_object_get(args, "files");
		e = f ? parse_files(f, r, err, size)
		      : fail(err, size, -EINVAL, "args: '%s' needs 'files'",
		             fwp_command_name(r->command));
	}
	if (!e && (v = json_object_get(args, "confirm"))) {
		json_int_t s = json_integer_value(v);
		if (!json_is_integer(v) || s < 1 || s > FWP_MAX_CONFIRM)
			e = fail(err, size, -EINVAL, "args.confirm: expected seconds from 1 to %d",
			         FWP_MAX_CONFIRM);
		else
			r->confirm = (uint32_t)s;
	}
	if (!e && (v = json_object_get(args, "generation"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			e = fail(err, size, -EINVAL,
			         "args.generation: expected a generation number");
		else
			r->generation = (uint64_t)json_integer_value(v);
	}
	if (!e && (v = json_object_get(args, "tenant"))) {
		if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 32)
			e = fail(err, size, -EINVAL, "args.tenant: expected a tenant name");
		else
			r->tenant = json_string_value(v);
	}
	json_decref(args);
	return e;
}

int fwp_request_parse(const char *buf, size_t len, struct fwp_request *ret, char *err,
                      size_t err_size)
{
	struct fwp_request r = {0};
	json_error_t jerr;
	json_t *cmd, *ver, *id;
	int e;

	if (len > FWP_MAX_REQUEST)
		return fail(err, err_size, -E2BIG, "request of %zu bytes is larger than %u", len,
		            FWP_MAX_REQUEST);
	/* The size limit bounds allocation; no duplicate keys, as in policies. */
	r.json = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!r.json)
		return fail(err, err_size, -EINVAL, "request is not JSON: %s (column %d)",
		            jerr.text, jerr.column);
	if (!json_is_object(r.json)) {
		e = fail(err, err_size, -EINVAL, "request: expected a JSON object");
		goto out;
	}
	ver = json_object_get(r.json, "version");
	if (!json_is_integer(ver)) {
		e = fail(err, err_size, -EINVAL, "request: expected \"version\": %d", FWP_VERSION);
		goto out;
	}
	if (json_integer_value(ver) != FWP_VERSION) {
		e = fail(err, err_size, -EPROTO,
		         "protocol version %lld is not supported, this fwd speaks version %d",
		         (long long)json_integer_value(ver), FWP_VERSION);
		goto out;
	}
	id = json_object_get(r.json, "id");
	if (id && (!json_is_integer(id) || json_integer_value(id) < 0)) {
		e = fail(err, err_size, -EINVAL, "request: \"id\" must be a non-negative integer");
		goto out;
	}
	r.id = id ? (uint64_t)json_integer_value(id) : 0;
	cmd = json_object_get(r.json, "command");
	if (!json_is_string(cmd)) {
		e = fail(err, err_size, -EINVAL, "request: expected \"command\": a string");
		goto out;
	}
	size_t c;
	for (c = 0; c < N_COMMANDS; c++)
		if (!strcmp(json_string_value(cmd), command_names[c]))
			break;
	if (c == N_COMMANDS) {
		e = fail(err, err_size, -EINVAL,
		         "unknown command '%.64s' (expected status, apply, confirm, rollback, "
		         "history or show)",
		         json_string_value(cmd));
		goto out;
	}
	r.command = (enum fwp_command)c;
	const char *key;
	json_t *v;
	json_object_foreach(r.json, key, v)
	{
		if (strcmp(key, "version") && strcmp(key, "id") && strcmp(key, "command") &&
		    strcmp(key, "args")) {
			e = fail(
			    err, err_size, -EINVAL,
			    "request: unknown key '%.64s' (expected version, id, command, args)",
			    key);
			goto out;
		}
	}
	e = parse_args(json_object_get(r.json, "args"), &r, err, err_size);
out:
	if (e < 0) {
		fwp_request_free(&r);
		return e;
	}
	*ret = r;
	return 0;
}

void fwp_request_free(struct fwp_request *req)
{
	if (!req)
		return;
	free(req->files);
	json_decref(req->json);
	memset(req, 0, sizeof(*req));
}

static char *dump_line(json_t *o)
{
	char *s, *line;
	size_t len;

	if (!o)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!s)
		return NULL;
	len = strlen(s);
	line = realloc(s, len + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	return line;
}

char *fwp_request_format(const struct fwp_request *req)
{
	json_t *args = json_object(), *o;

	if (!args)
		return NULL;
	if (req->n_files) {
		json_t *files = json_array();
		for (size_t i = 0; files && i < req->n_files; i++) {
			json_t *f = json_pack("{s:s, s:s%}", "name", req->files[i].name, "content",
			                      req->files[i].content, req->files[i].len);
			/* Not UTF-8, or out of memory: never send a request missing a file. */
			if (!f || json_array_append_new(files, f) < 0) {
				json_decref(files);
				files = NULL;
			}
		}
		if (!files) {
			json_decref(args);
			return NULL;
		}
		json_object_set_new(args, "files", files);
	}
	if (req->confirm)
		json_object_set_new(args, "confirm", json_integer(req->confirm));
	if (req->generation)
		json_object_set_new(args, "generation", json_integer((json_int_t)req->generation));
	if (req->tenant)
		json_object_set_new(args, "tenant", json_string(req->tenant));
	o = json_pack("{s:i, s:I, s:s, s:o}", "version", FWP_VERSION, "id", (json_int_t)req->id,
	              "command", fwp_command_name(req->command), "args", args);
	return dump_line(o);
}

char *fwp_response_ok(uint64_t id, json_t *result)
{
	return dump_line(json_pack("{s:i, s:I, s:b, s:o}", "version", FWP_VERSION, "id",
	                           (json_int_t)id, "ok", 1, "result",
	                           result ? result : json_object()));
}

static const char *errno_name(int e)
{
	switch (e < 0 ? -e : e) {
	case EINVAL:
		return "EINVAL";
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	case EBUSY:
		return "EBUSY";
	case ENOENT:
		return "ENOENT";
	case E2BIG:
		return "E2BIG";
	case EPROTO:
		return "EPROTO";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case ENOMEM:
		return "ENOMEM";
	default:
		return "EIO";
	}
}

char *fwp_response_error(uint64_t id, int error, const char *message, json_t *diagnostics)
{
	json_t *e = json_pack("{s:s, s:s, s:o*}", "code", errno_name(error), "message",
	                      message ? message : "", "diagnostics", diagnostics);

	if (!e)
		return NULL;
	return dump_line(json_pack("{s:i, s:I, s:b, s:o}", "version", FWP_VERSION, "id",
	                           (json_int_t)id, "ok", 0, "error", e));
}
