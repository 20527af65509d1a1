#!/bin/bash
# `fwctl logs` with real packets: the lab of scripts/lab.sh runs the real fwd
# with templates/windows-stack.yaml (tenant acme, log_denied: true, rule
# it-rdp with log: true). Dropped and logged packets reach fwd over NFLOG and
# come back named by tenant, zone, host and rule:
#  - a denied connection (mail -> dc tcp/445, forward), a drop in the
#    bridge of an isolated zone (web -> mail) and one addressed to the
#    firewall from the internet;
#  - a logged accept (it-rdp: admin-pc -> dc tcp/3389) with its file:line;
#  - `fwctl logs -f` started first receives a drop that happens after it;
#  - --json records carry the same fields as the text lines;
#  - --tenant, -n, and a second fwd that finds the group taken.
# Namespaces only: the host's links and ruleset are never touched.
# Usage (ctest): bash tests/netns/logs.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tests/support/labtest.sh
. "${2:?usage: logs.sh BUILD_DIR SOURCE_DIR}/tests/support/labtest.sh" logs fwlogs "$@"
follower="" second=""
labtest_on_exit() {
	for p in $follower $second; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

labtest_up

# probe SRC DST SERVICE EXPECTED: real traffic through the lab
probe() {
	local got
	got="$(bash "$lab" probe "$1" "$2" "$3")"
	[ "${got%% *}" = "$4" ] || bad "$1 -> $2 $3 must be $4 (the template says so), got: $got"
}

# logged REGEX [ARGS...]: a line of `fwctl logs ARGS` matches, within 5 s
# (the kernel hands NFLOG messages over in batches, at most 50 ms apart).
logged() {
	local re="$1" i
	shift
	for i in $(seq 50); do
		c logs -n 1024 "$@" >"$tmp/logs.out" 2>"$tmp/logs.err" || true
		if grep -Eq -- "$re" "$tmp/logs.out"; then
			ok
			return 0
		fi
		sleep 0.1
	done
	bad "no line of 'fwctl logs $*' matches: $re"
	echo "--- fwctl logs $*:" >&2
	tail -20 "$tmp/logs.out" "$tmp/logs.err" >&2
	return 1
}

T='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
P='[0-9]{1,5}' # a client's port

# --- a follower first: it sees only what happens after it started ------------
# (fwctl itself in the background, not a function's subshell: the signal
# below must reach it)
"$fwctl" --socket "$sock" logs -f -n 0 >"$tmp/follow.out" 2>"$tmp/follow.err" &
follower=$!

# --- a denied connection, routed: the tenant's forward chain ----------------
probe mail dc tcp/445 closed
logged "^$T acme DROP default deny \(forward\) mail \[dmz\] 10\.10\.110\.20:$P -> dc \[servers\] 10\.10\.120\.10:445 tcp$"

# --- a logged accept: the rule, its file and line ---------------------------
line="$(grep -n -- '- id: it-rdp' "$LAB_TEMPLATE" | cut -d: -f1)"
probe adminpc dc tcp/3389 open
logged "^$T acme ACCEPT it-rdp \(windows-stack\.yaml:$line\) admin-pc \[office\] 10\.10\.130\.50:$P -> dc \[servers\] 10\.10\.120\.10:3389 tcp$"

# --- inside an isolated zone: the bridge table's drop -----------------------
probe web mail tcp/445 closed
logged "^$T acme DROP default deny \(iso\.dmz\) web \[dmz\] 10\.10\.110\.10:$P -> mail \[dmz\] 10\.10\.110\.20:445 tcp$"

# --- to the firewall itself, from the internet: the input side --------------
probe inet fw tcp/22 closed
logged "^$T acme DROP default deny \(in\.internet\) internet 198\.51\.100\.200:$P -> firewall 203\.0\.113\.11:22 tcp$"

# --- the follower: it got these, and then a drop that came after them -------
for _ in $(seq 50); do
	grep -q 'default deny (in.internet)' "$tmp/follow.out" && break
	sleep 0.1
done
if grep -q 'default deny (in.internet)' "$tmp/follow.out"; then
	ok
else
	bad "fwctl logs -f did not follow (stdout: $(head -c 500 "$tmp/follow.out"), stderr: $(cat "$tmp/follow.err"))"
fi
probe app mail tcp/25 closed
re="^$T acme DROP default deny \(forward\) app \[servers\] 10\.10\.120\.20:$P -> mail \[dmz\] 10\.10\.110\.20:25 tcp$"
for _ in $(seq 50); do
	grep -Eq "$re" "$tmp/follow.out" && break
	sleep 0.1
done
if grep -Eq "$re" "$tmp/follow.out"; then ok; else bad "fwctl logs -f missed app -> mail tcp/25"; fi
# It ends cleanly when told to, as on ^C.
kill -INT "$follower"
rc=0
wait "$follower" || rc=$?
follower=""
[ "$rc" = 0 ] && ok || bad "fwctl logs -f exited $rc on SIGINT"
[ ! -s "$tmp/follow.err" ] && ok || bad "fwctl logs -f wrote to stderr: $(cat "$tmp/follow.err")"

# --- --json: the same records, the same fields ------------------------------
c logs --json -n 1024 >"$tmp/all.json"
c logs -n 1024 >"$tmp/all.txt"
if python3 - "$tmp/all.json" "$tmp/all.txt" "$line" <<'EOF'; then ok; else bad "--json and the text lines disagree (see above)"; fi
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
text = open(sys.argv[2]).read().splitlines()
line = int(sys.argv[3])

def end(e):
    s = (e["name"] + " " if "name" in e else "") + ("[%s] " % e["zone"] if "zone" in e else "")
    a = e.get("address", "?")
    if "port" in e:
        a = ("[%s]:%d" if ":" in a else "%s:%d") % (a, e["port"])
    return s + a

def render(r):
    act = {"drop": "DROP", "accept": "ACCEPT"}.get(r["action"], "LOG")
    rule = r["rule_text"] + (" (%s:%d)" % (r["file"], r["line"]) if "file" in r else "")
    proto = r.get("protocol", r["family"]) + (" type %d" % r["icmp_type"] if "icmp_type" in r else "")
    return "%s %s %s %s %s -> %s %s" % (r["time"], r["tenant"] or "-", act, rule,
                                        end(r["src"]), end(r["dst"]), proto)

errors = []
missing = [render(r) for r in recs if render(r) not in text]
if missing:
    errors.append("not in the text output: %r" % missing[:3])
if [r["seq"] for r in recs] != sorted(r["seq"] for r in recs):
    errors.append("records are not oldest first")
deny = [r for r in recs if r["rule"] == "deny:forward" and r["src"].get("name") == "mail"]
rdp = [r for r in recs if r["rule"] == "it-rdp"]
want_deny = {"tenant": "acme", "action": "drop", "rule_text": "default deny (forward)",
             "table": "inet", "family": "ipv4", "protocol": "tcp", "in": "vlan110", "out": "vlan120"}
want_src = {"address": "10.10.110.20", "kind": "host", "name": "mail", "zone": "dmz"}
want_dst = {"address": "10.10.120.10", "kind": "host", "name": "dc", "zone": "servers", "port": 445}
if not deny:
    errors.append("no mail -> dc record")
for r in deny:
    for k, v in want_deny.items():
        if r.get(k) != v:
            errors.append("mail -> dc: %s is %r, not %r" % (k, r.get(k), v))
    if any(r["src"].get(k) != v for k, v in want_src.items()) or not 0 < r["src"]["port"] < 65536:
        errors.append("mail -> dc: src %r" % r["src"])
    if r["dst"] != want_dst:
        errors.append("mail -> dc: dst %r" % r["dst"])
if len(rdp) != 1:
    errors.append("%d it-rdp records (one connection: one record, its first packet)" % len(rdp))
for r in rdp:
    if (r["action"], r["file"], r["line"], r["src"].get("name"), r["dst"].get("port")) != \
            ("accept", "windows-stack.yaml", line, "admin-pc", 3389):
        errors.append("it-rdp: %r" % r)
if not any(r["table"] == "bridge" and r["rule"] == "deny:iso.dmz" for r in recs):
    errors.append("no record from the bridge table")
for e in errors:
    print("logs --json:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
# jq reads them too, one object per line.
if command -v jq >/dev/null; then
	n="$(jq -s 'map(select(.tenant == "acme")) | length' "$tmp/all.json")"
	[ "$n" = "$(wc -l <"$tmp/all.json")" ] && ok || bad "jq: $n acme records of $(wc -l <"$tmp/all.json")"
fi

# --- -n and --tenant ------------------------------------------------------------
c logs -n 1 >"$tmp/one.txt"
[ "$(wc -l <"$tmp/one.txt")" = 1 ] && ok || bad "fwctl logs -n 1 printed $(wc -l <"$tmp/one.txt") lines"
c logs --tenant acme -n 1024 >"$tmp/acme.txt"
[ "$(wc -l <"$tmp/acme.txt")" -ge 4 ] && ok || bad "fwctl logs --tenant acme: $(wc -l <"$tmp/acme.txt") lines"
rc=0
c logs --tenant nope >"$tmp/nope.out" 2>"$tmp/nope.err" || rc=$?
[ "$rc" = 1 ] && ok || bad "fwctl logs --tenant nope exited $rc"
[ "$(cat "$tmp/nope.err")" = "fwctl: no such tenant (ENOENT)" ] && ok ||
	bad "fwctl logs --tenant nope said: $(cat "$tmp/nope.err")"

# --- the group taken: a second fwd in the same namespace goes on without logs
sock2="$tmp/second.sock"
ip netns exec "$LAB_PREFIX-fw" "$build/fwd" --state-dir "$tmp/second" --socket "$sock2" \
	--group root --l2 off 2>"$tmp/second.log" &
second=$!
for _ in $(seq 100); do
	[ -S "$sock2" ] && break
	sleep 0.05
done
"$fwctl" --socket "$sock2" logs >"$tmp/second.out" 2>"$tmp/second.err" && ok ||
	bad "fwctl logs at a fwd without NFLOG failed"
grep -q "fwd: NFLOG group 100: Operation not permitted (another program listens to it, or no CAP_NET_ADMIN)" \
	"$tmp/second.log" && ok || bad "the second fwd did not say the group is taken: $(cat "$tmp/second.log")"
grep -q "fwd is not listening to NFLOG group 100" "$tmp/second.err" && ok ||
	bad "fwctl did not say fwd is not listening: $(cat "$tmp/second.err")"
kill "$second"
wait "$second" 2>/dev/null || true
second=""
# ... and the first one still is: a drop after all this is logged.
probe sql web tcp/80 closed
logged "^$T acme DROP default deny \(forward\) sql \[servers\] 10\.10\.120\.30:$P -> web \[dmz\] 10\.10\.110\.10:80 tcp$"

labtest_end
