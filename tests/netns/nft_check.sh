#!/bin/bash
# nftables' own checker accepts every rendered template, alone and together,
# and the kernel loads them for real. Runs inside a throw-away network
# namespace: the host's ruleset is never touched.
set -euo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: nft_check: needs root for network namespaces"
	exit 77
fi
ns="fwdtest-nftc-$$"
tmp="$(mktemp -d)"
trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"' EXIT
ip netns add "$ns"
pass=0 fail=0
cd "$src/templates"
for f in *.yaml .; do
	"$build/fwctl" compile "$f" >"$tmp/rules.nft"
	if ip netns exec "$ns" nft -c -f "$tmp/rules.nft" &&
		ip netns exec "$ns" nft -f "$tmp/rules.nft" &&
		ip netns exec "$ns" nft flush ruleset; then
		pass=$((pass + 1))
	else
		echo "nft_check: nft refused the ruleset of $f" >&2
		fail=$((fail + 1))
	fi
done
# A replace must be atomic: load all tenants, then a file that also deletes
# them first, in one transaction.
"$build/fwctl" compile . >"$tmp/all.nft"
ip netns exec "$ns" nft -f "$tmp/all.nft"
count_before="$(ip netns exec "$ns" nft list tables | wc -l)"
{ echo "flush ruleset"; cat "$tmp/all.nft"; } | ip netns exec "$ns" nft -f -
count_after="$(ip netns exec "$ns" nft list tables | wc -l)"
if [ "$count_before" -eq "$count_after" ] && [ "$count_after" -eq 9 ]; then
	pass=$((pass + 1))
else
	echo "nft_check: expected 9 tables (base, 4 tenants, 4 bridge tables), got $count_before then $count_after" >&2
	fail=$((fail + 1))
fi
echo "nft_check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
