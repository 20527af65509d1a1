/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef FWCTL_H
#define FWCTL_H

#include <jansson.h>
#include <stdbool.h>

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

/* Send one request, wait for its response (ctl/client.c). Returns 0 and a
 * parsed response, or a negative errno (message on stderr). */
struct fwp_request;
int ctl_call(const struct ctl *ctl, const struct fwp_request *req, json_t **ret);

/* Diagnostics: text to stderr, or a JSON array (new reference). */
void print_diags_text(const struct fw_diags *d);
json_t *diags_to_json(const struct fw_diags *d);
/* Print a JSON document to stdout with a newline; steals the reference. */
int print_json(json_t *doc);

#endif
