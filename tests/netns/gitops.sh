#!/bin/bash
# GitOps end to end: fwd in a firewall namespace follows a bare repository
# that a work clone pushes to (the post-receive hook fwd installs runs
# `fwctl sync --commit SHA`), commits signed with ssh keys by git itself.
#
#   - a signed good commit is applied and traffic follows it (web -> app
#     tcp/8080 open, then closed and tcp/8081 open); status, history, audit;
#   - a syntax error, an unsigned commit, a commit signed by an untrusted key,
#     a force-push downgrade, a failing `expect:` assertion are each refused
#     with their reason, and the kernel's ruleset does not change;
#   - bad repositories (a symbolic link, binary junk, text that is not UTF-8,
#     a 5 MiB file, no policy file, a submodule) are refused, naming the file;
#   - a commit that cuts the management path (--git-mgmt-from) and one whose
#     probe fails (--git-probe) are rolled back within the window, also when
#     fwd is killed during the window and started again;
#   - ten fast pushes end with the last one live, every one recorded in
#     STATE/gitops/status.json;
#   - --git-url: a mirror fetched by `fwctl sync` and by the poll; a fetch
#     over --git-fetch-max-mib is cut off, one from a silent remote stopped
#     at --git-fetch-timeout while fwd goes on answering.
#
# Usage (ctest): bash tests/netns/gitops.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: gitops: needs root for network namespaces"
	exit 77
fi
for t in git ssh-keygen python3; do
	command -v "$t" >/dev/null || { echo "FAIL: gitops: $t is not installed (scripts/setup.sh installs it)"; exit 1; }
done
FWLAB_PREFIX="fwgit$$" FWLAB_BUILD="$build"
# shellcheck source=tests/support/fwlab.sh
. "$src/tests/support/fwlab.sh"
fwlab_test_begin gitops
fwlab_up traffic || die "cannot build the lab"
# shellcheck source=tests/support/gitopslib.sh
. "$src/tests/support/gitopslib.sh"

# fwd with the receive repository and the trusted signers, plus "$@".
start() { gitops_start --git-trusted-signers "$tmp/signers" "$@"; }

# --- keys, the work clone, the policy ---------------------------------------
for k in alice mallory; do ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$tmp/$k" || die "ssh-keygen"; done
echo "alice@example.com $(cut -d' ' -f1,2 "$tmp/alice.pub")" >"$tmp/signers"
mallory_fp="$(ssh-keygen -lf "$tmp/mallory.pub" | cut -d' ' -f2)"
start
git clone -q "$tmp/repo.git" "$tmp/work" 2>/dev/null || die "git clone"
w() { git -C "$tmp/work" "$@"; }
w config user.name Alice && w config user.email alice@example.com
w config gpg.format ssh && w config user.signingkey "$tmp/alice.pub"
for port in 8080 8081 8082 8083 8084 8085; do fwlab_listen app "$port"; done

# --- a good commit: applied, traffic follows ----------------------------------
policy 8080 >"$tmp/work/acme.yaml"
echo "# the acme firewall" >"$tmp/work/README.md"
a="$(commit "web reaches the ERP")"
push
[ "$(field "$a" state)" = applied ] && ok || bad "first commit: $(field "$a" state) $(field "$a" reason)"
[ "$(fwlab_probe web app 8080)" = open ] && ok || bad "web -> app 8080 not open after the first commit"
[ "$(fwlab_probe web app 8081)" = closed ] && ok || bad "web -> app 8081 open under the first commit"
c status >"$tmp/out" 2>&1
grep -qx "git: live commit $a" "$tmp/out" && ok || bad "status: $(cat "$tmp/out")"
grep -qx "git: last commit ${a:0:12} applied: generation 1 (signed by alice@example.com)" "$tmp/out" &&
	ok || bad "status: $(cat "$tmp/out")"
c history >"$tmp/out"
grep -q " alice@example.com git:$a parent 0  web reaches the ERP$" "$tmp/out" && ok || bad "history: $(cat "$tmp/out")"
grep -q "\"event\":\"git-applied\",\"generation\":1,\"source\":\"git:$a\"" "$state/audit.log" &&
	ok || bad "audit: $(tail -3 "$state/audit.log")"
grep -q "^table inet fwd_acme" <(fwlab_in fw nft list tables) && ok || bad "no fwd_acme table"

policy 8081 >"$tmp/work/acme.yaml"
b="$(commit "the ERP moved to 8081")"
push
[ "$(field "$b" state)/$(field "$b" generation)" = applied/2 ] && ok || bad "second commit: $(field "$b" state) $(field "$b" reason)"
[ "$(fwlab_probe web app 8080)" = closed ] && ok || bad "web -> app 8080 still open"
[ "$(fwlab_probe web app 8081)" = open ] && ok || bad "web -> app 8081 not open"
kernel="$(fwlab_ruleset_hash)"

# --- refusals: nothing changes in the kernel ----------------------------------
printf '  - id: broken\n    from: [web\n' >>"$tmp/work/acme.yaml"
s="$(commit "a syntax error")"
push
expect_refused "$s" "policy errors: acme.yaml:34:1: invalid YAML: did not find expected ',' or ']'"
c status >"$tmp/out"
grep -qx "git: drift: HEAD ${s:0:12} not applied: refused (policy errors: acme.yaml:34:1: invalid YAML: did not find expected ',' or ']')" "$tmp/out" &&
	ok || bad "no drift in status: $(cat "$tmp/out")"

w reset -q --hard "$b"
echo "# unsigned" >>"$tmp/work/acme.yaml"
u="$(commit "unsigned" --no-gpg-sign)"
push
expect_refused "$u" "unsigned commit: only commits signed by a trusted key are applied (--git-trusted-signers)"

w reset -q --hard "$b"
echo "# mallory" >>"$tmp/work/acme.yaml"
m="$(w -c user.signingkey="$tmp/mallory.pub" commit -q -a -S -m "signed by mallory" && w rev-parse HEAD)"
push
expect_refused "$m" "signed by an untrusted key: no trusted signer has the key ssh-ed25519 $mallory_fp"

# a force-push back to the first commit
w reset -q --hard "$a"
push
c sync >"$tmp/out" 2>&1
[ $? -eq 1 ] && ok || bad "fwctl sync of a downgrade did not fail: $(cat "$tmp/out")"
expect_refused "$a" "not a descendant of the live commit ${b:0:12} (a force-push or a rewind; --git-allow-rewind allows it)"
grep -qx "commit ${a:0:12} refused: not a descendant of the live commit ${b:0:12} (a force-push or a rewind; --git-allow-rewind allows it) (signed by alice@example.com)" "$tmp/out" &&
	ok || bad "fwctl sync: $(cat "$tmp/out")"

# an `expect:` assertion of the policy that does not hold
w reset -q --hard "$b"
policy 8081 "expect:
  - web → app tcp/8081: deny" >"$tmp/work/acme.yaml"
x="$(commit "an assertion that fails")"
push
expect_refused "$x" "policy errors: acme.yaml:33:5: expectation failed: web → app tcp/8081: expected deny, but 10.10.110.10 → 10.10.120.20 tcp/8081 is allowed by 'web-to-erp' at 24:5 (dmz → servers)"

# --- bad repositories ----------------------------------------------------------
bad_repo() { # bad_repo REASON: what the caller staged, on top of b
	local sha
	sha="$(w commit -q -S -m "bad repository" && w rev-parse HEAD)"
	push
	expect_refused "$sha" "$1"
	w reset -q --hard "$b"
}
ln -s /etc/shadow "$tmp/work/evil.yaml" && w add evil.yaml
bad_repo "evil.yaml: a symbolic link (policy files must be regular files)"
printf 'tenant:\0\1\2' >"$tmp/work/junk.yaml" && w add junk.yaml
bad_repo "junk.yaml: binary data (a NUL byte at offset 7), not a policy file"
printf 'name: caf\xe9\n' >"$tmp/work/latin1.yaml" && w add latin1.yaml
bad_repo "latin1.yaml: not UTF-8 text (an invalid byte at offset 9)"
head -c 5242880 /dev/zero | tr '\0' '#' >"$tmp/work/huge.yaml" && w add huge.yaml
bad_repo "huge.yaml: 5242880 bytes: larger than the limit of 4 MiB"
w rm -q acme.yaml
bad_repo "no policy files (*.yaml, *.yml) in the top directory of the commit"
w update-index --add --cacheinfo "160000,$a,vendor.yaml"
bad_repo "vendor.yaml: a submodule (policy files must be regular files)"
[ "$(fwlab_probe web app 8081)" = open ] && ok || bad "web -> app 8081 closed after the refusals"
push # the branch back at the live commit

# --- health checks: the management path, a probe ------------------------------
start --git-confirm 4 --git-mgmt-from 198.51.100.5 --git-probe tcp:10.10.120.20:1433
[ "$(field "$b" state)" = applied ] && ok || bad "status.json lost over a restart: $(field "$b" state)"
fwlab_listen app 1433
policy 8082 >"$tmp/work/acme.yaml"
d="$(commit "port 8082, probed")"
push
c sync --wait >"$tmp/out" 2>&1
[ $? -eq 0 ] && ok || bad "sync --wait of a good commit: $(cat "$tmp/out")"
grep -qx "commit ${d:0:12} applied: generation 3 (signed by alice@example.com)" "$tmp/out" &&
	ok || bad "sync --wait: $(cat "$tmp/out")"
[ "$(fwlab_probe web app 8082)" = open ] && ok || bad "web -> app 8082 not open"
kernel="$(fwlab_ruleset_hash)"

grep -v -e '^management:' -e 'admin-ssh' -e '198.51.100.0/28' -e 'allow: ssh' \
	"$tmp/work/acme.yaml" >"$tmp/no-mgmt.yaml"
mv "$tmp/no-mgmt.yaml" "$tmp/work/acme.yaml"
n="$(commit "no more ssh to the firewall")"
push
[ "$(field "$n" state)" = rolled-back ] && ok || bad "management cut: $(field "$n" state) $(field "$n" reason)"
[ "$(field "$n" reason)" = "management path: it would cut management access from 198.51.100.5 to the firewall 203.0.113.10 tcp/22" ] &&
	ok || bad "management cut: $(field "$n" reason)"
[ "$(fwlab_ruleset_hash)" = "$kernel" ] && ok || bad "the management cut was not rolled back in the kernel"
c status >"$tmp/out"
grep -qx "git: live commit $d" "$tmp/out" && ok || bad "status after the rollback: $(cat "$tmp/out")"

w reset -q --hard "$d"
kill "${FWLAB_BG[-1]}" # the listener on 1433
policy 8083 >"$tmp/work/acme.yaml"
p="$(commit "port 8083, while the SQL server is down")"
t0="$(date +%s%N)"
push
[ "$(field "$p" state)" = pending ] && ok || bad "probed commit: $(field "$p" state)"
[ "$(fwlab_probe web app 8083)" = open ] && ok || bad "the pending commit is not in the kernel"
c sync --wait >"$tmp/out" 2>&1
[ $? -eq 1 ] && ok || bad "sync --wait of a failing probe: $(cat "$tmp/out")"
grep -qx "commit ${p:0:12} rolled back: probe tcp:10.10.120.20:1433 failed: Connection refused (signed by alice@example.com)" "$tmp/out" &&
	ok || bad "probe: $(cat "$tmp/out")"
took=$((($(date +%s%N) - t0) / 1000000))
# not before the window closes; the bound above it is for loaded machines
[ "$took" -ge 3500 ] && [ "$took" -lt 15000 ] && ok || bad "rolled back after $took ms (window 4 s)"
[ "$(fwlab_ruleset_hash)" = "$kernel" ] && ok || bad "the failed probe was not rolled back in the kernel"
[ "$(fwlab_probe web app 8083)" = closed ] && ok || bad "web -> app 8083 open after the rollback"
grep -q "\"event\":\"git-rolled-back\",\"generation\":5,\"source\":\"git:$p\"" "$state/audit.log" &&
	ok || bad "audit of the rollback: $(grep "$p" "$state/audit.log")"

# fwd killed during the health checks: after the restart they run again
w reset -q --hard "$d"
policy 8084 >"$tmp/work/acme.yaml"
q="$(commit "port 8084, fwd killed while it is checked")"
push
[ "$(field "$q" state)" = pending ] && ok || bad "commit before the kill: $(field "$q" state)"
fwlab_fwd_kill 9
start --git-confirm 4 --git-mgmt-from 198.51.100.5 --git-probe tcp:10.10.120.20:1433
[ "$(fwlab_probe web app 8084)" = open ] && ok || bad "the restart did not boot the checked commit"
c sync --wait >"$tmp/out" 2>&1
grep -qx "commit ${q:0:12} rolled back: probe tcp:10.10.120.20:1433 failed: Connection refused (signed by alice@example.com)" "$tmp/out" &&
	ok || bad "checks after a restart: $(cat "$tmp/out")"
[ "$(fwlab_ruleset_hash)" = "$kernel" ] && ok || bad "not rolled back in the kernel after the restart"
grep -q "health checks start again (fwd restarted)" "$log" && ok || bad "log: $(tail -3 "$log")"

# --- ten fast pushes ------------------------------------------------------------
# The SQL server is down while they arrive: the first waits for its probe,
# the others queue behind it and each newer one supersedes the one before.
# Once the server is back the first is confirmed and the last one applied.
start --git-confirm 60 --git-probe tcp:10.10.120.20:1433
w reset -q --hard "$d"
series=()
for i in $(seq 1 10); do
	echo "# push $i" >>"$tmp/work/acme.yaml"
	series+=("$(commit "push $i")")
	push
done
[ "$(field "${series[0]}" state)/$(field "${series[9]}" state)" = pending/queued ] && ok ||
	bad "while the probe fails: $(field "${series[0]}" state)/$(field "${series[9]}" state)"
[ "$(field "${series[9]}" reason)" = "waits for the health checks of ${series[0]:0:12}" ] && ok ||
	bad "queued: $(field "${series[9]}" reason)"
fwlab_listen app 1433
c sync --wait >"$tmp/out" 2>&1 || bad "sync after the series: $(cat "$tmp/out")"
[ "$(top live_commit)" = "${series[9]}" ] && ok || bad "the last push is not live: $(top live_commit)"
states=""
for s in "${series[@]}"; do states+="$(field "$s" state) "; done
[ "$states" = "applied $(printf 'superseded %.0s' {1..8})applied " ] && ok || bad "series: $states"
[ "$(field "${series[5]}" reason)" = "superseded by ${series[6]:0:12} before it was applied" ] &&
	ok || bad "superseded: $(field "${series[5]}" reason)"
[ "$(top drift)" = "" ] && ok || bad "drift after the series: $(top drift)"

# --- follow mode: a mirror, fwctl sync and the poll ---------------------------
git init -q --bare "$tmp/origin.git"
w remote add follow "$tmp/origin.git"
w push -q follow HEAD:main
stop
rm -f "$sock"
ip netns exec "$(fwlab_ns fw)" "$build/fwd" --state-dir "$state" --socket "$sock" --group root \
	--l2 off --git-url "$tmp/origin.git" --git-interval 1 --git-trusted-signers "$tmp/signers" 2>>"$log" &
FWLAB_PID=$!
for ((i = 0; i < 500; i++)); do [ -S "$sock" ] && break; sleep 0.01; done
policy 8084 >"$tmp/work/acme.yaml"
f1="$(commit "followed: fwctl sync")"
w push -q follow HEAD:main
c sync >"$tmp/out" 2>&1
grep -q "^commit ${f1:0:12} applied: generation [0-9]* (signed by alice@example.com)$" "$tmp/out" &&
	ok || bad "sync in follow mode: $(cat "$tmp/out") $(tail -3 "$log")"
[ "$(fwlab_probe web app 8084)" = open ] && ok || bad "web -> app 8084 not open"
policy 8085 >"$tmp/work/acme.yaml"
f2="$(commit "followed: the poll")"
w push -q follow HEAD:main
for ((i = 0; i < 40; i++)); do
	[ "$(top live_commit)" = "$f2" ] && break
	sleep 0.1
done
[ "$(top live_commit)" = "$f2" ] && ok || bad "the poll did not apply ${f2:0:12}: $(field "$f2" state) $(top fetch_error)"
[ "$(top mode)" = follow ] && ok || bad "mode: $(top mode)"
stop

# --- a fetch runs beside fwd's loop, within limits ------------------------------
# A remote that sends more than --git-fetch-max-mib is cut off, and nothing
# of it is applied.
fwd_follow() { # URL [options]
	local url=$1 i
	shift
	rm -f "$sock"
	ip netns exec "$(fwlab_ns fw)" "$build/fwd" --state-dir "$state" --socket "$sock" --group root \
		--l2 off --git-url "$url" --git-interval 0 --git-trusted-signers "$tmp/signers" "$@" 2>>"$log" &
	FWLAB_PID=$!
	for ((i = 0; i < 500; i++)); do [ -S "$sock" ] && break; sleep 0.01; done
}
fwd_follow "$tmp/origin.git" --git-fetch-max-mib 1
mkdir -p "$tmp/work/blobs"
head -c 3000000 /dev/urandom >"$tmp/work/blobs/junk.bin"
big="$(commit "three megabytes of junk beside the policy")"
w push -q follow HEAD:main
c sync >"$tmp/out" 2>&1
[ "$(cat "$tmp/out")" = "fwctl: fetch $tmp/origin.git main: more than 1 MiB received: stopped (--git-fetch-max-mib) (E2BIG)" ] &&
	ok || bad "a fetch over the limit: $(cat "$tmp/out")"
[ "$(top live_commit)" = "$f2" ] && ok || bad "live after a fetch over the limit: $(top live_commit), expected ${f2:0:12}"
[ "$(top fetch_error)" = "fetch $tmp/origin.git main: more than 1 MiB received: stopped (--git-fetch-max-mib)" ] &&
	ok || bad "fetch_error: $(top fetch_error)"
[ "$(field "$big" state)" = "(no record)" ] && ok || bad "the big commit has a record: $(field "$big" state)"
stop
# the same commit within the default limit (256 MiB) is fetched and applied
fwd_follow "$tmp/origin.git"
c sync >"$tmp/out" 2>&1
grep -q "^commit ${big:0:12} applied: generation [0-9]* (signed by alice@example.com)$" "$tmp/out" &&
	ok || bad "within the limit: $(cat "$tmp/out")"
stop

# A remote that accepts and never answers: fwd answers its control socket
# meanwhile, and stops the fetch at --git-fetch-timeout.
ip -n "$(fwlab_ns fw)" link set lo up
ip netns exec "$(fwlab_ns fw)" python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9418))
s.listen(8)
open(sys.argv[1], "w").close()
held = []
while True:
    held.append(s.accept()[0])
' "$tmp/listening" &
silent=$!
for ((i = 0; i < 500; i++)); do [ -e "$tmp/listening" ] && break; sleep 0.01; done
fwd_follow git://127.0.0.1:9418/policy.git --git-fetch-timeout 3
c sync >"$tmp/sync.out" 2>&1 &
syncing=$!
sleep 1
c --json status >"$tmp/status.json" 2>&1
st=$?
kill -0 "$syncing" 2>/dev/null && ok || bad "the sync ended within 1 s: $(cat "$tmp/sync.out")"
[ "$st" -eq 0 ] && grep -q '"fetching": *true' "$tmp/status.json" && ok ||
	bad "fwctl status while a fetch hangs: rc $st, $(head -c 300 "$tmp/status.json")"
wait "$syncing"
[ "$(cat "$tmp/sync.out")" = "fwctl: fetch git://127.0.0.1:9418/policy.git: no answer within 3 s: stopped (--git-fetch-timeout) (ETIMEDOUT)" ] &&
	ok || bad "a silent remote: $(cat "$tmp/sync.out")"
[ "$(top live_commit)" = "$big" ] && ok || bad "live after a silent remote: $(top live_commit)"
kill "$silent" 2>/dev/null
wait "$silent" 2>/dev/null
stop

echo "gitops: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
