// SPDX-License-Identifier: GPL-2.0-or-later
/* The control protocol: parsing and validating requests, formatting responses. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/diag.h"
#include "fwd/proto.h"

static const char *const command_names[] = {
    [FWP_STATUS] = "status",     [FWP_APPLY] = "apply",       [FWP_CONFIRM] = "confirm",
    [FWP_ROLLBACK] = "rollback", [FWP_HISTORY] = "history",   [FWP_SHOW] = "show",
    [FWP_LOGS] = "logs",         [FWP_COUNTERS] = "counters", [FWP_DIFF] = "diff",
    [FWP_RULE_ADD] = "rule-add", [FWP_RULE_DEL] = "rule-del", [FWP_VPN_STATUS] = "vpn-status",
    [FWP_SYNC] = "sync",         [FWP_VPN_EDIT] = "vpn-edit", [FWP_VPN_LIST] = "vpn-list",
};

#define N_COMMANDS (sizeof(command_names) / sizeof(command_names[0]))

/* Which arguments each command takes: a bit per argument. */
enum {
	ARG_FILES = 1 << 0,
	ARG_CONFIRM = 1 << 1,
	ARG_GENERATION = 1 << 3,
	ARG_TENANT = 1 << 4,
	ARG_ORIGIN = 1 << 5,
	ARG_FORCE = 1 << 6,
	ARG_FOLLOW = 1 << 10,
	ARG_LIMIT = 1 << 11,
	ARG_RULE = 1 << 16,
	ARG_ID = 1 << 17,
	ARG_COMMIT = 1 << 18,
	ARG_VPN = 1 << 19,
};

static const unsigned command_args[] = {
    [FWP_STATUS] = 0,
    [FWP_APPLY] = ARG_FILES | ARG_CONFIRM | ARG_ORIGIN | ARG_FORCE,
    [FWP_CONFIRM] = 0,
    [FWP_ROLLBACK] = ARG_GENERATION | ARG_ORIGIN | ARG_FORCE,
    [FWP_HISTORY] = ARG_GENERATION,
    [FWP_SHOW] = ARG_TENANT,
    [FWP_LOGS] = ARG_TENANT | ARG_FOLLOW | ARG_LIMIT,
    [FWP_COUNTERS] = ARG_TENANT,
    [FWP_DIFF] = ARG_FILES,
    [FWP_RULE_ADD] = ARG_TENANT | ARG_RULE | ARG_CONFIRM | ARG_ORIGIN | ARG_FORCE,
    [FWP_RULE_DEL] = ARG_TENANT | ARG_ID | ARG_CONFIRM | ARG_ORIGIN | ARG_FORCE,
    [FWP_VPN_STATUS] = ARG_TENANT,
    [FWP_SYNC] = ARG_COMMIT,
    [FWP_VPN_EDIT] = ARG_TENANT | ARG_VPN | ARG_CONFIRM | ARG_ORIGIN | ARG_FORCE,
    [FWP_VPN_LIST] = ARG_TENANT,
};

static const struct {
	const char *name;
	unsigned bit;
} arg_names[] = {
    {"files", ARG_FILES},   {"confirm", ARG_CONFIRM}, {"generation", ARG_GENERATION},
    {"tenant", ARG_TENANT}, {"origin", ARG_ORIGIN},   {"force", ARG_FORCE},
    {"follow", ARG_FOLLOW}, {"limit", ARG_LIMIT},     {"rule", ARG_RULE},
    {"id", ARG_ID},         {"commit", ARG_COMMIT},   {"vpn", ARG_VPN},
};

const char *fwp_command_name(enum fwp_command c)
{
	return (size_t)c < N_COMMANDS ? command_names[c] : "?";
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
		return fw_errf(err, size, -EINVAL,
		               "args.files: expected a list of {name, content}");
	if (json_array_size(v) == 0)
		return fw_errf(err, size, -EINVAL, "args.files: expected at least one policy file");
	if (json_array_size(v) > FWP_MAX_FILES)
		return fw_errf(err, size, -E2BIG, "args.files: more than %d files", FWP_MAX_FILES);
	r->files = calloc(json_array_size(v), sizeof(*r->files));
	if (!r->files)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *f = json_array_get(v, i), *n = json_object_get(f, "name"),
		       *c = json_object_get(f, "content");

		if (!json_is_object(f) || json_object_size(f) != 2 || !json_is_string(n) ||
		    !json_is_string(c))
			return fw_errf(
			    err, size, -EINVAL,
			    "args.files[%zu]: expected {\"name\": string, \"content\": string}", i);
		if (!valid_name(json_string_value(n)))
			return fw_errf(err, size, -EINVAL,
			               "args.files[%zu].name: expected a file name without '/'", i);
		for (size_t j = 0; j < r->n_files; j++)
			if (!strcmp(r->files[j].name, json_string_value(n)))
				return fw_errf(err, size, -EINVAL,
				               "args.files[%zu].name: '%s' twice", i,
				               json_string_value(n));
		r->files[i].name = json_string_value(n);
		r->files[i].content = json_string_value(c);
		r->files[i].len = json_string_length(c);
		r->n_files++;
	}
	return 0;
}

/* An address of the given family (0: either); returns its family or 0. */
static uint8_t parse_ip(json_t *v, uint8_t family, uint8_t out[16])
{
	const char *s = json_string_value(v);

	memset(out, 0, 16);
	if (!s || json_string_length(v) > 64)
		return 0;
	if (family != 6 && inet_pton(AF_INET, s, out) == 1)
		return 4;
	if (family != 4 && inet_pton(AF_INET6, s, out) == 1)
		return 6;
	return 0;
}

/* "origin": {"address": IP, "to": IP, "port": N}: where the engineer is. */
static int parse_origin(json_t *v, struct fwp_request *r, char *err, size_t size)
{
	struct fw_mgmt_origin o = {0};
	json_t *a = json_object_get(v, "address"), *to = json_object_get(v, "to"),
	       *port = json_object_get(v, "port");

	if (!json_is_object(v) || !a || json_object_size(v) != 1u + (to != NULL) + (port != NULL))
		return fw_errf(err, size, -EINVAL,
		               "args.origin: expected {\"address\": IP, \"to\": IP, \"port\": "
		               "1-65535} (to and port optional)");
	if (!(o.family = parse_ip(a, 0, o.from)))
		return fw_errf(err, size, -EINVAL,
		               "args.origin.address: expected an IPv4 or IPv6 address");
	if (to && !(o.has_to = parse_ip(to, o.family, o.to) != 0))
		return fw_errf(err, size, -EINVAL,
		               "args.origin.to: expected an IPv%u address like "
		               "args.origin.address",
		               o.family);
	if (port) {
		json_int_t p = json_integer_value(port);
		if (!json_is_integer(port) || p < 1 || p > 65535)
			return fw_errf(err, size, -EINVAL,
			               "args.origin.port: expected a tcp port from 1 to 65535");
		o.port = (uint16_t)p;
	}
	r->origin = o;
	r->has_origin = true;
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
		return fw_errf(err, size, -EINVAL, "args: expected an object");
	}
	json_object_foreach(args, key, v)
	{
		unsigned bit = 0;

		for (size_t i = 0; i < sizeof(arg_names) / sizeof(arg_names[0]); i++)
			if (!strcmp(key, arg_names[i].name))
				bit = arg_names[i].bit;
		if (!(bit & allowed)) {
			fw_errf(err, size, -EINVAL, "args: '%s' does not take '%.64s'",
			        fwp_command_name(r->command), key);
			json_decref(args);
			return -EINVAL;
		}
	}
	int e = 0;
	if (allowed & ARG_FILES) {
		json_t *f = json_object_get(args, "files");
		e = f ? parse_files(f, r, err, size)
		      : fw_errf(err, size, -EINVAL, "args: '%s' needs 'files'",
		                fwp_command_name(r->command));
	}
	if (!e && (v = json_object_get(args, "confirm"))) {
		json_int_t s = json_integer_value(v);
		if (!json_is_integer(v) || s < 1 || s > FWP_MAX_CONFIRM)
			e = fw_errf(err, size, -EINVAL,
			            "args.confirm: expected seconds from 1 to %d", FWP_MAX_CONFIRM);
		else
			r->confirm = (uint32_t)s;
	}
	if (!e && (v = json_object_get(args, "generation"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			e = fw_errf(err, size, -EINVAL,
			            "args.generation: expected a generation number");
		else
			r->generation = (uint64_t)json_integer_value(v);
	}
	if (!e && (v = json_object_get(args, "origin")))
		e = parse_origin(v, r, err, size);
	if (!e && (v = json_object_get(args, "force"))) {
		if (!json_is_boolean(v))
			e = fw_errf(err, size, -EINVAL, "args.force: expected true or false");
		else
			r->force = json_is_true(v);
	}
	if (!e && (v = json_object_get(args, "tenant"))) {
		if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 32)
			e = fw_errf(err, size, -EINVAL, "args.tenant: expected a tenant name");
		else
			r->tenant = json_string_value(v);
	}
	if (!e && (v = json_object_get(args, "follow"))) {
		if (!json_is_boolean(v))
			e = fw_errf(err, size, -EINVAL, "args.follow: expected true or false");
		else
			r->follow = json_is_true(v);
	}
	if (!e && (v = json_object_get(args, "limit"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > FWP_MAX_LOGS)
			e = fw_errf(err, size, -EINVAL, "args.limit: expected records from 0 to %d",
			            FWP_MAX_LOGS);
		else {
			r->limit = (uint32_t)json_integer_value(v);
			r->has_limit = true;
		}
	}
	if (!e && (v = json_object_get(args, "commit"))) {
		/* a full commit id: what a post-receive hook gets */
		if (!json_is_string(v) || json_string_length(v) != 40 ||
		    strspn(json_string_value(v), "0123456789abcdef") != 40)
			e = fw_errf(err, size, -EINVAL,
			            "args.commit: expected a commit id of 40 lowercase hex digits");
		else
			r->commit = json_string_value(v);
	}
	if (!e && (allowed & (ARG_RULE | ARG_ID)))
		e = fwp_parse_rule_args(args, r, err, size);
	if (!e && (allowed & ARG_VPN))
		e = fwp_parse_vpn_args(args, r, err, size);
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
		return fw_errf(err, err_size, -E2BIG, "request of %zu bytes is larger than %u", len,
		               FWP_MAX_REQUEST);
	/* The size limit bounds allocation; no duplicate keys, as in policies. */
	r.json = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!r.json)
		return fw_errf(err, err_size, -EINVAL, "request is not JSON: %s (column %d)",
		               jerr.text, jerr.column);
	if (!json_is_object(r.json)) {
		e = fw_errf(err, err_size, -EINVAL, "request: expected a JSON object");
		goto out;
	}
	ver = json_object_get(r.json, "version");
	if (!json_is_integer(ver)) {
		e = fw_errf(err, err_size, -EINVAL, "request: expected \"version\": %d",
		            FWP_VERSION);
		goto out;
	}
	if (json_integer_value(ver) != FWP_VERSION) {
		e = fw_errf(err, err_size, -EPROTO,
		            "protocol version %lld is not supported, this fwd speaks version %d",
		            (long long)json_integer_value(ver), FWP_VERSION);
		goto out;
	}
	id = json_object_get(r.json, "id");
	if (id && (!json_is_integer(id) || json_integer_value(id) < 0)) {
		e = fw_errf(err, err_size, -EINVAL,
		            "request: \"id\" must be a non-negative integer");
		goto out;
	}
	r.id = id ? (uint64_t)json_integer_value(id) : 0;
	cmd = json_object_get(r.json, "command");
	if (!json_is_string(cmd)) {
		e = fw_errf(err, err_size, -EINVAL, "request: expected \"command\": a string");
		goto out;
	}
	size_t c;
	for (c = 0; c < N_COMMANDS; c++)
		if (!strcmp(json_string_value(cmd), command_names[c]))
			break;
	if (c == N_COMMANDS) {
		e = fw_errf(err, err_size, -EINVAL,
		            "unknown command '%.64s' (expected status, apply, confirm, rollback, "
		            "history, show, logs, counters, diff, rule-add, rule-del, vpn-status, "
		            "sync, vpn-edit or vpn-list)",
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
			e = fw_errf(
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

static json_t *origin_json(const struct fw_mgmt_origin *o)
{
	int af = o->family == 6 ? AF_INET6 : AF_INET;
	char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
	json_t *j;

	if (!inet_ntop(af, o->from, from, sizeof(from)) ||
	    (o->has_to && !inet_ntop(af, o->to, to, sizeof(to))))
		return NULL;
	j = json_pack("{s:s}", "address", from);
	if (j && o->has_to)
		json_object_set_new(j, "to", json_string(to));
	if (j && o->port)
		json_object_set_new(j, "port", json_integer(o->port));
	return j;
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
	if (req->follow)
		json_object_set_new(args, "follow", json_true());
	if (req->has_limit)
		json_object_set_new(args, "limit", json_integer(req->limit));
	if (req->has_origin) {
		json_t *origin = origin_json(&req->origin);
		if (!origin) {
			json_decref(args);
			return NULL;
		}
		json_object_set_new(args, "origin", origin);
	}
	if (req->force)
		json_object_set_new(args, "force", json_true());
	if (req->has_rule) {
		json_t *rule = fwp_rule_json(&req->rule);
		if (!rule) {
			json_decref(args);
			return NULL;
		}
		json_object_set_new(args, "rule", rule);
	}
	if (req->rule_id)
		json_object_set_new(args, "id", json_string(req->rule_id));
	if (req->commit)
		json_object_set_new(args, "commit", json_string(req->commit));
	if (req->has_vpn) {
		json_t *vpn = fwp_vpn_json(&req->vpn);
		if (!vpn) {
			json_decref(args);
			return NULL;
		}
		json_object_set_new(args, "vpn", vpn);
	}
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

const char *fwp_errno_name(int e)
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
	case EEXIST:
		return "EEXIST";
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
	json_t *e = json_pack("{s:s, s:s, s:o*}", "code", fwp_errno_name(error), "message",
	                      message ? message : "", "diagnostics", diagnostics);

	if (!e)
		return NULL;
	return dump_line(json_pack("{s:i, s:I, s:b, s:o}", "version", FWP_VERSION, "id",
	                           (json_int_t)id, "ok", 0, "error", e));
}
