#!/bin/bash
# fwctl counters with real packets, in the lab of scripts/lab.sh (network
# namespaces only; the host's links and ruleset are never touched). The real
# fwd runs in the lab's firewall namespace with two tenants: acme (the
# Windows stack the lab is built for) and shop (web-db-dmz, no hosts here).
#
# What an allowlist element counts is every packet looked up in its set:
#  - routed (inet forward): the first packet of each connection, because the
#    established ones are accepted before the lookup. N tcp connections
#    admin-pc -> app:8080 add exactly N (SYNs of 60 bytes) to office-to-erp.
#  - bridged inside an isolated zone: no connection tracking, every packet
#    of both directions (replies by the reversed tuple). N connects app ->
#    sql:1433 with nothing listening there add exactly 2N to app-to-sql: the
#    SYN and sql's RST, and nothing else (a refused connect is not retried).
# Denied udp datagrams add one each to the default drop of the chain that
# dropped them. A change to the other tenant must leave acme's counters as
# they are (that needs a backend that leaves unchanged tenants alone).
# Usage (ctest): bash tests/netns/counters.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=tests/support/labtest.sh
. "${2:?usage: counters.sh BUILD_DIR SOURCE_DIR}/tests/support/labtest.sh" counters fwcount "$@"
acme="$template"

labtest_up
py="$(cat "$state/python")"
in_ns() { # in_ns HOST CMD...
	local h="$1"
	shift
	ip netns exec "$LAB_PREFIX-$h" "$@"
}

# The second tenant, and the same file with one rule changed.
mkdir "$tmp/shop" "$tmp/shop2"
cp "$src/templates/web-db-dmz.yaml" "$tmp/shop/"
sed 's/allow: \[ssh, ping\]/allow: [ssh]/' "$src/templates/web-db-dmz.yaml" >"$tmp/shop2/web-db-dmz.yaml"
if cmp -s "$tmp/shop/web-db-dmz.yaml" "$tmp/shop2/web-db-dmz.yaml"; then
	bad "the change to tenant shop changed nothing (web-db-dmz.yaml has no 'allow: [ssh, ping]')"
fi
c apply "$acme" "$tmp/shop/web-db-dmz.yaml" >/dev/null && ok || bad "apply acme + shop failed"

# snap FILE: acme's counters as JSON; get FILE ROW FIELD (ROW: an id, or
# default.deny:CHAIN)
snap() { c --json counters acme >"$1" || bad "fwctl --json counters acme failed: $(cat "$1")"; }
get() {
	"$py" -S - "$@" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["result"]["counters"]
for r in rows:
    name = r["rule"] + (":" + r["chain"] if "chain" in r else "")
    if name == sys.argv[2]:
        print(r[sys.argv[3]])
        break
else:
    print("missing")
PY
}
expect_delta() { # BEFORE AFTER ROW FIELD DELTA WHAT
	local a b
	a="$(get "$1" "$3" "$4")" b="$(get "$2" "$3" "$4")"
	if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && [ $((b - a)) -eq "$5" ]; then
		ok
	else
		bad "$6: $3 $4 went from $a to $b, expected +$5"
	fi
}

N=5 M=7
snap "$tmp/c0"

# --- routed: one SYN per connection ------------------------------------------
in_ns app "$py" -S -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(16)
s.settimeout(10)  # a client that never comes must not hang the test
print("ready", flush=True)
for _ in range(int(sys.argv[1])):
    c, _ = s.accept(); c.sendall(b"erp\n"); c.close()' "$N" >"$tmp/listener" &
listener=$!
for _ in $(seq 100); do grep -q ready "$tmp/listener" 2>/dev/null && break; sleep 0.05; done
got="$(in_ns adminpc "$py" -S -c '
import socket, sys
n = 0
for _ in range(int(sys.argv[1])):
    s = socket.create_connection(("10.10.120.20", 8080), timeout=3)
    n += s.recv(16) == b"erp\n"
    s.close()
print(n)' "$N")" || got="error"
wait "$listener" || true
[ "$got" = "$N" ] && ok || bad "admin-pc -> app tcp/8080: $got of $N connections answered"

# --- bridged in an isolated zone: every packet, both directions --------------
got="$(in_ns app "$py" -S -c '
import errno, socket, sys
n = 0
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.settimeout(3)
    n += s.connect_ex(("10.10.120.30", 1433)) == errno.ECONNREFUSED
    s.close()
print(n)' "$N")" || got="error"
# refused, not timed out: the firewall passed the SYN and the RST
[ "$got" = "$N" ] && ok || bad "app -> sql tcp/1433 (nothing listens): $got of $N connects refused"

# --- denied: the default drop of the chain that dropped them -----------------
udp_burst() { # HOST DST COUNT: COUNT datagrams of 1 byte from port 40000
	in_ns "$1" "$py" -S -c '
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", 40000))
for _ in range(int(sys.argv[2])):
    u.sendto(b"x", (sys.argv[1], 9999))' "$2" "$3"
}
udp_burst adminpc 10.10.120.10 "$M" # office -> dc: routed, fwd_acme forward
udp_burst app 10.10.120.10 "$M"     # app -> dc inside servers: bridged, iso.servers
sleep 0.5                           # queued behind ARP, the datagrams leave at once

snap "$tmp/c1"
expect_delta "$tmp/c0" "$tmp/c1" office-to-erp packets "$N" "routed connections"
expect_delta "$tmp/c0" "$tmp/c1" office-to-erp bytes $((60 * N)) "routed connections (SYNs)"
expect_delta "$tmp/c0" "$tmp/c1" app-to-sql packets $((2 * N)) "bridged connects"
expect_delta "$tmp/c0" "$tmp/c1" app-to-sql bytes $((100 * N)) "bridged connects (SYN 60 + RST 40)"
expect_delta "$tmp/c0" "$tmp/c1" default.deny:forward packets "$M" "denied routed datagrams"
expect_delta "$tmp/c0" "$tmp/c1" default.deny:forward bytes $((29 * M)) "denied routed datagrams"
expect_delta "$tmp/c0" "$tmp/c1" default.deny:iso.servers packets "$M" "denied bridged datagrams"
expect_delta "$tmp/c0" "$tmp/c1" app-to-dc packets 0 "datagrams app -> dc udp/9999"
expect_delta "$tmp/c0" "$tmp/c1" web-public packets 0 "no traffic to web"

# app-to-sql sums its elements in every set (its own counted one and the
# zone's), as many as the compiled ruleset has
want="$("$fwctl" compile "$acme" | grep -c 'comment "app-to-sql"' || true)"
[ "$(get "$tmp/c1" app-to-sql elements)" = "$want" ] && ok ||
	bad "app-to-sql elements: $(get "$tmp/c1" app-to-sql elements), the ruleset has $want"

# --- the table as people read it ---------------------------------------------
c counters acme >"$tmp/text" || bad "fwctl counters acme failed"
line="$(grep -n 'id: app-to-sql' "$acme" | cut -d: -f1)"
read -r -a head <"$tmp/text"
[ "${head[*]}" = "TENANT RULE WHERE PACKETS BYTES" ] && ok || bad "header: ${head[*]}"
row="$(awk '$2 == "app-to-sql"' "$tmp/text")"
read -r -a f <<<"$row"
[ "${f[0]:-} ${f[2]:-} ${f[3]:-}" = "acme windows-stack.yaml:$line $(get "$tmp/c1" app-to-sql packets)" ] && ok ||
	bad "text row of app-to-sql: '$row'"
first="$(sed -n 2p "$tmp/text" | awk '{print $2}')"
[ "$first" = app-to-sql ] && ok || bad "rows not in file order: the first is $first"
[ "$(grep -c '^acme ' "$tmp/text")" = "$(($(wc -l <"$tmp/text") - 1))" ] && ok ||
	bad "fwctl counters acme shows other tenants"
grep -q '^acme  *default.deny:iso.servers ' "$tmp/text" && ok || bad "no default drop row of iso.servers"
c counters >"$tmp/all"
grep -q '^shop  *web-to-db ' "$tmp/all" && ok || bad "fwctl counters (all) has no shop rows"
if c counters nosuch >"$tmp/out" 2>"$tmp/err"; then
	bad "counters of an unknown tenant succeeded"
else
	[ "$(cat "$tmp/err")" = "fwctl: no such tenant (ENOENT)" ] && ok || bad "unknown tenant: $(cat "$tmp/err")"
fi

# --- a change to another tenant leaves acme's counters alone ------------------
c apply "$acme" "$tmp/shop2/web-db-dmz.yaml" >/dev/null && ok || bad "apply of the changed shop failed"
snap "$tmp/c2"
# default drops of input chains also count the hosts' own IPv6 chatter (router
# solicitations): compare everything else
"$py" -S - "$tmp/c1" "$tmp/c2" >"$tmp/kept" <<'PY'
import json, sys
def rows(f):
    return {r["rule"] + ":" + r.get("chain", ""): (r["packets"], r["bytes"])
            for r in json.load(open(f))["result"]["counters"]
            if not r.get("chain", "").startswith("in.")}
a, b = rows(sys.argv[1]), rows(sys.argv[2])
for k in sorted(a):
    if a[k] != b.get(k):
        print("%s %s -> %s" % (k, a[k], b.get(k)))
PY
if [ -s "$tmp/kept" ]; then
	bad "a change to tenant shop reset acme's counters (the backend recreated acme's tables?): $(head -3 "$tmp/kept" | tr '\n' ';')"
else
	ok
fi

labtest_end
