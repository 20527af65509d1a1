#!/bin/bash
# The WireGuard backend benchmark (bench/bench_wg.c) in a namespace of its
# own: bench/run_wg.sh BUILD_DIR [kernel|userspace] [PEERS]. Userspace runs
# wireguard-go (the interface name carries the pid: wireguard-go's socket
# directory is shared by all namespaces); kernel needs the module (the VM).
set -euo pipefail
build="$(cd "$1" && pwd)" mode="${2:-userspace}" peers="${3:-1000}"
ns="fwdbench-wg-$$" tmp="$(mktemp -d)" ifn="wgb$(($$ % 100000))"
cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -f "/var/run/wireguard/$ifn.sock"
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
mkdir -m 700 "$tmp/state"
ip netns exec "$ns" "$build/bench/bench_wg" --wireguard "$mode" --peers "$peers" \
	--state-dir "$tmp/state" --interface "$ifn"
