# shellcheck shell=bash
# A small namespace lab for the daemon's robustness tests (sourced by
# tests/netns/crash.sh, restart_tcp.sh, daemon_load.sh): a firewall namespace
# that runs the real fwd, and three hosts of templates/windows-stack.yaml
# (tenant acme) routed through it:
#
#   web     10.10.110.10 (MAC bound)  ── bridge vlan110 10.10.110.1 (zone dmz)
#   app     10.10.120.20              ── bridge vlan120 10.10.120.1 (zone servers)
#   tester  10.10.140.10              ── bridge vlan140 10.10.140.1 (zone lab: only in
#                                        the variant of fwlab_policy_b)
#
# Rule web-to-erp lets web reach app on tcp/8080; the variant removes it and
# adds zone lab with rule tester-to-erp. So one probe pair tells which of the
# two policies the kernel enforces. Nothing outside the namespaces
# PREFIX-{fw,web,app,tester} is touched; fwlab_down removes them and every
# process in them.
#
# Needs: FWLAB_PREFIX (unique per run: use $$) and FWLAB_BUILD (the build
# directory: fwd, tests/ruleset_hash).

FWLAB_HOSTS=(web app tester)
declare -A FWLAB_ADDR=([web]=10.10.110.10 [app]=10.10.120.20 [tester]=10.10.140.10)
declare -A FWLAB_BRIDGE=([web]=vlan110 [app]=vlan120 [tester]=vlan140)
declare -A FWLAB_GW=([web]=10.10.110.1 [app]=10.10.120.1 [tester]=10.10.140.1)
declare -A FWLAB_MAC=([web]=52:54:00:10:01:10)
FWLAB_PID= # the running fwd
FWLAB_BG=() # other processes started in the lab (listeners)

fwlab_ns() { echo "$FWLAB_PREFIX-$1"; }
fwlab_in() { # fwlab_in NAME CMD...: run CMD in the lab's namespace NAME
	local n="$1"
	shift
	ip netns exec "$FWLAB_PREFIX-$n" "$@"
}

fwlab_sysctl() { # fwlab_sysctl NAME KEY VALUE, if the kernel has KEY
	local f="/proc/sys/${2//.//}"
	fwlab_in "$1" sh -c "[ ! -e $f ] || echo $3 > $f"
}

# fwlab_up bare|traffic: the firewall namespace; with "traffic" also the hosts.
fwlab_up() {
	local h fw a
	fw="$(fwlab_ns fw)"
	ip netns add "$fw" || return 1
	ip -n "$fw" link set lo up
	[ "$1" = traffic ] || return 0
	fwlab_sysctl fw net.ipv4.ip_forward 1
	# Bridged frames must not pass the inet chains (as on the appliance).
	for a in iptables ip6tables arptables; do
		fwlab_sysctl fw "net.bridge.bridge-nf-call-$a" 0
	done
	for h in "${FWLAB_HOSTS[@]}"; do
		local hn br="${FWLAB_BRIDGE[$h]}"
		hn="$(fwlab_ns "$h")"
		ip netns add "$hn" || return 1
		ip -n "$hn" link set lo up
		ip -n "$fw" link add "$br" type bridge
		ip -n "$fw" addr add "${FWLAB_GW[$h]}/24" dev "$br"
		ip -n "$fw" link set "$br" up
		ip -n "$fw" link add "p-$h" type veth peer name eth0 netns "$hn"
		ip -n "$fw" link set "p-$h" master "$br" up
		[ -z "${FWLAB_MAC[$h]:-}" ] || ip -n "$hn" link set eth0 address "${FWLAB_MAC[$h]}"
		ip -n "$hn" addr add "${FWLAB_ADDR[$h]}/24" dev eth0
		ip -n "$hn" link set eth0 up
		ip -n "$hn" route add default via "${FWLAB_GW[$h]}"
	done
}

fwlab_down() {
	local n pid
	fwlab_fwd_kill 9
	for pid in "${FWLAB_BG[@]}"; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	FWLAB_BG=()
	for n in fw "${FWLAB_HOSTS[@]}"; do
		# Processes this test started in its namespaces (listeners,
		# probes), by pid; then the namespace (a missing one is fine).
		for pid in $(ip netns pids "$FWLAB_PREFIX-$n" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$FWLAB_PREFIX-$n" 2>/dev/null
	done
	return 0
}

# fwlab_fwd_start STATE_DIR SOCKET LOG [FWD_OPTION...]: start fwd in the
# firewall namespace and wait for its socket (it appears only after the boot
# loaded the current generation). The options come after --l2 off, so that
# --l2 on wins. Sets FWLAB_PID. Returns 1 when fwd did not come up in 10 s.
fwlab_fwd_start() {
	local i
	rm -f "$2" # a killed daemon leaves its socket file behind
	# `ip netns exec` execs fwd: $! is fwd itself (through a shell function
	# it would be a subshell, and a kill would miss fwd).
	ip netns exec "$(fwlab_ns fw)" "$FWLAB_BUILD/fwd" --state-dir "$1" --socket "$2" \
		--group root --l2 off "${@:4}" 2>>"$3" &
	FWLAB_PID=$!
	for ((i = 0; i < 1000; i++)); do
		[ -S "$2" ] && return 0
		kill -0 "$FWLAB_PID" 2>/dev/null || break
		sleep 0.01
	done
	return 1
}

# fwlab_fwd_kill [SIGNAL]: stop fwd (default SIGKILL) and reap it; returns
# fwd's exit status.
fwlab_fwd_kill() {
	local rc
	[ -n "$FWLAB_PID" ] || return 0
	kill "-${1:-9}" "$FWLAB_PID" 2>/dev/null
	wait "$FWLAB_PID" 2>/dev/null
	rc=$?
	FWLAB_PID=
	return "$rc"
}

# fwlab_hash NETNS: a hash of the ruleset in network namespace NETNS that
# changes with what the ruleset does, not with the order its objects were
# created in (tests/support/ruleset_hash.c); counters are left out.
# fwlab_dump NETNS: the canonical form itself (to show a difference).
fwlab_hash() { "$FWLAB_BUILD/tests/ruleset_hash" --netns "$1"; }
fwlab_dump() { "$FWLAB_BUILD/tests/ruleset_hash" --netns "$1" --dump; }
# The same for the firewall namespace.
fwlab_ruleset_hash() { fwlab_hash "$(fwlab_ns fw)"; }

# fwlab_policy_b TEMPLATE: print windows-stack.yaml changed into a second
# real policy: rule web-to-erp removed, zone lab (VLAN 140) with host tester
# and rule tester-to-erp added.
fwlab_policy_b() {
	awk '
		/^  - id: web-to-erp$/ { skip = 1; next }
		skip && /^$/ { skip = 0; next }
		skip { next }
		{ print }
		/^zones:$/ { print "  lab:\n    vlan: 140\n    subnet: 10.10.140.0/24" }
		/^hosts:$/ { print "  tester:\n    zone: lab\n    address: 10.10.140.10" }
		/^rules:$/ { print "  - id: tester-to-erp\n    from: tester\n    to: app\n    allow: erp\n" }
	' "$1"
}

# fwlab_listen NAME PORT: a TCP listener in host NAME that accepts (and
# closes) any number of connections; it is removed with the namespace.
fwlab_listen() {
	ip netns exec "$(fwlab_ns "$1")" nc -lk "${FWLAB_ADDR[$1]}" "$2" </dev/null >/dev/null 2>&1 &
	FWLAB_BG+=($!)
}

# fwlab_probe SRC DST PORT: "open" when a TCP connection from host SRC to
# host DST:PORT is established within 1 s, else "closed".
fwlab_probe() {
	if fwlab_in "$1" nc -z -w 1 "${FWLAB_ADDR[$2]}" "$3" </dev/null >/dev/null 2>&1; then
		echo open
	else
		echo closed
	fi
}

# The common start of a test on this lab (crash.sh, daemon_load.sh,
# restart_tcp.sh, daemon.sh, diff_rule.sh, l2_plain.sh, nft_check.sh):
# ok/bad/die counters named after the test, $tmp with the daemon's
# $state/$sock/$log paths, a reference namespace $ref for `nft -f`, cleanup
# of all of it on exit, ^C or timeout (and fwlab_test_on_exit first, when the
# test defines it). It skips (77) without root or when `ip netns add` itself
# fails; any later error is the test's failure. fwlab_test_end prints the
# summary and returns the test's exit status.
fwlab_test_begin() { # fwlab_test_begin TEST_NAME
	FWLAB_TEST="$1"
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: $FWLAB_TEST: needs root for network namespaces"
		exit 77
	fi
	pass=0 fail=0
	tmp="$(mktemp -d)"
	state="$tmp/state" sock="$tmp/fwd.sock" log="$tmp/fwd.log"
	ref="$FWLAB_PREFIX-ref"
	trap fwlab_test_cleanup EXIT
	trap 'exit 143' TERM INT
	if ! ip netns add "$ref" 2>/dev/null; then
		echo "SKIP: $FWLAB_TEST: no network namespaces"
		exit 77
	fi
}
fwlab_test_cleanup() {
	! declare -F fwlab_test_on_exit >/dev/null || fwlab_test_on_exit
	fwlab_down
	ip netns del "$ref" 2>/dev/null
	rm -rf "$tmp"
}
ok() { pass=$((pass + 1)); }
bad() {
	echo "$FWLAB_TEST: FAIL: $*" >&2
	fail=$((fail + 1))
}
fwlab_test_end() {
	echo "$FWLAB_TEST: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
die() {
	bad "$*"
	fwlab_test_end
	exit 1
}
