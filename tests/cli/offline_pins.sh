#!/bin/bash
# fwctl check, compile and explain with --state-dir: `address: auto` VPN
# users get the addresses fwd keeps in STATE_DIR/vpn-addresses (the pins),
# as the live policy does; without a pins file, in file order (what fwd does
# on its first apply). Errors are exact. tests/netns/vpn.sh compares the
# offline address with a running fwd's.
set -uo pipefail
# shellcheck source=tests/support/clitest.sh
. "$2/tests/support/clitest.sh" offline_pins "$@"

mkdir -p "$tmp/p" "$tmp/state" "$tmp/empty"
# aaron comes first in the file; the daemon gave bob .2 before aaron existed
cat >"$tmp/p/vt.yaml" <<'EOF2'
tenant: {name: vt, id: 9}
uplink: {interface: eth0, addresses: [203.0.113.1]}
zones:
  lan: {vlan: 10, subnet: 10.0.10.0/24, interface: vlan10}
hosts:
  crm: {zone: lan, address: 10.0.10.6}
vpn:
  interface: wvt
  listen_port: 51820
  pool: 10.99.0.0/24
  users:
    aaron: {address: auto, public_key: "fMJjDYmvDhVmVmw0n09QzSFNhiXwhrnrYdVTGtlONGg=", groups: [it]}
    bob: {address: auto, public_key: "gMJjDYmvDhVmVmw0n09QzSFNhiXwhrnrYdVTGtlONGg=", groups: [sales]}
rules:
  - {id: sales-crm, from: "vpn:group:sales", to: crm, allow: tcp/443}
expect:
  - 10.99.0.2 → crm tcp/443: allow
EOF2
printf '# fwd: VPN users'"'"' addresses, kept for good (TENANT USER ADDRESS)\nvt bob 10.99.0.2\n' \
	>"$tmp/state/vpn-addresses"

run 0 "" "$fwctl" explain --state-dir "$tmp/state" "$tmp/p/vt.yaml" vpn:bob crm tcp/443
[ "$(head -1 "$tmp/out")" = "VPN user bob (10.99.0.2) -> crm (10.0.10.6, zone lan): tcp/443" ] && ok ||
	bad "explain bob with the pins: $(cat "$tmp/out")"
run 3 "" "$fwctl" explain --state-dir="$tmp/state" "$tmp/p/vt.yaml" vpn:aaron crm tcp/443
[ "$(head -1 "$tmp/out")" = "VPN user aaron (10.99.0.3) -> crm (10.0.10.6, zone lan): tcp/443" ] && ok ||
	bad "explain aaron with the pins: $(cat "$tmp/out")"
# no pins file: file order
run 0 "" "$fwctl" explain --state-dir "$tmp/empty" "$tmp/p/vt.yaml" vpn:bob crm tcp/443
[ "$(head -1 "$tmp/out")" = "VPN user bob (10.99.0.3) -> crm (10.0.10.6, zone lan): tcp/443" ] && ok ||
	bad "explain bob without pins: $(cat "$tmp/out")"
# check proves the expectation about bob's address only with the pins
run 0 "" "$fwctl" check --state-dir "$tmp/state" "$tmp/p"
[ "$(cat "$tmp/out")" = "$tmp/p/vt.yaml: tenant vt ok (1 zones, 1 hosts, 1 rules, 1 expectation holds)" ] &&
	ok || bad "check with the pins: $(cat "$tmp/out")"
"$fwctl" check --state-dir "$tmp/empty" "$tmp/p" >/dev/null 2>&1
[ $? -eq 1 ] && ok || bad "check without the pins proved the expectation about bob's address"
# compile: bob's address in the forward set
run 0 "" "$fwctl" compile --state-dir "$tmp/state" "$tmp/p"
grep -q '10.99.0.2 . 10.0.10.6 . tcp . 443 comment "sales-crm"' "$tmp/out" && ok ||
	bad "compile with the pins: $(grep -n 10.99 "$tmp/out")"
grep -q '10.99.0.3 . 10.0.10.6' "$tmp/out" && bad "compile with the pins has aaron's address for bob" || ok

# errors
run 2 "fwctl check: --state-dir expects a directory" "$fwctl" check --state-dir
run 2 "fwctl check: --state-dir $tmp/nope: No such file or directory" \
	"$fwctl" check --state-dir "$tmp/nope" "$tmp/p"
run 2 "fwctl compile: --state-dir $tmp/p/vt.yaml: Not a directory" \
	"$fwctl" compile --state-dir "$tmp/p/vt.yaml" "$tmp/p"
printf 'vt bob\n' >"$tmp/state/vpn-addresses"
run 2 "fwctl explain: $tmp/state/vpn-addresses:1: expected TENANT USER ADDRESS (one user once)" \
	"$fwctl" explain --state-dir "$tmp/state" "$tmp/p/vt.yaml" vpn:bob crm tcp/443
run 2 "usage: fwctl explain [--state-dir DIR] PATH FROM TO SERVICE" \
	"$fwctl" explain --state-dir "$tmp/state" "$tmp/p/vt.yaml" vpn:bob crm

cli_end
