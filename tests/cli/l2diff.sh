#!/bin/bash
# fwctl diff --against OLD NEW with a change to the tenant's bridge (a zone
# and an access port added): the bridge's ports and VLANs are diffed like a
# table, exactly as the reviewed golden file. Regenerate with FWD_REGEN=1
# (review the diff).
set -uo pipefail
# shellcheck source=tests/support/clitest.sh
. "$2/tests/support/clitest.sh" l2diff "$@"
dir="$src/tests/golden/l2diff"
cd "$dir"

"$fwctl" diff --against old.yaml new.yaml >"$tmp/out" 2>"$tmp/err"
rc=$?
[ -n "${FWD_REGEN:-}" ] && cp "$tmp/out" "$dir/expected.txt"
[ "$rc" -eq 1 ] && ok || bad "a difference exits $rc, not 1: $(cat "$tmp/err")"
diff -u "$dir/expected.txt" "$tmp/out" && ok || bad "output differs from tests/golden/l2diff/expected.txt"
[ ! -s "$tmp/err" ] && ok || bad "stderr: $(cat "$tmp/err")"

# The other way round: the VLAN and the port go away.
"$fwctl" diff --against new.yaml old.yaml >"$tmp/back" 2>&1
sed -n '/^--- br-edge (old)$/,$p' "$tmp/back" >"$tmp/back.l2"
printf '%s\n' '--- br-edge (old)' '+++ br-edge (new)' '@@ -1,7 +1,5 @@' \
	' bridge br-edge vlan_filtering 1' '-	port eth1 trunk vlans 610,620,630' \
	'-	port tap-mail access vlan 610 isolated' '+	port eth1 trunk vlans 610,620' \
	' 	port tap-web access vlan 610 isolated' ' 	vlan 610 dmz gateway vlan610 10.60.10.1/24 proxy-arp' \
	' 	vlan 620 lan gateway vlan620 10.60.20.1/24' '-	vlan 630 guest gateway vlan630 10.60.30.1/24' |
	diff -u - "$tmp/back.l2" && ok || bad "the bridge's part of the reverse diff"

# --json: the same text in ruleset_diff, the tenant named.
"$fwctl" --json diff --against old.yaml new.yaml >"$tmp/json"
python3 - "$tmp/json" "$tmp/out" <<'PY' && ok || bad "--json"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["tenants_changed"] == ["edge"], r["tenants_changed"]
assert "--- br-edge (old)\n+++ br-edge (new)\n" in r["ruleset_diff"]
assert r["ruleset_diff"] in open(sys.argv[2]).read()
PY

cli_end
