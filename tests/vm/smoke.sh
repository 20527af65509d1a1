#!/bin/bash
# The test VM has what the machines' own kernel lacks, and fwd works on the
# appliance's kernel (Debian's cloud kernel, not the host's):
#  - 802.1Q: a trunk (veth) from a "hypervisor" namespace into a VLAN-aware
#    bridge (vlan_filtering 1) whose trunk port carries VLAN 110 only.
#    Tagged frames of VLAN 110 reach the bridge's gateway on VLAN 110 (ping);
#    frames of VLAN 120 enter the port and never reach the gateway on VLAN
#    120 (its receive counter stays 0) until the port is given VLAN 120,
#    which then passes too (so the drop was the VLAN filter, nothing else).
#  - kernel WireGuard: two namespaces, wg0 each, keys from `wg genkey`;
#    ping through the tunnel, a handshake is recorded; without the peer the
#    tunnel carries nothing.
#  - fwd: the daemon applies templates/windows-stack.yaml with `fwctl
#    apply` in a namespace lab (tests/support/fwlab.sh); the kernel holds
#    exactly what `nft -f` of `fwctl compile` gives, and real TCP follows
#    the policy (web -> app tcp/8080 allowed, app -> web tcp/8080 not).
#
# Runs inside the VM (image/vm-run.sh BUILD_DIR smoke): bash smoke.sh
# BUILD_DIR SOURCE_DIR, as root on the VM's own kernel.
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "smoke: FAIL: $*" >&2
	fail=$((fail + 1))
}
cleanup() {
	local n
	for n in hv fw wga wgb; do ip netns del "smoke-$n" 2>/dev/null; done
	rm -rf "$tmp"
}
tmp="$(mktemp -d)"
trap cleanup EXIT
on() { # on NS CMD...
	local n="$1"
	shift
	ip netns exec "smoke-$n" "$@"
}
# pings NS ADDRESS [SECONDS]: 0 when a ping is answered within SECONDS
# (default 3; a negative check waits 1 s: the frames it counts leave at once)
pings() {
	on "$1" ping -c 1 -W "${3:-3}" "$2" >/dev/null 2>&1
}
rx_packets() { on "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }
t_start="$EPOCHREALTIME"
took() { # took WHAT: the time since the last call (TCG is slow: keep an eye on it)
	echo "smoke: $1: $(awk -v a="$t_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }')"
	t_start="$EPOCHREALTIME"
}

echo "smoke: kernel $(uname -r)"

# --- 802.1Q trunk into a VLAN-aware bridge ---------------------------------
for n in hv fw; do
	ip netns add "smoke-$n" && on "$n" ip link set lo up || bad "netns $n"
done
ip -n smoke-hv link add trunk type veth peer name eth1 netns smoke-fw
on fw ip link add br0 type bridge vlan_filtering 1 vlan_default_pvid 0 &&
	ok || bad "a bridge with vlan_filtering 1: $(on fw ip link add br1 type bridge vlan_filtering 1 2>&1)"
[ "$(on fw cat /sys/class/net/br0/bridge/vlan_filtering 2>/dev/null)" = 1 ] && ok ||
	bad "br0 does not filter VLANs"
on fw ip link set eth1 master br0
on fw bridge vlan add dev eth1 vid 110 && ok || bad "bridge vlan add dev eth1 vid 110"
for v in 110 120; do
	on fw bridge vlan add dev br0 vid "$v" self
	on fw ip link add link br0 name "br0.$v" type vlan id "$v" && ok || bad "vlan $v on br0"
	on fw ip addr add "10.10.$v.1/24" dev "br0.$v"
	on hv ip link add link trunk name "trunk.$v" type vlan id "$v" && ok ||
		bad "802.1Q sub-interface trunk.$v"
	on hv ip addr add "10.10.$v.10/24" dev "trunk.$v"
done
for l in eth1 br0 br0.110 br0.120; do on fw ip link set "$l" up; done
for l in trunk trunk.110 trunk.120; do on hv ip link set "$l" up; done
vlans="$(on fw bridge vlan show dev eth1)"
[[ "$vlans" == *110* && "$vlans" != *120* ]] && ok || bad "eth1 VLANs: $vlans"

pings hv 10.10.110.1 && ok || bad "no ping over VLAN 110"
port_before="$(rx_packets fw eth1)"
pings hv 10.10.120.1 1 && bad "VLAN 120 passed a port that carries only VLAN 110" || ok
port_after="$(rx_packets fw eth1)" gw120="$(rx_packets fw br0.120)"
[ "$port_after" -gt "$port_before" ] && ok || bad "no VLAN 120 frame reached the port at all"
[ "$gw120" -eq 0 ] && ok || bad "$gw120 frames reached the VLAN 120 gateway"
on fw bridge vlan add dev eth1 vid 120
pings hv 10.10.120.1 && ok || bad "VLAN 120 does not pass once the port carries it"
[ "$(rx_packets fw br0.120)" -gt 0 ] && ok || bad "the VLAN 120 gateway received nothing"

took 802.1Q

# --- kernel WireGuard --------------------------------------------------------
for n in wga wgb; do
	ip netns add "smoke-$n" && on "$n" ip link set lo up || bad "netns $n"
done
ip -n smoke-wga link add under type veth peer name under netns smoke-wgb
on wga ip addr add 192.0.2.1/24 dev under
on wgb ip addr add 192.0.2.2/24 dev under
for n in wga wgb; do
	on "$n" ip link set under up
	# keys stay in files: never on the console
	(umask 077 && wg genkey >"$tmp/$n.key")
	wg pubkey <"$tmp/$n.key" >"$tmp/$n.pub"
	on "$n" ip link add wg0 type wireguard && ok || bad "ip link add wg0 type wireguard ($n)"
done
on wga wg set wg0 listen-port 51820 private-key "$tmp/wga.key" \
	peer "$(cat "$tmp/wgb.pub")" allowed-ips 10.99.0.2/32 endpoint 192.0.2.2:51821
on wgb wg set wg0 listen-port 51821 private-key "$tmp/wgb.key" \
	peer "$(cat "$tmp/wga.pub")" allowed-ips 10.99.0.1/32 endpoint 192.0.2.1:51820
on wga ip addr add 10.99.0.1/24 dev wg0
on wgb ip addr add 10.99.0.2/24 dev wg0
on wga ip link set wg0 up
on wgb ip link set wg0 up
pings wga 10.99.0.2 && ok || bad "no ping through the WireGuard tunnel"
hs="$(on wga wg show wg0 latest-handshakes | awk '{ print $2 }')"
[ "${hs:-0}" -gt 0 ] && ok || bad "no WireGuard handshake recorded"
on wga wg set wg0 peer "$(cat "$tmp/wgb.pub")" remove
pings wga 10.99.0.2 1 && bad "the tunnel carried packets without a peer" || ok

took WireGuard

# --- fwd on this kernel --------------------------------------------------------
FWLAB_PREFIX="smoke-lab" FWLAB_BUILD="$build"
# shellcheck source=tests/support/fwlab.sh
. "$src/tests/support/fwlab.sh"
labtmp="$tmp/lab"
mkdir -p "$labtmp"
state="$labtmp/state" sock="$labtmp/fwd.sock" log="$labtmp/fwd.log"
ref="$FWLAB_PREFIX-ref"
trap 'fwlab_down; ip netns del "$ref" 2>/dev/null; cleanup' EXIT
ip netns add "$ref" || bad "netns $ref"
fwlab_up traffic && ok || bad "the namespace lab could not be built"
fwctl() { "$build/fwctl" --socket "$sock" "$@"; }
if fwlab_fwd_start "$state" "$sock" "$log"; then
	ok
	took "lab and fwd start"
	fwctl apply "$src/templates/windows-stack.yaml" >"$labtmp/apply.out" 2>&1 && ok ||
		bad "fwctl apply: $(cat "$labtmp/apply.out") $(tail -5 "$log")"
	status="$(fwctl status 2>&1)"
	grep -qx "live generation: 1" <<<"$status" && ok || bad "fwctl status: $status"
	"$build/fwctl" compile "$src/templates/windows-stack.yaml" >"$labtmp/ref.nft"
	ip netns exec "$ref" nft -f "$labtmp/ref.nft" && ok || bad "nft -f of fwctl compile"
	want="$(fwlab_hash "$ref")" got="$(fwlab_ruleset_hash)"
	[ -n "$want" ] && [ "$want" = "$got" ] && ok || {
		bad "the kernel's ruleset differs from nft -f of fwctl compile"
		diff <(fwlab_dump "$ref") <(fwlab_dump "$(fwlab_ns fw)") | head -20 >&2
	}
	took "apply and check"
	fwlab_listen app 8080
	fwlab_listen web 8080
	sleep 0.3
	[ "$(fwlab_probe web app 8080)" = open ] && ok || bad "web -> app tcp/8080 (rule web-to-erp) is closed"
	[ "$(fwlab_probe app web 8080)" = closed ] && ok || bad "app -> web tcp/8080 (no rule) is open"
	took probes
else
	bad "fwd did not start: $(cat "$log")"
fi

echo "smoke: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
