#!/bin/bash
# The real daemon changes only what changed and puts back what others
# change. Two tenants in a throw-away namespace, a host namespace behind
# tenant alpha's zone so that real packets make alpha's allowlist counters
# count:
#  - a change to tenant beta does not touch alpha's table: its rules keep
#    their handles, its element counters their values;
#  - an allowlist change in alpha is element adds and deletes (nft monitor
#    sees one transaction and no table, chain, rule or set in it; the chains
#    keep their handles), the other elements go on counting;
#  - the kernel's ruleset still equals `nft -f` of the rendered plan;
#  - drift made by hand (a rule deleted, an element added, a table deleted,
#    a table of ours added) is found within a second of the change, named in
#    `fwctl status`, the audit log and fwd's log, and repaired; another
#    program's own tables are none of fwd's business.
set -uo pipefail
build="$(cd "$1" && pwd)" # $2, the source directory, is not needed
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: drift: needs root for network namespaces"
	exit 77
fi
ns="fwdtest-drift-$$" host="fwdtest-drift-h-$$" ref="fwdtest-drift-ref-$$"
tmp="$(mktemp -d)"
sock="$tmp/fwd.sock"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "drift: FAIL: $*" >&2
	fail=$((fail + 1))
}
cleanup() {
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	[ -n "${mon:-}" ] && kill "$mon" 2>/dev/null
	wait 2>/dev/null
	for n in "$ns" "$host" "$ref"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
for n in "$ns" "$host" "$ref"; do
	ip netns add "$n" || {
		echo "SKIP: drift: no network namespaces"
		exit 77
	}
done
ip -n "$ns" link set lo up
ip -n "$ns" link add vlan10 type veth peer name eth0 netns "$host"
ip -n "$ns" addr add 10.1.0.1/24 dev vlan10
ip -n "$ns" link set vlan10 up
ip -n "$host" addr add 10.1.0.10/24 dev eth0
ip -n "$host" link set eth0 up

mkdir "$tmp/policy"
cat >"$tmp/policy/alpha.yaml" <<'EOF'
tenant: {name: alpha, id: 1}
uplink: {interface: eth0, addresses: [203.0.113.1]}
zones:
  lan: {vlan: 10, subnet: 10.1.0.0/24}
  dmz: {vlan: 11, subnet: 10.1.1.0/24}
hosts:
  h1: {zone: lan, address: 10.1.0.10}
  h2: {zone: lan, address: 10.1.0.11}
  web: {zone: dmz, address: 10.1.1.10}
rules:
  - {id: web, from: lan, to: web, allow: https}
management:
  - {id: ssh-h1, from: h1, allow: ssh}
  - {id: ssh-h2, from: h2, allow: ssh}
EOF
cat >"$tmp/policy/beta.yaml" <<'EOF'
tenant: {name: beta, id: 2}
uplink: {interface: eth0, addresses: [203.0.113.2]}
zones:
  lan: {vlan: 20, subnet: 10.2.0.0/24}
hosts:
  b1: {zone: lan, address: 10.2.0.10}
management:
  - {id: ssh-b1, from: b1, allow: ssh}
EOF

c() { "$build/fwctl" --socket "$sock" "$@"; }
# an apply that succeeds, and whose read-back after the commit found the
# kernel as planned (it would warn otherwise)
apply_ok() {
	c --json apply "$tmp/policy" >"$tmp/apply.json" 2>&1 &&
		grep -qE '"ok": ?true' "$tmp/apply.json" && ! grep -qF 'nft:' "$tmp/apply.json"
}
in_ns() { ip netns exec "$ns" "$@"; }
# tables in name order (a replaced table moves to the end of the list),
# counter values left out
norm() {
	sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/' |
		awk '/^table / { if (n++) printf "\n" } { printf "%s\001", $0 } END { printf "\n" }' |
		LC_ALL=C sort | tr '\001' '\n'
}
kernel() { in_ns nft list ruleset | norm; }
# what `nft -f` of the rendered plan gives
expected() {
	ip netns exec "$ref" nft flush ruleset
	"$build/fwctl" compile "$tmp/policy" | ip netns exec "$ref" nft -f -
	ip netns exec "$ref" nft list ruleset | norm
}
# h1 knocks on the firewall's ssh port: refused (nothing listens), but the
# SYN passed alpha's allowlist element for h1 and was counted
knock() { ip netns exec "$host" timeout 2 bash -c 'echo >/dev/tcp/10.1.0.1/22' 2>/dev/null; }
h1_packets() {
	in_ns nft list set inet fwd_alpha in.lan.4px |
		sed -nE 's/.*10\.1\.0\.10 \. tcp \. 22 counter packets ([0-9]+) .*/\1/p'
}
# poll "$@" for at most one second
within_1s() {
	local t0
	t0="$(date +%s%N)"
	until "$@"; do
		[ $(($(date +%s%N) - t0)) -gt 1000000000 ] && return 1
		sleep 0.05
	done
}
intact() { [ "$(kernel)" = "$(cat "$tmp/expected")" ]; }

ip netns exec "$ns" "$build/fwd" --state-dir "$tmp/state" --socket "$sock" --group root --l2 off \
	--drift-interval 30 2>>"$tmp/fwd.log" &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || bad "fwd did not start: $(cat "$tmp/fwd.log")"

# 1. both tenants, as nft -f would load them
apply_ok && ok || bad "apply: $(cat "$tmp/apply.json") $(tail -3 "$tmp/fwd.log")"
expected >"$tmp/expected"
intact && ok || bad "after apply: kernel differs from nft -f: $(diff "$tmp/expected" <(kernel) | head)"
knock
knock
n1="$(h1_packets)"
[ "${n1:-0}" -ge 2 ] && ok || bad "h1's knocks were not counted: '${n1}'"

# 2. beta changes, alpha is not touched: same handles, same counter values
in_ns nft -a list table inet fwd_alpha >"$tmp/alpha.before"
sed -i 's|^  b1: .*|&\n  b2: {zone: lan, address: 10.2.0.11}|; $a\  - {id: ssh-b2, from: b2, allow: ssh}' \
	"$tmp/policy/beta.yaml"
apply_ok && ok || bad "apply of beta's change: $(cat "$tmp/apply.json")"
in_ns nft -a list table inet fwd_alpha >"$tmp/alpha.after"
cmp -s "$tmp/alpha.before" "$tmp/alpha.after" && ok ||
	bad "beta's change touched alpha: $(diff "$tmp/alpha.before" "$tmp/alpha.after" | head)"
[[ "$(in_ns nft list set inet fwd_beta in.lan.4px)" == *'10.2.0.11 . tcp . 22'* ]] && ok ||
	bad "beta's change is not in the kernel"
expected >"$tmp/expected"
intact && ok || bad "after beta's change: kernel differs from nft -f: $(diff "$tmp/expected" <(kernel) | head)"

# 3. alpha's allowlist changes: element adds and deletes, nothing else; the
# chains keep their handles, h1's element its count, and counts on
in_ns nft -a list table inet fwd_alpha | grep -v 'elements\|^\s*10\.\|^\s*"' >"$tmp/alpha.chains"
ip netns exec "$ns" stdbuf -oL nft monitor >"$tmp/monitor" 2>&1 &
mon=$!
sleep 0.3
sed -i 's|{id: ssh-h2, from: h2, allow: ssh}|{id: ssh-h2, from: h2, allow: [ssh, https]}|' \
	"$tmp/policy/alpha.yaml"
apply_ok && ok || bad "apply of alpha's allowlist change: $(cat "$tmp/apply.json")"
sleep 0.3
kill "$mon"
wait "$mon" 2>/dev/null
mon=
# one transaction of fwd's, and no table, chain, rule or set in it: only
# element changes (nft 1.0.6's monitor prints those of hash sets, not
# those of concatenated interval sets)
if [ "$(grep -c '^# new generation' "$tmp/monitor")" -eq 1 ] &&
	grep -qE '^# new generation [0-9]+ by process [0-9]+ \(fwd\)$' "$tmp/monitor" &&
	! grep -vE '^(# new generation |(add|delete) element )' "$tmp/monitor" >/dev/null; then
	ok
else
	bad "alpha's allowlist change was more than element changes: $(head -5 "$tmp/monitor")"
fi
[[ "$(in_ns nft list set inet fwd_alpha in.lan.4px)" == *'10.1.0.11 . tcp . 443 counter packets 0 bytes 0 comment "ssh-h2"'* ]] &&
	ok || bad "the new element is not in the kernel"
in_ns nft -a list table inet fwd_alpha | grep -v 'elements\|^\s*10\.\|^\s*"' >"$tmp/alpha.chains2"
cmp -s "$tmp/alpha.chains" "$tmp/alpha.chains2" && ok ||
	bad "alpha's chains changed: $(diff "$tmp/alpha.chains" "$tmp/alpha.chains2" | head)"
[ "$(h1_packets)" = "$n1" ] && ok || bad "h1's counter did not keep its value: $(h1_packets), was $n1"
knock
[ "$(h1_packets)" = "$((n1 + 1))" ] && ok || bad "h1's counter stopped counting: $(h1_packets)"
expected >"$tmp/expected"
intact && ok || bad "after alpha's change: kernel differs from nft -f: $(diff "$tmp/expected" <(kernel) | head)"

# 4. drift by hand: found within a second, named, repaired
status_has() { [[ "$(c status)" == *"$1"* ]]; }
drift() {
	local what="$1" repairs="$2"
	shift 2
	in_ns "$@" || bad "$what: nft $* failed"
	if within_1s intact; then
		ok
	else
		bad "$what: not repaired within a second: $(diff "$tmp/expected" <(kernel) | head -5)"
	fi
	within_1s status_has "$what" && ok || bad "$what: fwctl status says: $(c status)"
	status_has ", $repairs repair" && ok || bad "$what: not $repairs repairs: $(c status)"
}
handle="$(in_ns nft -a list chain inet fwd_alpha in.lan | sed -nE 's/.*@in\.lan\.4px accept # handle ([0-9]+)$/\1/p')"
drift "fwd_alpha: chain in.lan has 3 rules, expected 4" 1 \
	nft delete rule inet fwd_alpha in.lan handle "$handle"
drift "fwd_alpha: set in.lan.4px has 1 element not in the plan" 2 \
	nft add element inet fwd_alpha in.lan.4px '{ 10.1.0.99 . tcp . 22 }'
drift "fwd_beta: table is missing" 3 nft delete table inet fwd_beta
drift "fwd_rogue: table is not in the plan" 4 nft add table inet fwd_rogue
# another program's tables: looked at, left alone
in_ns nft add table inet other
in_ns nft add chain inet other c
sleep 1
status_has ", 4 repairs" && ok || bad "another program's table counted as drift: $(c status)"
[ -n "$(in_ns nft list table inet other 2>/dev/null)" ] && ok || bad "fwd touched another program's table"
[[ "$(c status)" == *"drift check: "*"last drift: "*": fwd_rogue: table is not in the plan"* ]] && ok ||
	bad "status: $(c status)"
grep -qF '"event":"drift"' "$tmp/state/audit.log" &&
	grep -qF '"detail":"repaired: fwd_alpha: chain in.lan has 3 rules, expected 4"' "$tmp/state/audit.log" &&
	ok || bad "audit log: $(grep drift "$tmp/state/audit.log")"
grep -qF 'fwd: drift: 1 table not as planned, restored: fwd_beta: table is missing' "$tmp/fwd.log" &&
	ok || bad "fwd's log: $(cat "$tmp/fwd.log")"

echo "drift: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
