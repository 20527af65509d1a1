#!/bin/bash
# fwd's L2 backend on the appliance's kernel (802.1Q, VLAN-aware bridges),
# with real frames. Runs inside the test VM (image/vm-run.sh BUILD l2_vlans)
# as root: bash l2_vlans.sh BUILD_DIR SOURCE_DIR.
#
#   hypervisor namespace "hv": a VLAN-aware bridge hvbr; every host sits on
#   an access port of it (untagged, pvid = its zone's VLAN; the ports of the
#   isolated zones dmz and servers are `isolated on`), a "tagger" host on a
#   tagged port with 802.1Q sub-interfaces, and the trunk, a veth whose
#   other end is eth1 of the appliance namespace "fw".
#   fw runs fwd --l2 on with templates/windows-stack.yaml (its VPN part
#   left out: the VPN has its own tests), trunk eth1.
#
# Proved:
#  - the apply makes br-acme (VLAN filtering, no default VLAN), eth1 tagged
#    in exactly VLANs 110 120 130, the gateways vlan110..130 with the zones'
#    addresses, proxy ARP on the isolated zones' gateways only; applying it
#    again, and restarting fwd, changes no link;
#  - frames tagged 110 reach the dmz gateway and no other; frames of a VLAN
#    the tenant does not have (999) reach none;
#  - VLAN 120 hosts reach VLAN 110 only where a rule allows, and the other
#    way round;
#  - isolated zones: hosts of a zone reach each other only through the
#    firewall (their ARP for a neighbour is answered with the gateway's
#    MAC), and only for allowed flows (app -> sql tcp/1433 yes, dc -> sql no,
#    web -> mail no);
#  - anti-spoofing: a host sending with another host's address, or with a
#    MAC that is not its own, is dropped;
#  - `fwctl apply` adding a zone adds its VLAN (trunk, bridge, gateway with
#    its address: a host on it reaches the gateway); removing it removes
#    them; a gateway deleted by hand is restored by the drift check and
#    named in `fwctl status`; a tenant without trunk and access ports has no
#    bridge left and its ports are released; a foreign bridge is never
#    touched;
#  - an access port on the appliance itself (office: acc130) is an untagged
#    member of its zone's VLAN, and its host is routed by the policy.
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "l2_vlans: FAIL: $*" >&2
	fail=$((fail + 1))
}
nss=(hv fw inet web mail dc app sql admin h140 tagger lpc)
tmp="$(mktemp -d)"
sock="$tmp/fwd.sock"
cleanup() {
	local n p
	[ -n "${fwd_pid:-}" ] && kill "$fwd_pid" 2>/dev/null
	for n in "${nss[@]}"; do
		for p in $(ip netns pids "l2v-$n" 2>/dev/null); do kill "$p" 2>/dev/null; done
	done
	wait 2>/dev/null
	for n in "${nss[@]}"; do ip netns del "l2v-$n" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
# Programs in a namespace: nsenter (setns only) is much cheaper under TCG
# than `ip netns exec`, which also remounts /sys; sysfs is read with ip(8).
# The program by its path: busybox runs its own applet of a bare name (its
# nc has no -z).
on() { # on NS CMD...
	local n="$1" p
	shift
	p="$(command -v "$1")" || { echo "l2_vlans: no $1" >&2; return 127; }
	shift
	busybox nsenter --net="/run/netns/l2v-$n" -- "$p" "$@"
}
t_start="$EPOCHREALTIME"
took() { # the time since the last call (TCG is slow: keep an eye on it)
	echo "l2_vlans: $1: $(awk -v a="$t_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }')"
	t_start="$EPOCHREALTIME"
}
# vids DEV: its bridge VLANs, "110 120:PVID:Egress:Untagged ..."
vids() {
	bridge -n l2v-fw vlan show dev "$1" | awk -v d="$1" 'NR > 1 && NF {
		i = ($1 == d) ? 2 : 1; s = $i
		for (j = i + 1; j <= NF; j++) s = s ":" $j
		printf "%s%s", sep, s; sep = " " }'
}
rx() { # rx DEV: packets the appliance's DEV received
	ip -n l2v-fw -s -o link show dev "$1" | awk '{ for (i = 1; i <= NF; i++) if ($i == "RX:") { print $(i + 9); exit } }'
}
mac() { ip -n "l2v-$1" -o link show dev "$2" | grep -o 'link/ether [^ ]*' | cut -d' ' -f2; }
links() { ip -n l2v-fw -o link show | awk -F': ' '{ print $1 ": " $2 }' | sed 's/@.*//' | sort; }
probe() { # probe SRC DST_ADDR PORT SECONDS [nc options]: open or closed
	local s="$1" d="$2" p="$3" w="$4"
	shift 4
	if on "$s" nc -z -w "$w" "$@" "$d" "$p" </dev/null >/dev/null 2>&1; then echo open; else echo closed; fi
}
expect() { # expect open|closed SRC DST_ADDR PORT [nc options]
	local want="$1" got
	shift
	# an open port answers at once; a dropped SYN is given 1 s
	got="$(probe "$1" "$2" "$3" "$([ "$want" = open ] && echo 3 || echo 1)" "${@:4}")"
	[ "$got" = "$want" ] && ok || bad "$1 -> $2:$3 is $got, expected $want"
}

# --- the namespaces ------------------------------------------------------------------
# No IPv6 chatter (router solicitations, DAD) in the frame counters: new
# namespaces inherit the VM's own setting (the VM is thrown away after).
sysctl -qw net.core.devconf_inherit_init_net=1 net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1
for n in "${nss[@]}"; do
	ip netns add "l2v-$n" || { bad "netns $n"; exit 1; }
	ip -n "l2v-$n" link set lo up
done
on fw sysctl -qw net.ipv4.ip_forward=1
hosts=(web:110:10.10.110.10:52:54:00:10:01:10:1 mail:110:10.10.110.20:52:54:00:10:01:20:1
	dc:120:10.10.120.10::1 app:120:10.10.120.20::1 sql:120:10.10.120.30::1
	admin:130:10.10.130.50::0 h140:140:10.10.140.10::0)
# the hypervisor: hvbr, the trunk to the appliance, an access port per host
# (isolated in the isolated zones), a tagged port for the tagger
{
	echo "link add hvbr type bridge vlan_filtering 1 vlan_default_pvid 0"
	echo "link set hvbr up"
	echo "link add trunk type veth peer name eth1 netns l2v-fw"
	echo "link set trunk master hvbr"
	echo "link set trunk up"
	for h in "${hosts[@]}" tagger::::; do
		IFS=: read -r name _ _ _ <<<"$h"
		echo "link add p-$name type veth peer name $([ "$name" = tagger ] && echo t0 || echo eth0) netns l2v-$name"
		echo "link set p-$name master hvbr"
		[ "${h: -1}" = 1 ] && echo "link set p-$name type bridge_slave isolated on"
		echo "link set p-$name up"
	done
} >"$tmp/hv.ip"
ip -n l2v-hv -batch "$tmp/hv.ip" || bad "the hypervisor's links"
{
	for v in 110 120 130 140 999; do echo "vlan add dev trunk vid $v"; done
	for v in 110 999; do echo "vlan add dev p-tagger vid $v"; done
	for h in "${hosts[@]}"; do
		IFS=: read -r name vid _ <<<"$h"
		echo "vlan add dev p-$name vid $vid pvid untagged"
	done
} >"$tmp/hv.bridge"
bridge -n l2v-hv -batch "$tmp/hv.bridge" || bad "the hypervisor's VLANs"
for h in "${hosts[@]}"; do
	IFS=: read -r name _ addr m1 m2 m3 m4 m5 m6 _ <<<"$h"
	{
		[ -z "$m1" ] || echo "link set eth0 address $m1:$m2:$m3:$m4:$m5:$m6"
		echo "addr add $addr/24 dev eth0"
		echo "link set eth0 up"
		echo "route add default via ${addr%.*}.1"
	} | ip -n "l2v-$name" -batch - || bad "host $name"
done
ip -n l2v-tagger -batch - <<EOF || bad "the tagger's 802.1Q devices"
link set t0 up
link add link t0 name t0.110 type vlan id 110
link add link t0 name t0.999 type vlan id 999
addr add 10.10.110.99/24 dev t0.110
addr add 10.10.99.99/24 dev t0.999
link set t0.110 up
link set t0.999 up
EOF
ip -n l2v-fw -batch - <<EOF || bad "the appliance's links"
link set eth1 up
link add eth0 type veth peer name up0 netns l2v-inet
link set eth0 up
link add tap9 type veth peer name tap9p
link add acc130 type veth peer name eth0 netns l2v-lpc
link set acc130 up
link add br-foreign type bridge
link set tap9 master br-foreign
EOF
ip -n l2v-lpc -batch - <<EOF || bad "host lpc"
addr add 10.10.130.60/24 dev eth0
link set eth0 up
route add default via 10.10.130.1
EOF
# somebody else's bridge on the appliance: never touched
foreign="$(ip -n l2v-fw -d link show br-foreign; ip -n l2v-fw -d link show tap9)"
took "namespaces"

# --- fwd --l2 on applies the template --------------------------------------------------
mkdir -p "$tmp/acme" "$tmp/acme140" "$tmp/notrunk"
sed -e 's/\[admin-pc, vpn:group:it\]/[admin-pc]/' -e '/^  - id: sales-erp$/,/^$/d' \
	-e '/^  - id: vpn-dns$/,/^$/d' -e '/^# WireGuard for road warriors/,$d' -e '/^vpn:/,$d' \
	-e 's|^    subnet: 10.10.130.0/24 .*|&\n    ports: [acc130]             # a PC on the appliance itself|' \
	"$src/templates/windows-stack.yaml" >"$tmp/acme/acme.yaml"
grep -q "ports: \[acc130\]" "$tmp/acme/acme.yaml" || bad "the office zone has no access port"
# + zone lab on VLAN 140 / without trunk and access port: no L2 part (the
# same file name: one tenant)
awk '{ print } /^zones:$/ { print "  lab:\n    vlan: 140\n    subnet: 10.10.140.0/24" }' \
	"$tmp/acme/acme.yaml" >"$tmp/acme140/acme.yaml"
sed -e '/^trunk:/d' -e '/ports: \[acc130\]/d' "$tmp/acme/acme.yaml" >"$tmp/notrunk/acme.yaml"
for d in acme acme140 notrunk; do
	"$build/fwctl" check "$tmp/$d/acme.yaml" >"$tmp/check" 2>&1 || bad "the $d policy: $(cat "$tmp/check")"
done

start() {
	rm -f "$sock"
	ip netns exec l2v-fw "$build/fwd" --state-dir "$tmp/state" --socket "$sock" --group root \
		--l2 on --drift-interval 1 2>>"$tmp/fwd.log" &
	fwd_pid=$!
	for _ in $(seq 200); do [ -S "$sock" ] && return 0; sleep 0.05; done
	bad "fwd did not start: $(cat "$tmp/fwd.log")"
	exit 1
}
c() { "$build/fwctl" --socket "$sock" "$@"; }
start
c apply "$tmp/acme/acme.yaml" >"$tmp/out" 2>&1 && ok || bad "apply: $(cat "$tmp/out")"
took "fwd start and apply"

br="$(ip -n l2v-fw -d link show br-acme)"
[[ "$br" == *"alias fwd:acme"* && "$br" == *"vlan_filtering 1"* && "$br" == *"vlan_default_pvid 0"* ]] &&
	ok || bad "br-acme: $br"
[ "$(vids eth1)" = "110 120 130" ] && ok || bad "eth1 VLANs: $(vids eth1)"
[ "$(vids br-acme)" = "110 120 130" ] && ok || bad "br-acme's own VLANs: $(vids br-acme)"
[[ "$(ip -n l2v-fw -d link show eth1)" == *"master br-acme"* ]] && ok || bad "eth1 is not a port of br-acme"
[ "$(vids acc130)" = "130:PVID:Egress:Untagged" ] && ok || bad "acc130 VLANs: $(vids acc130)"
for v in 110 120 130; do
	gw="$(ip -n l2v-fw -d link show "vlan$v")"
	[[ "$gw" == *"vlan$v@br-acme"* && "$gw" == *"vlan protocol 802.1Q id $v "* &&
		"$gw" == *"alias fwd:acme"* && "$gw" == *",UP,"* ]] && ok || bad "vlan$v: $gw"
	[[ "$(ip -n l2v-fw -o -4 addr show "vlan$v")" == *"inet 10.10.$v.1/24 "* ]] && ok ||
		bad "vlan$v address: $(ip -n l2v-fw -o addr show "vlan$v")"
done
arp="$(for v in 110 120 130; do for k in proxy_arp proxy_arp_pvlan; do
	on fw cat "/proc/sys/net/ipv4/conf/vlan$v/$k"
done; done | tr '\n' ' ')"
[ "$arp" = "1 1 1 1 0 0 " ] && ok || bad "proxy_arp, proxy_arp_pvlan of vlan110 vlan120 vlan130: $arp"
links_before="$(links)" vlans_before="$(bridge -n l2v-fw vlan show)"
c apply "$tmp/acme/acme.yaml" >"$tmp/out" 2>&1 && ok || bad "second apply: $(cat "$tmp/out")"
[ "$(links)" = "$links_before" ] && [ "$(bridge -n l2v-fw vlan show)" = "$vlans_before" ] && ok ||
	bad "the same policy again changed links: $(diff <(echo "$links_before") <(links))"

# --- 802.1Q: tagged frames reach their own VLAN's gateway only ---------------------------
# The tagger's ARP, counted where it arrives on the appliance (ingress of
# each gateway and of the bridge itself): exact, whatever else is on the wire.
{
	echo "table netdev l2probe {"
	for d in vlan110 vlan120 vlan130 br-acme; do
		echo "chain $d { type filter hook ingress device \"$d\" priority 0;"
		echo "arp saddr ip 10.10.110.99 counter; arp saddr ip 10.10.99.99 counter; }"
	done
	echo "}"
} >"$tmp/probe.nft"
on fw nft -f "$tmp/probe.nft" || bad "the probe counters"
seen() { # seen DEV SOURCE: ARP packets from SOURCE that DEV received
	on fw nft list chain netdev l2probe "$1" |
		awk -v s="$2" '$0 ~ "saddr ip " s " " { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }'
}
on tagger ping -c 2 -W 1 10.10.110.1 >/dev/null 2>&1 # the firewall may drop the echo itself
[[ "$(ip -n l2v-tagger neigh show 10.10.110.1 dev t0.110)" == *"lladdr $(mac fw vlan110) "* ]] && ok ||
	bad "ARP over VLAN 110 not answered by vlan110: $(ip -n l2v-tagger neigh show dev t0.110)"
got="$(for d in vlan110 vlan120 vlan130; do seen "$d" 10.10.110.99; done | tr '\n' ' ')"
[[ "$got" =~ ^[1-9][0-9]*\ 0\ 0\ $ ]] && ok ||
	bad "ARP of VLAN 110 seen by vlan110 vlan120 vlan130: $got (expected N 0 0)"
r_eth1="$(rx eth1)"
on tagger ping -c 2 -W 1 10.10.99.1 >/dev/null 2>&1
[ "$(rx eth1)" -gt "$r_eth1" ] && ok || bad "no frame of VLAN 999 reached eth1"
got="$(for d in vlan110 vlan120 vlan130 br-acme; do seen "$d" 10.10.99.99; done | tr '\n' ' ')"
[ "$got" = "0 0 0 0 " ] && ok || bad "ARP of VLAN 999 seen by vlan110 vlan120 vlan130 br-acme: $got"
on fw nft delete table netdev l2probe
took "802.1Q"

# --- the policy between and inside VLANs -----------------------------------------------------
listen() { # listen NAME ADDRESS PORT...
	local n="$1" a="$2" p
	shift 2
	for p in "$@"; do on "$n" nc -lk "$a" "$p" </dev/null >/dev/null 2>&1 & done
}
listen web 10.10.110.10 8080
listen mail 10.10.110.20 25 587 389
listen dc 10.10.120.10 389 445
listen app 10.10.120.20 8080
listen sql 10.10.120.30 1433 8080
sleep 0.5
expect open web 10.10.120.20 8080      # web-to-erp: VLAN 110 -> 120
expect closed app 10.10.110.10 8080    # no rule: VLAN 120 -> 110
expect closed sql 10.10.110.20 25      # no rule: VLAN 120 -> 110
expect open mail 10.10.120.10 389      # mail-to-dc (ldap)
expect closed mail 10.10.120.10 445    # SMB: not for the mail server
expect open admin 10.10.110.20 587     # office-to-mail: VLAN 130 -> 110
expect open lpc 10.10.120.10 389       # office-to-dc, from the appliance's access port
expect closed lpc 10.10.120.30 1433
# isolated zones: through the firewall, allowed flows only
expect open app 10.10.120.30 1433      # app-to-sql
expect closed dc 10.10.120.30 1433     # nobody else talks to the database
expect closed sql 10.10.120.20 8080    # servers are isolated from each other
expect closed web 10.10.110.20 25      # dmz hosts too
[[ "$(ip -n l2v-app neigh show 10.10.120.30)" == *"lladdr $(mac fw vlan120) "* ]] && ok ||
	bad "app's neighbour sql is not the gateway (proxy ARP): $(ip -n l2v-app neigh show 10.10.120.30)"
took "flows"

# --- anti-spoofing ---------------------------------------------------------------------
# mail with web's address (web -> app tcp/8080 is allowed): its MAC gives it away
ip -n l2v-mail addr add 10.10.110.10/32 dev eth0
expect closed mail 10.10.120.20 8080 -s 10.10.110.10
ip -n l2v-mail addr del 10.10.110.10/32 dev eth0
# web with a MAC that is not its own
ip -n l2v-web link set eth0 address 52:54:00:66:66:66
expect closed web 10.10.120.20 8080
ip -n l2v-web link set eth0 address 52:54:00:10:01:10
expect open web 10.10.120.20 8080
# ARP: mail asks the gateway as itself (answered), then as web (dropped:
# the firewall neither answers nor moves web's address to mail's MAC)
arping() { on mail busybox arping -c 2 -w 3 -I eth0 -s "$1" 10.10.110.1 2>&1; }
[[ "$(arping 10.10.110.20)" == *"Received 2 response"* ]] && ok ||
	bad "mail's own ARP is not answered: $(arping 10.10.110.20)"
sleep 1.2 # past the neighbour lock time of the last update
ip -n l2v-mail addr add 10.10.110.10/32 dev eth0
out="$(arping 10.10.110.10)"
ip -n l2v-mail addr del 10.10.110.10/32 dev eth0
[[ "$out" == *"Sent 2 probe"*"Received 0 response"* ]] && ok || bad "mail's ARP as web: $out"
[[ "$(ip -n l2v-fw neigh show 10.10.110.10 dev vlan110)" != *"lladdr 52:54:00:10:01:20"* ]] && ok ||
	bad "a spoofed ARP of mail moved web's address: $(ip -n l2v-fw neigh show 10.10.110.10 dev vlan110)"
took "anti-spoofing"

# --- a zone added and removed with fwctl apply ----------------------------------------------
c apply "$tmp/acme140/acme.yaml" >"$tmp/out" 2>&1 && ok || bad "apply with zone lab: $(cat "$tmp/out")"
[ "$(vids eth1)" = "110 120 130 140" ] && [ "$(vids br-acme)" = "110 120 130 140" ] && ok ||
	bad "VLAN 140 not added: eth1 $(vids eth1), br-acme $(vids br-acme)"
[[ "$(ip -n l2v-fw -o -4 addr show vlan140 2>&1)" == *"inet 10.10.140.1/24 "* ]] && ok ||
	bad "no gateway vlan140: $(ip -n l2v-fw -o addr show vlan140 2>&1)"
on h140 ping -c 2 -W 1 10.10.140.1 >/dev/null 2>&1
[[ "$(ip -n l2v-h140 neigh show 10.10.140.1)" == *"lladdr $(mac fw vlan140) "* ]] && ok ||
	bad "a host on VLAN 140 does not reach its gateway: $(ip -n l2v-h140 neigh show)"
c apply "$tmp/acme/acme.yaml" >"$tmp/out" 2>&1 && ok || bad "apply without lab: $(cat "$tmp/out")"
[ "$(vids eth1)" = "110 120 130" ] && [ "$(vids br-acme)" = "110 120 130" ] && ok ||
	bad "VLAN 140 not removed: eth1 $(vids eth1), br-acme $(vids br-acme)"
ip -n l2v-fw link show vlan140 >/dev/null 2>&1 && bad "vlan140 is still there" || ok
[ "$(links)" = "$links_before" ] && ok || bad "links after the zone went: $(diff <(echo "$links_before") <(links))"
took "zone added and removed"

# --- drift: a gateway deleted by hand comes back --------------------------------------------
ip -n l2v-fw link del vlan120
for _ in $(seq 100); do
	ip -n l2v-fw -o -4 addr show vlan120 2>/dev/null | grep -q "10.10.120.1/24" && break
	sleep 0.1
done
[[ "$(ip -n l2v-fw -o -4 addr show vlan120 2>&1)" == *"inet 10.10.120.1/24 "* ]] && ok ||
	bad "vlan120 was not restored: $(tail -3 "$tmp/fwd.log")"
[[ "$(c status)" == *"l2: vlan120 on br-acme: add 802.1Q device (VLAN 120)"* ]] && ok ||
	bad "status does not name the drift: $(c status)"
grep -q "fwd: drift: links not as planned, restored: l2: vlan120 on br-acme" "$tmp/fwd.log" && ok ||
	bad "fwd's log: $(grep drift "$tmp/fwd.log")"
expect open app 10.10.120.30 1433 # and it forwards again

# --- a restart changes nothing; the tenant without trunk leaves nothing behind ---------------
links_before="$(links)"
kill "$fwd_pid"
wait "$fwd_pid" 2>/dev/null
start
c status >/dev/null && [ "$(links)" = "$links_before" ] && ok ||
	bad "a restart changed links: $(diff <(echo "$links_before") <(links))"
c apply "$tmp/notrunk/acme.yaml" >"$tmp/out" 2>&1 && ok || bad "apply without trunk: $(cat "$tmp/out")"
ip -n l2v-fw link show br-acme >/dev/null 2>&1 && bad "br-acme is still there" || ok
[[ "$(ip -n l2v-fw -d link show eth1)" != *master* && "$(ip -n l2v-fw -d link show acc130)" != *master* ]] &&
	ok || bad "eth1 or acc130 is still enslaved"
[ -z "$(ip -n l2v-fw -o link show type vlan)" ] && ok || bad "gateways left: $(ip -n l2v-fw -o link show type vlan)"
[ "$(ip -n l2v-fw -d link show br-foreign; ip -n l2v-fw -d link show tap9)" = "$foreign" ] && ok ||
	bad "the foreign bridge changed"
took "restart and removal"

echo "l2_vlans: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
