#!/bin/bash
# The lockout guard through fwctl and the daemon's control path (fwd-testd: a
# backend that writes the ruleset to a file, so no root is needed): where the
# engineer is comes from $SSH_CONNECTION or --from-address; a change that cuts
# his management access is refused with the exact message and nothing is
# loaded; --force and --confirm go through; bad addresses are usage errors.
set -uo pipefail
# shellcheck source=tests/support/clitest.sh
. "$2/tests/support/clitest.sh" guard "$@"
unset SSH_CONNECTION

cli_testd_start

mkdir "$tmp/nomgmt"
# Without its management section (and its `expect:` entries, which promise it).
sed -e '/^# Who may reach the firewall itself/,/^# WireGuard/{/^# WireGuard/!d}' -e '/^expect:$/,$d' \
	"$src/templates/windows-stack.yaml" >"$tmp/nomgmt/windows-stack.yaml"
grep -q '^management:' "$tmp/nomgmt/windows-stack.yaml" && bad "the management section is still there"
c apply "$src/templates/windows-stack.yaml" >/dev/null && ok || bad "apply of the template"
loaded="$(sha256sum <"$tmp/kernel.nft")"

refusal() { # refusal FROM TO: the exact message
	echo "fwctl: apply refused: it would cut management access from $1 to the firewall $2 tcp/22 (use --force to apply anyway, or --confirm S to try it safely) (EPERM)"
}
# From $SSH_CONNECTION (v4-mapped, as sshd on an IPv6 socket reports it).
SSH_CONNECTION="::ffff:198.51.100.7 50022 ::ffff:203.0.113.11 22" \
	run 1 "$(refusal 198.51.100.7 203.0.113.11)" c apply "$tmp/nomgmt"
[ "$(sha256sum <"$tmp/kernel.nft")" = "$loaded" ] && ok || bad "a refused apply was loaded"
# --from-address wins over $SSH_CONNECTION; without TO, the zone's gateway.
SSH_CONNECTION="198.51.100.7 50022 203.0.113.11 22" \
	run 1 "$(refusal 10.10.130.50 10.10.130.1)" c apply --from-address 10.10.130.50 "$tmp/nomgmt"
run 1 "$(refusal 198.51.100.7 203.0.113.11)" c apply --from-address 198.51.100.7,203.0.113.11:22 "$tmp/nomgmt"
# Another port, or an address without management access: nothing to lose.
run 0 "" c apply --from-address 198.51.100.7,203.0.113.11:2222 --confirm 60 "$tmp/nomgmt"
run 0 "" c rollback
run 0 "" c apply --from-address 198.51.100.200 "$src/templates/windows-stack.yaml"
# A rollback that keeps the access is not refused; one that would cut is.
SSH_CONNECTION="198.51.100.7 50022 203.0.113.11 22" run 0 "" c rollback
# From the internet without TO: the tenant's first public address.
run 0 "fwctl: warning: forced: it would cut management access from 198.51.100.7 to the firewall 203.0.113.10 tcp/22" \
	c apply --from-address 198.51.100.7 --force "$tmp/nomgmt"
[ "$(cat "$tmp/out")" = "applied generation 4" ] && ok || bad "forced apply said: $(cat "$tmp/out")"
run 0 "" c apply "$src/templates/windows-stack.yaml"
SSH_CONNECTION="198.51.100.7 50022 203.0.113.11 22" \
	run 1 "fwctl: rollback refused: it would cut management access from 198.51.100.7 to the firewall 203.0.113.11 tcp/22 (use --force to roll back anyway) (EPERM)" \
	c rollback 4
SSH_CONNECTION="198.51.100.7 50022 203.0.113.11 22" \
	run 0 "fwctl: warning: forced: it would cut management access from 198.51.100.7 to the firewall 203.0.113.11 tcp/22" \
	c rollback --force 4
[ "$(cat "$tmp/out")" = "generation 4 is live" ] && ok || bad "forced rollback said: $(cat "$tmp/out")"

# With --json the refusal is the error object.
c apply "$src/templates/windows-stack.yaml" >/dev/null
out="$(c --json apply --from-address 198.51.100.7 "$tmp/nomgmt")"
[[ "$out" == *'"code": "EPERM"'* && "$out" == *'"message": "apply refused: it would cut management access from 198.51.100.7 to the firewall 203.0.113.10 tcp/22 (use --force to apply anyway, or --confirm S to try it safely)"'* ]] &&
	ok || bad "--json refusal: $out"

# Usage errors and an unreadable $SSH_CONNECTION.
usage="fwctl apply: --from-address takes ADDRESS[,TO[:PORT]] (IPv6 with a port: [TO]:PORT), found"
run 2 "$usage 'office'" c apply --from-address office "$tmp/nomgmt"
run 2 "$usage '198.51.100.7,2001:db8::1'" c apply --from-address 198.51.100.7,2001:db8::1 "$tmp/nomgmt"
run 2 "$usage '198.51.100.7,203.0.113.11:0'" c apply --from-address 198.51.100.7,203.0.113.11:0 "$tmp/nomgmt"
run 2 "fwctl rollback: --from-address takes ADDRESS[,TO[:PORT]] (IPv6 with a port: [TO]:PORT), found '1.2.3'" \
	c rollback --from-address 1.2.3
SSH_CONNECTION="somewhere" run 0 "fwctl apply: warning: cannot read \$SSH_CONNECTION ('somewhere'); use --from-address to name where you are" \
	c apply "$src/templates/windows-stack.yaml"
c history >"$tmp/out"
[ "$(grep -c . "$tmp/out")" -eq 7 ] && ok || bad "history: $(cat "$tmp/out")"

audit="$(cat "$tmp/state/audit.log")"
[ "$(grep -c '"event":"refused"' <<<"$audit")" -eq 5 ] && ok || bad "refusals audited: $audit"
[[ "$audit" == *'"detail":"forced: it would cut management access from 198.51.100.7 to the firewall 203.0.113.10 tcp/22","event":"apply","generation":4,'* ]] &&
	ok || bad "forced apply audit: $audit"

cli_end
