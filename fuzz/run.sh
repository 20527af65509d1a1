#!/bin/bash
# Build the fuzz targets with clang and run each for a bounded time, seeded
# with the templates and the malformed corpus (policy) or sample requests
# (protocol). Usage: fuzz/run.sh [SECONDS per target]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
build="$root/build-fuzz"
CC=clang cmake -S "$root" -B "$build" -DFWD_FUZZ=ON -DFWD_TESTS=OFF >/dev/null
cmake --build "$build" --target fuzz_policy fuzz_proto -j"$(nproc)" >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

run() { # TARGET CORPUS_DIR MAX_LEN
	"$build/fuzz/$1" -max_total_time="$seconds" -max_len="$3" -rss_limit_mb=2048 \
		-timeout=10 -print_final_stats=1 "$2" 2>"$work/$1.log" || {
		tail -50 "$work/$1.log"
		echo "fuzz: $1 crashed or leaked (see above)" >&2
		exit 1
	}
	echo "fuzz: $1: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$1.log" | cut -d' ' -f2) runs in ${seconds}s without a crash"
}

mkdir -p "$work/policy" "$work/proto"
cp "$root"/templates/*.yaml "$work/policy/"
cp "$root"/tests/malformed/*.yaml "$work/policy/" 2>/dev/null || true
printf '%s' '{"version":1,"id":1,"command":"status"}' >"$work/proto/status"
printf '%s' '{"version":1,"id":2,"command":"apply","args":{"files":[{"name":"a.yaml","content":"x"}],"confirm":60}}' >"$work/proto/apply"
printf '%s' '{"version":1,"command":"show","args":{"tenant":"acme"}}' >"$work/proto/show"
run fuzz_policy "$work/policy" 65536
run fuzz_proto "$work/proto" 4096
