#!/bin/bash
# Set up, build and run every test tier, in a normal and an ASan+UBSan build
# (the command README.md gives; .ci/run calls it):
#  - unit tests (cmocka) and CLI tests;
#  - network-namespace tests (root: real traffic, nft -c of every template);
#  - VM tests (tests/vm: 802.1Q, VLAN filtering, kernel WireGuard, the
#    appliance image) in qemu with Debian's cloud kernel;
#  - static checks: clang-format, cppcheck, the layering rules;
#  - every fuzz target (fuzz/) for a bounded time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

"$root/scripts/setup.sh"

echo "== build (release)"
"$root/scripts/build.sh" "$root/build"
echo "== build (ASan + UBSan)"
CC=clang "$root/scripts/build.sh" "$root/build-asan" -DFWD_SANITIZE=ON

echo "== static checks"
"$root/scripts/lint.sh"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== tests (ASan + UBSan build)"
ctest --test-dir "$root/build-asan" --output-on-failure -j2
echo "== tests (release build)"
ctest --test-dir "$root/build" --output-on-failure -j2

echo "== fuzz (bounded)"
"$root/fuzz/run.sh" "${FUZZ_SECONDS:-45}"
echo "== all tests passed"
