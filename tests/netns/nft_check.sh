#!/bin/bash
# nftables' own checker accepts every rendered template, alone and together,
# and the kernel loads them for real. Runs inside a throw-away network
# namespace: the host's ruleset is never touched.
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
FWLAB_PREFIX="fwdtest-nftc-$$" FWLAB_BUILD="$build"
# shellcheck source=tests/support/fwlab.sh
. "$src/tests/support/fwlab.sh"
fwlab_test_begin nft_check
ns="$ref" # the lab's reference namespace is all this test needs
cd "$src/templates" || die "no templates"
for f in *.yaml .; do
	if "$build/fwctl" compile "$f" >"$tmp/rules.nft" &&
		ip netns exec "$ns" nft -c -f "$tmp/rules.nft" &&
		ip netns exec "$ns" nft -f "$tmp/rules.nft" &&
		ip netns exec "$ns" nft flush ruleset; then
		ok
	else
		bad "nft refused the ruleset of $f"
	fi
done
# A replace must be atomic: load all tenants, then a file that also deletes
# them first, in one transaction.
"$build/fwctl" compile . >"$tmp/all.nft" || die "fwctl compile . failed"
ip netns exec "$ns" nft -f "$tmp/all.nft" || die "nft refused all tenants together"
count_before="$(ip netns exec "$ns" nft list tables | wc -l)"
{ echo "flush ruleset"; cat "$tmp/all.nft"; } | ip netns exec "$ns" nft -f -
count_after="$(ip netns exec "$ns" nft list tables | wc -l)"
if [ "$count_before" -eq "$count_after" ] && [ "$count_after" -eq 9 ]; then
	ok
else
	bad "expected 9 tables (base, 4 tenants, 4 bridge tables), got $count_before then $count_after"
fi
fwlab_test_end
