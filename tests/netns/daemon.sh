#!/bin/bash
# The real daemon in a throw-away network namespace: fwctl apply loads the
# policy into the kernel exactly as `nft -f` of `fwctl compile` would; a
# refused policy changes nothing; commit-confirm rolls back in the kernel; the
# ruleset stays when fwd is killed (fail closed) and a restart loads the
# same generation again.
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
FWLAB_PREFIX="fwdtest-daemon-$$" FWLAB_BUILD="$build"
# shellcheck source=tests/support/fwlab.sh
. "$src/tests/support/fwlab.sh"
fwlab_test_begin daemon
fwlab_up bare || die "cannot make the namespace"
ns="$(fwlab_ns fw)"

start() { fwlab_fwd_start "$state" "$sock" "$log" || bad "fwd did not start: $(cat "$log")"; }
c() { "$build/fwctl" --socket "$sock" "$@"; }
kernel() { ip netns exec "$ns" nft list ruleset; }
# tables in name order: fwd replaces only the tables that changed, and a
# replaced table moves to the end of the kernel's list
by_table() {
	awk '/^table / { if (n++) printf "\n" } { printf "%s\001", $0 } END { printf "\n" }' |
		LC_ALL=C sort | tr '\001' '\n'
}
# What `nft -f` of the compiled text gives, listed by the same nft.
expected() {
	ip netns exec "$ref" nft flush ruleset
	"$build/fwctl" compile "$@" | ip netns exec "$ref" nft -f -
	ip netns exec "$ref" nft list ruleset
}

start
[ -z "$(kernel)" ] && ok || bad "a fresh daemon loaded something"

# An unprivileged user cannot even connect: the socket is root:fwd 0660.
chmod 755 "$tmp"
setpriv --reuid=65534 --regid=65534 --clear-groups "$build/fwctl" --socket "$sock" status 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "Permission denied" "$tmp/err" && ok || bad "nobody reached the socket: $(cat "$tmp/err")"
chmod 700 "$tmp"
c apply "$src/templates/windows-stack.yaml" >/dev/null && ok || bad "apply failed: $(tail -3 "$tmp/fwd.log")"
diff <(expected "$src/templates/windows-stack.yaml") <(kernel) >"$tmp/diff" && ok || bad "kernel differs from nft -f: $(head -20 "$tmp/diff")"

# A broken policy: refused, the kernel keeps the old ruleset byte for byte.
before="$(kernel | sha256sum)" before_tables="$(kernel | by_table | sha256sum)"
c apply "$src/tests/malformed/overlapping-subnets.yaml" 2>/dev/null
[ $? -eq 1 ] && ok || bad "a broken policy was not refused"
[ "$(kernel | sha256sum)" = "$before" ] && ok || bad "a refused apply changed the kernel"

# Commit-confirm in the kernel: all four tenants for 2 s, then back.
c apply --confirm 2 "$src/templates/" >/dev/null && ok || bad "apply --confirm"
[[ "$(kernel)" == *"table inet fwd_shop"* ]] && ok || bad "the pending generation is not in the kernel"
sleep 3.5
[ "$(kernel | by_table | sha256sum)" = "$before_tables" ] && ok || bad "the unconfirmed change was not rolled back in the kernel"
c status | grep -qx "live generation: 1" && ok || bad "status after the rollback: $(c status)"

# Fail closed: kill -9 leaves the ruleset; a restart loads generation 1 again.
c apply "$src/templates/" >/dev/null && ok || bad "apply of the appliance"
after="$(kernel | sha256sum)"
fwlab_fwd_kill 9
[ "$(kernel | sha256sum)" = "$after" ] && ok || bad "the ruleset changed when fwd was killed"
ip netns exec "$ns" nft flush ruleset # as after a reboot
start
diff <(expected "$src/templates/") <(kernel) >"$tmp/diff" && ok || bad "restart did not load the live generation: $(head "$tmp/diff")"
c history | wc -l | grep -qx 3 && ok || bad "history: $(c history)"

fwlab_test_end
