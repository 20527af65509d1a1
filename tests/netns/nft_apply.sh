#!/bin/bash
# The nftables backend loads exactly what `nft -f` loads from the rendered
# ruleset, in one transaction. Two throw-away network namespaces: in A, nft
# loads `fwctl compile` output; in B, fwd-apply (or the selftest's hand-built
# plans) loads the plan through libnftnl; `nft list ruleset` must be byte
# for byte the same, and the backend's own read-back after the commit must
# find the kernel equal to the plan. Also: applying twice sends nothing and
# touches nothing, a changed tenant is replaced and the others are not
# touched, a policy with fewer tenants removes the others' tables (and only
# ours), a batch the kernel refuses leaves the ruleset exactly as it was and
# names the object, a change by another program between the generation read
# and the commit makes the kernel refuse the batch and the apply start over,
# policy errors are reported as file:line:col, an element delta is verified
# element by element (and a verification that finds differences names them).
# The host's ruleset is never touched.
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: nft_apply: needs root for network namespaces"
	exit 77
fi
apply="$build/fwd-apply" selftest="$build/nft_apply_selftest" fwctl="$build/fwctl"
for t in "$apply" "$selftest" "$fwctl"; do
	if [ ! -x "$t" ]; then
		echo "nft_apply: $t is missing (build the project first)" >&2
		exit 1
	fi
done
a="fwdtest-apply-a-$$" b="fwdtest-apply-b-$$"
tmp="$(mktemp -d)"
trap 'ip netns del "$a" 2>/dev/null; ip netns del "$b" 2>/dev/null; rm -rf "$tmp"' EXIT
ip netns add "$a" && ip netns add "$b" || exit 1
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() {
	echo "nft_apply: FAIL: $*" >&2
	fail=$((fail + 1))
}
in_a() { ip netns exec "$a" "$@"; }
in_b() { ip netns exec "$b" "$@"; }
# the ruleset as nft shows it, and with handles (changes if anything was
# recreated)
listing() { ip netns exec "$1" nft list ruleset; }
fingerprint() { ip netns exec "$1" nft -a list ruleset | sha256sum; }
# the ruleset with its tables in name order: a table that is replaced moves
# to the end of the kernel's list, one that is not touched keeps its place
by_table() {
	awk '/^table / { if (n++) printf "\n" } { printf "%s\001", $0 } END { printf "\n" }' |
		LC_ALL=C sort | tr '\001' '\n'
}
# the kernel's objects, expression by expression, as nft's debug listing
# prints them (stricter than the listing: e.g. a payload match nft would
# have merged lists the same either way); elements sorted within each set,
# since hash sets list them in the order of a per-set random seed
kernel_view() {
	ip netns exec "$1" nft --debug=netlink list ruleset |
		awk '/^\telement / { printf "%08d 1 %s\n", blk, $0; next }
		     { blk = NR; printf "%08d 0 %s\n", NR, $0 }' |
		LC_ALL=C sort -k1,1 -k2,2n -k3 | cut -d' ' -f3-
}

# same NAME TEXT CMD...: A loads TEXT with nft -f, B runs CMD; the listings
# must be identical
same() {
	local name="$1" text="$2"
	shift 2
	in_a nft flush ruleset
	in_b nft flush ruleset
	if ! in_a nft -f "$text"; then
		bad "$name: nft -f refused the rendered ruleset"
		return
	fi
	if ! in_b "$@" 2>"$tmp/err"; then
		bad "$name: the backend failed: $(head -5 "$tmp/err")"
		return
	fi
	# the read-back after the commit found what the plan says (the
	# policy's own warnings aside)
	if grep -q ': nft: ' "$tmp/err"; then
		bad "$name: the backend warned: $(grep ': nft: ' "$tmp/err" | head -5)"
	fi
	listing "$a" >"$tmp/a.nft"
	listing "$b" >"$tmp/b.nft"
	if cmp -s "$tmp/a.nft" "$tmp/b.nft"; then
		ok
	else
		bad "$name: nft list ruleset differs (A: nft -f, B: backend)"
		diff -u "$tmp/a.nft" "$tmp/b.nft" | head -40 >&2
	fi
	kernel_view "$a" >"$tmp/a.kv"
	kernel_view "$b" >"$tmp/b.kv"
	if cmp -s "$tmp/a.kv" "$tmp/b.kv"; then
		ok
	else
		bad "$name: the kernel's expressions differ (A: nft -f, B: backend)"
		diff -u "$tmp/a.kv" "$tmp/b.kv" | head -40 >&2
	fi
}

# 1. every template alone, then all of them together
for f in "$src"/templates/*.yaml "$src/templates"; do
	name="$(basename "$f")"
	if ! "$fwctl" compile "$f" >"$tmp/rules.nft" 2>/dev/null; then
		bad "$name: fwctl compile failed"
		continue
	fi
	same "$name" "$tmp/rules.nft" "$apply" --verify "$f"
done

# 1b. a large generated policy (10,000 rules): element sets span many
# messages of the batch
if [ -x "$build/bench/bench_compile" ] &&
	"$build/bench/bench_compile" 1 --emit "$tmp/big.yaml" >/dev/null &&
	"$fwctl" compile "$tmp/big.yaml" >"$tmp/big.nft" 2>/dev/null; then
	same "generated policy" "$tmp/big.nft" "$apply" --verify "$tmp/big.yaml"
else
	bad "generated policy: bench_compile --emit or fwctl compile failed"
fi

# 2. every statement kind and selector (hand-built plan)
if "$selftest" render >"$tmp/kinds.nft"; then
	same "selftest plan" "$tmp/kinds.nft" "$selftest" apply
else
	bad "selftest: render failed"
fi

# 3. applying twice sends nothing: the tables read back equal the plan, so
# not even a handle moves
in_b nft flush ruleset
in_b "$apply" "$src/templates" 2>/dev/null
listing "$b" >"$tmp/once.nft"
before="$(fingerprint "$b")"
out="$(in_b "$apply" --stats "$src/templates" 2>"$tmp/err")"
if [ "$out" = "tables: 0 replaced, 9 unchanged, 0 by elements (+0 -0), 0 deleted; 0 messages (nothing sent); attempts 1; read back" ] &&
	[ "$(fingerprint "$b")" = "$before" ]; then
	ok
else
	bad "applying the same policy twice: $out $(head -3 "$tmp/err")"
fi

# 3b. one tenant changed: only its table is replaced; the others keep their
# handles (and so their counters)
mkdir "$tmp/tpl"
cp "$src"/templates/*.yaml "$tmp/tpl/"
sed -i 's|allow: erp-app$|allow: [erp-app, https]|' "$tmp/tpl/branch-office.yaml"
in_b nft -a list table inet fwd_acme >"$tmp/acme.before"
out="$(in_b "$apply" --stats --verify "$tmp/tpl" 2>"$tmp/err")"
in_b nft -a list table inet fwd_acme >"$tmp/acme.after"
if [ "$out" = "tables: 1 replaced, 8 unchanged, 0 by elements (+0 -0), 0 deleted; 77 messages; attempts 1; read back" ] &&
	[ ! -s "$tmp/err" ] && cmp -s "$tmp/acme.before" "$tmp/acme.after"; then
	ok
else
	bad "one tenant changed: $out $(head -3 "$tmp/err"); fwd_acme: $(diff "$tmp/acme.before" "$tmp/acme.after" | head -5)"
fi
"$fwctl" compile "$tmp/tpl" >"$tmp/tpl.nft" 2>/dev/null
in_a nft flush ruleset
in_a nft -f "$tmp/tpl.nft"
if listing "$b" | by_table | cmp -s - <(listing "$a" | by_table); then
	ok
else
	bad "one tenant changed: the ruleset is not nft -f's"
fi
in_b "$apply" "$src/templates" 2>/dev/null

# 4. a policy replaces whatever our tables held before (here the selftest's
# fwd_selftest tables): the result is the policy's ruleset alone
in_b nft flush ruleset
in_b "$selftest" apply 2>/dev/null
in_b "$apply" "$src/templates" 2>/dev/null
if listing "$b" | cmp -s - "$tmp/once.nft"; then
	ok
else
	bad "applying over other fwd_ tables did not give the policy's ruleset"
fi

# 5. fewer tenants: the others' tables go, tables that are not ours stay
in_b nft add table inet other
in_b nft add table ip fwd_stale
if in_b "$apply" "$src/templates/windows-stack.yaml" 2>"$tmp/err"; then
	in_b nft list tables | LC_ALL=C sort >"$tmp/tables"
	printf 'table bridge fwd_acme_l2\ntable inet fwd_acme\ntable inet fwd_base\ntable inet other\n' \
		>"$tmp/want"
	if cmp -s "$tmp/tables" "$tmp/want"; then
		ok
	else
		bad "fewer tenants: tables are $(tr '\n' ' ' <"$tmp/tables")"
	fi
	in_b nft delete table inet other
	"$fwctl" compile "$src/templates/windows-stack.yaml" >"$tmp/ws.nft" 2>/dev/null
	in_a nft flush ruleset
	in_a nft -f "$tmp/ws.nft"
	if listing "$b" | by_table | cmp -s - <(listing "$a" | by_table); then
		ok
	else
		bad "fewer tenants: the remaining ruleset is not windows-stack's"
	fi
else
	bad "fewer tenants: fwd-apply failed: $(head -3 "$tmp/err")"
fi

# 6. batches the kernel refuses: nothing changes (not even handles), the
# error names the object and, for rules and elements, the policy rule
in_b "$apply" "$src/templates" 2>/dev/null
before="$(fingerprint "$b")"
refused() {
	local mode="$1" want="$2"
	in_b "$selftest" "$mode" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" -ne 1 ]; then
		bad "$mode: exit $rc, expected 1"
	elif ! grep -qF -- "$want" "$tmp/err"; then
		bad "$mode: the error does not say '$want': $(cat "$tmp/err")"
	elif [ "$(fingerprint "$b")" != "$before" ]; then
		bad "$mode: the refused batch changed the ruleset"
	else
		ok
	fi
}
refused bad-jump 'tests/selftest.yaml:91:5: error: nft: the kernel refused rule 2 of chain inet fwd_selftest_bad forward (policy rule "bad-jump", tests/selftest.yaml:91): No such file or directory'
refused bad-hook 'the kernel refused chain inet fwd_selftest_bad nat_fwd: Operation not supported'
refused bad-elem 'tests/selftest.yaml:93:3: error: nft: the kernel refused element 2 of map inet fwd_selftest_bad m (policy rule "bad-elem", tests/selftest.yaml:93)'

# 7. a plan the backend cannot translate: every reason reported, nothing sent
in_b "$selftest" bad-plan 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 1 ] && [ "$(fingerprint "$b")" = "$before" ] &&
	grep -qF 'tests/selftest.yaml:94:5: error: nft: rule 2 of chain inet fwd_selftest_bad forward (policy rule "conflict"): conflicting protocols specified: ip vs. ip6' "$tmp/err" &&
	grep -qF 'no set or map "missing" in the table' "$tmp/err" &&
	grep -qF 'set inet fwd_selftest_bad single: intervals in a set of one field' "$tmp/err"; then
	ok
else
	bad "bad-plan: exit $rc, output: $(cat "$tmp/err")"
fi

# 8. a policy with errors: reported as file:line:col, nothing sent
cd "$src/tests/malformed" || exit 1
in_b "$apply" bad-cidr.yaml 2>"$tmp/err" >/dev/null
rc=$?
if [ "$rc" -eq 1 ] && cmp -s "$tmp/err" bad-cidr.expected && [ "$(fingerprint "$b")" = "$before" ]; then
	ok
else
	bad "policy errors: exit $rc, output: $(cat "$tmp/err")"
fi

# 9. another program commits between the generation read and our commit:
# the kernel refuses the batch (ERESTART), the apply reads again and retries
in_b nft flush ruleset
out="$(FWD_SELFTEST_RACE=1 in_b "$selftest" apply --stats 2>"$tmp/err")"
in_b nft list tables >"$tmp/tables"
printf 'table inet race_1\ntable inet fwd_selftest\ntable bridge fwd_selftest_l2\n' >"$tmp/want"
if [ "$out" = "tables: 2 replaced, 0 unchanged, 0 deleted; attempts 2" ] && [ ! -s "$tmp/err" ] &&
	cmp -s "$tmp/tables" "$tmp/want"; then
	ok
else
	bad "race: $out $(head -3 "$tmp/err"); tables: $(tr '\n' ' ' <"$tmp/tables")"
fi
in_b nft delete table inet race_1
in_a nft flush ruleset
in_a nft -f "$tmp/kinds.nft"
if listing "$b" | cmp -s - <(listing "$a"); then
	ok
else
	bad "race: the ruleset after the retry is not the plan's"
fi
# ... and a ruleset that never stops changing: refused, nothing of ours changed
before="$(in_b nft -a list table inet fwd_selftest | sha256sum)"
out="$(FWD_SELFTEST_RACE=99 in_b "$selftest" bad-jump 2>"$tmp/err")"
rc=$?
if [ "$rc" -eq 1 ] && [ "$(in_b nft -a list table inet fwd_selftest | sha256sum)" = "$before" ] &&
	grep -qF 'error: nft: the ruleset changed 5 times while fwd was applying (another program keeps changing it): nothing was changed' "$tmp/err"; then
	ok
else
	bad "endless race: exit $rc, $(head -3 "$tmp/err")"
fi

# 10. an element delta decided by digests (one element changed in a hash set,
# an interval set and a verdict map): the other table is not touched, the
# verification reads the touched elements back one by one and is content;
# asked about a change that was not committed, it names every difference
in_b nft flush ruleset
out="$(in_b "$selftest" delta 2>"$tmp/err")"
rc=$?
cat >"$tmp/want" <<'EOF'
whole: applied, 2 replaced
delta: applied, 0 replaced, 1 unchanged, 1 by elements +3 -3, read back no
backwards, not committed: verification done
backwards: fwd: warning: nft: read back after the commit, the kernel differs from the plan: fwd_selftest: set s4 lacks 1 of the 1 element just added; fwd_selftest: set s4 still holds 1 of the 1 element just deleted; fwd_selftest: set c4 lacks 1 of the 1 element just added; fwd_selftest: set c4 still holds 1 of the 1 element just deleted; fwd_selftest: set m1 lacks 1 of the 1 element just added; fwd_selftest: set m1 still holds 1 of the 1 element just deleted
EOF
if [ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ] && printf '%s\n' "$out" | cmp -s - "$tmp/want"; then
	ok
else
	bad "delta: exit $rc, $(head -3 "$tmp/err")"
	printf '%s\n' "$out" | diff -u "$tmp/want" - >&2
fi

echo "nft_apply: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
