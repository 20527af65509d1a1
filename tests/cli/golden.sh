#!/bin/bash
# Compile output is deterministic and exactly the reviewed golden files:
# each template alone and all templates as one appliance.
# Regenerate with FWD_REGEN=1 (review the diff before committing).
set -euo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
fwctl="$build/fwctl"
fail=0 pass=0
cd "$src/templates"
check() { # NAME ARGS...
	local name="$1" out
	shift
	out="$("$fwctl" compile "$@")"
	if [ -n "${FWD_REGEN:-}" ]; then
		printf '%s\n' "$out" >"$src/tests/golden/$name.nft"
	fi
	if diff -u "$src/tests/golden/$name.nft" <(printf '%s\n' "$out"); then
		pass=$((pass + 1))
	else
		echo "golden: $name differs" >&2
		fail=$((fail + 1))
	fi
	# Same input, same bytes.
	if [ "$out" != "$("$fwctl" compile "$@")" ]; then
		echo "golden: $name is not deterministic" >&2
		fail=$((fail + 1))
	fi
}
for f in *.yaml; do
	check "${f%.yaml}" "$f"
done
check appliance .
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
