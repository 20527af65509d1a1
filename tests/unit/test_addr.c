// SPDX-License-Identifier: GPL-2.0-or-later
/* Addresses, prefixes, port specs and the service catalogue. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/policy.h"

static struct fw_prefix P(const char *s) {
	struct fw_prefix p;

	assert_int_equal(fw_prefix_parse(s, true, &p), 0);
	return p;
}

static void
test_prefix_parse(void **state)
{
	struct fw_prefix p;
	char buf[64];

	(void)state;
	assert_int_equal(fw_prefix_parse("10.1.2.0/24", false, &p), 0);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.len, 24);
	assert_int_equal(fw_prefix_format(&p, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "10.1.2.0/24");
	assert_int_equal(fw_prefix_parse("10.1.2.3/24", false, &p), -EDOM);
	assert_int_equal(fw_prefix_parse("10.1.2.3/24", true, &p), 0);
	assert_int_equal(fw_prefix_parse("10.1.2.3", false, &p), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(fw_prefix_parse("2001:db8::/64", false, &p), 0);
	assert_int_equal(p.family, 6);
	fw_addr_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::");
	/* Strict: no octal, no leading zeros in lengths, no junk. */
	assert_int_equal(fw_prefix_parse("010.1.2.3", false, &p), -EINVAL);
	assert_int_equal(fw_prefix_parse("10.1.2.0/024", false, &p), -EINVAL);
	assert_int_equal(fw_prefix_parse("10.1.2.0/33", false, &p), -EINVAL);
	assert_int_equal(fw_prefix_parse("10.1.2.0/", false, &p), -EINVAL);
	assert_int_equal(fw_prefix_parse("10.1.2", false, &p), -EINVAL);
	assert_int_equal(fw_prefix_parse("", false, &p), -EINVAL);
	assert_int_equal(fw_prefix_parse("2001:db8::/129", false, &p), -EINVAL);
}

static void test_prefix_relations(void **state)
{
	struct fw_prefix a = P("10.0.0.0/8"), b = P("10.1.0.0/16"), c = P("11.0.0.0/8");
	struct fw_prefix any = P("0.0.0.0/0"), six = P("::/0");

	(void)state;
	assert_true(fw_prefix_contains(&a, &b));
	assert_false(fw_prefix_contains(&b, &a));
	assert_true(fw_prefix_overlaps(&a, &b));
	assert_true(fw_prefix_overlaps(&b, &a));
	assert_false(fw_prefix_overlaps(&a, &c));
	assert_true(fw_prefix_contains(&any, &c));
	assert_false(fw_prefix_overlaps(&any, &six)); /* families never mix */
	struct fw_prefix odd = P("10.1.2.3/31"), odd2 = P("10.1.2.2/32");
	assert_true(fw_prefix_overlaps(&odd, &odd2));
}

static void test_port_specs(void **state)
{
	struct fw_port_spec s;

	(void)state;
	assert_int_equal(fw_port_spec_parse("tcp/1433", &s), 0);
	assert_int_equal(s.proto, 6);
	assert_int_equal(s.lo, 1433);
	assert_int_equal(s.hi, 1433);
	assert_int_equal(fw_port_spec_parse("udp/49152-65535", &s), 0);
	assert_int_equal(s.proto, 17);
	assert_int_equal(s.lo, 49152);
	assert_int_equal(s.hi, 65535);
	assert_int_equal(fw_port_spec_parse("tcp", &s), 0);
	assert_int_equal(s.lo, 0);
	assert_int_equal(s.hi, 65535);
	assert_int_equal(fw_port_spec_parse("icmp", &s), 0);
	assert_int_equal(s.proto, 1);
	assert_int_equal(fw_port_spec_parse("any", &s), 0);
	assert_int_equal(s.proto, 0);
	assert_int_equal(fw_port_spec_parse("icmp/8", &s), -EPROTONOSUPPORT);
	assert_int_equal(fw_port_spec_parse("tcp/0", &s), -ERANGE);
	assert_int_equal(fw_port_spec_parse("tcp/65536", &s), -ERANGE);
	assert_int_equal(fw_port_spec_parse("tcp/20-10", &s), -ERANGE);
	assert_int_equal(fw_port_spec_parse("tcp/-5", &s), -ERANGE);
	assert_int_equal(fw_port_spec_parse("sctp/9", &s), -EINVAL);
	assert_int_equal(fw_port_spec_parse("TCP/22", &s), -EINVAL);
}

static void test_catalogue(void **state)
{
	(void)state;
	assert_true(fw_catalogue_size() >= 30);
	for (size_t i = 1; i < fw_catalogue_size(); i++)
		assert_true(strcmp(fw_catalogue_at(i - 1)->name, fw_catalogue_at(i)->name) < 0);
	const struct fw_service *s = fw_catalogue_find("mssql");
	assert_non_null(s);
	assert_int_equal(s->n_ports, 1);
	assert_int_equal(s->ports[0].lo, 1433);
	s = fw_catalogue_find("smb");
	assert_int_equal(s->n_ports, 2);
	assert_int_equal(s->ports[0].lo, 445);
	assert_int_equal(s->ports[1].lo, 139);
	assert_null(fw_catalogue_find("msql"));
	assert_null(fw_catalogue_at(fw_catalogue_size()));
	assert_string_equal(fw_proto_name(17), "udp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefix_parse),
	    cmocka_unit_test(test_prefix_relations),
	    cmocka_unit_test(test_port_specs),
	    cmocka_unit_test(test_catalogue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
