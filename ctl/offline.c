// SPDX-License-Identifier: GPL-2.0-or-later
/* Offline loads with the daemon's VPN address pins (ctl/offline.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fwd/vpnplan.h"
#include "offline.h"

#define OPT "--state-dir"

int ctl_offline_args(const char *cmd, int *argc, char ***argv, const char **state_dir)
{
	char **v = *argv;
	size_t len = strlen(OPT);

	*state_dir = NULL;
	if (*argc < 1 || strncmp(v[0], OPT, len) || (v[0][len] != '\0' && v[0][len] != '='))
		return 0;
	if (v[0][len] == '=') {
		*state_dir = v[0] + len + 1;
		*argc -= 1;
		*argv += 1;
	} else if (*argc >= 2) {
		*state_dir = v[1];
		*argc -= 2;
		*argv += 2;
	}
	if (!*state_dir || !**state_dir) {
		fprintf(stderr, "fwctl %s: --state-dir expects a directory\n", cmd);
		return -EINVAL;
	}
	return 0;
}

static bool has_auto_user(const struct fw_policy *p)
{
	for (size_t i = 0; p && i < p->n_tenants; i++)
		for (size_t j = 0; j < p->tenants[i].vpn.n_users; j++)
			if (p->tenants[i].vpn.users[j].auto_addr)
				return true;
	return false;
}

int ctl_offline_load(const char *cmd, const char *const *paths, size_t n_paths,
                     const char *state_dir, struct fw_diags *d, struct fw_policy **ret)
{
	struct fw_vpn_pins pins = {0};
	struct fw_load_opts opts = {.vpn_pins = &pins};
	char path[4096], msg[4200];
	struct stat st;
	int r, pr;

	/* a directory named by hand that is not there is a typo, not "no pins" */
	if (state_dir) {
		int e = stat(state_dir, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
		if (e) {
			fprintf(stderr, "fwctl %s: --state-dir %s: %s\n", cmd, state_dir,
			        strerror(e));
			return -EIO;
		}
	}

	if (snprintf(path, sizeof(path), "%s/%s", state_dir ? state_dir : FWD_DEFAULT_STATE_DIR,
	             FW_VPN_PINS_FILE) >= (int)sizeof(path)) {
		fprintf(stderr, "fwctl %s: --state-dir: %s\n", cmd, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	pr = vpn_pins_read(path, &pins, msg, sizeof(msg));
	if (pr < 0 && state_dir) {
		fprintf(stderr, "fwctl %s: %s\n", cmd, msg);
		return -EIO;
	}
	r = policy_load_paths_opts(paths, n_paths, &opts, d, ret);
	if (pr < 0 && r == 0 && has_auto_user(*ret))
		fprintf(stderr,
		        "fwctl %s: note: %s: the VPN users with `address: auto` have addresses "
		        "in file order, which may not be their live ones (--state-dir)\n",
		        cmd, msg);
	vpn_pins_clear(&pins);
	return r;
}
