#!/bin/bash
# The real daemon under load keeps its resources bounded: storms of 256
# concurrent clients (tests/support/fwd_load.c: status, history, show, and
# writes: apply of a small policy with and without a confirm window,
# confirm, rollback) all get an answer; after each storm fwd's open file
# descriptors return exactly to the baseline, and after a warm-up storm its
# resident memory grows by less than 1 MB over three more storms. The kernel
# then holds exactly the generation the state directory calls current, and
# fwd stops cleanly on SIGTERM.
#
# fwd runs with glibc tunables that make malloc return freed memory at once
# (no trim threshold, mmap from 4 KB): with the defaults glibc keeps what a
# storm freed, and the RSS swings by ~10 MB from storm to storm while fwd
# holds 0.6 MB, so RSS would say nothing about leaks. In a sanitizer build
# the RSS is not judged (ASan's quarantine keeps freed memory on purpose);
# LeakSanitizer checks every allocation at the SIGTERM exit instead.
#
# Usage (ctest): bash tests/netns/daemon_load.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
clients="${LOAD_CLIENTS:-256}"
FWLAB_PREFIX="fwload$$" FWLAB_BUILD="$build"
# shellcheck source=tests/support/fwlab.sh
. "$src/tests/support/fwlab.sh"
fwlab_test_begin daemon_load
fwlab_up bare || die "cannot create the namespace"
driver="$build/tests/fwd_load"
for t in "$driver" "$build/tests/ruleset_hash"; do
	[ -x "$t" ] || die "$t is missing (build the project first)"
done

# Two small policies for the applies: the template and its variant.
cp "$src/templates/windows-stack.yaml" "$tmp/acme.yaml"
fwlab_policy_b "$src/templates/windows-stack.yaml" >"$tmp/acme-b.yaml"

GLIBC_TUNABLES=glibc.malloc.trim_threshold=0:glibc.malloc.mmap_threshold=4096:glibc.malloc.top_pad=0 \
	fwlab_fwd_start "$state" "$sock" "$log" || die "fwd did not start: $(cat "$log")"
sanitized=0
grep -q __asan_init "$build/fwd" && sanitized=1
"$build/fwctl" --socket "$sock" apply "$tmp/acme.yaml" >/dev/null || die "apply failed: $(tail -3 "$log")"

fds() { find "/proc/$FWLAB_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$FWLAB_PID/status"; }
# back_to FDS: wait (at most 5 s) until fwd holds exactly FDS descriptors
# again (closing the last clients' sockets takes fwd a loop turn).
back_to() {
	local i now
	for ((i = 0; i < 500; i++)); do
		now="$(fds)"
		[ "$now" -eq "$1" ] && return 0
		sleep 0.01
	done
	echo "$now"
	return 1
}
# storm NAME: one storm; every client must get an answer.
storm() {
	local t0=$EPOCHREALTIME
	if "$driver" "$sock" "$clients" "$tmp/acme.yaml" "$tmp/acme-b.yaml" >"$tmp/storm.out" 2>"$tmp/storm.err"; then
		ok
	else
		bad "$1: not every client got an answer: $(head -5 "$tmp/storm.err")"
	fi
	echo "daemon_load: $1 ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s):" \
		"$(tr '\n' ' ' <"$tmp/storm.out" | tr -s ' ')"
	kill -0 "$FWLAB_PID" 2>/dev/null || die "fwd died in $1: $(tail -5 "$log")"
}

base_fds="$(fds)"
storm "warm-up storm"
now="$(back_to "$base_fds")" && ok || bad "warm-up storm: fwd holds $now descriptors, $base_fds before"
base_rss="$(rss_kb)"
echo "daemon_load: baseline after the warm-up: $base_fds descriptors, RSS $base_rss kB"
for s in 1 2 3; do
	storm "storm $s"
	now="$(back_to "$base_fds")" && ok || bad "storm $s: fwd holds $now descriptors, $base_fds before"
	echo "daemon_load: after storm $s: $(fds) descriptors, RSS $(rss_kb) kB"
done
growth=$(($(rss_kb) - base_rss))
echo "daemon_load: RSS growth over three storms: $growth kB"
if [ "$sanitized" = 1 ]; then
	echo "daemon_load: sanitizer build: RSS not judged (LeakSanitizer checks the exit)"
elif [ "$growth" -lt 1024 ]; then
	ok
else
	bad "fwd's RSS grew by $growth kB over three storms (limit 1024 kB)"
fi

# The writes were serialised: the kernel holds the current generation.
ip netns exec "$ref" nft -f "$state/current/ruleset.nft" || bad "nft -f refused the current generation"
[ "$(fwlab_hash "$ref")" = "$(fwlab_ruleset_hash)" ] && ok ||
	bad "after the storms the kernel does not hold the current generation ($(readlink "$state/current"))"
"$build/fwctl" --socket "$sock" status >"$tmp/status" && ok || bad "status after the storms failed"

# A clean stop: exit 0 on SIGTERM (in a sanitizer build LeakSanitizer checks
# every allocation here and fails the exit on a leak).
fwlab_fwd_kill TERM
rc=$?
[ "$rc" -eq 0 ] && ok || bad "fwd exited with $rc on SIGTERM: $(tail -20 "$log")"

echo "daemon_load: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
