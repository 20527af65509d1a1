#!/bin/bash
# fwctl diff, rule del/add and history GEN against the real daemon in a
# throw-away network namespace: the diff names exactly the access and the
# set element a change removes and changes nothing; rule del and rule add
# change the kernel and are recorded with their diff; a refused rule add
# changes nothing, with the checker's exact message.
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
FWLAB_PREFIX="fwdtest-diffrule-$$" FWLAB_BUILD="$build"
# shellcheck source=tests/support/fwlab.sh
. "$src/tests/support/fwlab.sh"
fwlab_test_begin diff_rule
fwlab_up bare || die "cannot make the namespace"
ns="$(fwlab_ns fw)"
unset SSH_CONNECTION # no lockout guard: the test is not logged in over the firewall
fwlab_fwd_start "$state" "$sock" "$log" || die "fwd did not start: $(cat "$log")"

c() { "$build/fwctl" --socket "$sock" "$@"; }
kernel() { ip netns exec "$ns" nft list ruleset; }
element='10.10.120.20 . 10.10.120.30 . tcp . 1433'
live_file() { cat "$tmp/state/current/policy/windows-stack.yaml"; }
generations() { c history | wc -l; }

# The template without its `expect:` entries: rule del app-to-sql below breaks
# the promise "app → sql mssql: allow" on purpose.
mkdir "$tmp/ws"
sed '/^expect:$/,$d' "$src/templates/windows-stack.yaml" >"$tmp/ws/windows-stack.yaml"
c apply "$tmp/ws/windows-stack.yaml" >/dev/null && ok || bad "apply: $(tail -3 "$tmp/fwd.log")"
[[ "$(kernel)" == *"$element"* ]] && ok || bad "the app-to-sql element is not in the kernel"

# The template without its app-to-sql rule, under the same file name.
mkdir "$tmp/nosql"
sed '/^  - id: app-to-sql$/,/^$/d' "$tmp/ws/windows-stack.yaml" >"$tmp/nosql/windows-stack.yaml"
grep -q app-to-sql "$tmp/nosql/windows-stack.yaml" && bad "the copy still has app-to-sql"

before="$(kernel | sha256sum)"
c diff "$tmp/nosql/windows-stack.yaml" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && ok || bad "diff of a changed policy exited $rc, not 1: $(cat "$tmp/err")"
# The access diff, then a blank line, then the ruleset diff.
[ "$(sed '/^$/q' "$tmp/out")" = "- app → sql tcp/1433" ] && ok ||
	bad "access diff: $(sed '/^$/q' "$tmp/out")"
grep -qxF -- "--- fwd_acme_l2 (live)" "$tmp/out" && grep -qxF -- "+++ fwd_acme_l2 (new)" "$tmp/out" &&
	ok || bad "no fwd_acme_l2 headers: $(cat "$tmp/out")"
grep -q "^-[[:space:]]*$element comment \"app-to-sql\"" "$tmp/out" && ok ||
	bad "the removed set element is not in the ruleset diff: $(cat "$tmp/out")"
# Nothing else changes: lines only go (the rule's set element, its counted
# set and lookup); rules the deletion moved up do not count.
changed="$(sed '1,/^$/d' "$tmp/out" | grep '^[-+]' | grep -v '^--- \|^+++ ')"
[ -n "$changed" ] && ! grep '^+' <<<"$changed" >/dev/null && ok ||
	bad "the ruleset diff adds lines: $changed"
[ "$(kernel | sha256sum)" = "$before" ] && ok || bad "fwctl diff changed the kernel"
[ "$(generations)" -eq 1 ] && ok || bad "fwctl diff recorded a generation"

# --json: the same, for programs.
c --json diff "$tmp/nosql/windows-stack.yaml" >"$tmp/json"
rc=$?
[ "$rc" -eq 1 ] && python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["result"]
assert r["changed"] is True, r
assert r["access"]["removed"] == ["app \u2192 sql tcp/1433"], r["access"]
assert r["access"]["added"] == [], r["access"]
assert r["tenants_changed"] == ["acme"], r["tenants_changed"]
assert "app-to-sql" in r["ruleset_diff"]
' "$tmp/json" && ok || bad "diff --json (exit $rc): $(head -c 600 "$tmp/json")"

# The live policy itself: no difference, nothing printed, exit 0.
out="$(c diff "$tmp/ws/windows-stack.yaml" 2>&1)"
rc=$?
[ "$rc" -eq 0 ] && [ -z "$out" ] && ok || bad "diff of the live policy: exit $rc: $out"
# A broken policy: the checker's diagnostics, exit 2.
c diff "$src/tests/malformed/overlapping-subnets.yaml" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "^fwctl: policy refused: [0-9]* errors\? (EINVAL)$" "$tmp/err" &&
	grep -q "overlapping-subnets.yaml:[0-9]*:[0-9]*: error: " "$tmp/err" && ok ||
	bad "diff of a broken policy: exit $rc: $(cat "$tmp/err")"

# rule del: the element leaves the kernel, a generation says so.
out="$(c rule del acme app-to-sql)"
rc=$?
[ "$rc" -eq 0 ] && [ "$out" = "applied generation 2
- app → sql tcp/1433" ] && ok || bad "rule del: exit $rc: $out"
[[ "$(kernel)" != *"$element"* ]] && ok || bad "rule del left the element in the kernel"
grep -q "app-to-sql" <(live_file) && bad "rule del left the rule in the live file"
c history | tail -1 | grep -q " fwctl rule del parent 1$" && ok || bad "history: $(c history)"
c history 2 >"$tmp/hist"
grep -qx "source:  fwctl rule del" "$tmp/hist" && grep -qx -- "- app → sql tcp/1433" "$tmp/hist" &&
	grep -q "^-[[:space:]]*$element comment \"app-to-sql\"" "$tmp/hist" && ok ||
	bad "history 2: $(cat "$tmp/hist")"

# rule add puts it back, before app-to-dc.
out="$(c rule add acme --id app-to-sql --from app --to sql --service mssql --before app-to-dc)"
rc=$?
[ "$rc" -eq 0 ] && [ "$out" = "applied generation 3
+ app → sql tcp/1433" ] && ok || bad "rule add: exit $rc: $out"
[[ "$(kernel)" == *"$element"* ]] && ok || bad "rule add did not put the element back"
grep -A3 -x "  - id: app-to-sql" <(live_file) | tr '\n' '|' |
	grep -qx "  - id: app-to-sql|    from: app|    to: sql|    allow: mssql|" && ok ||
	bad "the added rule in the live file: $(live_file | grep -A4 app-to-sql)"
c history 3 | grep -qx "source:  fwctl rule add" && ok || bad "history 3: $(c history 3)"

# Refused: exact messages, and nothing changes.
before="$(kernel | sha256sum)"
line="$(live_file | grep -n -x "  - id: app-to-dc" | cut -d: -f1)"
c rule add acme --id bad --from app --to nosuch --service mssql --before app-to-dc 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && [ "$(cat "$tmp/err")" = "fwctl: rule add refused: 1 error (EINVAL)
windows-stack.yaml:$((line + 2)):9: error: to: no host, group or zone named 'nosuch'" ] && ok ||
	bad "unknown host: exit $rc: $(cat "$tmp/err")"
c rule add acme --from app --to sql --service nosvc --before app-to-dc 2>"$tmp/err"
[ "$(cat "$tmp/err")" = "fwctl: rule add refused: 1 error (EINVAL)
windows-stack.yaml:$((line + 2)):12: error: allow: no service named 'nosvc' (not built in, not in 'services')" ] &&
	ok || bad "unknown service: $(cat "$tmp/err")"
dup="$(live_file | grep -n -x "  - id: app-to-sql" | cut -d: -f1)"
c rule add acme --id app-to-sql --from app --to sql --service mssql 2>"$tmp/err"
[ "$(cat "$tmp/err")" = "fwctl: rule add refused: windows-stack.yaml:$dup:9: id 'app-to-sql' is already taken (EEXIST)" ] &&
	ok || bad "duplicate id: $(cat "$tmp/err")"
c rule add nobody --from app --to sql --service mssql 2>"$tmp/err"
[ "$(cat "$tmp/err")" = "fwctl: rule add refused: no tenant 'nobody' is live (ENOENT)" ] && ok ||
	bad "unknown tenant: $(cat "$tmp/err")"
c rule del acme nope 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && [ "$(cat "$tmp/err")" = "fwctl: rule del refused: tenant 'acme' has no rule 'nope' (ENOENT)" ] &&
	ok || bad "unknown rule: exit $rc: $(cat "$tmp/err")"
[ "$(kernel | sha256sum)" = "$before" ] && ok || bad "a refused rule change changed the kernel"
[ "$(generations)" -eq 3 ] && ok || bad "a refused rule change recorded a generation: $(c history)"

fwlab_test_end
