// SPDX-License-Identifier: GPL-2.0-or-later
/* The renderer: exact nft text for every statement and value kind. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/plan.h"
#include "planbuild.h"

static char *render_one(struct fw_plan_table *t)
{
	char *s = plan_render_table(t);

	assert_non_null(s);
	return s;
}

static void test_statements(void **state)
{
	struct fw_plan plan = {0};
	struct pb b = {.plan = &plan};
	struct fw_prefix a, sn;
	struct fw_plan_rule *r;
	static const enum fw_sel sel4[] = {FW_SEL_IP_SADDR, FW_SEL_IP_DADDR, FW_SEL_L4PROTO,
	                                   FW_SEL_TH_DPORT};
	static const enum fw_sel pair[] = {FW_SEL_IIFNAME, FW_SEL_OIFNAME};
	struct fw_origin o = {.id = "app-to-sql",
	                      .loc = {.file = "/etc/fwd/acme.yaml", .line = 42}};

	(void)state;
	fw_prefix_parse("10.0.0.5", false, &a);
	fw_prefix_parse("10.0.0.0/24", false, &sn);
	pb_table(&b, FW_FAMILY_INET, "t", "acme");
	pb_chain(&b, "base", FW_HOOK_FORWARD, FW_CHAIN_FILTER, 10, FW_VERDICT_DROP);
	r = pb_rule(&b, NULL);
	pb_bits(&b, r, FW_SEL_CT_STATE, true, FW_CT_ESTABLISHED | FW_CT_RELATED, 0);
	pb_verdict(&b, r, FW_VERDICT_ACCEPT, NULL);
	r = pb_rule(&b, &o);
	struct fw_val v = val_prefix(&sn);
	pb_cmp(&b, r, FW_SEL_IP_SADDR, true, &v);
	v = val_port_range(1000, 2000);
	pb_cmp(&b, r, FW_SEL_TH_DPORT, false, &v);
	pb_lookup(&b, r, sel4, 4, false, false, "allow");
	pb_counter(&b, r);
	pb_log(&b, r, "fwd:acme:\"x\" ");
	pb_verdict(&b, r, FW_VERDICT_JUMP, "next");
	r = pb_rule(&b, NULL);
	pb_lookup(&b, r, pair, 2, false, true, "pairs");
	r = pb_rule(&b, NULL);
	struct fw_val zero = {.len = 4};
	pb_cmp(&b, r, FW_SEL_FIB_RPF, false, &zero);
	pb_bits(&b, r, FW_SEL_TCP_FLAGS, true, FW_TCP_SYN | FW_TCP_ACK, FW_TCP_SYN);
	v = val_u8(135);
	pb_cmp(&b, r, FW_SEL_ICMPV6_TYPE, false, &v);
	pb_verdict(&b, r, FW_VERDICT_DROP, NULL);
	pb_chain(&b, "nat", FW_HOOK_PREROUTING, FW_CHAIN_NAT, -100, FW_VERDICT_ACCEPT);
	r = pb_rule(&b, NULL);
	pb_nat(&b, r, FW_ST_DNAT, &a, 8443);
	r = pb_rule(&b, NULL);
	pb_nat(&b, r, FW_ST_SNAT, &a, 0);
	r = pb_rule(&b, NULL);
	pb_nat(&b, r, FW_ST_MASQ, NULL, 0);
	assert_int_equal(b.err, 0);

	char *s = render_one(&plan.tables[0]);
	assert_string_equal(
	    s,
	    "table inet t {\n"
	    "\tchain base {\n"
	    "\t\ttype filter hook forward priority filter + 10; policy drop;\n"
	    "\t\tct state established,related accept\n"
	    "\t\tip saddr != 10.0.0.0/24 th dport 1000-2000 ip saddr . ip daddr . meta l4proto . "
	    "th dport @allow counter log prefix \"fwd:acme:_x_ \" group 100 jump next comment "
	    "\"app-to-sql acme.yaml:42\"\n"
	    "\t\tiifname . oifname vmap @pairs\n"
	    "\t\tfib saddr . iif oif missing tcp flags & (syn | ack) != syn icmpv6 type "
	    "nd-neighbor-solicit drop\n"
	    "\t}\n"
	    "\n"
	    "\tchain nat {\n"
	    "\t\ttype nat hook prerouting priority dstnat;\n"
	    "\t\tdnat ip to 10.0.0.5:8443\n"
	    "\t\tsnat ip to 10.0.0.5\n"
	    "\t\tmasquerade\n"
	    "\t}\n"
	    "}\n");
	free(s);
	plan_clear(&plan);
}

static void test_sets_and_values(void **state)
{
	struct fw_plan plan = {0};
	struct pb b = {.plan = &plan};
	static const enum fw_key k4[] = {FW_KEY_IPV4, FW_KEY_IPV6, FW_KEY_PROTO, FW_KEY_PORT};
	static const enum fw_key kv[] = {FW_KEY_IFNAME};
	uint8_t lo[16] = {10, 0, 0, 5}, hi[16] = {10, 0, 0, 9};
	uint8_t six[16];
	struct fw_elem *e;

	(void)state;
	inet_pton(AF_INET6, "2001:db8::1", six);
	pb_table(&b, FW_FAMILY_BRIDGE, "l2", "acme");
	size_t s = pb_set(&b, "mixed", k4, 4, true, false);
	e = pb_elem(&b, s);
	e->key[0] = val_addr_range(4, lo, hi); /* not a CIDR block: a range */
	e->key[1] = val_addr_range(16, six, six);
	e->key[2] = val_u8_range(0, 255);
	e->key[3] = val_port_range(0, 65535);
	e->origin.id = "r1";
	e = pb_elem(&b, s);
	lo[3] = 0;
	hi[3] = 255;
	e->key[0] = val_addr_range(4, lo, hi);
	e->key[1] = val_addr_range(16, six, six);
	e->key[2] = val_u8(58);
	e->key[3] = val_be16(53);
	size_t m = pb_set(&b, "sides", kv, 1, false, true);
	e = pb_elem(&b, m);
	e->key[0] = val_ifname("vlan110");
	e->verdict = FW_VERDICT_GOTO;
	strcpy(e->chain, "in.dmz");
	pb_set(&b, "empty", kv, 1, false, false);
	pb_chain(&b, "fwd", FW_HOOK_FORWARD, FW_CHAIN_FILTER, -200, FW_VERDICT_ACCEPT);
	assert_int_equal(b.err, 0);

	char *str = render_one(&plan.tables[0]);
	assert_string_equal(
	    str, "table bridge l2 {\n"
	         "\tset mixed {\n"
	         "\t\ttype ipv4_addr . ipv6_addr . inet_proto . inet_service\n"
	         "\t\tflags interval\n"
	         "\t\telements = {\n"
	         "\t\t\t10.0.0.5-10.0.0.9 . 2001:db8::1 . 0-255 . 0-65535 comment \"r1\",\n"
	         "\t\t\t10.0.0.0/24 . 2001:db8::1 . icmpv6 . 53\n"
	         "\t\t}\n"
	         "\t}\n"
	         "\n"
	         "\tmap sides {\n"
	         "\t\ttype ifname : verdict\n"
	         "\t\telements = {\n"
	         "\t\t\t\"vlan110\" : goto in.dmz\n"
	         "\t\t}\n"
	         "\t}\n"
	         "\n"
	         "\tset empty {\n"
	         "\t\ttype ifname\n"
	         "\t}\n"
	         "\n"
	         "\tchain fwd {\n"
	         "\t\ttype filter hook forward priority filter; policy accept;\n"
	         "\t}\n"
	         "}\n");
	free(str);
	plan_clear(&plan);
}

static void test_malformed_plan_refused(void **state)
{
	struct fw_plan plan = {0};
	struct pb b = {.plan = &plan};
	struct fw_plan_rule *r;

	(void)state;
	pb_table(&b, FW_FAMILY_INET, "t", NULL);
	pb_chain(&b, "c", FW_HOOK_NONE, FW_CHAIN_FILTER, 0, FW_VERDICT_NONE);
	r = pb_rule(&b, NULL);
	pb_lookup(&b, r, NULL, 0, false, false, "x"); /* no selector */
	assert_null(plan_render_table(&plan.tables[0]));
	plan_clear(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_statements),
	    cmocka_unit_test(test_sets_and_values),
	    cmocka_unit_test(test_malformed_plan_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
