#!/bin/bash
# Build the fuzz target with clang and run it for a bounded time, seeded
# with the templates and the malformed corpus.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
build="$root/build-fuzz"
CC=clang cmake -S "$root" -B "$build" -DFWD_FUZZ=ON -DFWD_TESTS=OFF >/dev/null
cmake --build "$build" --target fuzz_policy -j"$(nproc)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
cp "$root"/templates/*.yaml "$work/corpus/"
cp "$root"/tests/malformed/*.yaml "$work/corpus/" 2>/dev/null || true
"$build/fuzz/fuzz_policy" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
	-timeout=10 -print_final_stats=1 "$work/corpus" 2>"$work/log" || {
	tail -50 "$work/log"
	echo "fuzz: the target crashed or leaked (see above)" >&2
	exit 1
}
grep -E 'stat::number_of_executed_units|Done' "$work/log" | tail -2
echo "fuzz: ${seconds}s without a crash"
