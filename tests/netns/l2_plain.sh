#!/bin/bash
# The L2 backend on this machine's kernel, which has bridges and veth but no
# 802.1Q devices and no bridge VLAN filtering (the VM tier, tests/vm/l2_*.sh,
# has both). In a throw-away network namespace:
#  1. single steps against the real kernel (tests/support/l2_selftest): a
#     bridge made and marked ours, a veth access port enslaved and isolated,
#     addresses, the proxy ARP sysctls; l2_read() sees them as ip(8) does;
#  2. a refused step undoes those done before it: no bridge left behind, the
#     port released, a foreign link untouched; the kernel's refusal named;
#  3. the daemon with --l2 on: a policy without an L2 part applies (nothing
#     is asked of L2); the same tenant with a trunk (an L2 part) is refused
#     at apply time with "not supported by this kernel", after which the
#     nftables ruleset is the previous one (fwd applied the new one first and
#     put the old one back: two commits), no bridge is left, the trunk is
#     not enslaved, a foreign link is as it was, the live generation stays;
#  4. --l2 off: the same policy applies (nftables only), no link is made.
# Usage (ctest): bash tests/netns/l2_plain.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
FWLAB_PREFIX="fwdtest-l2-$$" FWLAB_BUILD="$build"
# shellcheck source=tests/support/fwlab.sh
. "$src/tests/support/fwlab.sh"
fwlab_test_begin l2_plain
fwlab_up bare || die "cannot make the namespace"
ns="$(fwlab_ns fw)"
unset SSH_CONNECTION # no lockout guard: the test is not logged in over the firewall
in_ns() { ip netns exec "$ns" "$@"; }
self() { in_ns "$build/l2_selftest" "$@"; }

# This tier's kernel refuses what the VM tier's accepts: find out which.
in_ns ip link add l2probe type bridge
if in_ns ip link set l2probe type bridge vlan_filtering 1 2>/dev/null; then
	vlan_kernel=1
else
	vlan_kernel=0
fi
in_ns ip link del l2probe

# The links: an uplink, a trunk and two access ports (veth), and a link of
# somebody else's (alias, address, up) that must stay exactly as it is.
for l in up0 trunk0 acc0 keep0; do
	in_ns ip link add "$l" type veth peer name "${l}p" || { bad "veth $l"; exit 1; }
	in_ns ip link set "$l" up
	in_ns ip link set "${l}p" up
done
in_ns ip link set keep0 alias customer
in_ns ip addr add 192.0.2.1/24 dev keep0
keep() { # what of keep0 fwd could change: master, alias, up, addresses
	in_ns ip -o -d link show keep0 | grep -o '<[A-Z_,]*>\|master [^ ]*\|alias .*'
	in_ns ip -o addr show keep0 scope global
}
keep_before="$(keep)"
bridges() { in_ns ip -o link show type bridge | awk -F': ' '{print $2}' | tr '\n' ' '; }

# --- 1. single steps -------------------------------------------------------------
out="$(self steps "bridge-add br-t fwd:t" "enslave acc0 br-t" "flag acc0 isolated on" \
	"addr-add br-t 10.9.0.1/24" "sysctl br-t proxy_arp 1" "sysctl br-t proxy_arp_pvlan 1" \
	"sysctl br-t send_redirects 0" "up br-t on" 2>&1)"
[ "$out" = "8 of 8 steps done" ] && ok || bad "steps: $out"
link="$(in_ns ip -d link show br-t)"
[[ "$link" == *"alias fwd:t"* && "$link" == *" bridge "* && "$link" == *"<BROADCAST,MULTICAST,UP"* ]] &&
	ok || bad "br-t is not an up bridge aliased fwd:t: $link"
link="$(in_ns ip -d link show acc0)"
[[ "$link" == *"master br-t"* && "$link" == *"isolated on"* ]] && ok ||
	bad "acc0 is not an isolated port of br-t: $link"
[[ "$(in_ns ip -o -4 addr show br-t)" == *"inet 10.9.0.1/24 "* ]] && ok ||
	bad "br-t address: $(in_ns ip -o addr show br-t)"
sysctls="$(for k in proxy_arp proxy_arp_pvlan send_redirects; do
	in_ns cat "/proc/sys/net/ipv4/conf/br-t/$k"
done | tr '\n' ' ')"
[ "$sysctls" = "1 1 0 " ] && ok || bad "br-t proxy_arp, proxy_arp_pvlan, send_redirects: $sysctls"
self read >"$tmp/read" 2>&1
grep -qx "acc0 kind=veth alias=- up=1 master=br-t isolated=1 hairpin=0" "$tmp/read" && ok ||
	bad "l2_read of acc0: $(grep ^acc0 "$tmp/read")"
grep -qx "br-t kind=bridge alias=fwd:t up=1 filtering=0 default_pvid=1 addr=10.9.0.1/24" "$tmp/read" &&
	ok || bad "l2_read of br-t: $(grep ^br-t "$tmp/read")"
grep -qx "keep0 kind=veth alias=customer up=1" "$tmp/read" && ok ||
	bad "l2_read of keep0 (not ours: no addresses read): $(grep ^keep0 "$tmp/read")"
self steps "del br-t" >/dev/null 2>&1 && [ -z "$(bridges)" ] && ok || bad "br-t not deleted: $(bridges)"

# --- 2. a refused step undoes the others ----------------------------------------------
if [ "$vlan_kernel" = 0 ]; then
	self steps "bridge-add br-u fwd:u" "enslave acc0 br-u" "flag acc0 isolated on" \
		"addr-add br-u 10.8.0.1/24" "sysctl br-u proxy_arp 1" "up br-u on" "bridge-vlan br-u" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 1 ] && [ "$(cat "$tmp/out")" = "6 of 7 steps done, undone" ] && ok ||
		bad "refused step: exit $rc: $(cat "$tmp/out")"
	[ "$(cat "$tmp/err")" = "fwd: error: l2: br-u: turn on VLAN filtering, no default VLAN: not supported by this kernel (no bridge VLAN filtering: Operation not supported)" ] &&
		ok || bad "the refusal: $(cat "$tmp/err")"
	[ -z "$(bridges)" ] && ok || bad "a bridge was left behind: $(bridges)"
	[[ "$(in_ns ip -d link show acc0)" != *master* ]] && ok || bad "acc0 still enslaved"
	self steps "bridge-add br-v fwd:v" "gw-add vlan5 br-v 5 fwd:v" >"$tmp/out" 2>"$tmp/err"
	[ "$(cat "$tmp/err")" = "fwd: error: l2: vlan5 on br-v: add 802.1Q device (VLAN 5): not supported by this kernel (no 802.1Q VLAN devices: Operation not supported; kernel: Unknown device type)" ] &&
		ok || bad "the 802.1Q refusal: $(cat "$tmp/err")"
	[ -z "$(bridges)" ] && ok || bad "a bridge was left behind: $(bridges)"
else
	echo "l2_plain: this kernel has bridge VLAN filtering: the refusals are not tested here"
fi

# --- 3. the daemon, --l2 on ------------------------------------------------------------
policy() { # policy FILE TRUNK(0/1) MORE_RULES(0/1): tenant acme
	{
		cat <<'EOF'
tenant:
  name: acme
  id: 1
uplink:
  interface: up0
  addresses: [203.0.113.10]
EOF
		[ "$2" = 1 ] && echo "trunk: trunk0"
		cat <<'EOF'
zones:
  dmz:
    vlan: 110
    subnet: 10.10.110.0/24
    isolate: true
  servers:
    vlan: 120
    subnet: 10.10.120.0/24
hosts:
  web: {zone: dmz, address: 10.10.110.10}
  app: {zone: servers, address: 10.10.120.20}
rules:
  - id: web-to-app
    from: web
    to: app
    allow: http
EOF
		[ "$3" = 1 ] && cat <<'EOF'
  - id: app-to-web
    from: app
    to: web
    allow: ssh
EOF
	} >"$1"
}
mkdir -p "$tmp/plain" "$tmp/trunk"
policy "$tmp/plain/acme.yaml" 0 0
# an L2 part (the trunk) and a changed ruleset (one more rule)
policy "$tmp/trunk/acme.yaml" 1 1
start() { fwlab_fwd_start "$state" "$sock" "$log" "$@" || die "fwd $* did not start: $(cat "$log")"; }
c() { "$build/fwctl" --socket "$sock" "$@"; }
ruleset() { in_ns nft -s list ruleset; }

start --l2 on
c apply "$tmp/plain/acme.yaml" >"$tmp/out" 2>&1 && ok || bad "plain policy: $(cat "$tmp/out")"
[ -z "$(bridges)" ] && ok || bad "a policy without an L2 part made a bridge: $(bridges)"
[[ "$(ruleset)" == *"table inet fwd_acme "* ]] && ok || bad "no fwd_acme table"
before="$(ruleset)"
if [ "$vlan_kernel" = 0 ]; then
	ip netns exec "$ns" stdbuf -oL nft monitor ruleset >"$tmp/monitor" 2>&1 &
	mon=$!
	for _ in $(seq 50); do # listening once it shows a change of ours
		in_ns nft add table inet l2probe && in_ns nft delete table inet l2probe
		grep -q "add table inet l2probe" "$tmp/monitor" && break
		sleep 0.1
	done
	c apply "$tmp/trunk/acme.yaml" >"$tmp/out" 2>&1
	rc=$?
	sleep 0.2
	kill "$mon"
	wait "$mon" 2>/dev/null
	mon=
	[ "$rc" = 1 ] && ok || bad "the apply with a trunk exited $rc: $(cat "$tmp/out")"
	grep -qF "acme.yaml:2:9: error: l2: br-acme: turn on VLAN filtering, no default VLAN: not supported by this kernel (no bridge VLAN filtering: Operation not supported)" "$tmp/out" &&
		ok || bad "the refusal does not name the step and the kernel: $(cat "$tmp/out")"
	[ "$(ruleset)" = "$before" ] && ok ||
		bad "the ruleset is not the previous one: $(diff <(echo "$before") <(ruleset) | head)"
	# fwd committed the new ruleset, then the old one again
	grep -q 'comment "app-to-web"' "$tmp/monitor" && ok ||
		bad "the new ruleset was never in the kernel (L2 before nftables?): $(head -5 "$tmp/monitor")"
	[ -z "$(bridges)" ] && ok || bad "a bridge was left behind: $(bridges)"
	[[ "$(in_ns ip -d link show trunk0)" != *master* ]] && ok || bad "trunk0 is enslaved"
	[[ "$(c status)" == *"live generation: 1"* ]] && ok || bad "status: $(c status)"
	grep -q '"event":"failed"' "$tmp/state/audit.log" && ok ||
		bad "no failed apply in the audit log: $(tail -2 "$tmp/state/audit.log")"
fi
[ "$(keep)" = "$keep_before" ] && ok || bad "keep0 changed: $(keep)"
fwlab_fwd_kill 15

# --- 4. --l2 off: nftables only ------------------------------------------------------------
start --l2 off
c apply "$tmp/trunk/acme.yaml" >"$tmp/out" 2>&1 && ok || bad "--l2 off: $(cat "$tmp/out")"
[[ "$(ruleset)" == *'comment "app-to-web"'* ]] && ok ||
	bad "--l2 off: the new ruleset is not loaded: $(cat "$tmp/out"; ruleset | grep -c app-to)"
[ -z "$(bridges)" ] && ok || bad "--l2 off made a bridge: $(bridges)"
[ "$(keep)" = "$keep_before" ] && ok || bad "keep0 changed: $(keep)"
"$build/fwd" --l2 maybe >/dev/null 2>"$tmp/err"
[ "$?" = 2 ] && [ "$(cat "$tmp/err")" = "fwd: --l2 takes on or off" ] && ok ||
	bad "--l2 maybe: $(cat "$tmp/err")"

fwlab_test_end
