// SPDX-License-Identifier: GPL-2.0-or-later
/* The pieces of gitops around the repository: per-commit records and
 * status.json, fwd's --git-* options, probes, the sync request. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fwd/origin.h"
#include "fwd/proto.h"
#include "gitops_int.h"

#define SHA_A "1111111111111111111111111111111111111111"
#define SHA_B "2222222222222222222222222222222222222222"

static void test_records(void **state)
{
	struct fw_git_status *s = calloc(1, sizeof(*s)), *back = calloc(1, sizeof(*back));
	struct fw_git_record *r;
	char path[] = "/tmp/fwd-git-status-XXXXXX", file[64];
	json_t *extra = json_pack("{s:s}", "branch", "main"), *o;
	char sha[41];

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(file, sizeof(file), "%s/status.json", path);
	/* a missing file is an empty status */
	assert_int_equal(fw_git_status_load(file, back), 0);
	assert_int_equal(back->n, 0);
	r = fw_git_status_add(s, SHA_A);
	r->state = FW_GIT_APPLIED;
	r->generation = 7;
	snprintf(r->subject, sizeof(r->subject), "first \"quoted\" → policy");
	r = fw_git_status_add(s, SHA_B);
	r->state = FW_GIT_REFUSED;
	snprintf(r->reason, sizeof(r->reason), "unsigned commit");
	snprintf(s->head, sizeof(s->head), SHA_B);
	snprintf(s->last_applied, sizeof(s->last_applied), SHA_A);
	assert_int_equal(fw_git_status_save(s, extra, file), 0);
	assert_int_equal(fw_git_status_load(file, back), 0);
	assert_int_equal(back->n, 2);
	assert_string_equal(back->rec[0].commit, SHA_A);
	assert_int_equal(back->rec[0].state, FW_GIT_APPLIED);
	assert_int_equal(back->rec[0].generation, 7);
	assert_string_equal(back->rec[0].subject, "first \"quoted\" → policy");
	assert_string_equal(back->rec[1].reason, "unsigned commit");
	assert_string_equal(back->head, SHA_B);
	assert_string_equal(back->last_applied, SHA_A);
	/* newest first in JSON, at most max */
	o = fw_git_status_to_json(back, 1);
	assert_int_equal(json_array_size(json_object_get(o, "commits")), 1);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(o, "commits"), 0), "state")),
	                    "refused");
	json_decref(o);
	/* the oldest go when full */
	for (int i = 0; i < FW_GIT_KEEP + 5; i++) {
		snprintf(sha, sizeof(sha), "%040d", i);
		fw_git_status_add(s, sha)->state = FW_GIT_SUPERSEDED;
	}
	assert_int_equal(s->n, FW_GIT_KEEP);
	assert_null(fw_git_status_find(s, SHA_A));
	snprintf(sha, sizeof(sha), "%040d", FW_GIT_KEEP + 4);
	assert_ptr_equal(fw_git_status_find(s, sha), &s->rec[FW_GIT_KEEP - 1]);
	assert_string_equal(fw_git_state_name(FW_GIT_ROLLED_BACK), "rolled-back");
	/* a file that is not ours is refused, not half read */
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("[1, 2]", f);
	fclose(f);
	assert_int_equal(fw_git_status_load(file, back), -EBADMSG);
	unlink(file);
	rmdir(path);
	json_decref(extra);
	free(s);
	free(back);
}

static void expect_option(int opt, const char *arg, const char *message)
{
	struct fw_git_config c = {0};
	char err[300] = "";

	assert_int_equal(fw_git_option(&c, opt, arg, err, sizeof(err)), message ? -EINVAL : 0);
	assert_string_equal(err, message ? message : "");
}

static void test_options(void **state)
{
	struct fw_git_config c = {0};
	char err[300];

	(void)state;
	expect_option(FW_GIT_OPT_BRANCH, "main", NULL);
	expect_option(FW_GIT_OPT_BRANCH, "release/2.1", NULL);
	expect_option(FW_GIT_OPT_BRANCH, "a..b", "--git-branch: 'a..b' is not a valid branch name");
	expect_option(FW_GIT_OPT_PATH, "sites/acme", NULL);
	expect_option(FW_GIT_OPT_PATH, "../etc",
	              "--git-path takes a directory inside the repository (like policy or "
	              "sites/acme), found '../etc'");
	expect_option(FW_GIT_OPT_PATH, "/policy",
	              "--git-path takes a directory inside the repository (like policy or "
	              "sites/acme), found '/policy'");
	expect_option(FW_GIT_OPT_INTERVAL, "86401", "--git-interval takes seconds, 0 to 86400");
	expect_option(FW_GIT_OPT_INTERVAL, "-1", "--git-interval takes seconds, 0 to 86400");
	expect_option(FW_GIT_OPT_CONFIRM, "0", "--git-confirm takes seconds, 1 to 3600");
	expect_option(FW_GIT_OPT_PROBE, "tcp:10.10.120.30:1433", NULL);
	expect_option(FW_GIT_OPT_PROBE, "tcp:[2001:db8::1]:443", NULL);
	expect_option(FW_GIT_OPT_PROBE, "tcp:2001:db8::1:443",
	              "--git-probe takes tcp:ADDRESS:PORT (IPv6: tcp:[ADDRESS]:PORT), found "
	              "'tcp:2001:db8::1:443'");
	expect_option(FW_GIT_OPT_PROBE, "udp:10.0.0.1:53",
	              "--git-probe takes tcp:ADDRESS:PORT (IPv6: tcp:[ADDRESS]:PORT), found "
	              "'udp:10.0.0.1:53'");
	expect_option(FW_GIT_OPT_PROBE, "tcp:sql.example.com:1433",
	              "--git-probe takes tcp:ADDRESS:PORT (IPv6: tcp:[ADDRESS]:PORT), found "
	              "'tcp:sql.example.com:1433'");
	expect_option(FW_GIT_OPT_MGMT, "198.51.100.5,203.0.113.10:2222", NULL);
	expect_option(FW_GIT_OPT_MGMT, "nowhere",
	              "--git-mgmt-from takes ADDRESS[,TO[:PORT]] (IPv6 with a port: [TO]:PORT), "
	              "found 'nowhere'");
	expect_option(FW_GIT_OPT_FETCH_TIMEOUT, "30", NULL);
	expect_option(FW_GIT_OPT_FETCH_TIMEOUT, "0",
	              "--git-fetch-timeout takes seconds, 1 to 3600");
	expect_option(FW_GIT_OPT_FETCH_TIMEOUT, "3601",
	              "--git-fetch-timeout takes seconds, 1 to 3600");
	expect_option(FW_GIT_OPT_FETCH_MAX, "64", NULL);
	expect_option(FW_GIT_OPT_FETCH_MAX, "1k", "--git-fetch-max-mib takes MiB, 1 to 4096");
	expect_option(FW_GIT_OPT_FETCH_MAX, "4097", "--git-fetch-max-mib takes MiB, 1 to 4096");
	/* the options together */
	c.receive = "/srv/policy.git";
	c.has_fetch_timeout = true;
	assert_int_equal(fw_git_config_check(&c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--git-fetch-timeout and --git-fetch-max-mib are for --git-url");
	c = (struct fw_git_config){0};
	assert_int_equal(fw_git_config_check(&c, err, sizeof(err)), 0);
	c.branch = "main";
	assert_int_equal(fw_git_config_check(&c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "the --git-* options need --git-url or --git-receive");
	c.url = "https://git.example.com/acme.git";
	assert_int_equal(fw_git_config_check(&c, err, sizeof(err)), 0);
	c.receive = "/srv/policy.git";
	assert_int_equal(fw_git_config_check(&c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--git-url and --git-receive exclude each other");
	for (int i = 0; i < FW_GIT_MAX_PROBES; i++)
		assert_int_equal(
		    fw_git_option(&c, FW_GIT_OPT_PROBE, "tcp:10.0.0.1:1", err, sizeof(err)), 0);
	assert_int_equal(fw_git_option(&c, FW_GIT_OPT_PROBE, "tcp:10.0.0.1:1", err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "--git-probe: at most 16 probes");
}

static void test_origin(void **state)
{
	struct fw_mgmt_origin o;
	uint8_t a[4] = {198, 51, 100, 5}, to[4] = {203, 0, 113, 10};

	(void)state;
	assert_int_equal(fw_origin_parse("198.51.100.5,203.0.113.10:2222", &o), 0);
	assert_int_equal(o.family, 4);
	assert_memory_equal(o.from, a, 4);
	assert_true(o.has_to);
	assert_memory_equal(o.to, to, 4);
	assert_int_equal(o.port, 2222);
	assert_int_equal(fw_origin_parse("::ffff:198.51.100.5", &o), 0);
	assert_int_equal(o.family, 4); /* v4-mapped */
	assert_int_equal(fw_origin_parse("2001:db8::5,[2001:db8::1]:22", &o), 0);
	assert_int_equal(o.family, 6);
	assert_int_equal(o.port, 22);
	assert_int_equal(fw_origin_parse("198.51.100.5,2001:db8::1", &o), -EINVAL);
	assert_int_equal(fw_origin_parse("198.51.100.5,203.0.113.10:0", &o), -EINVAL);
}

/* A probe against a listener on the loopback, then against nothing. */
static void test_probe(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	struct fw_git_probe_spec spec;
	struct fw_git_probe p = {&spec, -1, 0, 0};
	char text[64], err[64];
	int lfd = socket(AF_INET, SOCK_STREAM, 0), n;
	uint64_t now = 1000;

	(void)state;
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	snprintf(text, sizeof(text), "tcp:127.0.0.1:%u", ntohs(sa.sin_port));
	assert_int_equal(fw_git_probe_parse(text, &spec), 0);
	assert_string_equal(spec.text, text);
	for (n = 0; n < 100 && !fw_git_probe_step(&p, now); n++)
		usleep(1000);
	assert_int_equal(p.result, 1);
	assert_int_equal(p.fd, -1); /* closed once connected */
	close(lfd);
	/* nothing listens there now: refused, and tried again later */
	p = (struct fw_git_probe){&spec, -1, 0, 0};
	for (n = 0; n < 100 && p.result == 0; n++) {
		assert_int_equal(fw_git_probe_step(&p, now), 0);
		usleep(1000);
	}
	assert_int_equal(p.result, -ECONNREFUSED);
	assert_string_equal(fw_git_probe_error(p.result, err, sizeof(err)), "Connection refused");
	assert_int_equal(p.due_ms, now + FW_GIT_PROBE_RETRY_MS);
	fw_git_probe_stop(&p);
	assert_string_equal(fw_git_probe_error(-ETIMEDOUT, err, sizeof(err)),
	                    "no answer within 2 s");
}

static void test_text_check(void **state)
{
	bool nul;

	(void)state;
	assert_int_equal(fw_git_text_check("plain\n", 6, &nul), 0);
	assert_int_equal(fw_git_text_check("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x94\xa5", 14, &nul),
	                 0);
	assert_int_equal(fw_git_text_check("ab\0", 3, &nul), 3);
	assert_true(nul);
	assert_int_equal(fw_git_text_check("caf\xe9", 4, &nul), 4); /* latin-1 */
	assert_false(nul);
	assert_int_equal(fw_git_text_check("\xc0\xaf", 2, &nul), 1);         /* overlong '/' */
	assert_int_equal(fw_git_text_check("\xed\xa0\x80", 3, &nul), 1);     /* a surrogate */
	assert_int_equal(fw_git_text_check("\xf4\x90\x80\x80", 4, &nul), 1); /* > U+10FFFF */
	assert_int_equal(fw_git_text_check("x\xe2\x86", 3, &nul), 2);        /* cut short */
}

static void test_sync_request(void **state)
{
	struct fwp_request r;
	char err[256], *line;
	const char *ok = "{\"version\":1,\"command\":\"sync\",\"args\":{\"commit\":\"" SHA_A "\"}}";
	const char *upper = "{\"version\":1,\"command\":\"sync\",\"args\":{\"commit\":"
	                    "\"ABCDEF1111111111111111111111111111111111\"}}";

	(void)state;
	assert_int_equal(fwp_request_parse(ok, strlen(ok), &r, err, sizeof(err)), 0);
	assert_int_equal(r.command, FWP_SYNC);
	assert_string_equal(r.commit, SHA_A);
	line = fwp_request_format(&r);
	assert_non_null(strstr(line, "\"commit\":\"" SHA_A "\""));
	free(line);
	fwp_request_free(&r);
	assert_int_equal(fwp_request_parse(upper, strlen(upper), &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "args.commit: expected a commit id of 40 lowercase hex digits");
	ok = "{\"version\":1,\"command\":\"sync\"}";
	assert_int_equal(fwp_request_parse(ok, strlen(ok), &r, err, sizeof(err)), 0);
	assert_null(r.commit);
	fwp_request_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_records),    cmocka_unit_test(test_options),
	    cmocka_unit_test(test_origin),     cmocka_unit_test(test_probe),
	    cmocka_unit_test(test_text_check), cmocka_unit_test(test_sync_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
