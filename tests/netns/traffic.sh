#!/bin/bash
# Real traffic through the compiled windows-stack ruleset: build the lab of
# scripts/lab.sh (network namespaces only; the host's links and ruleset are
# never touched), then
#  1. every probe of the lab's reachability matrix must agree with
#     `fwctl explain` for the same question (the evaluator and the kernel
#     must not disagree), and
#  2. a list of facts the policy promises must hold with real packets.
# Usage (ctest): bash tests/netns/traffic.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tests/support/labtest.sh
. "${2:?usage: traffic.sh BUILD_DIR SOURCE_DIR}/tests/support/labtest.sh" traffic fwtraffic "$@"

labtest_up

# --- 1. the matrix against fwctl explain ----------------------------------------
# Lab names -> explain's names: hosts by their template name, inet is the
# internet (explain's stand-in 198.51.100.200 is the lab's internet host),
# msp is its address, fw the firewall (the lab probes the firewall's address
# on the source's side), addresses stay addresses.
explain_name() {
	case "$1" in
	adminpc) echo admin-pc ;;
	inet) echo internet ;;
	msp) echo 198.51.100.7 ;;
	fw) echo firewall ;;
	*) echo "$1" ;;
	esac
}

bash "$lab" matrix --raw >"$tmp/matrix"
[ -s "$tmp/matrix" ] || bad "the matrix is empty"

# explain for every probe, in parallel: "SRC DST SVC EXPECTED" lines
# shellcheck disable=SC2016 # the inner sh -c script expands its own $1..$6
while read -r s d svc _; do
	echo "$s $d $svc $(explain_name "$s") $(explain_name "$d")"
done <"$tmp/matrix" |
	xargs -P "$(nproc)" -L 1 sh -c '
		rc=0; "$0" explain "$1" "$5" "$6" "$4" >/dev/null 2>&1 || rc=$?
		case $rc in 0) v=open ;; 3) v=closed ;; *) v="error($rc)" ;; esac
		echo "$2 $3 $4 $v"' "$fwctl" "$template" >"$tmp/explain"

declare -A want=()
while read -r s d svc v; do
	want["$s $d $svc"]="$v"
done <"$tmp/explain"
while read -r s d svc real detail; do
	expect="${want[$s $d $svc]:-missing}"
	if [ "$real" = "$expect" ]; then
		ok
	else
		bad "$s -> $d $svc: real traffic $real${detail:+ ($detail)}, fwctl explain $(explain_name "$s") $(explain_name "$d") $svc says $expect"
	fi
done <"$tmp/matrix"
echo "traffic: matrix: $(wc -l <"$tmp/matrix") probes compared with fwctl explain"

# --- 2. facts the policy promises, with real packets ----------------------------
# fact SRC DST SERVICE open|closed [PEER]: PEER is the source address the
# destination must see (SNAT) and needs "open".
fact() {
	local got peer
	got="$(bash "$lab" probe "$1" "$2" "$3")"
	if [ "${got%% *}" != "$4" ]; then
		bad "fact: $1 -> $2 $3 must be $4, real traffic: $got"
	elif [ -n "${5:-}" ] && [[ " $got " != *" peer=$5 "* ]]; then
		peer="$(sed -n 's/.*peer=\([^ ]*\).*/\1/p' <<<"$got")"
		bad "fact: $1 -> $2 $3 must arrive from $5, the destination saw ${peer:-nothing}"
	else
		ok
	fi
}

fact app sql tcp/1433 open                    # app-to-sql
fact web sql tcp/1433 closed                  # nobody else reaches the DB ...
fact dc sql tcp/1433 closed                   # ... not even inside the isolated zone
fact mail dc tcp/445 closed                   # mail-to-dc is ldap only
fact mail web tcp/80 closed                   # the dmz is isolated (bridge table)
fact inet 203.0.113.10 tcp/443 open           # web-public: DNAT to web
fact inet dc tcp/3389 closed                  # the dc is never published
fact inet web tcp/443 closed                  # published services only via DNAT, not the private address
fact inet 203.0.113.10 tcp/445 closed         # SMB never from outside
fact adminpc fw tcp/22 open                   # admin-ssh
fact web fw tcp/22 closed                     # the firewall only from IT
fact app inet tcp/443 open 203.0.113.11       # servers-updates, SNAT to .11
fact app inet tcp/22 closed                   # egress is what is listed only
fact mail inet tcp/25 open 203.0.113.10       # mail-out: its own SNAT address wins

# --- 3. holes real traffic found once, kept closed -------------------------------
# udp SRC DST_ADDR PORT SPORT [SPOOFED_SOURCE]: "delivered" or "dropped". A raw
# socket lets the sender pick any source address, as a compromised host would.
udp() {
	local src="$1" dst="$2" port="$3" sport="$4" spoof="${5:-}" dstns
	dstns="$(lab_ns_of "$dst")"
	ip netns exec "$dstns" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(2)
try:
    s.recvfrom(100); print("delivered")
except socket.timeout:
    print("dropped")' "$port" >"$tmp/udp.out" &
	local listener=$!
	sleep 0.3
	ip netns exec "$LAB_PREFIX-$src" python3 -c '
import socket, struct, sys
dst, port, sport, spoof = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if spoof:
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    udp = struct.pack("!HHHH", sport, port, 12, 0) + b"spoo"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton(spoof), socket.inet_aton(dst))
    for _ in range(3):
        r.sendto(ip + udp, (dst, 0))
else:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", sport))
    for _ in range(3):
        u.sendto(b"data", (dst, port))' "$dst" "$port" "$sport" "$spoof"
	wait "$listener" || true
	cat "$tmp/udp.out"
}
lab_ns_of() { # an address of the lab -> its namespace
	case "$1" in
	10.10.110.10) echo "$LAB_PREFIX-web" ;; 10.10.110.20) echo "$LAB_PREFIX-mail" ;;
	10.10.120.10) echo "$LAB_PREFIX-dc" ;; 10.10.120.20) echo "$LAB_PREFIX-app" ;;
	10.10.120.30) echo "$LAB_PREFIX-sql" ;; *) echo "unknown-$1" ;;
	esac
}
expect_udp() { # WANT ARGS...
	local want="$1" got
	shift
	got="$(udp "$@")"
	if [ "$got" = "$want" ]; then ok; else bad "udp $*: $got, expected $want"; fi
}
# app-to-dc allows udp/53: its replies (dc sport 53 -> app ephemeral) pass ...
expect_udp delivered dc 10.10.120.20 40000 53
# ... but dc cannot use source port 53 to reach a service port on app
expect_udp dropped dc 10.10.120.20 500 53
# a forged source outside the zone does not skip the isolated zone's filter
expect_udp dropped web 10.10.110.20 5000 40000 192.0.2.1

labtest_end
