#!/bin/bash
# WireGuard with the kernel's module, inside the test VM (image/vm-run.sh
# BUILD_DIR vpn_kernel): the core of tests/netns/vpn.sh with
# fwd --wireguard kernel, so the generic netlink backend (fwd/wg_genl.c) and
# RTM_NEWLINK "wireguard" are what configure the interface:
#   - the firewall's interface is a kernel wireguard link with the planted
#     key's public half, the users' peers with exactly their /32;
#   - alice (group it) and bob (group sales), kernel WireGuard clients set up
#     with `wg`, reach exactly what their group allows;
#   - a user fwctl makes (`fwctl vpn user add`, no key) brings a kernel
#     WireGuard client up from the printed configuration alone (wg setconf,
#     its Address and AllowedIPs): the address fwd reports, exactly what its
#     group allows, nothing once `fwctl vpn user del` ran; the printed private
#     key is not in fwd's log or state;
#   - removing alice deletes her peer and her tracked connection, bob's peer
#     keeps its latest handshake;
#   - the planted private key is in no fwctl output and not in fwd's log;
#   - then bench_wg --wireguard kernel (1,000 peers, change one), if the
#     image has it: its figures are printed for docs/performance.md.
# Runs as root on the VM's own kernel: bash vpn_kernel.sh BUILD_DIR SOURCE_DIR.
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "vpn_kernel: FAIL: $*" >&2
	fail=$((fail + 1))
}
P=vk
nss=(fw net srv alice bob)
tmp="$(mktemp -d)"
cleanup() {
	for n in "${nss[@]}"; do
		ip netns pids "$P-$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
	done
	wait 2>/dev/null
	for n in "${nss[@]}"; do ip netns del "$P-$n" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
on() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }
for n in "${nss[@]}"; do ip netns add "$P-$n" && on "$n" ip link set lo up || bad "netns $n"; done
command -v nc >/dev/null || bad "nc is not in the image"

# shellcheck source=tests/support/vpnlab.sh
. "$src/tests/support/vpnlab.sh"
vpnlab_up
vpnlab_link alice 203.0.113.10
vpnlab_link bob 203.0.113.11
for a in 10.0.10.5:22 10.0.10.6:443 10.0.10.5:443; do
	on srv nc -lk "${a%:*}" "${a#*:}" </dev/null >/dev/null 2>&1 &
done

state="$tmp/state" sock="$tmp/fwd.sock"
vpnlab_key alice
vpnlab_key bob
mkdir -m 700 "$state" "$state/keys"
(umask 077 && wg genkey >"$state/keys/wgk0.key")
FWKEY="$(cat "$state/keys/wgk0.key")" FWPUB="$(wg pubkey <"$state/keys/wgk0.key")"
policy() { # NAME USERS
	mkdir -p "$tmp/$1"
	cat >"$tmp/$1/vt.yaml" <<EOF
tenant: {name: vt, id: 9}
uplink: {interface: eth0, addresses: [203.0.113.1]}
zones:
  lan: {vlan: 10, subnet: 10.0.10.0/24, interface: vlan10}
hosts:
  web: {zone: lan, address: 10.0.10.5}
  crm: {zone: lan, address: 10.0.10.6}
vpn:
  interface: wgk0
  listen_port: 51820
  pool: 10.99.0.0/24
  users:
$2
    carl: {address: 10.99.0.30, groups: [it]}
rules:
  - {id: it-web, from: "vpn:group:it", to: web, allow: tcp/22}
  - {id: sales-crm, from: "vpn:group:sales", to: crm, allow: tcp/443}
EOF
}
ALICE="    alice: {address: 10.99.0.10, public_key: \"$(cat "$tmp/alice.pub")\", groups: [it]}"
BOB="    bob: {address: 10.99.0.11, public_key: \"$(cat "$tmp/bob.pub")\", groups: [sales]}"
policy full "$ALICE
$BOB"
policy noalice "$BOB"

l2_off=(--l2 off) # the VPN alone: no bridges in this test
on fw "$build/fwd" --state-dir "$state" --socket "$sock" --group root --drift-interval 0 \
	--wireguard kernel "${l2_off[@]}" >"$tmp/fwd.log" 2>&1 &
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
c() { "$build/fwctl" --socket "$sock" "$@" 2>&1 | tee -a "$tmp/outputs"; }
c apply "$tmp/full" >/dev/null && ok || bad "apply: $(cat "$tmp/fwd.log")"

link="$(on fw ip -d link show wgk0 2>&1)"
[[ "$link" == *wireguard* ]] && ok || bad "wgk0 is not a kernel wireguard link: $link"
[ "$(on fw wg show wgk0 public-key)" = "$FWPUB" ] && ok || bad "wgk0 has another key"
allowed="$(on fw wg show wgk0 allowed-ips | sort)"
want="$(printf '%s\t10.99.0.10/32\n%s\t10.99.0.11/32\n' "$(cat "$tmp/alice.pub")" "$(cat "$tmp/bob.pub")" | sort)"
[ "$allowed" = "$want" ] && ok || bad "allowed-ips: $allowed"
st="$(c vpn status)"
[[ "$st" == *"interface wgk0 (tenant vt, kernel)"* ]] && ok || bad "vpn status: $st"

client() { # NS ADDRESS
	on "$1" ip link add "wgc-$1" type wireguard
	on "$1" wg set "wgc-$1" private-key "$tmp/$1.key" peer "$FWPUB" \
		endpoint 203.0.113.1:51820 allowed-ips 10.0.10.0/24
	on "$1" ip addr add "$2/32" dev "wgc-$1"
	on "$1" ip link set "wgc-$1" up
	on "$1" ip route add 10.0.10.0/24 dev "wgc-$1"
}
client alice 10.99.0.10
client bob 10.99.0.11
probe() { # NS DST PORT yes|no
	local got=no
	on "$1" nc -z -w 3 "$2" "$3" </dev/null >/dev/null 2>&1 && got=yes
	[ "$got" = "$4" ] && ok || bad "$1 to $2:$3: connected=$got, expected $4"
}
probe alice 10.0.10.5 22 yes
probe alice 10.0.10.6 443 no
probe bob 10.0.10.6 443 yes
probe bob 10.0.10.5 22 no
probe bob 10.0.10.5 443 no

# A user fwctl makes (`fwctl vpn user add`, no key given): a kernel
# WireGuard client from nothing but the configuration fwctl printed. The
# image has no wg-quick: its `strip` is done here (the wg-quick keys
# Address, DNS, MTU, Table, Pre/Post Up/Down and SaveConfig out, the rest for
# `wg setconf` as it is); Address gives the address, AllowedIPs the routes.
# (fwctl directly: c keeps every output, and this one holds the private key)
(umask 077 && "$build/fwctl" --socket "$sock" vpn user add newt --group it >"$tmp/newt.out" \
	2>"$tmp/newt.err") && ok || bad "vpn user add newt: $(cat "$tmp/newt.err")"
# what a user copies: the text up to the blank line before the QR code
(umask 077 && awk 'NF == 0 && ++n == 2 { exit } { print }' "$tmp/newt.out" >"$tmp/newt.conf")
conf_val() { # KEY: its values in newt.conf, comma lists split
	sed -n "s/^$1[[:space:]]*=[[:space:]]*//p" "$tmp/newt.conf" | tr ',' ' ' | xargs -n1
}
NEWT_PRIV="$(conf_val PrivateKey)"
newt_pub="$(printf '%s\n' "$NEWT_PRIV" | wg pubkey)"
list="$(c vpn list)"
# auto: the lowest free address of the pool (the firewall is .1)
grep -qxF "  user newt 10.99.0.2 (auto) groups it key $newt_pub" <<<"$list" && ok ||
	bad "vpn list for newt: $list"
[ "$(conf_val Address)" = 10.99.0.2/32 ] && ok || bad "newt's configuration: $(cat "$tmp/newt.conf")"
[ "$(conf_val Endpoint)" = 203.0.113.1:51820 ] && ok || bad "newt's Endpoint: $(cat "$tmp/newt.conf")"
[ "$(conf_val AllowedIPs | xargs)" = 10.0.10.5/32 ] && ok || bad "newt's AllowedIPs: $(cat "$tmp/newt.conf")"
ip netns add "$P-newt" && on newt ip link set lo up
nss+=(newt)
vpnlab_link newt 203.0.113.12
(umask 077 && awk -F= '{ k = $1; gsub(/[ \t]/, "", k) }
	tolower(k) !~ /^(address|dns|mtu|table|preup|postup|predown|postdown|saveconfig)$/' \
	"$tmp/newt.conf" >"$tmp/newt.wg")
on newt ip link add wgc-newt type wireguard
on newt wg setconf wgc-newt "$tmp/newt.wg" && ok || bad "wg setconf: $(cat "$tmp/newt.wg")"
for a in $(conf_val Address); do on newt ip addr add "$a" dev wgc-newt; done
on newt ip link set wgc-newt up
for a in $(conf_val AllowedIPs); do on newt ip route add "$a" dev wgc-newt; done
# the first packets wait for the handshake: a few tries under TCG
for _ in 1 2 3 4 5; do on newt nc -z -w 3 10.0.10.5 22 </dev/null >/dev/null 2>&1 && break; done
probe newt 10.0.10.5 22 yes # group it, like alice
probe newt 10.0.10.5 443 no # in the tunnel, but no rule: the firewall drops it
probe newt 10.0.10.6 443 no # sales only (and outside the configuration's AllowedIPs)
[ "$(on fw wg show wgk0 allowed-ips | grep -cxF "$newt_pub"$'\t'10.99.0.2/32)" = 1 ] && ok ||
	bad "newt's peer: $(on fw wg show wgk0 allowed-ips)"
c vpn user del newt >/dev/null
probe newt 10.0.10.5 22 no
found="$(grep -rlF "$NEWT_PRIV" "$tmp/fwd.log" "$state" "$tmp/outputs")"
[ -n "$NEWT_PRIV" ] && [ -z "$found" ] && ok || bad "newt's private key is in $found"

# an open session of alice's (nc keeps it while its input stays open)
sleep 60 | on alice nc 10.0.10.5 22 >/dev/null 2>&1 &
for _ in $(seq 40); do
	on fw cat /proc/net/nf_conntrack | grep -q "src=10.99.0.10 .*dport=22 .*ESTABLISHED\|ESTABLISHED.*src=10.99.0.10 .*dport=22" && break
	sleep 0.1
done
ct="$(on fw cat /proc/net/nf_conntrack)"
[[ "$ct" == *"src=10.99.0.10 "* ]] && ok || bad "alice's session is not tracked"
hs_bob="$(on fw wg show wgk0 latest-handshakes | grep -F "$(cat "$tmp/bob.pub")")"
sleep 1.1 # a new handshake would carry a later second
c apply "$tmp/noalice" >/dev/null
peers="$(on fw wg show wgk0 peers)"
[[ "$peers" != *"$(cat "$tmp/alice.pub")"* && "$peers" == *"$(cat "$tmp/bob.pub")"* ]] && ok ||
	bad "peers after removing alice: $peers"
[ "$(on fw wg show wgk0 latest-handshakes | grep -F "$(cat "$tmp/bob.pub")")" = "$hs_bob" ] && ok ||
	bad "bob's handshake changed"
ct="$(on fw cat /proc/net/nf_conntrack)"
[[ "$ct" != *"src=10.99.0.10 "* ]] && ok || bad "alice's connection is still tracked"
probe bob 10.0.10.6 443 yes
probe alice 10.0.10.5 22 no

c --json status >/dev/null
c --json show >/dev/null
c --json vpn status >/dev/null
c diff "$tmp/full" >/dev/null
found="$(grep -lF "$FWKEY" "$tmp/outputs" "$tmp/fwd.log")"
[ -z "$found" ] && ok || bad "the private key is in $found"
grep -qF "$FWPUB" "$tmp/outputs" && ok || bad "no public key in the outputs"

if [ -x "$build/bench/bench_wg" ]; then
	ip netns add "$P-bench"
	mkdir -m 700 "$tmp/bench"
	ip netns exec "$P-bench" "$build/bench/bench_wg" --wireguard kernel --peers 1000 \
		--state-dir "$tmp/bench" --interface wgbench0 || bad "bench_wg"
	ip netns del "$P-bench"
fi

echo "vpn_kernel: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
