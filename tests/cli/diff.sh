#!/bin/bash
# fwctl diff --against OLD NEW (offline, no daemon): the access diff and the
# ruleset diff exactly as the reviewed golden file, diff(1)'s exit codes,
# --json for programs. Regenerate with FWD_REGEN=1 (review the diff).
set -uo pipefail
# shellcheck source=tests/support/clitest.sh
. "$2/tests/support/clitest.sh" diff "$@"
dir="$src/tests/golden/diff"
cd "$dir"

"$fwctl" diff --against old.yaml new.yaml >"$tmp/out" 2>"$tmp/err"
rc=$?
[ -n "${FWD_REGEN:-}" ] && cp "$tmp/out" "$dir/expected.txt"
[ "$rc" -eq 1 ] && ok || bad "a difference exits $rc, not 1: $(cat "$tmp/err")"
diff -u "$dir/expected.txt" "$tmp/out" && ok || bad "output differs from tests/golden/diff/expected.txt"
[ ! -s "$tmp/err" ] && ok || bad "stderr: $(cat "$tmp/err")"

# The same policy: nothing printed, exit 0 -- also when only the file name
# (and so every rule's location) differs.
cp old.yaml "$tmp/renamed.yaml"
out="$("$fwctl" diff --against old.yaml "$tmp/renamed.yaml" 2>&1)"
rc=$?
[ "$rc" -eq 0 ] && [ -z "$out" ] && ok || bad "no difference: exit $rc: $out"
# A comment line on top moves every rule one line down: still no difference.
{ echo "# a new first line"; cat old.yaml; } >"$tmp/moved.yaml"
out="$("$fwctl" diff --against old.yaml "$tmp/moved.yaml" 2>&1)"
rc=$?
[ "$rc" -eq 0 ] && [ -z "$out" ] && ok || bad "moved rules: exit $rc: $out"

# Trouble: exit 2 -- a policy with errors (its diagnostics), usage, no file.
printf 'tenant: {name: shop, id: 5}\n' >"$tmp/broken.yaml"
"$fwctl" diff --against old.yaml "$tmp/broken.yaml" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "broken.yaml:1:1: error: the tenant file: missing required key" "$tmp/err" &&
	ok || bad "broken policy: exit $rc: $(cat "$tmp/err")"
"$fwctl" diff >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "no path: not exit 2"
"$fwctl" diff --against old.yaml "$tmp/none.yaml" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "missing file: not exit 2"

# --json: the same change for programs.
"$fwctl" --json diff --against old.yaml new.yaml >"$tmp/json"
rc=$?
[ "$rc" -eq 1 ] && python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["changed"] is True
assert r["tenants_changed"] == ["shop"], r["tenants_changed"]
a = r["access"]
assert a["removed"] == ["internet \u2192 web tcp/80 (published 203.0.113.50)"], a["removed"]
assert a["added"] == ["vpn:bob \u2192 dmz tcp/3389", "vpn:bob \u2192 dmz udp/3389",
                      "vpn:bob \u2192 firewall tcp/22", "web \u2192 db tcp/6432"], a["added"]
assert (a["n_added"], a["n_removed"]) == (4, 1)
out = open(sys.argv[2]).read()
assert out == a["text"] + "\n" + r["ruleset_diff"], "json and text differ"
' "$tmp/json" "$dir/expected.txt" && ok || bad "--json: exit $rc: $(head -c 400 "$tmp/json")"

cli_end
