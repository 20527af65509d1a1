// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kill_during: start a command and SIGKILL another process a precise time
 * after the start. tests/netns/crash.sh kills fwd at chosen moments of an
 * apply; from the shell, fork+exec of `sleep` and `kill` costs tens of
 * milliseconds on a loaded machine, more than the apply itself.
 *
 *   kill_during DELAY_US PID CMD [ARG...]
 *
 * Starts CMD, sends SIGKILL to PID DELAY_US microseconds later (PID 0: no
 * kill, only measure), waits for CMD (at most 30 s, then kills it too) and
 * prints "EXIT MICROSECONDS": CMD's exit status (124 when it hung, 128+N
 * when signal N ended it) and how long it ran. CMD's own output goes to
 * stderr, so stdout carries that one line only.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HANG_LIMIT_US (30 * 1000000LL)

static int parse_ll(const char *s, long long max, long long *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until_us(long long t)
{
	struct timespec ts = {.tv_sec = t / 1000000, .tv_nsec = (t % 1000000) * 1000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Wait for the child until `deadline` (microseconds, CLOCK_MONOTONIC);
 * returns its exit code as a shell reports it, 124 when it did not end. */
static int reap(pid_t child, long long deadline)
{
	int status;

	for (;;) {
		pid_t r = waitpid(child, &status, WNOHANG);
		if (r == child)
			break;
		if (r < 0 && errno != EINTR)
			return 125;
		if (now_us() >= deadline) {
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
			return 124;
		}
		sleep_until_us(now_us() + 500);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	long long delay, pid, start;
	pid_t child;
	int code;

	if (argc < 4 || parse_ll(argv[1], HANG_LIMIT_US, &delay) < 0 ||
	    parse_ll(argv[2], INT_MAX, &pid) < 0) {
		fputs("usage: kill_during DELAY_US PID CMD [ARG...]\n", stderr);
		return 125;
	}
	start = now_us();
	child = fork();
	if (child < 0) {
		perror("kill_during: fork");
		return 125;
	}
	if (child == 0) {
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[3], argv + 3);
		fprintf(stderr, "kill_during: %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	if (pid) {
		sleep_until_us(start + delay);
		if (kill((pid_t)pid, SIGKILL) < 0)
			fprintf(stderr, "kill_during: kill %lld: %s\n", pid, strerror(errno));
	}
	code = reap(child, start + HANG_LIMIT_US);
	printf("%d %lld\n", code, now_us() - start);
	return 0;
}
