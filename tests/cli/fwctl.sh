#!/bin/bash
# fwctl as a user sees it: exit codes, messages, --json, explain verdicts.
set -uo pipefail
# shellcheck source=tests/support/clitest.sh
. "$2/tests/support/clitest.sh" fwctl "$@"
cd "$src"

# expect_exit CODE CMD... : run, compare the exit code
expect_exit() {
	local want="$1"
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	local got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "$* exited $got, expected $want: $(head -3 "$tmp/err")"; fi
}

# --- check
expect_exit 0 "$fwctl" check templates/
expect_exit 0 "$fwctl" check templates/windows-stack.yaml
expect_exit 1 "$fwctl" check tests/malformed/dangling-from.yaml
grep -qx "tests/malformed/dangling-from.yaml:27:11: error: from: no host, group or zone named 'ap' (did you mean 'app'?)" "$tmp/err" && ok || bad "check error text: $(cat "$tmp/err")"
expect_exit 2 "$fwctl" check
expect_exit 1 "$fwctl" check /nonexistent/policy.yaml
grep -q "/nonexistent/policy.yaml: error: cannot read: No such file or directory" "$tmp/err" && ok || bad "missing file message: $(cat "$tmp/err")"
# Several files: all errors of all files, and a bad file poisons the appliance.
expect_exit 1 "$fwctl" check templates/windows-stack.yaml tests/malformed/vlan-zero.yaml
# Two copies of one tenant: names, ids, VLANs, subnets clash across files.
cp templates/windows-stack.yaml "$tmp/a.yaml"
cp templates/windows-stack.yaml "$tmp/b.yaml"
expect_exit 1 "$fwctl" check "$tmp"
grep -q "b.yaml:12:9: error: tenant name 'acme' is already used" "$tmp/err" && ok || bad "cross-tenant duplicate name: $(head -5 "$tmp/err")"
# Each tenant has its own bridge and trunk: the same VLAN id is fine, the
# same default gateway name ("vlan110") and the same trunk are not.
grep -q "b.yaml:23:3: error: interface 'vlan110' is already used by tenant acme (.*a.yaml:23:3); give this zone's gateway another name with 'interface:'" "$tmp/err" && ok || bad "cross-tenant gateway name: $(grep vlan110 "$tmp/err" | head -2)"
grep -q "b.yaml:19:8: error: trunk 'eth1' is already the trunk of tenant 'acme' (.*a.yaml:19:8); an interface is a port of one bridge only: give each tenant its own trunk" "$tmp/err" && ok || bad "shared trunk: $(grep trunk "$tmp/err" | head -2)"
# Warnings go to stderr and do not fail the check.
cat >"$tmp/shadow.yaml" <<'YAML'
tenant: {name: t, id: 9}
uplink: {interface: eth0}
zones:
  a: {vlan: 10, subnet: 10.0.10.0/24}
  b: {vlan: 20, subnet: 10.0.20.0/24}
  c: {vlan: 30, subnet: 10.0.30.0/24}
hosts:
  h1: {zone: a, address: 10.0.10.5}
  h2: {zone: b, address: 10.0.20.5}
  h3: {zone: a, address: 10.0.10.6}
rules:
  - {id: wide, from: a, to: b, allow: [ssh, https]}
  - {id: narrow, from: h1, to: h2, allow: ssh}
  - {id: inside, from: h1, to: h3, allow: ssh}
YAML
expect_exit 0 "$fwctl" check "$tmp/shadow.yaml"
grep -q "shadow.yaml:13:5: warning: rule 'narrow' is shadowed by 'wide' (line 12): everything it allows is already allowed" "$tmp/err" && ok || bad "shadow warning: $(cat "$tmp/err")"
grep -q "shadow.yaml:14:5: warning: rule 'inside' can never match inside zone 'a': traffic between its hosts is not filtered (isolate: false)" "$tmp/err" && ok || bad "never-match warning: $(cat "$tmp/err")"

# --- --json: valid JSON with the same facts
"$fwctl" --json check tests/malformed/dangling-from.yaml >"$tmp/j" 2>/dev/null
python3 - "$tmp/j" <<'PY' && ok || bad "check --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1 and d["ok"] is False and d["errors"] == 1, d
x = d["diagnostics"][0]
assert (x["line"], x["column"], x["severity"]) == (27, 11, "error"), x
assert "did you mean 'app'" in x["message"], x
PY
"$fwctl" compile --json templates/windows-stack.yaml >"$tmp/j"
python3 - "$tmp/j" "$src/tests/golden/windows-stack.nft" <<'PY' && ok || bad "compile --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is True
assert d["ruleset"] == open(sys.argv[2]).read(), "json ruleset differs from text"
PY

# --- explain: verdicts and the deciding rule, from the compiled plan
w=templates/windows-stack.yaml
explain() { # WANT(allow|deny) FROM TO SERVICE [RULE]
	local want="$1" rule="${5:-}"
	"$fwctl" explain "$w" "$2" "$3" "$4" >"$tmp/out" 2>"$tmp/err"
	local code=$?
	local got=deny
	[ "$code" -eq 0 ] && got=allow
	if [ "$code" -ne 0 ] && [ "$code" -ne 3 ]; then
		bad "explain $2 $3 $4: exit $code: $(cat "$tmp/err")"
		return
	fi
	[ "$(tail -1 "$tmp/out")" = "$got" ] || { bad "explain $2 $3 $4: last line"; return; }
	if [ "$got" != "$want" ]; then bad "explain $2 $3 $4: $got, expected $want"; return; fi
	if [ -n "$rule" ] && ! grep -q "'$rule' at " "$tmp/out"; then
		bad "explain $2 $3 $4: not decided by '$rule': $(cat "$tmp/out")"
		return
	fi
	ok
}
explain allow app sql mssql app-to-sql
explain deny web sql mssql
explain deny dc sql mssql
explain deny mail dc smb
explain deny mail web http                  # isolated dmz
explain allow mail dc ldap mail-to-dc
explain allow admin-pc dc rdp it-rdp
explain allow vpn:alice app rdp it-rdp       # group it via it-admins
explain deny vpn:bob app rdp
explain allow vpn:bob app erp sales-erp
explain allow internet 203.0.113.10 https web-public
explain allow internet 203.0.113.10 smtp mail-public
explain deny internet 203.0.113.10 smb
explain deny internet web http               # published only through the public address (DNAT)
explain deny internet dc rdp
explain deny internet 203.0.113.11 ssh
explain allow 198.51.100.5 firewall ssh admin-ssh
explain deny 198.51.100.99 firewall ssh
explain allow admin-pc firewall ssh admin-ssh
explain deny web firewall ssh
explain allow app internet https servers-updates
explain deny app internet ssh
explain allow admin-pc internet tcp/6667 office-out
explain allow admin-pc 10.10.130.99 tcp/1   # same non-isolated zone
"$fwctl" --json explain "$w" app sql mssql >"$tmp/j"
python3 - "$tmp/j" <<'PY' && ok || bad "explain --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "allow" and d["tenant"] == "acme", d
p = d["ports"][0]
assert (p["service"], p["rule"], p["line"]) == ("tcp/1433", "app-to-sql", 65), p
PY
# Several tenants: names are looked up in the tenant that knows them, or TENANT/NAME.
expect_exit 0 "$fwctl" explain templates/ app sql mssql
expect_exit 0 "$fwctl" explain templates/ internet roam/203.0.113.40 udp/51840
expect_exit 3 "$fwctl" explain templates/ shop/internet 10.20.20.10 postgres
expect_exit 2 "$fwctl" explain templates/ acme/app shop/web1 https
expect_exit 2 "$fwctl" explain "$w" nobody sql mssql
grep -q "'nobody' is not a host" "$tmp/err" && ok || bad "explain unknown: $(cat "$tmp/err")"
expect_exit 2 "$fwctl" explain "$w" servers sql mssql
expect_exit 2 "$fwctl" bogus
expect_exit 0 "$fwctl" --help
grep -q "explain PATH FROM TO SERVICE" "$tmp/out" && ok || bad "--help text"
expect_exit 0 "$fwctl" --version

# Numbers on the command line: refused before any daemon is asked, with
# the same message wherever the option appears.
usage_error() { # MESSAGE ARGS...
	local want="$1"
	shift
	expect_exit 2 "$fwctl" --socket "$tmp/no-daemon.sock" "$@"
	[ "$(cat "$tmp/err")" = "$want" ] && ok || bad "fwctl $*: $(cat "$tmp/err")"
}
usage_error "fwctl apply: --confirm takes seconds from 1 to 3600" apply --confirm 0 x.yaml
usage_error "fwctl apply: --confirm takes seconds from 1 to 3600" apply --confirm " 5" x.yaml
usage_error "fwctl apply: --confirm takes seconds from 1 to 3600" apply --confirm 3601 x.yaml
usage_error "fwctl rule: --confirm takes seconds from 1 to 3600" rule del acme r1 --confirm -1
usage_error "fwctl rollback: expected a generation number, found '+3'" rollback +3
usage_error "fwctl history: expected a generation number, found '0'" history 0
usage_error "fwctl logs: -n takes records from 0 to 1024" logs -n 1025

cli_end
