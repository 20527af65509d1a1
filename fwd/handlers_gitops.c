// SPDX-License-Identifier: GPL-2.0-or-later
/* `sync` and the status's "git" object: the control protocol's side of
 * gitops (include/fwd/gitops.h), which the daemon plugs in. */
#include <errno.h>

#include "fwd/handlers.h"

char *fw_daemon_sync(struct fw_daemon *dm, const struct fwp_request *req,
                     const struct fw_state_meta *who)
{
	char err[512];
	json_t *res = NULL;
	int r;

	if (!dm->git)
		return fwp_response_error(req->id, -ENOENT,
		                          "fwd follows no git repository (fwd --git-url or "
		                          "--git-receive)",
		                          NULL);
	r = dm->git->sync(dm->git_ctx, req->commit, who->who, &res, err, sizeof(err));
	if (r == -ENOMEM)
		return NULL;
	if (r < 0)
		return fwp_response_error(req->id, r, err, NULL);
	return fwp_response_ok(req->id, res);
}

void fw_daemon_git_status(struct fw_daemon *dm, json_t *status)
{
	if (dm->git && status)
		json_object_set_new(status, "git", dm->git->status(dm->git_ctx));
}
