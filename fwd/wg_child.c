// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wireguard-go children: `wireguard-go -f IFNAME`, fork + exec (no shell),
 * tied to fwd's life (PR_SET_PDEATHSIG: a userspace tunnel never outlives
 * the daemon that configures it, not even one killed with SIGKILL or whose
 * network namespace was deleted), with no descriptor of fwd's but stdin,
 * stdout and stderr.
 *
 * wireguard-go puts its socket in /var/run/wireguard, one directory for
 * every network namespace of the machine: two namespaces with an interface
 * of the same name (tests, several appliances on one host) would take each
 * other's socket. Where fwd may mount (CAP_SYS_ADMIN), the child gets a
 * mount namespace of its own with a private tmpfs there, and fwd reaches the
 * socket through /proc/PID/root; otherwise it is the shared directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wg_link.h"

extern char **environ;

/* fwd's environment plus WG_PROCESS_FOREGROUND=1: wireguard-go then skips
 * its banner about the kernel module (it runs in the foreground anyway). */
static char **child_env(void)
{
	static char fg[] = "WG_PROCESS_FOREGROUND=1";
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "WG_PROCESS_FOREGROUND=", 22))
			env[k++] = environ[i];
	env[k] = fg;
	return env;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child_exec(const char *prog, char *const argv[], char *const envp[], pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(126);
	if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == 0) {
		(void)mkdir(WG_UAPI_DIR, 0700);
		(void)mount("tmpfs", WG_UAPI_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		            "mode=0700,size=1m");
	}
	close_range(3, ~0u, 0);
	execvpe(prog, argv, envp);
	_exit(127);
}

void wg_children_reap(struct wg_children *c)
{
	for (size_t i = 0; i < c->n;) {
		if (waitpid(c->v[i].pid, NULL, WNOHANG) == c->v[i].pid)
			c->v[i] = c->v[--c->n];
		else
			i++;
	}
}

void wg_children_uapi_path(const struct wg_children *c, const char *ifname,
                           char path[WG_UAPI_PATH_MAX])
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].ifname, ifname)) {
			snprintf(path, WG_UAPI_PATH_MAX, "%s", c->v[i].path);
			return;
		}
	if (wg_uapi_default_path(ifname, path) < 0)
		path[0] = '\0';
}

/* Where the child answers: its private directory or the shared one, and
 * the process behind the socket must be the child itself. */
static bool child_answers(pid_t pid, const char *ifname, char path[WG_UAPI_PATH_MAX])
{
	char cand[2][WG_UAPI_PATH_MAX], real[PATH_MAX];
	pid_t peer = 0;

	/* Symbolic links after /proc/PID/root resolve in fwd's own view: the
	 * directory's real name (/var/run is often a link to /run) is needed. */
	if (!realpath(WG_UAPI_DIR, real))
		snprintf(real, sizeof(real), "%s", WG_UAPI_DIR);
	if (snprintf(cand[0], WG_UAPI_PATH_MAX, "/proc/%d/root%s/%s.sock", (int)pid, real,
	             ifname) >= WG_UAPI_PATH_MAX)
		cand[0][0] = '\0';
	if (wg_uapi_default_path(ifname, cand[1]) < 0)
		cand[1][0] = '\0';
	for (int i = 0; i < 2; i++)
		if (cand[i][0] && wg_uapi_present(cand[i], &peer) && peer == pid) {
			memcpy(path, cand[i], WG_UAPI_PATH_MAX);
			return true;
		}
	return false;
}

int wg_children_start(struct wg_children *c, const char *program, const char *ifname, char *msg,
                      size_t size)
{
	char *argv[] = {(char *)program, (char *)"-f", (char *)ifname, NULL};
	struct timespec ts = {0, 10 * 1000 * 1000};
	struct wg_child *k;
	pid_t self = getpid(), pid;
	char **env;
	int status;

	wg_children_reap(c);
	if (c->n == WG_MAX_CHILDREN)
		return -EMFILE;
	if (!(env = child_env()))
		return -ENOMEM;
	pid = fork();
	if (pid == 0)
		child_exec(program, argv, env, self);
	free(env);
	if (pid < 0) {
		int e = errno;
		snprintf(msg, size, "cannot start %s: %s", program, strerror(e));
		return -e;
	}
	k = &c->v[c->n++];
	k->pid = pid;
	snprintf(k->ifname, sizeof(k->ifname), "%s", ifname);
	for (int i = 0; i < 500; i++) { /* 5 s for its socket */
		if (child_answers(pid, ifname, k->path))
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			c->n--; /* gone: the last one, drop it */
			snprintf(
			    msg, size, "%s -f %s exited (status %d) before its socket answered%s",
			    program, ifname,
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			    WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (not installed?)"
			                                                    : "");
			return -ECHILD;
		}
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGTERM);
	snprintf(msg, size, "%s -f %s: its socket did not answer within 5 s", program, ifname);
	return -ETIMEDOUT;
}
