// SPDX-License-Identifier: GPL-2.0-or-later
/* fwd's --git-* options (include/fwd/gitops.h): each value checked when it
 * is read, so a typo stops fwd at start with a message naming the option. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd/origin.h"
#include "gitops_int.h"

static bool number(const char *s, unsigned long lo, unsigned long hi, unsigned *ret)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*ret = (unsigned)v;
	return true;
}

/* A branch name git accepts (refs/heads/NAME is a valid reference). */
static bool valid_branch(const char *b)
{
	char ref[300];
	int valid = 0;

	if (!*b || strlen(b) > 200)
		return false;
	snprintf(ref, sizeof(ref), "refs/heads/%s", b);
	/* options come before fwd sets libgit2 up: a reference of its own */
	if (git_libgit2_init() < 0)
		return false;
	if (git_reference_name_is_valid(&valid, ref) < 0)
		valid = 0;
	git_libgit2_shutdown();
	return valid;
}

/* DIR inside the repository: relative, no "." or ".." or empty parts. */
static bool valid_path(const char *p)
{
	size_t len = strlen(p);

	if (!len || len > 1024 || p[0] == '/' || p[len - 1] == '/' || strstr(p, "//"))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n + (s[n] == '/');
	}
	return true;
}

int fw_git_option(struct fw_git_config *c, int opt, const char *arg, char *err, size_t err_size)
{
	switch (opt) {
	case FW_GIT_OPT_URL:
		if (!*arg)
			return fw_errf(err, err_size, -EINVAL,
			               "--git-url takes a repository URL or path");
		c->url = arg;
		return 0;
	case FW_GIT_OPT_RECEIVE:
		if (!*arg)
			return fw_errf(err, err_size, -EINVAL,
			               "--git-receive takes the path of a bare repository");
		c->receive = arg;
		return 0;
	case FW_GIT_OPT_BRANCH:
		if (!valid_branch(arg))
			return fw_errf(err, err_size, -EINVAL,
			               "--git-branch: '%.100s' is not a valid branch name", arg);
		c->branch = arg;
		return 0;
	case FW_GIT_OPT_PATH:
		if (!valid_path(arg))
			return fw_errf(err, err_size, -EINVAL,
			               "--git-path takes a directory inside the repository (like "
			               "policy or sites/acme), found '%.100s'",
			               arg);
		c->path = arg;
		return 0;
	case FW_GIT_OPT_INTERVAL:
		if (!number(arg, 0, FW_GIT_MAX_INTERVAL, &c->interval))
			return fw_errf(err, err_size, -EINVAL,
			               "--git-interval takes seconds, 0 to %d",
			               FW_GIT_MAX_INTERVAL);
		c->has_interval = true;
		return 0;
	case FW_GIT_OPT_SIGNERS:
		c->signers = arg;
		return 0;
	case FW_GIT_OPT_GPG_KEYS:
		c->gpg_keys = arg;
		return 0;
	case FW_GIT_OPT_REWIND:
		c->allow_rewind = true;
		return 0;
	case FW_GIT_OPT_CONFIRM:
		if (!number(arg, 1, FW_GIT_MAX_CONFIRM, &c->confirm))
			return fw_errf(err, err_size, -EINVAL,
			               "--git-confirm takes seconds, 1 to %d", FW_GIT_MAX_CONFIRM);
		c->has_confirm = true;
		return 0;
	case FW_GIT_OPT_PROBE:
		if (c->n_probes == FW_GIT_MAX_PROBES)
			return fw_errf(err, err_size, -EINVAL, "--git-probe: at most %d probes",
			               FW_GIT_MAX_PROBES);
		if (fw_git_probe_parse(arg, &c->probes[c->n_probes]) < 0)
			return fw_errf(
			    err, err_size, -EINVAL,
			    "--git-probe takes tcp:ADDRESS:PORT (IPv6: tcp:[ADDRESS]:PORT), "
			    "found '%.100s'",
			    arg);
		c->n_probes++;
		return 0;
	case FW_GIT_OPT_MGMT:
		if (fw_origin_parse(arg, &c->mgmt) < 0)
			return fw_errf(
			    err, err_size, -EINVAL,
			    "--git-mgmt-from takes ADDRESS[,TO[:PORT]] (IPv6 with a port: "
			    "[TO]:PORT), found '%.100s'",
			    arg);
		c->has_mgmt = true;
		return 0;
	case FW_GIT_OPT_SSH_KEY:
		c->ssh_key = arg;
		return 0;
	case FW_GIT_OPT_FETCH_TIMEOUT:
		if (!number(arg, 1, FW_GIT_MAX_FETCH_TIMEOUT, &c->fetch_timeout))
			return fw_errf(err, err_size, -EINVAL,
			               "--git-fetch-timeout takes seconds, 1 to %d",
			               FW_GIT_MAX_FETCH_TIMEOUT);
		c->has_fetch_timeout = true;
		return 0;
	case FW_GIT_OPT_FETCH_MAX:
		if (!number(arg, 1, FW_GIT_MAX_FETCH_MIB, &c->fetch_max_mib))
			return fw_errf(err, err_size, -EINVAL,
			               "--git-fetch-max-mib takes MiB, 1 to %d",
			               FW_GIT_MAX_FETCH_MIB);
		c->has_fetch_max = true;
		return 0;
	}
	return fw_errf(err, err_size, -EINVAL, "not a --git option");
}

int fw_git_config_check(const struct fw_git_config *c, char *err, size_t err_size)
{
	bool other = c->branch || c->path || c->has_interval || c->signers || c->allow_rewind ||
	             c->gpg_keys || c->has_confirm || c->n_probes || c->has_mgmt || c->ssh_key ||
	             c->has_fetch_timeout || c->has_fetch_max;

	if (c->url && c->receive)
		return fw_errf(err, err_size, -EINVAL,
		               "--git-url and --git-receive exclude each other");
	if (!fw_git_enabled(c) && other)
		return fw_errf(err, err_size, -EINVAL,
		               "the --git-* options need --git-url or --git-receive");
	if (c->ssh_key && !c->url)
		return fw_errf(err, err_size, -EINVAL, "--git-ssh-key is for --git-url");
	if ((c->has_fetch_timeout || c->has_fetch_max) && !c->url)
		return fw_errf(err, err_size, -EINVAL,
		               "--git-fetch-timeout and --git-fetch-max-mib are for --git-url");
	return 0;
}
