// SPDX-License-Identifier: GPL-2.0-or-later
/* Logged packets named with the policy (locate), kept in the ring, answered
 * by the `logs` handler: exact names, exact JSON. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fwd/handlers.h"
#include "fwd/locate.h"
#include "fwd/logs.h"
#include "testutil.h"

static struct fw_policy *pol;

static int setup(void **state)
{
	char path[512];
	const char *paths[] = {path};
	struct fw_diags d = {0};

	(void)state;
	snprintf(path, sizeof(path), "%s/templates/windows-stack.yaml", tu_source_dir());
	int r = policy_load_paths(paths, 1, &d, &pol);
	fw_diags_free(&d);
	return r;
}

static int teardown(void **state)
{
	(void)state;
	policy_free(pol);
	return 0;
}

static const struct fw_tenant *acme(void)
{
	const struct fw_tenant *t = fw_locate_tenant(pol, "acme");

	assert_non_null(t);
	return t;
}

/* "KIND NAME [ZONE]" for an address of acme. */
static const char *where(const char *addr)
{
	static char out[128];
	uint8_t a[16];
	uint8_t family = strchr(addr, ':') ? 6 : 4;
	struct fw_place p;
	char w[64];
	static const char *const kinds[] = {"host", "zone", "firewall", "vpn-user",
	                                    "vpn",  "site", "internet"};

	assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6, addr, a), 1);
	fw_locate_addr(acme(), family, a, &p);
	snprintf(out, sizeof(out), "%s %s [%s]", kinds[p.kind], fw_place_word(&p, w, sizeof(w)),
	         p.zone ? p.zone : "");
	return out;
}

static void test_locate_addresses(void **state)
{
	(void)state;
	assert_string_equal(where("10.10.110.20"), "host mail [dmz]");
	assert_string_equal(where("10.10.120.10"), "host dc [servers]");
	assert_string_equal(where("10.10.130.50"), "host admin-pc [office]");
	assert_string_equal(where("10.10.130.77"), "zone  [office]");
	assert_string_equal(where("10.10.110.1"), "firewall firewall [dmz]");
	assert_string_equal(where("203.0.113.10"), "firewall firewall []");
	assert_string_equal(where("10.10.99.1"), "firewall firewall []");
	assert_string_equal(where("10.10.99.10"), "vpn-user vpn:alice []");
	assert_string_equal(where("10.10.99.200"), "vpn vpn []");
	assert_string_equal(where("198.51.100.200"), "internet internet []");
	assert_string_equal(where("2001:db8::1"), "internet internet []");
	assert_null(fw_locate_tenant(pol, "beta"));
	assert_null(fw_locate_tenant(NULL, "acme"));
}

static void test_prefix_and_rules(void **state)
{
	char t[33], id[64], text[96];
	struct fw_rule_place rp;

	(void)state;
	assert_int_equal(
	    fw_log_prefix_parse("fwd:acme:deny:forward ", t, sizeof(t), id, sizeof(id)), 0);
	assert_string_equal(t, "acme");
	assert_string_equal(id, "deny:forward");
	assert_string_equal(fw_rule_text(id, text, sizeof(text)), "default deny (forward)");
	assert_int_equal(fw_log_prefix_parse("fwd:acme:it-rdp", t, sizeof(t), id, sizeof(id)), 0);
	assert_string_equal(id, "it-rdp");
	assert_string_equal(fw_rule_text(id, text, sizeof(text)), "it-rdp");
	strcpy(t, "keep");
	assert_int_equal(fw_log_prefix_parse("ulogd: x", t, sizeof(t), id, sizeof(id)), -EINVAL);
	assert_int_equal(fw_log_prefix_parse("fwd:acme", t, sizeof(t), id, sizeof(id)), -EINVAL);
	assert_int_equal(fw_log_prefix_parse("fwd::x ", t, sizeof(t), id, sizeof(id)), -EINVAL);
	assert_int_equal(fw_log_prefix_parse("fwd:acme:   ", t, sizeof(t), id, sizeof(id)),
	                 -EINVAL);
	assert_int_equal(fw_log_prefix_parse("fwd:acme:x", t, 4, id, sizeof(id)), -EINVAL);
	assert_string_equal(t, "keep");

	fw_locate_rule(acme(), "it-rdp", &rp);
	assert_false(rp.deny);
	assert_string_equal(rp.section, "rules");
	assert_int_equal(rp.loc->line, 117);
	assert_non_null(strstr(rp.loc->file, "windows-stack.yaml"));
	fw_locate_rule(acme(), "web-public", &rp);
	assert_string_equal(rp.section, "publish");
	assert_int_equal(rp.loc->line, 141);
	fw_locate_rule(acme(), "admin-ssh", &rp);
	assert_string_equal(rp.section, "management");
	fw_locate_rule(acme(), "deny:in.dmz", &rp);
	assert_true(rp.deny);
	assert_null(rp.loc);
	fw_locate_rule(acme(), "gone", &rp);
	assert_false(rp.deny);
	assert_null(rp.loc);
}

/* mail 10.10.110.20:40312 -> dc 10.10.120.10:445 tcp, dropped in forward */
static struct fw_log_packet mail_to_dc(void)
{
	struct fw_log_packet p = {.nf_family = AF_INET,
	                          .has_time = true,
	                          .sec = 1795428902,
	                          .usec = 5,
	                          .ip_version = 4,
	                          .length = 60,
	                          .has_l4 = true,
	                          .l4proto = 6,
	                          .has_ports = true,
	                          .sport = 40312,
	                          .dport = 445};

	strcpy(p.prefix, "fwd:acme:deny:forward ");
	memcpy(p.saddr, (uint8_t[]){10, 10, 110, 20}, 4);
	memcpy(p.daddr, (uint8_t[]){10, 10, 120, 10}, 4);
	return p;
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(j);
	assert_non_null(s);
	return s;
}

static void test_entry_json(void **state)
{
	struct fw_logs *l;
	struct fw_log_packet p = mail_to_dc();
	struct timespec now = {1, 0};
	char *s, want[1024];

	(void)state;
	assert_int_equal(fw_logs_new(8, &l), 0);
	s = dump(fw_log_entry_json(fw_logs_add(l, pol, &p, "vlan110", "vlan120", &now)));
	assert_string_equal(
	    s, "{\"action\":\"drop\",\"dst\":{\"address\":\"10.10.120.10\",\"kind\":\"host\","
	       "\"name\":\"dc\",\"port\":445,\"zone\":\"servers\"},\"family\":\"ipv4\","
	       "\"in\":\"vlan110\",\"length\":60,\"out\":\"vlan120\",\"protocol\":\"tcp\","
	       "\"rule\":\"deny:forward\",\"rule_text\":\"default deny (forward)\",\"seq\":1,"
	       "\"src\":{\"address\":\"10.10.110.20\",\"kind\":\"host\",\"name\":\"mail\","
	       "\"port\":40312,\"zone\":\"dmz\"},\"table\":\"inet\",\"tenant\":\"acme\","
	       "\"time\":\"2026-11-23T10:15:02Z\",\"usec\":5}");
	free(s);

	/* A logged accept: the rule's file and line; ICMP; the bridge; no
	 * kernel timestamp (now stands in). */
	p.has_time = false;
	p.nf_family = AF_BRIDGE;
	strcpy(p.prefix, "fwd:acme:it-rdp ");
	memcpy(p.saddr, (uint8_t[]){10, 10, 130, 50}, 4);
	p.has_ports = false;
	p.l4proto = 1;
	p.has_icmp = true;
	p.icmp_type = 8;
	s = dump(fw_log_entry_json(fw_logs_add(l, pol, &p, "", "", &now)));
	snprintf(want, sizeof(want),
	         "{\"action\":\"accept\",\"column\":5,\"dst\":{\"address\":\"10.10.120.10\","
	         "\"kind\":\"host\",\"name\":\"dc\",\"zone\":\"servers\"},\"family\":\"ipv4\","
	         "\"file\":\"%s/templates/windows-stack.yaml\",\"icmp_code\":0,\"icmp_type\":8,"
	         "\"length\":60,\"line\":117,\"protocol\":\"icmp\",\"rule\":\"it-rdp\","
	         "\"rule_text\":\"it-rdp\",\"seq\":2,\"src\":{\"address\":\"10.10.130.50\","
	         "\"kind\":\"host\",\"name\":\"admin-pc\",\"zone\":\"office\"},"
	         "\"table\":\"bridge\",\"tenant\":\"acme\",\"time\":\"1970-01-01T00:00:01Z\","
	         "\"usec\":0}",
	         tu_source_dir());
	assert_string_equal(s, want);
	free(s);

	/* Not ours, and no policy: shown as it is, nothing named. */
	strcpy(p.prefix, "other: ");
	p.ip_version = 0;
	p.has_l4 = p.has_icmp = false;
	p.length = 0;
	s = dump(fw_log_entry_json(fw_logs_add(l, NULL, &p, NULL, NULL, &now)));
	assert_string_equal(s, "{\"action\":\"log\",\"dst\":{},\"family\":\"other\",\"rule\":"
	                       "\"other:\",\"rule_text\":\"other:\",\"seq\":3,\"src\":{},"
	                       "\"table\":\"bridge\",\"tenant\":\"\",\"time\":"
	                       "\"1970-01-01T00:00:01Z\",\"usec\":0}");
	free(s);
	/* A tenant the live policy does not have: addresses only. */
	p = mail_to_dc();
	strcpy(p.prefix, "fwd:gone:deny:forward ");
	s = dump(fw_log_entry_json(fw_logs_add(l, pol, &p, NULL, NULL, &now)));
	assert_non_null(strstr(s, "\"src\":{\"address\":\"10.10.110.20\",\"port\":40312}"));
	assert_non_null(strstr(s, "\"tenant\":\"gone\""));
	free(s);
	fw_logs_free(l);
}

static void test_ring(void **state)
{
	struct fw_logs *l;
	struct timespec now = {0};
	char *s;

	(void)state;
	assert_int_equal(fw_logs_new(0, &l), -EINVAL);
	assert_int_equal(fw_logs_new(4, &l), 0);
	s = dump(fw_logs_recent(l, NULL, 10));
	assert_string_equal(s, "[]");
	free(s);
	for (int i = 0; i < 10; i++) {
		struct fw_log_packet p = mail_to_dc();
		if (i % 2)
			strcpy(p.prefix, "fwd:beta:deny:forward ");
		fw_logs_add(l, pol, &p, NULL, NULL, &now);
	}
	assert_int_equal(fw_logs_count(l), 4); /* the oldest made room */
	json_t *a = fw_logs_recent(l, NULL, 10);
	assert_int_equal(json_array_size(a), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "seq")), 7);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 3), "seq")), 10);
	json_decref(a);
	a = fw_logs_recent(l, "acme", 1); /* the newest of acme: 9 */
	assert_int_equal(json_array_size(a), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "seq")), 9);
	json_decref(a);
	a = fw_logs_recent(l, "beta", 0);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	/* Interface names: looked up, cached, "ifN" for one that is gone. */
	char name[IF_NAMESIZE];
	assert_string_equal(fw_logs_ifname(l, 0, 100, name), "");
	assert_string_equal(fw_logs_ifname(l, 1, 100, name), "lo");
	assert_string_equal(fw_logs_ifname(l, 1, 100, name), "lo");
	assert_string_equal(fw_logs_ifname(l, 999999, 100, name), "if999999");
	fw_logs_free(l);
	fw_logs_free(NULL);
}

/* The handler: validation against the live policy, records, follow. */
static void test_handler(void **state)
{
	struct tu_daemon t = {0};
	struct fw_daemon *dm;
	struct ctl_peer peer = {.uid = 0};
	char *yaml, *out, path[512];
	size_t len;
	struct fw_diags d = {0};
	uint64_t gen;

	(void)state;
	assert_int_equal(tu_daemon_open(&t), 0);
	dm = t.dm;
	snprintf(path, sizeof(path), "%s/templates/windows-stack.yaml", tu_source_dir());
	yaml = tu_read_file(path, &len);
	struct fw_policy_source src = {"acme.yaml", yaml, len};
	struct fw_state_meta who = {.who = "t", .source = "test"};
	assert_int_equal(fw_engine_apply(dm->engine, &src, 1, &who, 0, &d, &gen), 0);
	fw_diags_free(&d);
	free(yaml);

	struct fwp_request req = {.id = 4, .command = FWP_LOGS};
	/* Before the daemon keeps logs: no records, not listening. */
	out = fw_daemon_logs(dm, &peer, &req);
	assert_string_equal(out, "{\"id\":4,\"ok\":true,\"result\":{\"following\":false,"
	                         "\"listening\":false,\"malformed\":0,\"overruns\":0,"
	                         "\"records\":[]},\"version\":1}\n");
	free(out);
	assert_int_equal(fw_logs_new(16, &dm->logs), 0);
	dm->nflog_listening = true;
	for (int i = 0; i < 3; i++) {
		struct fw_log_packet p = mail_to_dc();
		p.sport = (uint16_t)(1000 + i);
		fw_daemon_log_packet(&p, dm);
	}
	req.has_limit = true;
	req.limit = 2;
	req.tenant = "acme";
	out = fw_daemon_logs(dm, &peer, &req);
	json_t *r = json_loads(out, 0, NULL);
	free(out);
	json_t *recs = json_object_get(json_object_get(r, "result"), "records");
	assert_int_equal(json_array_size(recs), 2);
	json_t *src0 = json_object_get(json_array_get(recs, 0), "src");
	assert_int_equal(json_integer_value(json_object_get(src0, "port")), 1001);
	/* Named with the policy applied: the rule's file is the applied name. */
	assert_string_equal(json_string_value(json_object_get(src0, "name")), "mail");
	json_decref(r);

	req.tenant = "nope";
	out = fw_daemon_logs(dm, &peer, &req);
	assert_non_null(strstr(out, "\"code\":\"ENOENT\",\"message\":\"no such tenant\""));
	free(out);
	/* Following needs the control socket (the real one: test_ctl_server). */
	req.tenant = NULL;
	req.follow = true;
	out = fw_daemon_logs(dm, &peer, &req);
	assert_non_null(strstr(out, "\"message\":\"cannot follow the logs\""));
	free(out);

	fw_logs_free(dm->logs);
	assert_int_equal(tu_daemon_close(&t), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_locate_addresses), cmocka_unit_test(test_prefix_and_rules),
	    cmocka_unit_test(test_entry_json),       cmocka_unit_test(test_ring),
	    cmocka_unit_test(test_handler),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
