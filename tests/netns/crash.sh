#!/bin/bash
# Fail closed under crashes: fwd is killed with SIGKILL at random moments of
# an apply, hundreds of times. After every kill the kernel must hold exactly
# the old or exactly the new ruleset (the hash of the listed ruleset, without
# counters and in a canonical order of tables, sets and chains, equals the
# hash of one of the two references, which `nft -f` of `fwctl compile` made
# in a reference namespace), never a mix; an apply that
# fwctl saw succeed must be the one in the kernel; after a restart the kernel
# must hold the generation the state directory calls current (state and
# kernel agree). Every 20th kill, real traffic through the firewall
# namespace must follow the ruleset that is in. Both outcomes (old and new)
# must occur, else the kills missed the apply and nothing was tested.
#
# Policies: A = templates/windows-stack.yaml plus a generated tenant of
# 600 rules; B = windows-stack with rule web-to-erp removed and a zone
# (lab, host tester, rule tester-to-erp) added, plus the generated tenant
# with other ports. web -> app tcp/8080 passes only under A, tester -> app
# tcp/8080 only under B.
#
# Usage (ctest): bash tests/netns/crash.sh BUILD_DIR SOURCE_DIR
# Environment: CRASH_ITERATIONS (default 200), CRASH_SEED (random delays).
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
iterations="${CRASH_ITERATIONS:-200}"
seed="${CRASH_SEED:-$$}"
RANDOM="$seed"

FWLAB_PREFIX="fwcrash$$" FWLAB_BUILD="$build"
# shellcheck source=tests/support/fwlab.sh
. "$src/tests/support/fwlab.sh"
fwlab_test_begin crash
fwlab_up traffic || die "cannot build the lab"
fwctl() { "$build/fwctl" --socket "$sock" "$@"; }
ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
# kill_during DELAY_US PID CMD...: prints "EXIT MICROSECONDS" (tests/support)
killer="$build/tests/kill_during"
for t in "$killer" "$build/tests/ruleset_hash"; do
	[ -x "$t" ] || die "$t is missing (build the project first)"
done

# --- the two policies and their reference hashes ---------------------------
mkdir -p "$tmp/A" "$tmp/B"
cp "$src/templates/windows-stack.yaml" "$tmp/A/"
fwlab_policy_b "$src/templates/windows-stack.yaml" >"$tmp/B/windows-stack.yaml"
bash "$src/tests/support/gen_tenant.sh" bulk 2 600 1 >"$tmp/A/bulk.yaml"
bash "$src/tests/support/gen_tenant.sh" bulk 2 600 2 >"$tmp/B/bulk.yaml"
declare -A kernel_hash
for p in A B; do
	"$build/fwctl" compile "$tmp/$p" >"$tmp/$p.nft" || die "fwctl compile of policy $p failed"
	ip netns exec "$ref" nft flush ruleset
	ip netns exec "$ref" nft -f "$tmp/$p.nft" || die "nft -f refused policy $p"
	kernel_hash[$p]="$(fwlab_hash "$ref")"
done
[ "${kernel_hash[A]}" != "${kernel_hash[B]}" ] || die "policies A and B give the same ruleset"
# which policy a kernel hash is ("" for neither)
policy_of_kernel() {
	case "$1" in "${kernel_hash[A]}") echo A ;; "${kernel_hash[B]}") echo B ;; esac
}
# which policy the state's current generation holds (its policy files as
# applied; "" for neither)
policy_of_generation() {
	local p f
	for p in A B; do
		for f in windows-stack.yaml bulk.yaml; do
			cmp -s "$state/current/policy/$f" "$tmp/$p/$f" || continue 2
		done
		echo "$p"
		return
	done
}
other() { if [ "$1" = A ]; then echo B; else echo A; fi; }

# traffic_follows P: real connections pass exactly as policy P says. A probe
# that should pass is tried twice, so one lost SYN never reads as a drop.
fwlab_listen app 8080
traffic_follows() {
	local want_web=closed want_tester=closed web tester p1 p2
	if [ "$1" = A ]; then want_web=open; else want_tester=open; fi
	fwlab_probe web app 8080 >"$tmp/probe.web" &
	p1=$!
	fwlab_probe tester app 8080 >"$tmp/probe.tester" &
	p2=$!
	wait "$p1" "$p2"
	web="$(cat "$tmp/probe.web")" tester="$(cat "$tmp/probe.tester")"
	[ "$web" = open ] || [ "$want_web" = closed ] || web="$(fwlab_probe web app 8080)"
	[ "$tester" = open ] || [ "$want_tester" = closed ] || tester="$(fwlab_probe tester app 8080)"
	if [ "$web" = "$want_web" ] && [ "$tester" = "$want_tester" ]; then
		ok
	else
		bad "$2: policy $1 is in the kernel, but web -> app tcp/8080 is $web (want $want_web)," \
			"tester -> app tcp/8080 is $tester (want $want_tester)"
	fi
}

# --- the daemon with policy A live, and how long an apply takes --------------
fwlab_fwd_start "$state" "$sock" "$log" || die "fwd did not start: $(cat "$log")"
fwctl apply "$tmp/A" >/dev/null || die "apply of A failed: $(tail -3 "$log")"
[ "$(policy_of_kernel "$(fwlab_ruleset_hash)")" = A ] || die "after apply A the kernel is not A"
traffic_follows A "before the kills"
# measure_apply FROM: apply the other policy and FROM again, unkilled, and
# update the estimate of an apply's duration (apply_us, from fwctl's start to
# its end). Kill delays are spread over the whole apply and half as long
# again beyond its end (a kill after the end tests that an acknowledged
# apply stays). Repeated every 10 kills: the machine's load changes.
apply_us=0
measure_apply() {
	local p total=0 rc us
	for p in "$(other "$1")" "$1"; do
		read -r rc us < <("$killer" 0 0 "$build/fwctl" --socket "$sock" apply "$tmp/$p" 2>>"$tmp/fwctl.log")
		[ "$rc" = 0 ] || die "apply of $p failed: $(tail -3 "$log")"
		total=$((total + us))
	done
	if [ "$apply_us" -eq 0 ]; then
		apply_us=$((total / 2))
	else
		apply_us=$(((apply_us + total / 2) / 2))
	fi
	span_us=$((apply_us * 3 / 2))
}
measure_apply A
echo "crash: an apply takes $((apply_us / 1000)) ms (measured again every 10 kills);" \
	"$iterations kills at 0..$((span_us / 1000)) ms (seed $seed)"

# --- the kills ---------------------------------------------------------------
declare -A outcome=([old]=0 [new]=0)
kernel_new_state_old=0 acked=0
cur=A start="$(ms)"
for ((i = 1; i <= iterations; i++)); do
	((i % 10 == 0)) && measure_apply "$cur"
	next="$(other "$cur")"
	delay_us=$(((RANDOM * 32768 + RANDOM) % (span_us + 1)))
	read -r rc _ < <("$killer" "$delay_us" "$FWLAB_PID" \
		"$build/fwctl" --socket "$sock" apply "$tmp/$next" 2>>"$tmp/fwctl.log")
	fwlab_fwd_kill 9 # reap it
	[ "$rc" != 124 ] || bad "kill $i: fwctl hung after fwd was killed"

	got="$(policy_of_kernel "$(fwlab_ruleset_hash)")"
	if [ -z "$got" ]; then
		fwlab_dump "$(fwlab_ns fw)" >"$tmp/mixed.json"
		ip netns exec "$ref" nft flush ruleset
		ip netns exec "$ref" nft -f "$tmp/$cur.nft"
		fwlab_dump "$ref" >"$tmp/old.json"
		die "kill $i (after $((delay_us / 1000)) ms): the kernel holds neither the old nor the new" \
			"ruleset; against the old one: $(diff "$tmp/old.json" "$tmp/mixed.json" | head -20)"
	fi
	if [ "$got" = "$cur" ]; then
		outcome[old]=$((outcome[old] + 1))
	else
		outcome[new]=$((outcome[new] + 1))
	fi
	ok
	if [ "$rc" -eq 0 ]; then # fwctl was told "applied": it must be in
		acked=$((acked + 1))
		[ "$got" = "$next" ] || bad "kill $i: fwctl reported the apply of $next, the kernel holds $got"
	fi
	((i % 20 == 0)) && traffic_follows "$got" "kill $i, fwd dead"

	fwlab_fwd_start "$state" "$sock" "$log" ||
		die "kill $i: fwd did not start again: $(tail -5 "$log")"
	booted="$(policy_of_kernel "$(fwlab_ruleset_hash)")" gen="$(policy_of_generation)"
	if [ -z "$gen" ]; then
		die "kill $i: the state's current generation is neither A nor B: $(ls -l "$state")"
	elif [ "$booted" != "$gen" ]; then
		die "kill $i: after the restart the kernel holds ${booted:-a mix}, the state's current generation is $gen"
	fi
	ok
	[ "$rc" -ne 0 ] || [ "$gen" = "$next" ] || bad "kill $i: an acknowledged apply of $next is not current after the restart"
	[ "$got" = "$gen" ] || kernel_new_state_old=$((kernel_new_state_old + 1))
	((i % 20 == 10)) && traffic_follows "$gen" "kill $i, after the restart"
	cur="$gen"
done
elapsed=$(($(ms) - start))

echo "crash: $iterations kills in $((elapsed / 1000)) s: kernel held the old ruleset ${outcome[old]} times," \
	"the new one ${outcome[new]} times (last apply estimate $((apply_us / 1000)) ms; fwctl saw $acked applies succeed; $kernel_new_state_old times the" \
	"new ruleset was in but not yet current, and the restart loaded the current one)"
if [ "${outcome[old]}" -eq 0 ] || [ "${outcome[new]}" -eq 0 ]; then
	bad "the kills did not hit both sides of the apply's commit: nothing was tested"
fi
echo "crash: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
