#!/bin/bash
# The nftables backend's benchmark (bench/bench_apply.c), as root, never as a
# test: bench_apply makes a network namespace of its own; this script adds
# the `nft -f` command itself (process start, parse, evaluation, the same
# kernel work) in a throw-away namespace, for the same 10,000-rule tenant.
#   bench/run_apply.sh BUILD_DIR [RUNS] [--quick]
set -euo pipefail
build="$(cd "${1:?usage: run_apply.sh BUILD_DIR [RUNS] [--quick]}" && pwd)"
shift
if [ "$(id -u)" -ne 0 ]; then
	echo "run_apply: needs root (network namespaces)" >&2
	exit 1
fi
bench="$build/bench/bench_apply"
[ -x "$bench" ] || {
	echo "run_apply: $bench is missing (libnftables-dev, then build)" >&2
	exit 1
}
tmp="$(mktemp -d)" ns="fwdbench-$$"
trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"' EXIT

"$bench" "$@" --emit "$tmp/tenant.nft"
[ -s "$tmp/tenant.nft" ] || exit 0 # --only without the full apply

ip netns add "$ns"
times=()
for _ in 1 2 3 4 5; do
	ip netns exec "$ns" nft flush ruleset
	t0="$(date +%s%N)"
	ip netns exec "$ns" nft -f "$tmp/tenant.nft"
	times+=($((($(date +%s%N) - t0) / 1000)))
done
median="$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)"
printf 'the nft -f command (ip netns exec, nft: parse, evaluate, commit), median of 5: %d.%03d ms\n' \
	$((median / 1000)) $((median % 1000))
