// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A fetch of the followed branch in a child process. libgit2 blocks for as
 * long as a remote takes (libgit2 1.5 has no timeout of its own): in fwd's
 * loop that would stop the control socket, the drift check and the logs.
 * The child writes into the mirror on disk, which the parent's repository
 * object then reads (libgit2 re-reads references and refreshes its object
 * database on a miss). Its only report is a message on a pipe and its exit
 * status; it dies with fwd (PR_SET_PDEATHSIG) and at the deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gitops_int.h"

/* The child: libgit2's state is a copy of the parent's (fwd is
 * single-threaded, so no lock is held), the repository is opened anew. */
static void __attribute__((noreturn)) child(const struct fw_git_fetch_spec *s, int fd, pid_t parent)
{
	git_repository *repo = NULL;
	char err[512] = "";
	int r;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(3);
	signal(SIGPIPE, SIG_IGN);
	r = git_repository_open_bare(&repo, s->repo_path);
	if (r < 0) {
		snprintf(err, sizeof(err), "repository %s: %s", s->repo_path, fw_git_errmsg());
		r = -EIO;
	} else {
		r = fw_git_fetch(repo, s->url, s->branch, s->ssh_key, s->max_bytes, err,
		                 sizeof(err));
	}
	if (r < 0 && write(fd, err, strlen(err)) < 0)
		_exit(3);
	/* _exit: no atexit handlers, no stdio flush of the parent's buffers */
	_exit(r == 0 ? 0 : r == -E2BIG ? 2 : 1);
}

int fw_git_fetch_start(const struct fw_git_fetch_spec *spec, uint64_t now_ms,
                       struct fw_git_fetch_job *job, char *err, size_t err_size)
{
	pid_t parent = getpid(), pid;
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		int e = errno;
		snprintf(err, err_size, "fetch %s %s: %s", spec->url, spec->branch, strerror(e));
		return -e;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		snprintf(err, err_size, "fetch %s %s: cannot start a process: %s", spec->url,
		         spec->branch, strerror(e));
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		child(spec, p[1], parent);
	}
	close(p[1]);
	*job = (struct fw_git_fetch_job){
	    .pid = pid,
	    .fd = p[0],
	    .deadline_ms = now_ms + (uint64_t)spec->timeout_s * 1000u,
	    .timeout_s = spec->timeout_s,
	};
	return 0;
}

static void drain(struct fw_git_fetch_job *job)
{
	ssize_t n;

	while (job->n < sizeof(job->msg) - 1 &&
	       (n = read(job->fd, job->msg + job->n, sizeof(job->msg) - 1 - job->n)) > 0)
		job->n += (size_t)n;
	job->msg[job->n] = '\0';
}

static void finish(struct fw_git_fetch_job *job)
{
	close(job->fd);
	job->fd = -1;
	job->pid = 0;
}

int fw_git_fetch_poll(struct fw_git_fetch_job *job, uint64_t now_ms, const char *what, int *result,
                      char *err, size_t err_size)
{
	int status = 0;
	pid_t w;

	if (!job->pid)
		return 0;
	drain(job);
	w = waitpid(job->pid, &status, WNOHANG);
	if (w == 0 && now_ms < job->deadline_ms)
		return 0;
	if (w == 0) {
		kill(job->pid, SIGKILL);
		(void)waitpid(job->pid, NULL, 0);
		snprintf(err, err_size,
		         "fetch %s: no answer within %u s: stopped (--git-fetch-timeout)", what,
		         job->timeout_s);
		*result = -ETIMEDOUT;
	} else if (w < 0) {
		int e = errno;
		snprintf(err, err_size, "fetch %s: %s", what, strerror(e));
		*result = -e;
	} else {
		drain(job);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			err[0] = '\0';
			*result = 0;
		} else {
			*result = WIFEXITED(status) && WEXITSTATUS(status) == 2 ? -E2BIG : -EIO;
			if (job->n)
				snprintf(err, err_size, "%s", job->msg);
			else if (WIFSIGNALED(status))
				snprintf(err, err_size, "fetch %s: the fetching process died (%s)",
				         what, strsignal(WTERMSIG(status)));
			else
				snprintf(err, err_size, "fetch %s: failed", what);
		}
	}
	finish(job);
	return 1;
}

void fw_git_fetch_stop(struct fw_git_fetch_job *job)
{
	if (!job || !job->pid)
		return;
	kill(job->pid, SIGKILL);
	(void)waitpid(job->pid, NULL, 0);
	finish(job);
}
