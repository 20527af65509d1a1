/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control protocol between fwctl and fwd: one JSON object per line over
 * a unix socket.
 *
 *   request:  {"version": 1, "id": 7, "command": "apply",
 *              "args": {"files": [{"name": "acme.yaml", "content": "..."}], "confirm": 60}}
 *   response: {"version": 1, "id": 7, "ok": true, "result": {...}}
 *             {"version": 1, "id": 7, "ok": false, "error": {"code": "EINVAL",
 *              "message": "...", "diagnostics": [...]}}
 *
 * Every request is parsed and validated here, completely, before the daemon
 * acts on it: unknown commands, unknown or missing arguments and wrong types
 * are refused with a message naming the argument, like policy errors.
 * Limits bound what a client can make the daemon allocate.
 */
#ifndef FWD_PROTO_H
#define FWD_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FWP_VERSION     1
#define FWP_MAX_REQUEST (8u << 20) /* bytes in one request line */
#define FWP_MAX_FILES   256        /* policy files in one apply */
#define FWP_MAX_CONFIRM 3600       /* seconds of a commit-confirm window */

enum fwp_command {
	FWP_STATUS,
	FWP_APPLY,
	FWP_CONFIRM,
	FWP_ROLLBACK,
	FWP_HISTORY,
	FWP_SHOW,
};

struct fwp_file {
	const char *name; /* points into the request's JSON */
	const char *content;
	size_t len;
};

struct fwp_request {
	uint64_t id;
	enum fwp_command command;
	/* apply */
	struct fwp_file *files;
	size_t n_files;
	uint32_t confirm; /* apply: seconds, 0 = none */
	/* rollback */
	uint64_t generation; /* 0 = the parent of the live one */
	/* show */
	const char *tenant; /* NULL = all */
	json_t *json;       /* owns every string above */
};

/* Parse one request (without the newline). On error returns -EINVAL (or
 * -EPROTO for a version mismatch, -E2BIG past a limit) and writes a message
 * for the client into err; *ret untouched. */
int fwp_request_parse(const char *buf, size_t len, struct fwp_request *ret, char *err,
                      size_t err_size);
void fwp_request_free(struct fwp_request *req);

const char *fwp_command_name(enum fwp_command c);

/* Serialise a request for the client side (a new string with "\n"). */
char *fwp_request_format(const struct fwp_request *req);

/* Responses, each a new string ending in "\n". `result` and `diagnostics`
 * are stolen (may be NULL). */
char *fwp_response_ok(uint64_t id, json_t *result);
char *fwp_response_error(uint64_t id, int error, const char *message, json_t *diagnostics);

#endif
