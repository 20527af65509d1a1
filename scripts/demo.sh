#!/bin/bash
# The built-in demo: set up, build, check and compile the Windows-stack
# tenant, ask the policy a few questions, then start a throw-away lab of
# network namespaces with the compiled ruleset loaded, print the real
# reachability matrix, and leave the lab running to explore.
#   ./scripts/demo.sh          run the demo
#   ./scripts/demo.sh --down   remove the lab (every fwdemo-* namespace)
# Nothing here touches the host's own firewall or links.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [ "${1:-}" = "--down" ]; then
	exec "$root/scripts/lab.sh" down
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (it installs packages and creates network namespaces)" >&2
	exit 1
fi

"$root/scripts/setup.sh"
"$root/scripts/build.sh" "$root/build" >/dev/null
fwctl="$root/build/fwctl"
policy=templates/windows-stack.yaml

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "fwctl check templates/   (four tenants, checked together as one appliance)"
"$fwctl" check templates/

step "fwctl check on a broken policy: every error with file:line:column"
"$fwctl" check tests/malformed/many-errors.yaml || true

step "fwctl compile $policy   (first lines of the nftables ruleset)"
ruleset="$(mktemp)"
trap 'rm -f "$ruleset"' EXIT
"$fwctl" compile "$policy" >"$ruleset"
sed -n '/^table inet fwd_acme/,/^	chain forward/p' "$ruleset" | sed -n 1,40p
echo "   ... $(wc -l <"$ruleset") lines in all"

step "fwctl explain: what the compiled ruleset does with a flow, and why"
for q in "app sql mssql" "web sql mssql" "mail dc smb" "internet 203.0.113.10 https" \
	"internet dc rdp" "admin-pc dc rdp"; do
	# shellcheck disable=SC2086
	"$fwctl" explain "$policy" $q || true
done

step "the lab: namespaces with real hosts; the firewall namespace runs fwd, which loads the policy"
"$root/scripts/lab.sh" up
"$root/scripts/lab.sh" matrix

cat <<'TXT'

The lab is left running. Explore it, for example:
  build/fwctl --socket /tmp/fwdemo-lab/fwd.sock status    # the daemon in the lab
  build/fwctl --socket /tmp/fwdemo-lab/fwd.sock apply --confirm 30 templates/windows-stack.yaml
  ip netns exec fwdemo-fw nft list ruleset          # what is loaded
  ./scripts/lab.sh probe app sql tcp/1433            # open
  ./scripts/lab.sh probe mail dc tcp/445             # closed
  ip netns exec fwdemo-app bash                      # a shell on the app server
Remove it with:  ./scripts/demo.sh --down
TXT
