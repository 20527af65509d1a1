#!/bin/bash
# Static checks: formatting, cppcheck, and the layering rule that policy/
# never includes netlink headers and backends never include YAML.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find policy ctl fwd include tests bench fuzz -name '*.[ch]')
[ "${#files[@]}" -gt 0 ] || { echo "lint: no sources"; exit 1; }

echo "lint: clang-format"
clang-format --dry-run --Werror "${files[@]}"

echo "lint: cppcheck"
cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
	--inline-suppr --suppress=missingIncludeSystem --suppress=variableScope --std=c11 \
	--include=scripts/cppcheck-macros.h \
	-I include -I policy -I tests/unit -D_GNU_SOURCE policy ctl fwd tests/unit bench fuzz

echo "lint: layering"
if grep -rlE '#include <(linux/netlink|libmnl|libnftnl|netlink/)' policy include/fwd/policy.h include/fwd/plan.h; then
	echo "lint: policy/ must not include netlink headers" >&2
	exit 1
fi
if [ -d fwd ] && grep -rl '#include <yaml.h>' fwd; then
	echo "lint: backends must not parse YAML" >&2
	exit 1
fi
echo "lint: ok"
