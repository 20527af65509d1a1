// SPDX-License-Identifier: GPL-2.0-or-later
/* Editing a tenant file's rules: the exact resulting YAML, and errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/edit.h"
#include "fwd/policy.h"
#include "testutil.h"
#include "ytree.h"

static const char *const app[] = {"app"}, *const sql[] = {"sql"}, *const mssql[] = {"mssql"};

static struct fw_rule_spec spec(const char *id)
{
	return (struct fw_rule_spec){
	    .id = id, .from = app, .n_from = 1, .to = sql, .n_to = 1, .allow = mssql, .n_allow = 1};
}

static char *add(const char *text, const struct fw_rule_spec *s)
{
	char *out = NULL, err[256];
	size_t len = 0;
	int r = fw_edit_rule_add("f.yaml", text, strlen(text), s, &out, &len, err, sizeof(err));

	if (r != 0)
		fail_msg("add: %d %s", r, err);
	assert_int_equal(len, strlen(out));
	return out;
}

static char *del(const char *text, const char *id)
{
	char *out = NULL, err[256];
	size_t len = 0;
	int r = fw_edit_rule_del("f.yaml", text, strlen(text), id, &out, &len, err, sizeof(err));

	if (r != 0)
		fail_msg("del: %d %s", r, err);
	return out;
}

static void add_fails(const char *text, const struct fw_rule_spec *s, int code, const char *msg)
{
	char *out = (char *)"untouched", err[256];
	size_t len = 0;

	assert_int_equal(
	    fw_edit_rule_add("f.yaml", text, strlen(text), s, &out, &len, err, sizeof(err)), code);
	assert_string_equal(err, msg);
	assert_string_equal(out, "untouched");
}

static void del_fails(const char *text, const char *id, int code, const char *msg)
{
	char *out = (char *)"untouched", err[256];
	size_t len = 0;

	assert_int_equal(
	    fw_edit_rule_del("f.yaml", text, strlen(text), id, &out, &len, err, sizeof(err)), code);
	assert_string_equal(err, msg);
	assert_string_equal(out, "untouched");
}

/* Rules separated by blank lines, comments between them; in parts, as the
 * expected results below are these parts with an edit between them. */
#define SP_HEAD                                                                                    \
	"tenant: {name: t, id: 1}   # the tenant\n"                                                \
	"rules:\n"                                                                                 \
	"  # --- servers ---\n"
#define SP_A                                                                                       \
	"  - id: a\n"                                                                              \
	"    from: x      # why\n"                                                                 \
	"    to: y\n"                                                                              \
	"    allow: ssh\n"                                                                         \
	"\n"
#define SP_OFFICE "  # --- office ---\n"
#define SP_B                                                                                       \
	"  - id: b\n"                                                                              \
	"    from: x\n"                                                                            \
	"    to: z\n"                                                                              \
	"    allow: [http, https]\n"                                                               \
	"    comment: \"two\n"                                                                     \
	"      lines\"\n"
#define SP_TAIL                                                                                    \
	"\n"                                                                                       \
	"# published\n"                                                                            \
	"publish: []\n"
static const char spaced[] = SP_HEAD SP_A SP_OFFICE SP_B SP_TAIL;

/* The rule spec("r") adds, at the indentation of most files. */
#define RULE_R                                                                                     \
	"  - id: r\n"                                                                              \
	"    from: app\n"                                                                          \
	"    to: sql\n"                                                                            \
	"    allow: mssql\n"

/* add() of spec("r") to text gives exactly want. */
static void add_r_is(const char *text, const char *want)
{
	struct fw_rule_spec s = spec("r");
	char *out = add(text, &s);

	assert_string_equal(out, want);
	free(out);
}

static void test_add_last_spaced(void **state)
{
	struct fw_rule_spec s = spec("app-to-sql");
	(void)state;

	s.log = true;
	s.comment = "TCP 1433";
	char *out = add(spaced, &s);
	assert_string_equal(out, SP_HEAD SP_A SP_OFFICE SP_B "\n"
	                                                     "  - id: app-to-sql\n"
	                                                     "    from: app\n"
	                                                     "    to: sql\n"
	                                                     "    allow: mssql\n"
	                                                     "    log: true\n"
	                                                     "    comment: \"TCP 1433\"\n" SP_TAIL);
	/* and out again: byte for byte the file it was */
	char *back = del(out, "app-to-sql");
	assert_string_equal(back, spaced);
	free(back);
	free(out);
}

static void test_add_before_compact(void **state)
{
	static const char compact[] = "rules:\n"
	                              "- id: a\n"
	                              "  from: x\n"
	                              "  to: y\n"
	                              "  allow: ssh\n"
	                              "- {id: b, from: x, to: z, allow: ssh}\n";
	static const char *const many[] = {"app", "web"}, *const svc[] = {"tcp/1433", "icmp"};
	struct fw_rule_spec s = spec(NULL);
	(void)state;

	s.from = many;
	s.n_from = 2;
	s.allow = svc;
	s.n_allow = 2;
	s.before = "b";
	char *out = add(compact, &s);
	assert_string_equal(out, "rules:\n"
	                         "- id: a\n"
	                         "  from: x\n"
	                         "  to: y\n"
	                         "  allow: ssh\n"
	                         "- from: [app, web]\n"
	                         "  to: sql\n"
	                         "  allow: [tcp/1433, icmp]\n"
	                         "- {id: b, from: x, to: z, allow: ssh}\n");
	/* it has no id: it is the second rule, "rule-2" */
	char *back = del(out, "rule-2");
	assert_string_equal(back, compact);
	free(back);
	free(out);
}

static void test_add_spaced_before(void **state)
{
	struct fw_rule_spec s = spec("new");
	(void)state;

	s.before = "b";
	char *out = add(spaced, &s);
	assert_non_null(strstr(out, "  # --- office ---\n"
	                            "  - id: new\n"
	                            "    from: app\n"
	                            "    to: sql\n"
	                            "    allow: mssql\n"
	                            "\n"
	                            "  - id: b\n"));
	free(out);
}

static void test_add_empty_or_missing(void **state)
{
	(void)state;
	add_r_is("tenant: {name: t, id: 1}\nrules: []   # none yet\negress: []\n",
	         "tenant: {name: t, id: 1}\n"
	         "rules:   # none yet\n" RULE_R "egress: []\n");
	add_r_is("rules:\negress: []\n", "rules:\n" RULE_R "egress: []\n");
	/* no section at all, and no line break at the end */
	add_r_is("tenant: {name: t, id: 1}", "tenant: {name: t, id: 1}\n"
	                                     "\n"
	                                     "rules:\n" RULE_R);
}

/* Two rules ending in strings over several lines, and what follows them. */
#define MULTI_A                                                                                    \
	"  - id: a\n"                                                                              \
	"    comment: \"one\n"                                                                     \
	"# not a comment\n"                                                                        \
	"\n"                                                                                       \
	"      two\"\n"
#define MULTI_B                                                                                    \
	"  - id: b\n"                                                                              \
	"    comment: |\n"                                                                         \
	"      line\n"                                                                             \
	"      # text, not a comment\n"
#define MULTI_TAIL                                                                                 \
	"\n"                                                                                       \
	"# next\n"                                                                                 \
	"egress: []\n"

/* Odd files: the editor follows YAML's idea of lines and columns, or refuses. */
static void test_odd_files(void **state)
{
	struct fw_rule_spec s = spec("r");
	char *out;
	(void)state;

	/* a byte order mark does not count in columns */
	add_r_is("\xef\xbb\xbfrules: []\n", "\xef\xbb\xbfrules:\n" RULE_R);
	/* a document indented as a whole gets its new section indented too */
	add_r_is("  tenant: {name: t, id: 1}\n", "  tenant: {name: t, id: 1}\n"
	                                         "\n"
	                                         "  rules:\n"
	                                         "    - id: r\n"
	                                         "      from: app\n"
	                                         "      to: sql\n"
	                                         "      allow: mssql\n");
	/* a rule ending in a string over several lines: the string is the
	 * rule's, the comment after it the next section's */
	static const char multi[] = "rules:\n" MULTI_A MULTI_B MULTI_TAIL;
	out = add(multi, &s);
	assert_string_equal(out, "rules:\n" MULTI_A MULTI_B RULE_R MULTI_TAIL);
	free(out);
	out = del(multi, "a");
	assert_string_equal(out, "rules:\n" MULTI_B MULTI_TAIL);
	free(out);
	/* a rule that holds an anchor the file uses elsewhere stays */
	del_fails("rules:\n  - id: a\n    from: &admins [h1, h2]\n  - id: b\n    from: *admins\n",
	          "a", -EINVAL,
	          "the edited file would not read back: f.yaml:3:11: error: alias '*admins' "
	          "names no anchor defined before it");
	add_fails("rules:\n  - id: a\r    to: x\n", &s, -EINVAL,
	          "f.yaml:2: a line break other than LF or CR LF (a lone CR, NEL, LS or PS); "
	          "fwctl does not edit such files");
	add_fails("a: 1\nb: \"x\xe2\x80\xa8y\"\n", &s, -EINVAL,
	          "f.yaml:2: a line break other than LF or CR LF (a lone CR, NEL, LS or PS); "
	          "fwctl does not edit such files");
	add_fails("{tenant: x, rules: []}\n", &s, -EINVAL,
	          "f.yaml:1:1: the file is one flow mapping ({...}); fwctl does not edit it; edit "
	          "the file");
	add_fails("- a\n", &s, -EINVAL, "f.yaml: not a tenant file (expected a mapping)");
}

/* A value cannot add YAML: it stays one string, whatever it holds. */
static void test_no_injection(void **state)
{
	static const char *const evil[] = {"x\n- evil: true"}, *const odd[] = {
	                                                           "10.0.0.1", "true", "a: b",
	                                                           "#c",       "-x",   "é\u2028"};
	struct fw_rule_spec s = spec("r");
	struct fw_diags d = {0};
	struct ydoc *doc;
	(void)state;

	s.from = evil;
	s.to = odd;
	s.n_to = 6;
	s.comment = "\"quoted\" \\ and\ttab\x01";
	char *out = add("rules: []\n", &s);
	assert_string_equal(out, "rules:\n"
	                         "  - id: r\n"
	                         "    from: \"x\\n- evil: true\"\n"
	                         "    to: [\"10.0.0.1\", \"true\", \"a: b\", \"#c\", \"-x\", "
	                         "\"é\\u2028\"]\n"
	                         "    allow: mssql\n"
	                         "    comment: \"\\\"quoted\\\" \\\\ and\\ttab\\x01\"\n");
	/* read back: one rule, every value as given */
	assert_int_equal(ydoc_parse("f.yaml", out, strlen(out), &d, &doc), 0);
	const struct ynode *rules = ymap_get(doc->root, "rules");
	assert_int_equal(rules->n, 1);
	assert_int_equal(rules->vals[0]->n, 5);
	assert_string_equal(ymap_get(rules->vals[0], "from")->str, evil[0]);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(ymap_get(rules->vals[0], "to")->vals[i]->str, odd[i]);
	assert_string_equal(ymap_get(rules->vals[0], "comment")->str, s.comment);
	ydoc_free(doc);
	fw_diags_free(&d);
	free(out);
}

static void test_add_errors(void **state)
{
	static const char *const bad_utf8[] = {"a\xff"};
	char longv[FW_EDIT_MAX_VALUE + 2];
	const char *const long_list[] = {longv};
	struct fw_rule_spec s = spec("a");
	(void)state;

	add_fails(spaced, &s, -EEXIST, "f.yaml:4:9: id 'a' is already taken");
	s.id = "rule-1";
	add_fails("rules:\n  - {from: x, to: y, allow: ssh}\n", &s, -EEXIST,
	          "f.yaml:2:5: id 'rule-1' is already taken");
	s.id = "web";
	add_fails("publish:\n  - {id: web, address: 1.2.3.4, host: h, allow: http}\n", &s, -EEXIST,
	          "f.yaml:2:10: id 'web' is already taken");
	s = spec("n");
	s.before = "zz";
	add_fails(spaced, &s, -ENOENT, "f.yaml: no rule 'zz' to insert before");
	s = spec("n");
	s.n_from = 0;
	add_fails(spaced, &s, -EINVAL, "from: expected at least one value");
	s = spec("n");
	s.to = bad_utf8;
	add_fails(spaced, &s, -EINVAL, "to: not valid UTF-8");
	memset(longv, 'a', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	s = spec("n");
	s.allow = long_list;
	add_fails(spaced, &s, -EINVAL, "allow: longer than 1024 bytes");
	s = spec("n");
	add_fails("rules: [{id: a, from: x, to: y, allow: ssh}]\n", &s, -EINVAL,
	          "f.yaml:1:8: rules: written in a form fwctl does not edit (a flow list or not "
	          "a list); edit the file");
	add_fails("rules: [\n", &s, -EINVAL,
	          "f.yaml:2:1: error: invalid YAML: did not find expected node content");
}

static void test_del(void **state)
{
	char *out;
	(void)state;

	/* the first rule: its heading comment stays, no blank line under it */
	out = del(spaced, "a");
	assert_string_equal(out, SP_HEAD SP_OFFICE SP_B SP_TAIL);
	free(out);
	/* the last, with its two-line string */
	out = del(spaced, "b");
	assert_string_equal(out, SP_HEAD SP_A SP_OFFICE SP_TAIL);
	/* and the only one left: the section stays a list */
	char *out2 = del(out, "a");
	assert_string_equal(out2, "tenant: {name: t, id: 1}   # the tenant\n"
	                          "rules: []\n"
	                          "  # --- servers ---\n"
	                          "\n" SP_OFFICE SP_TAIL);
	free(out2);
	free(out);
	/* Windows line breaks stay Windows line breaks */
	out = del("rules:\r\n  - id: a\r\n    to: x\r\n  - id: b\r\n    to: y\r\n", "a");
	assert_string_equal(out, "rules:\r\n  - id: b\r\n    to: y\r\n");
	free(out);
	del_fails(spaced, "c", -ENOENT, "f.yaml: no rule 'c'");
	del_fails("tenant: {name: t, id: 1}\n", "c", -ENOENT, "f.yaml: no rule 'c'");
	del_fails("rules: [{id: a}]\n", "a", -EINVAL,
	          "f.yaml:1:8: rules: written in a form fwctl does not edit (a flow list or not "
	          "a list); edit the file");
}

/* The template, end to end: one rule out, the file still loads, the rule is gone. */
static void test_template(void **state)
{
	char path[512];
	size_t len;
	struct fw_diags d = {0};
	struct fw_policy *p;
	(void)state;

	snprintf(path, sizeof(path), "%s/templates/windows-stack.yaml", tu_source_dir());
	char *text = tu_read_file(path, &len);
	char *out = del(text, "app-to-sql");
	assert_int_equal(strlen(text) - strlen(out),
	                 strlen("  - id: app-to-sql\n    from: app\n    to: sql\n"
	                        "    allow: mssql\n    counter: true\n    comment: \"TCP 1433 on "
	                        "the SQL server only from the app server: nobody else talks to the "
	                        "DB\"\n\n"));
	assert_int_equal(policy_load_buffer("windows-stack.yaml", out, strlen(out), &d, &p), 0);
	assert_int_equal(p->tenants[0].n_rules, 10);
	assert_string_equal(p->tenants[0].rules[0].id, "app-to-dc");
	policy_free(p);
	fw_diags_free(&d);
	free(out);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_last_spaced),   cmocka_unit_test(test_add_before_compact),
	    cmocka_unit_test(test_add_spaced_before), cmocka_unit_test(test_add_empty_or_missing),
	    cmocka_unit_test(test_odd_files),         cmocka_unit_test(test_no_injection),
	    cmocka_unit_test(test_add_errors),        cmocka_unit_test(test_del),
	    cmocka_unit_test(test_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
