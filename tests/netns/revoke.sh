#!/bin/bash
# Revoked access really ends, and the lockout guard, with real packets in the
# lab of scripts/lab.sh (the real fwd in the firewall namespace):
#  1. open TCP sessions (a line every 100 ms) through the windows-stack
#     policy; a policy that no longer allows some of them ends those within a
#     second (their conntrack entries are deleted, fwctl says how many) while
#     the still-allowed ones go on through the same apply;
#  2. an apply that would cut the management access of the engineer
#     ($SSH_CONNECTION, --from-address) is refused with the exact message and
#     the kernel keeps its ruleset; --force applies it and cuts the open
#     management session; an apply that keeps the access goes through;
#  3. the control: with revocation off (fwd --revoke-max 0) the same change
#     leaves the routed sessions open, so what ended them in 1. was fwd;
#  4. bounded: with --revoke-max 100 and 300 revoked flows, at most 100 are
#     cut, the rest stay tracked, and fwctl and the audit log say so.
# Usage (ctest): bash tests/netns/revoke.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
# shellcheck source=tests/support/labtest.sh
. "${2:?usage: revoke.sh BUILD_DIR SOURCE_DIR}/tests/support/labtest.sh" revoke fwrevoke "$@"
pids=()
labtest_on_exit() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}

labtest_up
PY="$(cat "$state/python")"

# --- sessions: a server per namespace logs "TIME NAME N" per line received;
# a client sends "NAME N" every 100 ms and notes when the connection fails
# (TCP_USER_TIMEOUT 1 s: unacknowledged data ends it, as a user would see).
cat >"$tmp/session.py" <<'EOF'
import os, select, socket, sys, time

def serve(log, ports):
    socks = {}
    for p in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", p))
        s.listen(16)
        socks[s] = p
    out = open(log, "a", buffering=1)
    print("ready", flush=True)
    conns = {}
    while True:
        for s in select.select(list(socks) + list(conns), [], [])[0]:
            if s in socks:
                c, _ = s.accept()
                conns[c] = b""
                continue
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                s.close()
                del conns[s]
                continue
            *lines, conns[s] = (conns[s] + data).split(b"\n")
            for l in lines:
                out.write("%.3f %s\n" % (time.time(), l.decode(errors="replace")))

def client(name, src, dst, port, log):
    out = open(log, "a", buffering=1)
    try:
        c = socket.create_connection((dst, port), timeout=3, source_address=(src, 0))
    except OSError as e:
        out.write("%.3f error %s\n" % (time.time(), os.strerror(e.errno or 0)))
        return
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, 1000)
    out.write("connected sport=%d\n" % c.getsockname()[1])
    i = 0
    try:
        while True:
            c.sendall(b"%s %d\n" % (name.encode(), i))
            i += 1
            time.sleep(0.1)
    except OSError as e:
        out.write("%.3f error %s\n" % (time.time(), os.strerror(e.errno or 0)))

if sys.argv[1] == "serve":
    serve(sys.argv[2], [int(p) for p in sys.argv[3:]])
else:
    client(*sys.argv[2:5], int(sys.argv[5]), sys.argv[6])
EOF

declare -A server_of=() # session -> the server log it writes to
serve() { # serve NS PORT...: a server in namespace NS
	local n="$1"
	shift
	ip netns exec "$LAB_PREFIX-$n" "$PY" -S "$tmp/session.py" serve "$tmp/srv.$n" "$@" \
		>"$tmp/srv.$n.out" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		grep -q '^ready' "$tmp/srv.$n.out" 2>/dev/null && return 0
		sleep 0.05
	done
	bad "server in $n did not start: $(cat "$tmp/srv.$n.out")"
}
session() { # session NAME SRC_NS SRC_ADDR DST_NS DST_ADDR PORT
	server_of[$1]="$tmp/srv.$4"
	ip netns exec "$LAB_PREFIX-$2" "$PY" -S "$tmp/session.py" client "$1" "$3" "$5" "$6" \
		"$tmp/$1.client" &
	pids+=($!)
	for _ in $(seq 60); do
		[ -s "$tmp/$1.client" ] && break
		sleep 0.05
	done
}
sport() { sed -n 's/^connected sport=//p' "$tmp/$1.client"; }
lines() { # lines NAME FROM TO: lines the server got from NAME with FROM < time <= TO
	awk -v n="$1" -v a="$2" -v b="$3" '$2 == n && $1 > a && $1 <= b { c++ } END { print c + 0 }' \
		"${server_of[$1]}"
}
now() { date +%s.%N; }
plus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }

# A session "works" when lines arrive; it "ended" when none arrived later
# than a second after the apply returned ($2) and its client saw the failure.
alive() { # alive NAME T: lines in the last second, more than a second after T
	local n
	n="$(lines "$1" "$(plus "$2" 1.5)" "$(plus "$2" 1000)")"
	[ "$n" -ge 3 ] && ok || bad "session $1 stopped after the apply at $2 (lines after +1.5 s: $n)"
}
ended() { # ended NAME T
	local n
	n="$(lines "$1" 0 "$2")"
	[ "$n" -ge 5 ] && ok || bad "session $1 never worked before the apply ($n lines)"
	n="$(lines "$1" "$(plus "$2" 1.0)" "$(plus "$2" 1000)")"
	[ "$n" -eq 0 ] && ok || bad "session $1 still got $n lines more than 1 s after the apply"
	for _ in $(seq 80); do
		grep -q ' error ' "$tmp/$1.client" && break
		sleep 0.05
	done
	grep -q ' error ' "$tmp/$1.client" && ok || bad "client $1 saw no failure: $(cat "$tmp/$1.client")"
}
conntrack() { ip netns exec "$LAB_PREFIX-fw" cat /proc/net/nf_conntrack; }
tracked() { # tracked NAME DPORT: is the session in the firewall's conntrack table?
	local ct
	ct="$(conntrack)"
	[[ "$ct" == *" sport=$(sport "$1") dport=$2 "* ]]
}
kernel_hash() { ip netns exec "$LAB_PREFIX-fw" nft list ruleset | sha256sum; }
audit() { cat "$state/fwd/audit.log"; }

# --- the policies: the template with parts cut out -------------------------
"$PY" -S - "$LAB_TEMPLATE" "$tmp" <<'EOF'
import os, sys
text = open(sys.argv[1]).read()
# The cuts break the template's own `expect:` promises on purpose: without them.
text = text[:text.index("\nexpect:\n") + 1] if "\nexpect:\n" in text else text
def cut(s, a, b):
    i = s.index(a)
    return s[:i] + s[s.index(b, i + 1):]
def write(name, s):
    os.mkdir(os.path.join(sys.argv[2], name))
    open(os.path.join(sys.argv[2], name, "windows-stack.yaml"), "w").write(s)
# app -> sql and office -> erp no more, the website on http only
p = cut(text, "  - id: app-to-sql\n", "  - id: app-to-dc\n")
p = cut(p, "  - id: office-to-erp\n", "  - id: office-to-mail\n")
write("cut", p.replace("allow: [http, https]\n    host: web", "allow: [http]\n    host: web"))
write("nomgmt", cut(text, "# Who may reach the firewall itself", "# WireGuard"))
write("keep", cut(text, "  - id: app-to-sql\n", "  - id: app-to-dc\n"))
write("nooffice", cut(text, "  - id: office-out\n", "# Who may reach the firewall itself"))
EOF

# --- 1. a change ends the sessions it no longer allows -----------------------
serve sql 1433
serve dc 445
serve app 8080
serve web 80 443
session app-sql app 10.10.120.20 sql 10.10.120.30 1433      # bridged, isolated zone
session office-dc adminpc 10.10.130.50 dc 10.10.120.10 445  # routed, stays allowed
session office-erp adminpc 10.10.130.50 app 10.10.120.20 8080
session https inet 198.51.100.200 web 203.0.113.10 443      # DNAT to web
session http inet 198.51.100.200 web 203.0.113.10 80        # DNAT to web, stays
sleep 1
for s in office-dc:445 office-erp:8080 https:443 http:80; do
	tracked "${s%:*}" "${s#*:}" && ok || bad "session ${s%:*} is not tracked before the change: $(conntrack)"
done
out="$(c --json apply "$tmp/cut")" && ok || bad "apply of the cut policy: $out"
t="$(now)"
# app -> sql is bridged (no conntrack): the rule's removal alone ends it; the
# routed and DNATed sessions had conntrack entries: exactly those two were cut.
[[ "$out" == *'"revoked": 2,'* ]] && ok || bad "apply response: expected \"revoked\": 2: $out"
sleep 2
ended app-sql "$t"
ended office-erp "$t"
ended https "$t"
alive office-dc "$t"
alive http "$t"
tracked office-erp 8080 && bad "the office-erp session is still tracked: $(conntrack)" || ok
tracked https 443 && bad "the https session is still tracked: $(conntrack)" || ok
tracked office-dc 445 && ok || bad "the office-dc session lost its conntrack entry"
tracked http 80 && ok || bad "the http session lost its conntrack entry"
[[ "$(audit)" == *'{"detail":"revoked 2 connections","event":"apply","generation":2,'* ]] &&
	ok || bad "audit of the cutting apply: $(audit)"

# Back to the template: it takes nothing away, nothing is cut.
out="$(c rollback 2>&1)" && [ "$out" = "generation 1 is live" ] && ok || bad "rollback: $out"
[[ "$(audit)" == *'{"detail":"revoked 0 connections","event":"rollback","generation":1,'* ]] &&
	ok || bad "audit of the rollback: $(audit)"

# --- 2. the lockout guard -------------------------------------------------------
# The engineer: ssh from the MSP's office (admin-ssh: 198.51.100.0/28) to the
# firewall's public address; an open management session the same way.
serve fw 22
session mgmt inet 198.51.100.7 fw 203.0.113.11 22
export SSH_CONNECTION="198.51.100.7 50022 203.0.113.11 22"
before="$(kernel_hash)"
out="$(c apply "$tmp/nomgmt" 2>&1)"
rc=$?
t="$(now)"
[ "$rc" -eq 1 ] && ok || bad "apply without management: exit $rc, expected 1"
want="fwctl: apply refused: it would cut management access from 198.51.100.7 to the firewall 203.0.113.11 tcp/22 (use --force to apply anyway, or --confirm S to try it safely) (EPERM)"
[ "$out" = "$want" ] && ok || bad "refusal message: '$out'"
[ "$(kernel_hash)" = "$before" ] && ok || bad "a refused apply changed the kernel's ruleset"
[[ "$(audit)" == *'{"detail":"it would cut management access from 198.51.100.7 to the firewall 203.0.113.11 tcp/22","event":"refused","generation":0,'* ]] &&
	ok || bad "audit of the refusal: $(audit)"
sleep 2
alive mgmt "$t"

# Where the engineer says he is: the admin PC, to its zone's gateway by default.
out="$(env -u SSH_CONNECTION "$FWCTL" --socket "$sock" apply --from-address 10.10.130.50 "$tmp/nomgmt" 2>&1)"
[ "$out" = "fwctl: apply refused: it would cut management access from 10.10.130.50 to the firewall 10.10.130.1 tcp/22 (use --force to apply anyway, or --confirm S to try it safely) (EPERM)" ] &&
	ok || bad "refusal for --from-address: '$out'"
[ "$(kernel_hash)" = "$before" ] && ok || bad "a refused apply changed the kernel's ruleset"

# A change that keeps the management access is not refused.
out="$(c apply "$tmp/keep" 2>&1)" && [ "$out" = "applied generation 3" ] && ok ||
	bad "apply keeping management: '$out'"
before="$(kernel_hash)"

# --force: applied; the open management session is cut, a new one refused.
out="$(c apply --force "$tmp/nomgmt" 2>"$tmp/err")"
rc=$?
t="$(now)"
[ "$rc" -eq 0 ] && ok || bad "apply --force: exit $rc: $(cat "$tmp/err")"
[ "$out" = "applied generation 4
cut 1 open connection the new policy does not allow" ] && ok || bad "apply --force said: '$out'"
[ "$(cat "$tmp/err")" = "fwctl: warning: forced: it would cut management access from 198.51.100.7 to the firewall 203.0.113.11 tcp/22" ] &&
	ok || bad "apply --force warning: '$(cat "$tmp/err")'"
[ "$(kernel_hash)" != "$before" ] && ok || bad "apply --force did not change the kernel's ruleset"
sleep 2
ended mgmt "$t"
probe="$(bash "$lab" probe msp fw tcp/22 2>&1)"
[ "$probe" = closed ] && ok || bad "after the forced apply the msp still reaches ssh: $probe"
[[ "$(audit)" == *'{"detail":"forced: it would cut management access from 198.51.100.7 to the firewall 203.0.113.11 tcp/22; revoked 1 connection","event":"apply","generation":4,'* ]] &&
	ok || bad "audit of the forced apply: $(audit)"
unset SSH_CONNECTION

# --- 3. the control: without revocation the routed sessions survive ----------
restart_fwd() { # restart_fwd ARGS...: the lab's fwd again, same state, these options
	local p pid=""
	for p in $(ip netns pids "$LAB_PREFIX-fw"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = fwd ] && pid="$p"
	done
	[ -n "$pid" ] || { bad "no fwd running in $LAB_PREFIX-fw"; return 1; }
	kill "$pid"
	for _ in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.05; done
	rm -f "$sock"
	ip netns exec "$LAB_PREFIX-fw" "$FWD" --state-dir "$state/fwd" --socket "$sock" \
		--group root --l2 off "$@" >>"$state/fwd.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
	bad "fwd $* did not start: $(tail -3 "$state/fwd.log")"
	return 1
}
if restart_fwd --revoke-max 0; then
	out="$(c apply "$LAB_TEMPLATE" 2>&1)" && ok || bad "apply of the template: $out"
	session office-erp2 adminpc 10.10.130.50 app 10.10.120.20 8080
	session https2 inet 198.51.100.200 web 203.0.113.10 443
	sleep 1
	out="$(c --json apply "$tmp/cut")" && ok || bad "apply of the cut policy: $out"
	t="$(now)"
	[[ "$out" == *'"revoked": 0,'* ]] && ok || bad "with --revoke-max 0: $out"
	sleep 2
	alive office-erp2 "$t"
	alive https2 "$t"
	tracked office-erp2 8080 && ok || bad "office-erp2 is not tracked"
fi

# --- 4. bounded: past --revoke-max the rest stays, and fwctl says so ----------
# 300 UDP flows from the admin PC to the internet (office-out), then a policy
# without office-out, with a daemon that looks at no more than 100 entries.
udp_flows() {
	local ct
	ct="$(conntrack)"
	grep -c "^ipv4 .* udp .* src=10\.10\.130\.50 dst=198\.51\.100\.200 sport=[0-9]* dport=2[0-9][0-9][0-9][0-9] " <<<"$ct"
}
if restart_fwd --revoke-max 100; then
	out="$(c apply "$LAB_TEMPLATE" 2>&1)" && ok || bad "apply of the template: $out"
	ip netns exec "$LAB_PREFIX-adminpc" "$PY" -S -c '
import socket
for port in range(20000, 20300):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.10.130.50", 0))
    s.sendto(b"x", ("198.51.100.200", port))
    s.close()'
	sleep 0.2
	[ "$(udp_flows)" -eq 300 ] && ok || bad "expected 300 tracked udp flows, found $(udp_flows)"
	out="$(c apply "$tmp/nooffice" 2>"$tmp/err")" && ok || bad "apply without office-out: $out"
	n="$(sed -n 's/^cut \([0-9]*\) open connections* the new policy does not allow$/\1/p' <<<"$out")"
	[ -n "$n" ] && [ "$n" -ge 1 ] && [ "$n" -le 100 ] && ok || bad "capped apply said: '$out'"
	[ "$(udp_flows)" -eq $((300 - ${n:-0})) ] && ok ||
		bad "after cutting ${n:-?}, $(udp_flows) udp flows are tracked (expected $((300 - ${n:-0})))"
	[ "$(cat "$tmp/err")" = "fwctl: warning: not every open connection was checked (fwd --revoke-max); the rest stay open" ] &&
		ok || bad "capped apply warning: '$(cat "$tmp/err")'"
	[[ "$(audit)" == *"\"detail\":\"revoked ${n:-?} connection"*" (stopped after 100: the limit)\",\"event\":\"apply\""* ]] &&
		ok || bad "audit of the capped apply: $(tail -1 "$state/fwd/audit.log")"
fi

labtest_end
