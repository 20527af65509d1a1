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

#include "fwd/flowcheck.h"

#define FWP_VERSION     1
#define FWP_MAX_REQUEST (8u << 20) /* bytes in one request line */
#define FWP_MAX_FILES   256        /* policy files in one apply */
#define FWP_MAX_CONFIRM 3600       /* seconds of a commit-confirm window */
#define FWP_MAX_LOGS    1024       /* logs: records back (the daemon keeps as many) */

enum fwp_command {
	FWP_STATUS,
	FWP_APPLY,
	FWP_CONFIRM,
	FWP_ROLLBACK,
	FWP_HISTORY,
	FWP_SHOW,
	FWP_LOGS,
	FWP_COUNTERS,
	FWP_DIFF,       /* files: what apply would change, nothing applied */
	FWP_RULE_ADD,   /* tenant, rule: one rule into the live policy's tenant file */
	FWP_RULE_DEL,   /* tenant, id: one rule out */
	FWP_VPN_STATUS, /* tenant (optional): WireGuard peers, handshakes, bytes */
	FWP_SYNC,       /* commit (optional): apply the git branch's tip now */
	FWP_VPN_EDIT,   /* tenant, vpn: a VPN user or site into or out of the tenant file */
	FWP_VPN_LIST,   /* tenant (optional): the live policy's VPN users and sites */
};

struct fwp_file {
	const char *name; /* points into the request's JSON */
	const char *content;
	size_t len;
};

/* rule-add's "rule": {"from": S|[S...], "to": ..., "allow": ..., "id": S,
 * "log": B, "comment": S, "before": S}; from, to and allow required. */
#define FWP_MAX_RULE_LIST  32   /* entries of from, to, allow */
#define FWP_MAX_RULE_VALUE 1024 /* bytes of one value */
struct fwp_rule {
	const char *id, *comment, *before; /* NULL: none */
	const char *from[FWP_MAX_RULE_LIST], *to[FWP_MAX_RULE_LIST], *allow[FWP_MAX_RULE_LIST];
	size_t n_from, n_to, n_allow;
	bool log;
};

/* vpn-edit's "vpn": {"op": "user-add"|"user-del"|"site-add"|"site-del",
 * "name": S, "address": S, "public_key": S, "groups": [S...],
 * "networks": [S...], "endpoint": S, "keepalive": N} (fwd/proto_vpn.c).
 * Never a private key: fwctl keeps the user's to itself. */
struct fwp_vpn_edit {
	const char *op, *name, *address, *public_key, *endpoint; /* NULL: none */
	const char *groups[FWP_MAX_RULE_LIST], *networks[FWP_MAX_RULE_LIST];
	size_t n_groups, n_networks;
	int keepalive; /* -1: none */
};

struct fwp_request {
	uint64_t id;
	enum fwp_command command;
	/* apply */
	struct fwp_file *files;
	size_t n_files;
	uint32_t confirm; /* apply: seconds, 0 = none */
	/* apply, rollback: where the engineer is, for the lockout guard
	 * ("origin": {"address": IP, "to": IP, "port": N}, to and port
	 * optional), and "force": true to go on even if it cuts him off */
	bool has_origin;
	struct fw_mgmt_origin origin;
	bool force;
	/* rollback */
	uint64_t generation; /* 0 = the parent of the live one */
	/* show, logs */
	const char *tenant; /* NULL = all */
	/* logs: the last `limit` records (has_limit false: the daemon's
	 * default), then, with follow, every new one as it comes */
	bool follow;
	bool has_limit;
	uint32_t limit; /* 0..FWP_MAX_LOGS */
	/* rule-add (with tenant, confirm, origin, force) */
	bool has_rule;
	struct fwp_rule rule;
	/* rule-del: the rule's id */
	const char *rule_id;
	/* vpn-edit (with tenant, confirm, origin, force) */
	bool has_vpn;
	struct fwp_vpn_edit vpn;
	/* sync: the pushed commit (40 hex digits); NULL: the branch's tip */
	const char *commit;
	json_t *json; /* owns every string above */
};

/* Parse one request (without the newline). On error returns -EINVAL (or
 * -EPROTO for a version mismatch, -E2BIG past a limit) and writes a message
 * for the client into err; *ret untouched. */
int fwp_request_parse(const char *buf, size_t len, struct fwp_request *ret, char *err,
                      size_t err_size);
void fwp_request_free(struct fwp_request *req);

const char *fwp_command_name(enum fwp_command c);

/* rule-add's "rule" and rule-del's "id" (fwd/proto_rule.c), called by the
 * parser once the other arguments are in; the serialiser's side. */
int fwp_parse_rule_args(json_t *args, struct fwp_request *r, char *err, size_t size);
json_t *fwp_rule_json(const struct fwp_rule *rule);
/* vpn-edit's "vpn" (fwd/proto_vpn.c), the same way. */
int fwp_parse_vpn_args(json_t *args, struct fwp_request *r, char *err, size_t size);
json_t *fwp_vpn_json(const struct fwp_vpn_edit *v);

/* Serialise a request for the client side (a new string with "\n"). */
char *fwp_request_format(const struct fwp_request *req);

/* Responses, each a new string ending in "\n". `result` and `diagnostics`
 * are stolen (may be NULL). */
char *fwp_response_ok(uint64_t id, json_t *result);
char *fwp_response_error(uint64_t id, int error, const char *message, json_t *diagnostics);
/* The error's code in responses: "EINVAL", "EPERM", ... ("EIO" for the rest). */
const char *fwp_errno_name(int e);

#endif
