/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef FWCTL_H
#define FWCTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "fwd/diag.h"

/* Exit codes: documented in fwctl(8). */
#define EXIT_OK     0
#define EXIT_ERRORS 1 /* the policy has errors */
#define EXIT_USAGE  2 /* bad command line, unreadable input */
#define EXIT_DENY   3 /* explain: the flow is denied */

#define FWD_DEFAULT_SOCKET "/run/fwd/fwd.sock"

struct ctl {
	bool json;
	const char *socket; /* the daemon's control socket */
};

int cmd_check(struct ctl *ctl, int argc, char **argv);
int cmd_compile(struct ctl *ctl, int argc, char **argv);
int cmd_explain(struct ctl *ctl, int argc, char **argv);

/* Daemon commands (ctl/cmd_daemon.c). */
int cmd_status(struct ctl *ctl, int argc, char **argv);
int cmd_apply(struct ctl *ctl, int argc, char **argv);
int cmd_confirm(struct ctl *ctl, int argc, char **argv);
int cmd_rollback(struct ctl *ctl, int argc, char **argv);
int cmd_history(struct ctl *ctl, int argc, char **argv);
int cmd_show(struct ctl *ctl, int argc, char **argv);
int cmd_logs(struct ctl *ctl, int argc, char **argv);     /* ctl/cmd_logs.c */
int cmd_counters(struct ctl *ctl, int argc, char **argv); /* ctl/cmd_counters.c */
int cmd_vpn(struct ctl *ctl, int argc, char **argv);      /* ctl/cmd_vpn.c */
int cmd_sync(struct ctl *ctl, int argc, char **argv);     /* ctl/cmd_sync.c */
/* vpn user|site add|del, vpn list, else cmd_vpn (ctl/cmd_vpn_user.c) */
int cmd_vpn_all(struct ctl *ctl, int argc, char **argv);
/* The "git" object of a status result as text lines (ctl/cmd_sync.c). */
void ctl_print_git(json_t *git);

/* The lockout guard (ctl/guard.c): where the engineer is, from
 * --from-address (may be NULL) or $SSH_CONNECTION, into req->origin;
 * -EINVAL (message printed) for a bad --from-address. */
struct fwp_request;
int ctl_origin(const char *cmd, const char *from_address, struct fwp_request *req);
/* What an apply or rollback cut or overrode, from its result. */
void ctl_print_change(json_t *res);

/* Numbers on the command line (ctl/args.c): a whole decimal number in
 * [lo, hi], nothing else. The two wrappers print the usage error. */
bool ctl_parse_number(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *ret);
int ctl_parse_confirm(const char *command, const char *arg, uint32_t *ret);
int ctl_parse_generation(const char *command, const char *arg, uint64_t *ret);

/* Send one request, wait for its response (ctl/client.c). Returns 0 and a
 * parsed response, or a negative errno (message on stderr). */
struct fwp_request;
int ctl_call(const struct ctl *ctl, const struct fwp_request *req, json_t **ret);
/* ctl_call, then the answer: with --json printed as is; an error printed
 * (exit code 1); a result into *result (borrowed from *resp, which the
 * caller frees). Returns the exit code. */
int ctl_simple(struct ctl *ctl, struct fwp_request *req, json_t **resp, json_t **result);
/* Read PATH (a file, or a directory's *.yaml / *.yml) into request files;
 * bufs collects the names and contents to free (ctl/cmd_daemon.c). */
struct fwp_file;
int ctl_add_path(const char *path, struct fwp_file **files, size_t *n, char ***bufs);

/* ctl/cmd_change.c: fwctl diff, rule add|del, history GENERATION. */
int cmd_diff(struct ctl *ctl, int argc, char **argv);
int cmd_rule(struct ctl *ctl, int argc, char **argv);
int cmd_history_one(struct ctl *ctl, const char *generation);
/* Connect and send one request; returns the socket to read the answer (and,
 * for a stream, the lines after it) from, or a negative errno (message on
 * stderr). */
int ctl_send(const struct ctl *ctl, const struct fwp_request *req);

/* Diagnostics: text to stderr, or a JSON array (new reference). */
void print_diags_text(const struct fw_diags *d);
json_t *diags_to_json(const struct fw_diags *d);
/* Print a JSON document to stdout with a newline; steals the reference. */
int print_json(json_t *doc);

#endif
