# shellcheck shell=bash
# The frame of the tests that run in the lab of scripts/lab.sh (counters.sh,
# traffic.sh, logs.sh, revoke.sh), sourced after `set -uo pipefail` (or
# -euo) with the test's name, a namespace prefix and its ctest arguments:
#   . "$2/tests/support/labtest.sh" NAME PREFIX "$@"  # "$@": BUILD_DIR SOURCE_DIR
# It skips (77) without root or network namespaces, exports what lab.sh needs
# (LAB_PREFIX unique per run, FWCTL, FWD, LAB_TEMPLATE: $template, the
# windows stack) and gives build, src, lab, fwctl, template, tmp, the lab's
# state directory $state with fwd's $sock, the counters ok and bad, c (fwctl
# on $sock), labtest_up and labtest_end (the summary line; the test's exit
# status). At exit it calls
# labtest_on_exit when the test defines it (its own processes), then takes
# the lab down and removes $tmp.
labtest_name=$1
build="$(cd "${3:?usage: $1.sh BUILD_DIR SOURCE_DIR}" && pwd)"
src="$(cd "${4:?usage: $1.sh BUILD_DIR SOURCE_DIR}" && pwd)"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: $labtest_name: needs root for network namespaces"
	exit 77
fi
lab="$src/scripts/lab.sh"
fwctl="$build/fwctl"
template="$src/templates/windows-stack.yaml"
# A lab of our own, whatever else runs: unique namespace names per run.
export LAB_PREFIX="$2$$" FWCTL="$fwctl" FWD="$build/fwd" LAB_TEMPLATE="$template"
if ! ip netns add "$LAB_PREFIX-check" 2>/dev/null; then
	echo "SKIP: $labtest_name: no network namespace support (ip netns add failed)"
	exit 77
fi
ip netns del "$LAB_PREFIX-check"
state="${TMPDIR:-/tmp}/$LAB_PREFIX-lab" # lab.sh's: fwd's socket, state and log
sock="$state/fwd.sock"

tmp="$(mktemp -d)"
labtest_cleanup() {
	! declare -F labtest_on_exit >/dev/null || labtest_on_exit
	bash "$lab" down >/dev/null 2>&1 || echo "$labtest_name: lab teardown failed" >&2
	rm -rf "$tmp"
}
trap labtest_cleanup EXIT

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL: $*" >&2
	fail=$((fail + 1))
}
c() { "$fwctl" --socket "$sock" "$@"; }

labtest_up() {
	bash "$lab" up || {
		echo "FAIL: the lab did not come up" >&2
		exit 1
	}
}
labtest_end() {
	echo "$labtest_name: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
