#!/bin/bash
# fwctl against the daemon's real control path (socket, protocol, handlers,
# engine, state directory), with a test backend that writes the ruleset to
# a file: apply, status, confirm window, timeout rollback, history, show.
set -uo pipefail
# shellcheck source=tests/support/clitest.sh
. "$2/tests/support/clitest.sh" daemon "$@"

cli_testd_start
c status >"$tmp/out" && grep -qx "live generation: 0" "$tmp/out" && ok || bad "status before any apply: $(cat "$tmp/out")"

# A policy with an error is refused with its locations; nothing is loaded.
c apply "$src/tests/malformed/dangling-from.yaml" 2>"$tmp/err"
[ $? -eq 1 ] && ok || bad "apply of a broken policy must exit 1"
grep -q "dangling-from.yaml:27:11: error: from: no host, group or zone named 'ap'" "$tmp/err" && ok || bad "refusal text: $(cat "$tmp/err")"
[ ! -e "$tmp/kernel.nft" ] && ok || bad "a refused policy reached the kernel"

# A good one goes live exactly as fwctl compile renders it.
c apply "$src/templates/windows-stack.yaml" >"$tmp/out" && grep -qx "applied generation 1" "$tmp/out" && ok || bad "apply: $(cat "$tmp/out")"
diff -q <("$fwctl" compile "$src/templates/windows-stack.yaml") "$tmp/kernel.nft" >/dev/null && ok || bad "the loaded ruleset differs from fwctl compile"
c show acme >"$tmp/out" && grep -q "^table inet fwd_acme {" "$tmp/out" && ok || bad "show acme"
# ... and the tenant's bridge after its tables, exactly as planned
sed -n '/^bridge br-acme /,+4p' "$tmp/out" >"$tmp/l2"
printf 'bridge br-acme vlan_filtering 1\n\tport eth1 trunk vlans 110,120,130\n\tvlan 110 dmz gateway vlan110 10.10.110.1/24 proxy-arp\n\tvlan 120 servers gateway vlan120 10.10.120.1/24 proxy-arp\n\tvlan 130 office gateway vlan130 10.10.130.1/24\n' |
	diff - "$tmp/l2" >/dev/null && ok || bad "show acme: the bridge: $(cat "$tmp/l2")"

# Commit-confirm: not confirmed within 2 s, generation 1 comes back.
c apply --confirm 2 "$src/templates/" >"$tmp/out" && grep -q "confirm within 2 seconds" "$tmp/out" && ok || bad "apply --confirm: $(cat "$tmp/out")"
grep -q "fwd_shop" "$tmp/kernel.nft" && ok || bad "the pending generation is not loaded"
c status | grep -q "^pending: generation 2, rolled back to 1" && ok || bad "status while pending"
c apply "$src/templates/windows-stack.yaml" 2>"$tmp/err"
grep -q "a change waits for confirm" "$tmp/err" && ok || bad "second apply while pending: $(cat "$tmp/err")"
sleep 3
c status | grep -qx "live generation: 1" && ok || bad "not rolled back after the window: $(c status)"
! grep -q "fwd_shop" "$tmp/kernel.nft" && ok || bad "the kernel still holds the unconfirmed generation"

# Confirmed in time it stays; rollback goes to the parent.
c apply --confirm 30 "$src/templates/" >/dev/null && c confirm | grep -qx "generation 3 confirmed" && ok || bad "confirm"
c rollback | grep -qx "generation 1 is live" && ok || bad "rollback to the parent"
c --json history >"$tmp/j"
python3 - "$tmp/j" <<'PY' && ok || bad "history --json"
import json, sys
g = json.load(open(sys.argv[1]))["result"]["generations"]
assert [x["generation"] for x in g] == [1, 2, 3], g
assert g[2]["parent"] == 1 and g[2]["source"] == "fwctl", g[2]
PY
# The audit log names every change and the refusal.
for ev in refused apply apply-pending confirm-timeout rollback confirm; do
	grep -q "\"event\":\"$ev\"" "$tmp/state/audit.log" && ok || bad "audit log lacks $ev"
done

# The state survives a restart: boot loads the live generation.
cli_testd_stop; rm -f "$tmp/kernel.nft"
cli_testd_start
c status | grep -qx "live generation: 1" && ok || bad "status after restart"
diff -q <("$fwctl" compile "$src/templates/windows-stack.yaml") "$tmp/kernel.nft" >/dev/null && ok || bad "boot did not load generation 1"

cli_end
