#!/bin/bash
# A throw-away lab of network namespaces for templates/windows-stack.yaml
# (tenant "acme"): a firewall namespace running the compiled ruleset, one
# namespace per host, and an internet host. Nothing touches the host's own
# links or ruleset: every link, address and process lives in a namespace
# created here, and `down` removes them all.
#
#   scripts/lab.sh up                        build the lab (tears an old one down first)
#   scripts/lab.sh down                      remove every LAB_PREFIX-* namespace and process
#   scripts/lab.sh probe SRC DST PROTO/PORT  real traffic: prints open or closed
#   scripts/lab.sh matrix [--raw]            every source to every destination and service
#
# SRC: web mail dc app sql adminpc, inet (198.51.100.200), msp (198.51.100.7,
#      inside the management prefix 198.51.100.0/28; same namespace as inet)
# DST: the same names, an address (203.0.113.10), or fw: the firewall's own
#      address on SRC's side (its zone gateway; for the internet the uplink
#      address 203.0.113.11, see dst_addr)
# PROTO/PORT: tcp/PORT or icmp
#
# Environment: LAB_PREFIX (namespace prefix, default fwdemo), FWCTL (default
# build/fwctl), FWD (default build/fwd: the firewall namespace runs it), LAB_TEMPLATE, LAB_PYTHON, LAB_TIMEOUT (seconds per probe, 1),
# LAB_SERVICES (the matrix's services).
#
# Topology (namespace PREFIX-fw is the firewall):
#   inet  eth0 198.51.100.200/24 + .7/24 ── eth0 198.51.100.1/24, 203.0.113.10/32, 203.0.113.11/32
#   web, mail      eth0 ── p-NAME ─ bridge vlan110 10.10.110.1/24
#   dc, app, sql   eth0 ── p-NAME ─ bridge vlan120 10.10.120.1/24
#   adminpc        eth0 ── p-NAME ─ bridge vlan130 10.10.130.1/24
# Hosts of one zone share a Linux bridge, so their traffic to each other is
# bridged, never routed: only the ruleset's bridge-family table (fwd_acme_l2)
# sees it, exactly as on the appliance. br_netfilter is switched off in the
# firewall namespace so that the IP-family chains never see bridged packets.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${LAB_PREFIX:-fwdemo}"
FWCTL="${FWCTL:-$root/build/fwctl}"
FWD="${FWD:-$root/build/fwd}"
TEMPLATE="${LAB_TEMPLATE:-$root/templates/windows-stack.yaml}"
TIMEOUT="${LAB_TIMEOUT:-1}"
STATE="${TMPDIR:-/tmp}/$PREFIX-lab" # listener logs and probe files
read -r -a SERVICES <<<"${LAB_SERVICES:-tcp/22 tcp/25 tcp/53 tcp/80 tcp/389 tcp/443 tcp/445 tcp/587 tcp/1433 tcp/3389 tcp/5432 tcp/8080 icmp}"

# --- the lab's hosts: they mirror the template's hosts section -------------
HOSTS=(web mail dc app sql adminpc)
declare -A HOST_ADDR=([web]=10.10.110.10 [mail]=10.10.110.20 [dc]=10.10.120.10
	[app]=10.10.120.20 [sql]=10.10.120.30 [adminpc]=10.10.130.50)
declare -A HOST_ZONE=([web]=dmz [mail]=dmz [dc]=servers [app]=servers [sql]=servers [adminpc]=office)
declare -A HOST_MAC=([web]=52:54:00:10:01:10 [mail]=52:54:00:10:01:20)
declare -A TEMPLATE_NAME=([adminpc]=admin-pc) # lab name -> template name, where they differ
declare -A ZONE_BRIDGE=([dmz]=vlan110 [servers]=vlan120 [office]=vlan130)
declare -A ZONE_GW=([dmz]=10.10.110.1 [servers]=10.10.120.1 [office]=10.10.130.1)
ZONE_PREFIXLEN=24
# The internet: fwctl explain stands for "internet" with 198.51.100.200, so
# the lab's internet host has exactly that address; msp is an address of the
# management prefix 198.51.100.0/28 (admin-ssh) on the same host.
INET_ADDR=198.51.100.200
MSP_ADDR=198.51.100.7
UPLINK_GW=198.51.100.1
PUBLIC=(203.0.113.10 203.0.113.11)
FW_PUBLIC=203.0.113.11 # "fw" seen from the internet: the public address that publishes nothing

log() { echo "lab: $*" >&2; }
die() {
	log "$*"
	exit 1
}
ns() { echo "$PREFIX-$1"; } # namespace of fw, inet or a host
in_ns() {                   # in_ns NAME CMD...: run CMD in that namespace
	local n="$1"
	shift
	ip netns exec "$(ns "$n")" "$@"
}

# The real interpreter, not a pyenv/asdf shim: a shim costs ~0.3 s per start
# (and the helper runs with -S: it needs the standard library only).
# Found once per lab (`up` stores it in $STATE) rather than on every call.
python_path() {
	if [ -n "${LAB_PYTHON:-}" ]; then
		echo "$LAB_PYTHON"
	elif [ -s "$STATE/python" ]; then
		cat "$STATE/python"
	else
		python3 -c 'import sys; print(sys.executable)'
	fi
}
PY="$(python_path)"

# --- the traffic helper (python3, standard library only) -------------------
#   serve NAME PORT...   listen on 0.0.0.0:PORT (tcp); every client gets one
#                        line "NAME PEER-ADDRESS" (how SNAT/DNAT show), then EOF
#   probe TIMEOUT        stdin: "KEY tcp|icmp DST PORT SRC" lines; all probes
#                        run at once; stdout: "KEY open [answered-by=N peer=A]"
#                        or "KEY closed". A closed probe is tried once more, so
#                        one lost first packet never reads as a drop.
# shellcheck disable=SC2016
HELPER='
import errno, os, random, select, selectors, socket, struct, sys, time

def serve(name, ports):
    socks = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
            s.close()          # another listener of the lab serves this port
            continue
        s.listen(512)
        socks.append(s)
    print("ready", flush=True)
    while True:
        if not socks:
            time.sleep(3600)
            continue
        for s in select.select(socks, [], [])[0]:
            try:
                c, peer = s.accept()
            except OSError:
                continue
            print("accept port=%d peer=%s" % (s.getsockname()[1], peer[0]), flush=True)
            try:
                c.sendall(("%s %s\n" % (name, peer[0])).encode())
            except OSError:
                pass
            c.close()

def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

def run(specs, timeout):
    sel = selectors.DefaultSelector()
    res = {s[0]: ("closed",) for s in specs}
    icmp_socks, echo = {}, {}
    ident = random.randrange(0x10000)
    for key, proto, dst, port, src in specs:
        if proto == "tcp":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.bind((src, 0))
            if s.connect_ex((dst, int(port))) in (0, errno.EINPROGRESS):
                sel.register(s, selectors.EVENT_WRITE, ("connect", key))
            else:
                s.close()
        else:   # icmp echo on a raw socket per source address
            if src not in icmp_socks:
                r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
                r.bind((src, 0))
                icmp_socks[src] = r
                sel.register(r, selectors.EVENT_READ, ("icmp", None))
            ident = (ident + 1) & 0xffff
            pkt = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"fwd-lab-probe..."
            pkt = pkt[:2] + struct.pack("!H", csum(pkt)) + pkt[4:]
            icmp_socks[src].sendto(pkt, (dst, 0))
            echo[ident] = (key, dst)
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0 or (not echo and len(sel.get_map()) == len(icmp_socks)):
            break
        for sk, _ in sel.select(left):
            kind, key = sk.data
            s = sk.fileobj
            if kind == "connect":
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    res[key] = ("open",)
                    sel.modify(s, selectors.EVENT_READ, ("banner", key))
                else:
                    sel.unregister(s)
                    s.close()
            elif kind == "banner":
                try:
                    words = s.recv(256).decode(errors="replace").split()
                except OSError:
                    words = []
                if len(words) == 2:
                    res[key] = ("open", "answered-by=%s" % words[0], "peer=%s" % words[1])
                sel.unregister(s)
                s.close()
            else:
                data, addr = s.recvfrom(2048)
                ihl = (data[0] & 15) * 4
                if len(data) >= ihl + 8 and data[ihl] == 0:          # echo reply
                    rid = struct.unpack("!H", data[ihl + 4:ihl + 6])[0]
                    if rid in echo and echo[rid][1] == addr[0]:
                        res[echo.pop(rid)[0]] = ("open",)
    for sk in list(sel.get_map().values()):
        sk.fileobj.close()
    return res

def probe(timeout):
    specs = [l.split() for l in sys.stdin if l.strip()]
    res = run(specs, timeout)
    again = [s for s in specs if res[s[0]][0] == "closed"]
    if again:
        res.update(run(again, timeout))
    for s in specs:
        print(s[0], *res[s[0]])

if sys.argv[1] == "serve":
    serve(sys.argv[2], [int(p) for p in sys.argv[3:]])
else:
    probe(float(sys.argv[2]))
'

# --- endpoints --------------------------------------------------------------
is_host() { [ -n "${HOST_ADDR[$1]:-}" ]; }
is_source() { is_host "$1" || [ "$1" = inet ] || [ "$1" = msp ]; }
is_ipv4() { [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; }

# same_host SRC DST: traffic between them never leaves one namespace (the
# matrix skips it: the firewall cannot see it)
same_host() { [ "$1" = "$2" ] || { ! is_host "$1" && { [ "$2" = inet ] || [ "$2" = msp ]; }; }; }

# src_ns SRC: the namespace a source lives in
src_ns() { if is_host "$1"; then echo "$1"; else echo inet; fi; }

# src_addr SRC: a source's address (probes bind to it: inet and msp share a host)
src_addr() {
	case "$1" in
	inet) echo "$INET_ADDR" ;;
	msp) echo "$MSP_ADDR" ;;
	*) echo "${HOST_ADDR[$1]}" ;;
	esac
}

# dst_addr SRC DST: the address a probe from SRC to DST goes to
dst_addr() {
	local src="$1" dst="$2"
	case "$dst" in
	fw)
		# The firewall's address on SRC's side: the zone gateway. From the
		# internet that would be 198.51.100.1, a lab-only transit address the
		# policy does not know (the base table drops everything to it); the
		# appliance is reached on its public addresses, so use the one that
		# publishes nothing. fwctl explain's "firewall" means the same.
		if is_host "$src"; then echo "${ZONE_GW[${HOST_ZONE[$src]}]}"; else echo "$FW_PUBLIC"; fi
		;;
	inet) echo "$INET_ADDR" ;;
	msp) echo "$MSP_ADDR" ;;
	*)
		if is_host "$dst"; then
			echo "${HOST_ADDR[$dst]}"
		elif is_ipv4 "$dst"; then
			echo "$dst"
		else
			die "unknown destination '$dst' (a host, inet, msp, fw or an IPv4 address)"
		fi
		;;
	esac
}

# listener_nss ADDR: the namespaces that must listen to answer a probe to ADDR.
# A host's or the internet's address: that namespace. Anything else is the
# firewall's (gateway or public address), and a public address may be
# DNATed to any host: listen on the firewall and on every host.
listener_nss() {
	local h
	for h in "${HOSTS[@]}"; do
		if [ "${HOST_ADDR[$h]}" = "$1" ]; then
			echo "$h"
			return
		fi
	done
	case "$1" in
	"$INET_ADDR" | "$MSP_ADDR") echo inet ;;
	*) echo fw "${HOSTS[@]}" ;;
	esac
}

# --- listeners ----------------------------------------------------------------
LISTENER_PIDS=()

# start_listeners "PORT..." NS...: a helper serving the ports in each
# namespace, all started at once; returns when they all listen. Their pids are
# kept for stop_listeners (and `down` sweeps every process left in the lab's
# namespaces anyway).
start_listeners() {
	local ports="$1" n i logs=()
	shift
	for n in "$@"; do
		logs+=("$STATE/listen.$n.$$.log")
		# shellcheck disable=SC2086 # $ports: one argument per port
		ip netns exec "$(ns "$n")" "$PY" -S -c "$HELPER" serve "$n" $ports >"${logs[-1]}" 2>&1 &
		LISTENER_PIDS+=($!)
	done
	for n in "${logs[@]}"; do
		for ((i = 0; i < 250; i++)); do
			grep -q '^ready' "$n" 2>/dev/null && continue 2
			sleep 0.02
		done
		die "a listener did not start: $(cat "$n")"
	done
}

stop_listeners() {
	local pid
	for pid in "${LISTENER_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	LISTENER_PIDS=()
	rm -f "$STATE"/listen.*."$$".log
}

# --- up / down ----------------------------------------------------------------
lab_namespaces() { ip netns list | awk '{print $1}' | grep -E "^$PREFIX-" || true; }

cmd_down() {
	local n pid
	for n in $(lab_namespaces); do
		# Listeners and probes still running in the lab: only processes
		# started in these namespaces, by pid.
		for pid in $(ip netns pids "$n" 2>/dev/null); do
			kill "$pid" 2>/dev/null || true
		done
		ip netns del "$n"
	done
	rm -rf "$STATE"
}

# The host table above must match the template: fwctl explain names each
# host with its address and zone ("web (10.10.110.10, zone dmz)").
check_template() {
	local h name out
	[ -x "$FWCTL" ] || die "no $FWCTL: build first (./scripts/build.sh build)"
	for h in "${HOSTS[@]}"; do
		name="${TEMPLATE_NAME[$h]:-$h}"
		out="$("$FWCTL" explain "$TEMPLATE" "$name" firewall icmp 2>&1 || true)"
		case "$out" in
		"$name (${HOST_ADDR[$h]}, zone ${HOST_ZONE[$h]})"*) ;;
		*) die "host $name is not ${HOST_ADDR[$h]} in zone ${HOST_ZONE[$h]} in $TEMPLATE: $out" ;;
		esac
	done
}

set_sysctl() { # set_sysctl NS KEY VALUE, if the kernel has KEY
	local f="/proc/sys/${2//.//}"
	in_ns "$1" sh -c "[ ! -e $f ] || echo $3 > $f"
}

build_firewall() {
	local fw zone a
	fw="$(ns fw)"
	ip netns add "$fw"
	ip -n "$fw" link set lo up
	set_sysctl fw net.ipv4.ip_forward 1
	# br_netfilter (built into some kernels, on by default in every new
	# namespace) would pass bridged packets through the inet chains too; the
	# appliance does not rely on it, so neither does the lab.
	for a in iptables ip6tables arptables; do
		set_sysctl fw "net.bridge.bridge-nf-call-$a" 0
	done
	for zone in "${!ZONE_BRIDGE[@]}"; do
		ip -n "$fw" link add "${ZONE_BRIDGE[$zone]}" type bridge
		ip -n "$fw" addr add "${ZONE_GW[$zone]}/$ZONE_PREFIXLEN" dev "${ZONE_BRIDGE[$zone]}"
		ip -n "$fw" link set "${ZONE_BRIDGE[$zone]}" up
	done
	# The uplink: a transit network to the internet host, plus the public
	# addresses as /32 (the internet host routes everything via 198.51.100.1).
	ip netns add "$(ns inet)"
	ip -n "$(ns inet)" link set lo up
	ip -n "$fw" link add eth0 type veth peer name eth0 netns "$(ns inet)"
	ip -n "$fw" addr add "$UPLINK_GW/24" dev eth0
	for a in "${PUBLIC[@]}"; do
		ip -n "$fw" addr add "$a/32" dev eth0
	done
	ip -n "$fw" link set eth0 up
	ip -n "$(ns inet)" addr add "$INET_ADDR/24" dev eth0
	ip -n "$(ns inet)" addr add "$MSP_ADDR/24" dev eth0
	ip -n "$(ns inet)" link set eth0 up
	ip -n "$(ns inet)" route add default via "$UPLINK_GW"
}

build_host() { # build_host NAME: namespace, veth into its zone's bridge, address, route
	local h="$1" hn zone port
	hn="$(ns "$h")"
	zone="${HOST_ZONE[$h]}"
	port="p-$h"
	ip netns add "$hn"
	ip -n "$hn" link set lo up
	ip -n "$(ns fw)" link add "$port" type veth peer name eth0 netns "$hn"
	ip -n "$(ns fw)" link set "$port" master "${ZONE_BRIDGE[$zone]}" up
	if [ -n "${HOST_MAC[$h]:-}" ]; then
		ip -n "$hn" link set eth0 address "${HOST_MAC[$h]}"
	fi
	ip -n "$hn" addr add "${HOST_ADDR[$h]}/$ZONE_PREFIXLEN" dev eth0
	ip -n "$hn" link set eth0 up
	ip -n "$hn" route add default via "${ZONE_GW[$zone]}"
}

cmd_up() {
	local h
	cmd_down
	check_template
	# A half-built lab is worth nothing: remove it if any step fails.
	LAB_UP_OK=0
	trap '[ "$LAB_UP_OK" = 1 ] || { log "setup failed, removing the lab"; cmd_down; }' EXIT
	mkdir -p "$STATE"
	echo "$PY" >"$STATE/python"
	build_firewall
	for h in "${HOSTS[@]}"; do
		build_host "$h"
	done
	start_fwd
	"$FWCTL" --socket "$STATE/fwd.sock" apply "$TEMPLATE" >/dev/null ||
		die "fwd refused $(basename "$TEMPLATE"): see $STATE/fwd.log"
	LAB_UP_OK=1
	log "up: $(lab_namespaces | wc -l) namespaces ($PREFIX-*), $(basename "$TEMPLATE") applied by fwd in $(ns fw) (fwctl --socket $STATE/fwd.sock)"
}

# The firewall namespace runs the real daemon; `down` stops it with the
# namespace's other processes. Its state directory lives in the lab's $STATE.
start_fwd() {
	local i
	[ -x "$FWD" ] || die "no $FWD: build first (./scripts/build.sh build)"
	in_ns fw "$FWD" --state-dir "$STATE/fwd" --socket "$STATE/fwd.sock" --group root --l2 off \
		>"$STATE/fwd.log" 2>&1 &
	for i in $(seq 100); do
		[ -S "$STATE/fwd.sock" ] && return 0
		sleep 0.05
	done
	die "fwd did not start: $(cat "$STATE/fwd.log")"
}

require_lab() {
	lab_namespaces | grep -qx "$(ns fw)" || die "no lab $PREFIX: run '$0 up' first"
	mkdir -p "$STATE"
}

# parse_service SVC: sets PROTO and PORT (PORT is - for icmp)
parse_service() {
	case "$1" in
	icmp) PROTO=icmp PORT=- ;;
	tcp/[0-9]*) PROTO=tcp PORT="${1#tcp/}" ;;
	*) die "service '$1': use tcp/PORT or icmp" ;;
	esac
}

# --- probe ----------------------------------------------------------------------
cmd_probe() {
	[ $# -eq 3 ] || die "usage: $0 probe SRC DST tcp/PORT|icmp"
	local src="$1" dst="$2" addr n result
	is_source "$src" || die "unknown source '$src' (${HOSTS[*]} inet msp)"
	parse_service "$3"
	require_lab
	addr="$(dst_addr "$src" "$dst")"
	trap stop_listeners EXIT
	if [ "$PROTO" = tcp ]; then
		# shellcheck disable=SC2046 # one namespace per word
		start_listeners "$PORT" $(listener_nss "$addr")
	fi
	result="$(echo "p $PROTO $addr $PORT $(src_addr "$src")" |
		in_ns "$(src_ns "$src")" "$PY" -S -c "$HELPER" probe "$TIMEOUT")"
	echo "${result#p }"
}

# --- matrix ---------------------------------------------------------------------
cmd_matrix() {
	local raw=0 start src dst svc n out ports=() srcs dsts key line
	[ "${1:-}" = --raw ] && raw=1
	require_lab
	start=$EPOCHREALTIME
	srcs=("${HOSTS[@]}" inet msp)
	dsts=("${HOSTS[@]}" inet 203.0.113.10 fw)
	for svc in "${SERVICES[@]}"; do
		parse_service "$svc"
		[ "$PROTO" = tcp ] && ports+=("$PORT")
	done
	trap stop_listeners EXIT
	# Every namespace listens on every port at once: a public address may be
	# DNATed anywhere, and one listener per namespace starts fast.
	if [ "${#ports[@]}" -gt 0 ]; then
		start_listeners "${ports[*]}" fw inet "${HOSTS[@]}"
	fi
	# One prober per source, all in parallel; each runs all its probes at once,
	# so the whole matrix costs about two probe timeouts.
	local pids=() saddr daddr
	for src in "${srcs[@]}"; do
		saddr="$(src_addr "$src")"
		for dst in "${dsts[@]}"; do
			same_host "$src" "$dst" && continue
			daddr="$(dst_addr "$src" "$dst")"
			for svc in "${SERVICES[@]}"; do
				parse_service "$svc"
				echo "$src|$dst|$svc $PROTO $daddr $PORT $saddr"
			done
		done >"$STATE/probe.$src.$$.in"
		in_ns "$(src_ns "$src")" "$PY" -S -c "$HELPER" probe "$TIMEOUT" \
			<"$STATE/probe.$src.$$.in" >"$STATE/probe.$src.$$.out" &
		pids+=($!)
	done
	for n in "${pids[@]}"; do
		wait "$n" || die "a prober failed"
	done
	stop_listeners
	out="$STATE/matrix.$$"
	for src in "${srcs[@]}"; do
		# "KEY RESULT DETAIL..." -> "SRC DST SVC RESULT DETAIL..."
		sed 's/|/ /; s/|/ /' "$STATE/probe.$src.$$.out"
		rm -f "$STATE/probe.$src.$$.in" "$STATE/probe.$src.$$.out"
	done >"$out"
	if [ "$raw" = 1 ]; then
		cat "$out"
	else
		# One row per source -> destination, one column per service.
		declare -A cell=()
		while read -r src dst svc line; do
			cell["$src|$dst|$svc"]="${line%% *}"
		done <"$out"
		printf '%-8s %-13s' SRC DST
		for svc in "${SERVICES[@]}"; do printf ' %-8s' "$svc"; done
		echo
		for src in "${srcs[@]}"; do
			for dst in "${dsts[@]}"; do
				same_host "$src" "$dst" && continue
				printf '%-8s %-13s' "$src" "$dst"
				for svc in "${SERVICES[@]}"; do
					key="${cell[$src|$dst|$svc]}"
					[ "$key" = open ] || key=.
					printf ' %-8s' "$key"
				done
				echo
			done
		done
		echo "(open: real traffic passes; .: dropped. fw: the firewall's address on the source's side;"
		echo " inet: 198.51.100.200, msp: 198.51.100.7 in the management prefix 198.51.100.0/28)"
	fi
	log "matrix: $(wc -l <"$out") probes, $(grep -c ' open' "$out" || true) open," \
		"$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
	rm -f "$out"
}

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit "${1:-2}"
}

[ "$(id -u)" -eq 0 ] || die "run as root (network namespaces)"
case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
probe)
	shift
	cmd_probe "$@"
	;;
matrix)
	shift
	cmd_matrix "$@"
	;;
-h | --help | help) usage 0 ;;
*) usage ;;
esac
