#!/bin/bash
# Run one test of tests/vm/ inside the test VM:
#
#   image/vm-run.sh BUILD_DIR TEST_NAME
#
# Builds (or reuses) BUILD_DIR/image/initramfs.img, boots Debian's cloud
# kernel with it under qemu (KVM when /dev/kvm is usable, else TCG software
# emulation) with "fwd.test=TEST_NAME", and reads the console. The exit
# status is the test's, from the line "FWD-VM-RESULT TEST_NAME rc=N" that
# the VM prints before it powers off. No such line (a panic, a hang past
# FWD_VM_TIMEOUT seconds, default 300) is a failure, and so is a missing qemu
# or kernel: the VM tier is never skipped. The console log is kept in
# BUILD_DIR/image/log/TEST_NAME.log and printed when the test fails
# (FWD_VM_VERBOSE=1: always).
#
# FWD_VM_APPEND adds kernel parameters; FWD_VM_MEMORY sets the memory (MiB,
# default 1024); ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS are passed on.
set -uo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -eq 2 ] || {
	echo "usage: $0 BUILD_DIR TEST_NAME" >&2
	exit 2
}
build="$(cd "$1" && pwd)" || exit 1
name="$2"
fail() {
	echo "vm.$name: FAIL: $*" >&2
	exit 1
}
[[ "$name" =~ ^[A-Za-z0-9_-]+$ ]] || fail "bad test name"
[ -f "$src/tests/vm/$name.sh" ] || fail "no test $src/tests/vm/$name.sh"
qemu="$(command -v qemu-system-x86_64)" ||
	fail "qemu-system-x86_64 is missing: install Debian's qemu-system-x86 (scripts/setup.sh)"

t0="$(date +%s.%N)"
img="$(bash "$src/image/build-initramfs.sh" "$build")" || fail "the test image could not be built"
t1="$(date +%s.%N)"

accel=tcg
[ -w /dev/kvm ] && accel=kvm
# The sanitizers' options reach the test as they would on the host: the
# kernel hands KEY=VALUE parameters without a dot to /init's environment.
env_args=
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[[ "${!v:-}" =~ ^[A-Za-z0-9_=:,./-]+$ ]] && env_args+=" $v=${!v}"
done
mkdir -p "$build/image/log"
log="$build/image/log/$name.log"
: >"$log"
# No network device: the tests build their networks inside the VM. panic=-1
# turns a panic into a reboot, which -no-reboot turns into qemu's exit.
timeout -k 5 "${FWD_VM_TIMEOUT:-300}" "$qemu" -machine q35 -accel "$accel" -smp 1 \
	-m "${FWD_VM_MEMORY:-1024}" -nodefaults -no-reboot -display none -monitor none \
	-serial "file:$log" -nic none \
	-kernel "$build/image/vmlinuz" -initrd "$img" \
	-append "console=ttyS0 quiet panic=-1 fwd.test=$name$env_args ${FWD_VM_APPEND:-}" </dev/null
qrc=$?
t2="$(date +%s.%N)"

show_log() {
	echo "---- console of vm.$name ($log) ----"
	tr -d '\r' <"$log"
	echo "---- end of console ----"
}
result="$(tr -d '\r' <"$log" | sed -n "s/.*FWD-VM-RESULT $name rc=\([0-9]*\) .*/\1/p" | tail -1)"
boot="$(tr -d '\r' <"$log" | sed -n "s/.*FWD-VM-START $name .* uptime=\([0-9.]*\).*/\1/p" | tail -1)"
timing="$(awk -v a="$t0" -v b="$t1" -v c="$t2" -v boot="${boot:-?}" \
	'BEGIN { printf "image %.1f s, VM %.1f s (%s, kernel up to the test: %s s)", b - a, c - b, "'"$accel"'", boot }')"
if [ -z "$result" ]; then
	[ "$qrc" -eq 124 ] && why="timed out after ${FWD_VM_TIMEOUT:-300} s" || why="qemu exited with $qrc"
	echo "vm.$name: FAIL: no result from the VM ($why); last lines of the console:" >&2
	tr -d '\r' <"$log" | tail -40 >&2
	exit 1
fi
if [ "$result" -eq 77 ]; then
	# Everything a VM test needs is in the image: it has no reason to skip.
	show_log
	fail "the test skipped inside the VM (rc=77)"
fi
[ "$result" -eq 0 ] && [ "${FWD_VM_VERBOSE:-0}" = 0 ] || show_log
echo "vm.$name: rc=$result; $timing"
exit "$result"
