// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * UDP blaster for bench/forward_rate.sh: one-way datagrams of one flow, so
 * conntrack never sees a reply and every packet stays "new" — each one goes
 * through the tenant's zone-pair verdict map and allowlist set lookup
 * (an established flow would be accepted before the set is consulted).
 *
 *   udp_blast send ADDR PORT SECONDS [SIZE]   send as fast as possible
 *   udp_blast recv ADDR PORT SECONDS          count what arrives
 *
 * The receiver starts its clock at the first datagram and counts for
 * SECONDS; it prints "received N in S s: R pps". The sender prints
 * "sent N cpu_us C": C is the CPU time it used, user and system; the
 * forwarding through the namespaces runs in its system time (softirq on the
 * way out of its send calls), so C per forwarded packet is the path's cost
 * even when other processes share the CPU.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH    64
#define MAX_SIZE 1472

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_long(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int blast(int fd, double seconds, size_t size)
{
	static char payload[MAX_SIZE] = "fwd forward_rate"; /* the content does not matter */
	struct iovec iov = {payload, size};
	struct mmsghdr msgs[BATCH];
	unsigned long long sent = 0;
	double end = now_s() + seconds;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (now_s() < end) {
		int n = sendmmsg(fd, msgs, BATCH, 0);
		if (n < 0) {
			/* A full queue or a dropped-packet error: keep going. */
			if (errno == ENOBUFS || errno == EAGAIN || errno == EPERM ||
			    errno == ECONNREFUSED || errno == EINTR)
				continue;
			perror("udp_blast: sendmmsg");
			return 1;
		}
		sent += (unsigned)n;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("sent %llu cpu_us %lld\n", sent,
	       (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	           ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	return 0;
}

static int count(int fd, double seconds)
{
	static char bufs[BATCH][MAX_SIZE];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	struct timeval tv = {.tv_sec = 1};
	unsigned long long got = 0;
	double start = 0, end = 0, wait_end = now_s() + 30;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){bufs[i], MAX_SIZE};
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		double t = now_s();
		if ((start && t >= end) || (!start && t >= wait_end))
			break;
		int n = recvmmsg(fd, msgs, BATCH, 0, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			perror("udp_blast: recvmmsg");
			return 1;
		}
		if (!start) {
			start = now_s();
			end = start + seconds;
			continue; /* the clock starts now: this batch is not counted */
		}
		got += (unsigned)n;
	}
	if (!start) {
		fprintf(stderr, "udp_blast: nothing arrived in 30 s\n");
		return 1;
	}
	printf("received %llu in %.0f s: %.0f pps\n", got, seconds, (double)got / seconds);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	long port, seconds, size = 64;
	int bufsize = 32 << 20, fd, r;

	if (argc < 5 || (strcmp(argv[1], "send") && strcmp(argv[1], "recv")) ||
	    inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1 ||
	    parse_long(argv[3], 1, 65535, &port) < 0 ||
	    parse_long(argv[4], 1, 3600, &seconds) < 0 ||
	    (argc > 5 && parse_long(argv[5], 1, MAX_SIZE, &size) < 0)) {
		fputs("usage: udp_blast send|recv ADDR PORT SECONDS [SIZE]\n", stderr);
		return 2;
	}
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udp_blast: socket");
		return 1;
	}
	if (!strcmp(argv[1], "recv")) {
		/* Root may go past rmem_max: a short burst must not overflow. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof(bufsize)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
		r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	} else {
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	}
	if (r < 0) {
		perror("udp_blast: bind/connect");
		close(fd);
		return 1;
	}
	r = !strcmp(argv[1], "recv") ? count(fd, (double)seconds)
	                             : blast(fd, (double)seconds, (size_t)size);
	close(fd);
	return r;
}
