# shellcheck shell=bash
# The frame of the fwctl tests (tests/cli/*.sh), sourced after
# `set -uo pipefail` with the test's name and its ctest arguments:
#   . "$2/tests/support/clitest.sh" NAME "$@"      # "$@": BUILD_DIR SOURCE_DIR
# It gives build, src, fwctl, tmp (removed at exit), sock, the counters ok
# and bad, c (fwctl on $sock), run (exit code and stderr), cli_testd_start (fwd-testd: the daemon's real
# control path, handlers and state directory with a file for the kernel;
# stopped at exit) and cli_end (the summary line; the test's exit status).
cli_name=$1
build="$(cd "$2" && pwd)" src="$(cd "$3" && pwd)"
fwctl="$build/fwctl"
tmp="$(mktemp -d)"
sock="$tmp/fwd.sock"
pass=0 fail=0
pid=""
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
c() { "$fwctl" --socket "$sock" "$@"; }
cli_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cli_cleanup EXIT

# fwd-testd on $sock with its state in $tmp/state and the "kernel" in
# $tmp/kernel.nft; its output to LOG (default: the test's stderr).
cli_testd_start() { # [LOG]
	if [ -n "${1:-}" ]; then
		"$build/tests/fwd-testd" "$tmp/state" "$sock" "$tmp/kernel.nft" >>"$1" 2>&1 &
	else
		"$build/tests/fwd-testd" "$tmp/state" "$sock" "$tmp/kernel.nft" &
	fi
	pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
	bad "fwd-testd did not start"
	return 1
}
cli_testd_stop() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	pid=""
	rm -f "$sock"
}

# run EXPECTED_EXIT EXPECTED_STDERR CMD...: exit code and stderr, exactly
# (stdout in $tmp/out, stderr in $tmp/err)
run() {
	local want_rc="$1" want_err="$2" rc
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$want_rc" ] && ok || bad "$*: exit $rc, expected $want_rc: $(cat "$tmp/err")"
	[ "$(cat "$tmp/err")" = "$want_err" ] && ok || bad "$*: stderr '$(cat "$tmp/err")', expected '$want_err'"
}

cli_end() {
	echo "$cli_name: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
