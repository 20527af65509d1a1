#!/bin/bash
# Forwarding rate through a firewall namespace whose tenant allowlist set
# (the compiled `ip saddr . ip daddr . meta l4proto . th dport` hash set
# of one zone pair) has 10, 1,000 or 100,000 entries, side by side in one
# run. Not a test: run by hand (root), figures go to docs/performance.md.
#
#   bench/forward_rate.sh BUILD_DIR [ROUNDS] [SECONDS]
#
# One lab per configuration, all built first (names end in the pid, all
# removed on exit):
#   src 10.30.0.2 ── vlan300 [fw: the ruleset] vlan301 ── dst 10.31.0.2
# The policy (generated here, compiled by `fwctl compile`, loaded with
# `nft -f`): tenant "rate", zones za (VLAN 300) and zb (VLAN 301); rule
# "measured" allows src -> dst udp/5201 and tcp/5201, the other N-2 entries
# are host pairs of other addresses (rules from one source to ten
# destinations each: 100,000 one-pair rules would pass the loader's 4 MB
# file limit). "none" is the same path without any ruleset.
#
# Measures, each the median of ROUNDS (default 15) runs of SECONDS (default
# 1); every round visits every lab, in a rotating order, so a busy moment of
# a shared machine hits all configurations alike, and the ratios to the
# 10-entry lab are the medians of each round's ratio (a paired comparison:
# conntrack's table is shared by all namespaces, and other programs that
# fill it slow every configuration with a ruleset at once):
#   udp pps     one-way datagrams of 64 bytes (bench/udp_blast.c, the sender
#               pinned to CPU 0, a sink on CPU 1): conntrack never sees a
#               reply, so every packet stays "new" and goes through the
#               verdict map and the set lookup. Counted as packets the
#               firewall sent out of vlan301.
#   ns/packet   the sender's CPU time per forwarded packet: the forwarding
#               runs in the sender's context (softirq on the way out of its
#               send calls), so this is the cost of the whole path and does
#               not depend on how much of the CPU others take.
#   tcp         iperf3, one stream, 2 s after 1 s omitted: an established
#               flow is accepted by `ct state established` before any set
#               lookup (only its first packet is looked up); every third
#               round.
set -euo pipefail
build="$(cd "${1:?usage: forward_rate.sh BUILD_DIR [ROUNDS] [SECONDS]}" && pwd)"
rounds="${2:-15}" seconds="${3:-1}"
configs=(none 10 1000 100000)
# FR_INTERVAL=1 adds "100000i": the same 100,000 entries in a set with
# `flags interval` (the kernel's pipapo: what the compiler made for exact
# host pairs before they went to hash sets)
[ "${FR_INTERVAL:-0}" = 0 ] || configs+=(100000i)
[ "$(id -u)" -eq 0 ] || { echo "forward_rate: run as root (network namespaces)" >&2; exit 1; }
blaster="$build/bench/udp_blast"
for t in "$blaster" "$build/fwctl"; do
	[ -x "$t" ] || { echo "forward_rate: $t is missing (build first)" >&2; exit 1; }
done
command -v iperf3 >/dev/null || { echo "forward_rate: iperf3 is missing (scripts/setup.sh)" >&2; exit 1; }

p="fwrate$$"
tmp="$(mktemp -d)"
cleanup() {
	local c n pid
	for c in "${configs[@]}"; do
		for n in fw src dst; do
			for pid in $(ip netns pids "$p-$c-$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
			ip netns del "$p-$c-$n" 2>/dev/null || true
		done
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
in_ns() { # in_ns CONFIG NAME CMD...
	local c="$1" n="$2"
	shift 2
	ip netns exec "$p-$c-$n" "$@"
}

# --- the policies ----------------------------------------------------------------
gen() { # gen N: a tenant whose za.zb allowlist set has N entries
	awk -v n="$1" 'BEGIN {
		print "tenant: {name: rate, id: 7}"
		print "uplink: {interface: eth0, addresses: [203.0.113.70]}"
		print "zones:"
		print "  za: {vlan: 300, subnet: 10.30.0.0/16}"
		print "  zb: {vlan: 301, subnet: 10.31.0.0/16}"
		print "hosts:"
		print "  src: {zone: za, address: 10.30.0.2}"
		print "  dst: {zone: zb, address: 10.31.0.2}"
		print "services:"
		print "  blast: [udp/5201, tcp/5201]"
		print "rules:"
		print "  - {id: measured, from: src, to: dst, allow: blast}"
		left = n - 2; k = 0
		while (left > 0) {
			f = left < 10 ? left : 10
			line = sprintf("  - {from: 10.30.%d.%d, to: [", 1 + int(k / 250) % 250, 1 + k % 250)
			for (j = 0; j < f; j++) {
				d = (k * 37 + j * 7919) % 62500
				line = line sprintf("%s10.31.%d.%d", j ? ", " : "", 1 + int(d / 250), 1 + d % 250)
			}
			print line "], allow: udp/" 6000 + int(k / 62500) * 2 "}"
			left -= f; k++
		}
	}'
}

# --- one lab per configuration ---------------------------------------------------
lab() { # lab CONFIG
	local c="$1" n l got
	for n in fw src dst; do
		ip netns add "$p-$c-$n"
		ip -n "$p-$c-$n" link set lo up
	done
	in_ns "$c" fw sysctl -qw net.ipv4.ip_forward=1
	ip -n "$p-$c-fw" link add vlan300 type veth peer name eth0 netns "$p-$c-src"
	ip -n "$p-$c-fw" link add vlan301 type veth peer name eth0 netns "$p-$c-dst"
	ip -n "$p-$c-fw" addr add 10.30.0.1/16 dev vlan300
	ip -n "$p-$c-fw" addr add 10.31.0.1/16 dev vlan301
	ip -n "$p-$c-src" addr add 10.30.0.2/16 dev eth0
	ip -n "$p-$c-dst" addr add 10.31.0.2/16 dev eth0
	for n in fw src dst; do
		for l in $(ip -n "$p-$c-$n" -o link show | awk -F': ' '$2 != "lo" { sub(/@.*/, "", $2); print $2 }'); do
			ip -n "$p-$c-$n" link set "$l" up
		done
	done
	ip -n "$p-$c-src" route add default via 10.30.0.1
	ip -n "$p-$c-dst" route add default via 10.31.0.1
	case "$c" in
	none) return ;;
	*i) sed '/set za.zb.4px {/,/}/s/^\t\ttype .*/&\n\t\tflags interval/' "$tmp/rate${c%i}.nft" >"$tmp/rate$c.nft" ;;
	*)
		gen "$c" >"$tmp/rate$c.yaml"
		"$build/fwctl" compile "$tmp/rate$c.yaml" >"$tmp/rate$c.nft"
		;;
	esac
	in_ns "$c" fw nft -f "$tmp/rate$c.nft"
	got="$(in_ns "$c" fw nft list set inet fwd_rate za.zb.4px | grep -c 'comment "')"
	[ "$got" -eq "${c%i}" ] || { echo "forward_rate: $c: the set has $got entries" >&2; exit 1; }
	# a sink on dst, so it answers nothing (no ICMP port unreachable)
	in_ns "$c" dst taskset -c 1 "$blaster" recv 10.31.0.2 5201 3600 >/dev/null 2>&1 &
}
for c in "${configs[@]}"; do lab "$c"; done

forwarded() { in_ns "$1" fw cat /sys/class/net/vlan301/statistics/tx_packets; }
udp_run() { # udp_run CONFIG: "PPS NS_PER_PACKET" of one blast
	local c="$1" a b t0 t1 out
	a="$(forwarded "$c")" t0=$EPOCHREALTIME
	out="$(in_ns "$c" src taskset -c 0 "$blaster" send 10.31.0.2 5201 "$seconds")"
	b="$(forwarded "$c")" t1=$EPOCHREALTIME
	awk -v n=$((b - a)) -v t0="$t0" -v t1="$t1" -v cpu="${out##* }" \
		'BEGIN { printf "%.0f %.0f\n", n / (t1 - t0), cpu * 1000 / n }'
}
tcp_run() { # tcp_run CONFIG: Mbit/s of one iperf3 stream, at the receiver
	local c="$1" spid
	in_ns "$c" dst iperf3 -s -1 -B 10.31.0.2 -p 5201 >/dev/null 2>&1 &
	spid=$!
	sleep 0.2
	in_ns "$c" src taskset -c 0 iperf3 -c 10.31.0.2 -p 5201 -t 2 -O 1 -f m >"$tmp/iperf"
	wait "$spid" || true
	awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }' "$tmp/iperf"
}

# the measured flow is looked up in the set: its element counts it
for c in "${configs[@]}"; do
	[ "$c" = none ] && continue
	udp_run "$c" >/dev/null
	hits="$(in_ns "$c" fw nft get element inet fwd_rate za.zb.4px \
		'{ 10.30.0.2 . 10.31.0.2 . udp . 5201 }' | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')"
	echo "forward_rate: entries $c: the measured element counted ${hits:-no} packets"
done

declare -A pps cost tcp at
echo "forward_rate: $rounds rounds of ${seconds} s per configuration: ${configs[*]}"
for ((r = 0; r < rounds; r++)); do
	line=""
	for ((k = 0; k < ${#configs[@]}; k++)); do
		c="${configs[$(((r + k) % ${#configs[@]}))]}"
		read -r u ns < <(udp_run "$c")
		pps[$c]+="$u " cost[$c]+="$ns "
		at[$c,$r]="$u $ns"
		line+=" $c: $u pps $ns ns;"
		if ((r % 3 == 0)); then
			tcp[$c]+="$(tcp_run "$c") "
		fi
	done
	echo "forward_rate: round $((r + 1)):$line"
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# paired CONFIG FIELD: the median over the rounds of CONFIG's value / the
# 10-entry lab's value in the same round (FIELD 1: pps, 2: ns/packet)
paired() {
	local r
	for ((r = 0; r < rounds; r++)); do
		echo "${at[$1,$r]} ${at[10,$r]}"
	done | awk -v f="$2" '{ printf "%.4f ", $f / $(f + 2) }' | median
}
echo
printf '%-9s %10s %7s %10s %7s %11s\n' entries "udp pps" "vs 10" "ns/packet" "vs 10" "tcp Mbit/s"
for c in "${configs[@]}"; do
	printf '%-9s %10.0f %6.3fx %10.0f %6.3fx %11.0f\n' "$c" "$(median <<<"${pps[$c]}")" "$(paired "$c" 1)" \
		"$(median <<<"${cost[$c]}")" "$(paired "$c" 2)" "$(median <<<"${tcp[$c]}")"
done
awk -v a="$(paired 100000 1)" -v x="$(paired 100000 2)" 'BEGIN {
	printf "\n100,000 entries: %.1f%% of the packet rate with 10, %.2fx its CPU per packet" \
		" (target: rate within 10%%): %s\n", 100 * a, x, (a >= 0.9) ? "met" : "NOT met" }'
