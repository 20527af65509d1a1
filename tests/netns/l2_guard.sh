#!/bin/bash
# The tenant's bridge table with real frames (fwctl compile loaded with
# nft -f in a namespace): a bridge with the tenant's trunk port "eth1" and the
# access ports "tap-a1", "tap-a2" of the isolated zone a, and the zone's
# gateway on the bridge with proxy ARP, as the L2 plan asks. This kernel has
# no 802.1Q and no VLAN filtering, so the bridge is a plain one named like
# the gateway (vlan10); what is proven is the nftables side:
#  - hosts of the isolated zone reach each other only through the gateway,
#    and there only as the allowlist says (h1 -> h2 ssh; the set element
#    counts the routed packets), not the other way, not ICMP;
#  - IPv6 link-local traffic between them is dropped;
#  - DHCP replies and router advertisements from a host are dropped, those of
#    the host the zone names (allow_dhcp_server, allow_ra) pass.
# Every check first holds the other way without the ruleset.
# Usage (ctest): bash tests/netns/l2_guard.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build="$(cd "${1:?usage: l2_guard.sh BUILD_DIR SOURCE_DIR}" && pwd)"
fwctl="$build/fwctl"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: l2_guard: needs root for network namespaces"
	exit 77
fi
P="l2g$$"
if ! ip netns add "$P-fw" 2>/dev/null; then
	echo "SKIP: l2_guard: no network namespace support (ip netns add failed)"
	exit 77
fi
tmp="$(mktemp -d)"
HOSTS=(h1 h2 dhcp)
LISTENERS=()
cleanup() {
	for p in "${LISTENERS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for n in fw "${HOSTS[@]}"; do
		ip netns pids "$P-$n" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$P-$n" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
on() { # on NAME CMD...
	local n="$1"
	shift
	ip netns exec "$P-$n" "$@"
}
# The real interpreter (a pyenv shim costs a fraction of a second per start).
py="$(python3 -c 'import sys; print(sys.executable)')"

cat >"$tmp/probe.py" <<'PY'
import socket, struct, sys, time
cmd = sys.argv[1]
if cmd == "udp-send":  # SPORT DST DPORT
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.bind(("", int(sys.argv[2])))
    for _ in range(3):
        s.sendto(b"offer", (sys.argv[3], int(sys.argv[4])))
        time.sleep(0.05)
elif cmd == "udp-recv":  # PORT SECONDS: the sources heard
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", int(sys.argv[2])))
    end = time.time() + float(sys.argv[3])
    while time.time() < end:
        s.settimeout(max(end - time.time(), 0.01))
        try:
            _, a = s.recvfrom(100)
            print(a[0], flush=True)
        except socket.timeout:
            pass
elif cmd == "ra-send":  # IFACE: a router advertisement to all nodes
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[2].encode())
    ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 0, 0, 0)  # lifetime 0: no default route
    for _ in range(3):
        s.sendto(ra, ("ff02::1", 0, 0, socket.if_nametoindex(sys.argv[2])))
        time.sleep(0.05)
elif cmd == "ra-recv":  # SECONDS: the sources of router advertisements heard
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    end = time.time() + float(sys.argv[2])
    while time.time() < end:
        s.settimeout(max(end - time.time(), 0.01))
        try:
            d, a = s.recvfrom(1500)
            if d and d[0] == 134:
                print(a[0].split("%")[0], flush=True)
        except socket.timeout:
            pass
elif cmd == "tcp-listen":  # PORT
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", int(sys.argv[2])))
    s.listen(8)
    while True:
        s.accept()[0].close()
elif cmd == "tcp-connect":  # HOST PORT: exit 0 when it connects within 2 s
    try:
        socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=2).close()
    except OSError:
        sys.exit(1)
PY
probe() { # probe NAME ARGS...
	local n="$1"
	shift
	on "$n" "$py" -S "$tmp/probe.py" "$@"
}

# --- the topology ---------------------------------------------------------
declare -A PORT=([h1]=eth1 [h2]=tap-a1 [dhcp]=tap-a2)
declare -A ADDR=([h1]=10.0.10.5 [h2]=10.0.10.6 [dhcp]=10.0.10.2)
sysctl_in() { on "$1" sh -c "[ ! -e /proc/sys/${2//.//} ] || echo $3 >/proc/sys/${2//.//}"; }
on fw ip link set lo up
on fw ip link add vlan10 type bridge
on fw ip addr add 10.0.10.1/24 dev vlan10
sysctl_in fw net.ipv4.ip_forward 1
for a in iptables ip6tables arptables; do sysctl_in fw "net.bridge.bridge-nf-call-$a" 0; done
for k in all.send_redirects vlan10.send_redirects; do sysctl_in fw "net.ipv4.conf.$k" 0; done
for h in "${HOSTS[@]}"; do
	ip netns add "$P-$h" || exit 1
	on "$h" ip link set lo up
	on fw ip link add "${PORT[$h]}" type veth peer name eth0 netns "$P-$h"
	on fw ip link set "${PORT[$h]}" master vlan10 up
	on "$h" ip addr add "${ADDR[$h]}/24" dev eth0
done
on dhcp ip link set eth0 address 52:54:00:00:00:02
for h in "${HOSTS[@]}"; do on "$h" ip link set eth0 up; done
on fw ip link set vlan10 up
# link-local addresses need their duplicate address detection done
for _ in $(seq 50); do
	t="$(for h in "${HOSTS[@]}"; do on "$h" ip -6 addr show dev eth0 tentative; done)"
	[ -z "$t" ] && break
	sleep 0.1
done
ll() { on "$1" ip -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1; }
LL_H2="$(ll h2)" LL_DHCP="$(ll dhcp)"
[ -n "$LL_H2" ] && [ -n "$LL_DHCP" ] || bad "no link-local addresses"

# What each check sees; $1 = with or without the ruleset.
observe() {
	local w="$1"
	probe h1 udp-recv 68 1.5 >"$tmp/dhcp.$w" &
	local r=$!
	sleep 0.3
	probe h2 udp-send 67 10.0.10.255 68
	probe dhcp udp-send 67 10.0.10.255 68
	wait "$r"
	probe h1 ra-recv 1.5 >"$tmp/ra.$w" &
	r=$!
	sleep 0.3
	probe h2 ra-send eth0
	probe dhcp ra-send eth0
	wait "$r"
	on h1 ping -6 -c1 -W1 "$LL_H2%eth0" >/dev/null 2>&1 && echo yes >"$tmp/ll.$w" || echo no >"$tmp/ll.$w"
	on h1 ping -c1 -W1 10.0.10.6 >/dev/null 2>&1 && echo yes >"$tmp/ping.$w" || echo no >"$tmp/ping.$w"
	probe h1 tcp-connect 10.0.10.6 22 && echo yes >"$tmp/ssh12.$w" || echo no >"$tmp/ssh12.$w"
	probe h2 tcp-connect 10.0.10.5 22 && echo yes >"$tmp/ssh21.$w" || echo no >"$tmp/ssh21.$w"
}
on h1 "$py" -S "$tmp/probe.py" tcp-listen 22 &
LISTENERS+=($!)
on h2 "$py" -S "$tmp/probe.py" tcp-listen 22 &
LISTENERS+=($!)
sleep 0.3

# --- without the ruleset: everything reaches everyone ----------------------
observe bare
grep -qx 10.0.10.6 "$tmp/dhcp.bare" && grep -qx 10.0.10.2 "$tmp/dhcp.bare" && ok ||
	bad "without the ruleset DHCP replies should arrive: $(cat "$tmp/dhcp.bare")"
grep -qx "$LL_H2" "$tmp/ra.bare" && grep -qx "$LL_DHCP" "$tmp/ra.bare" && ok ||
	bad "without the ruleset router advertisements should arrive: $(cat "$tmp/ra.bare")"
for c in ll ping ssh12 ssh21; do
	[ "$(cat "$tmp/$c.bare")" = yes ] && ok || bad "without the ruleset $c should pass"
done

# --- the policy ------------------------------------------------------------
cat >"$tmp/lab.yaml" <<'YAML'
tenant: {name: lab, id: 7}
uplink: {interface: up0}
trunk: eth1
zones:
  a:
    vlan: 10
    subnet: 10.0.10.0/24
    isolate: true
    ports: [tap-a1, tap-a2]
    allow_dhcp_server: dhcp
    allow_ra: dhcp
hosts:
  dhcp: {zone: a, address: 10.0.10.2, mac: 52:54:00:00:00:02}
  h1: {zone: a, address: 10.0.10.5}
  h2: {zone: a, address: 10.0.10.6}
rules:
  - {id: r1, from: h1, to: h2, allow: ssh}
YAML
"$fwctl" compile "$tmp/lab.yaml" >"$tmp/lab.nft" 2>"$tmp/err" || bad "compile: $(cat "$tmp/err")"
on fw nft -f "$tmp/lab.nft" 2>"$tmp/err" && ok || bad "nft -f: $(cat "$tmp/err")"
# The gateway of an isolated zone answers ARP for the zone (the L2 plan's
# proxy_arp); its access ports are isolated bridge ports.
sysctl_in fw net.ipv4.conf.vlan10.proxy_arp 1
sysctl_in fw net.ipv4.conf.vlan10.proxy_arp_pvlan 1
on fw bridge link set dev tap-a1 isolated on 2>/dev/null
on fw bridge link set dev tap-a2 isolated on 2>/dev/null
for h in "${HOSTS[@]}"; do on "$h" ip neigh flush dev eth0; done

observe policy
[ "$(cat "$tmp/dhcp.policy")" = "$(printf '10.0.10.2\n10.0.10.2\n10.0.10.2')" ] && ok ||
	bad "DHCP replies: only the allowed server's should arrive, got: $(cat "$tmp/dhcp.policy" | tr '\n' ' ')"
grep -qx "$LL_DHCP" "$tmp/ra.policy" && ! grep -qx "$LL_H2" "$tmp/ra.policy" && ok ||
	bad "router advertisements: only the allowed router's should arrive, got: $(cat "$tmp/ra.policy" | tr '\n' ' ')"
[ "$(cat "$tmp/ll.policy")" = no ] && ok || bad "IPv6 link-local between hosts of the isolated zone passed"
[ "$(cat "$tmp/ping.policy")" = no ] && ok || bad "ping between hosts of the isolated zone passed (no rule)"
[ "$(cat "$tmp/ssh12.policy")" = yes ] && ok || bad "h1 -> h2 ssh (rule r1) did not pass"
[ "$(cat "$tmp/ssh21.policy")" = no ] && ok || bad "h2 -> h1 ssh passed (rules are directed)"
# h1 -> h2 went through the gateway: the inet table's zone chain counted it
on fw nft list set inet fwd_lab a.a.4px >"$tmp/set" 2>&1
grep -Eq '10\.0\.10\.5 \. 10\.0\.10\.6 \. tcp \. 22 counter packets [1-9][0-9]* ' "$tmp/set" && ok ||
	bad "the routed flow was not counted in fwd_lab a.a.4px: $(grep 10.0.10 "$tmp/set")"
# the dropped DHCP replies and advertisements were counted
on fw nft list chain bridge fwd_lab_l2 antispoof >"$tmp/chain" 2>&1
grep -Eq 'dport 68 counter packets [1-9][0-9]* .* drop' "$tmp/chain" && ok ||
	bad "the DHCP guard's drop counted nothing: $(grep 'dport 68' "$tmp/chain")"
grep -Eq 'nd-router-advert counter packets [1-9][0-9]* .* drop' "$tmp/chain" && ok ||
	bad "the router advertisement guard's drop counted nothing"

echo "l2_guard: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
