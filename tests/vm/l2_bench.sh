#!/bin/bash
# The L2 backend with 1,000 VLANs and their gateways, in the test VM
# (image/vm-run.sh BUILD_DIR l2_bench): bench/bench_l2_vlans makes them on
# one trunk, checks the kernel has the 1,000 gateways and trunk VLANs, adds
# and removes one more zone, removes them all and checks none is left, and
# prints the time per VLAN. Fails when any of it fails.
# Usage: bash l2_bench.sh BUILD_DIR SOURCE_DIR (root, inside the VM).
set -uo pipefail
build="$(cd "$1" && pwd)"
n="${L2_BENCH_VLANS:-1000}"
out="$("$build/bench/bench_l2_vlans" "$n" 2>&1)"
rc=$?
echo "$out"
if [ "$rc" -ne 0 ]; then
	echo "l2_bench: FAIL: bench_l2_vlans $n exited $rc" >&2
	echo "l2_bench: 0 passed, 1 failed"
	exit 1
fi
echo "l2_bench: 1 passed, 0 failed"
