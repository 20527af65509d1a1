#!/bin/bash
# `expect:` entries as a user meets them: fwctl check proves the templates'
# promises, fails with the exact counter-example when a change breaks one,
# and the daemon refuses such a policy with the same message, the live
# generation and the (test) kernel unchanged.
set -uo pipefail
# shellcheck source=tests/support/clitest.sh
. "$2/tests/support/clitest.sh" expect "$@"
cd "$src"

# The templates keep their promises.
"$fwctl" check templates/ >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && ok || bad "check templates/: $(cat "$tmp/err")"
grep -qx "templates/windows-stack.yaml: tenant acme ok (3 zones, 6 hosts, 11 rules, 19 expectations hold)" \
	"$tmp/out" && ok || bad "check output: $(cat "$tmp/out")"

# The windows stack without its app-to-sql rule breaks "app → sql mssql: allow".
mkdir "$tmp/nosql"
sed '/^  - id: app-to-sql$/,/^$/d' templates/windows-stack.yaml >"$tmp/nosql/windows-stack.yaml"
line="$(grep -n -x '  - app → sql mssql: allow .*' "$tmp/nosql/windows-stack.yaml" | cut -d: -f1)"
[ -n "$line" ] && ok || bad "the copy has no 'app → sql mssql: allow' entry"
want="$tmp/nosql/windows-stack.yaml:$line:5: error: expectation failed: app → sql mssql: expected allow, but 10.10.120.20 → 10.10.120.30 tcp/1433 is dropped by default.deny (zone servers isolated)"
"$fwctl" check "$tmp/nosql" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && ok || bad "check of a broken promise exited $rc, expected 1"
[ "$(cat "$tmp/err")" = "$want
1 error, 0 warnings" ] && ok || bad "check message: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] && ok || bad "check printed on stdout: $(cat "$tmp/out")"
"$fwctl" --json check "$tmp/nosql" >"$tmp/j"
python3 - "$tmp/j" "$line" <<'PY' && ok || bad "check --json: $(cat "$tmp/j")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ok"] is False and j["errors"] == 1, j
d = j["diagnostics"][0]
assert d["severity"] == "error" and d["line"] == int(sys.argv[2]) and d["column"] == 5, d
assert d["message"].startswith("expectation failed: app → sql mssql: expected allow, but "), d
PY

# A malformed entry: where it is, what was expected.
cat >"$tmp/typo.yaml" <<'YAML'
tenant: {name: t, id: 9}
uplink: {interface: eth0}
zones:
  a: {vlan: 10, subnet: 10.0.10.0/24}
hosts:
  h1: {zone: a, address: 10.0.10.5}
expect:
  - h1 → hh2 ssh: deny
YAML
"$fwctl" check "$tmp/typo.yaml" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && [ "$(head -1 "$tmp/err")" = "$tmp/typo.yaml:8:10: error: expect: no host, group or zone named 'hh2' (did you mean 'h1'?)" ] &&
	ok || bad "malformed entry: $(cat "$tmp/err")"

# The daemon's apply path: refused, nothing changes.
cli_testd_start
c apply templates/windows-stack.yaml >/dev/null && ok || bad "apply of the template"
loaded="$(sha256sum <"$tmp/kernel.nft")"
c apply "$tmp/nosql" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && ok || bad "apply of a broken promise exited $rc, expected 1"
[ "$(cat "$tmp/err")" = "fwctl: apply refused: 1 error (EINVAL)
windows-stack.yaml:$line:5: error: expectation failed: app → sql mssql: expected allow, but 10.10.120.20 → 10.10.120.30 tcp/1433 is dropped by default.deny (zone servers isolated)" ] &&
	ok || bad "apply refusal: $(cat "$tmp/err")"
[ "$(sha256sum <"$tmp/kernel.nft")" = "$loaded" ] && ok || bad "the refused policy reached the kernel"
c status >"$tmp/out" && grep -qx "live generation: 1" "$tmp/out" && ok || bad "status: $(cat "$tmp/out")"
[ "$(c history | wc -l)" -eq 1 ] && ok || bad "the refused policy was recorded: $(c history)"
grep -q "\"detail\":\"windows-stack.yaml:$line:5: error: expectation failed: app → sql mssql: .*\"event\":\"refused\"" \
	"$tmp/state/audit.log" && ok ||
	bad "audit log: $(tail -2 "$tmp/state/audit.log")"

cli_end
