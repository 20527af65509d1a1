#!/bin/bash
# Long-lived TCP sessions through the firewall survive fwd: a session that
# templates/windows-stack.yaml allows (web -> app tcp/8080, rule web-to-erp)
# sends a numbered line every 100 ms and reads its echo, across
#   1. kill -9 of fwd and a restart (the boot reloads the live generation),
#   2. SIGTERM and a restart,
#   3. a re-apply of the same policy.
# After each event the session must go on (ten more lines echoed within 5 s)
# with no echo slower than 1 s (a dropped segment costs a retransmission
# timeout); at the end the server must have every line, in order, and a
# clean end of stream: no line lost, no reset. A control proves the
# detector: a table dropping all forwarded packets for 1.5 s must show as a
# stall.
#
# Usage (ctest): bash tests/netns/restart_tcp.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
FWLAB_PREFIX="fwrtcp$$" FWLAB_BUILD="$build"
# shellcheck source=tests/support/fwlab.sh
. "$src/tests/support/fwlab.sh"
fwlab_test_begin restart_tcp
fwlab_up traffic 2>"$tmp/up.err" || die "cannot build the lab: $(cat "$tmp/up.err")"
fwctl() { "$build/fwctl" --socket "$sock" "$@"; }
[ -x "$build/tests/ruleset_hash" ] || die "$build/tests/ruleset_hash is missing (build the project first)"

# The real interpreter, not a pyenv/asdf shim (a shim costs ~0.3 s a start).
py="$(python3 -c 'import sys; print(sys.executable)')" || die "no python3"

# serve ADDR PORT LOG: one session; every line is logged and echoed; the log
# ends with "EOF" (clean end of stream) or "ERROR ..." (reset, ...).
# shellcheck disable=SC2016
server='
import socket, sys
addr, port, log = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "w")
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, port))
ls.listen(1)
print("ready", file=log, flush=True)
c, _ = ls.accept()
try:
    for line in c.makefile("rb"):
        log.write(line.decode())
        log.flush()
        c.sendall(line)
    log.write("EOF\n")
except Exception as e:
    log.write("ERROR %r\n" % e)
log.flush()
'
# client ADDR PORT STOPFILE LOG: a line "N" every 100 ms, each echo awaited
# (at most 10 s); logs "N RTT_MS" per line; when STOPFILE appears, half-closes
# and expects a clean end of stream: "DONE N". Any error: "ERROR ...".
# shellcheck disable=SC2016
client='
import os, socket, sys, time
addr, port, stop, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], open(sys.argv[4], "w")
n = 0
try:
    s = socket.create_connection((addr, port), timeout=5)
    s.settimeout(10)
    r = s.makefile("rb")
    due = time.monotonic()
    while not os.path.exists(stop):
        n += 1
        t = time.monotonic()
        s.sendall(b"%d\n" % n)
        echo = r.readline()
        if echo != b"%d\n" % n:
            raise RuntimeError("line %d echoed as %r" % (n, echo))
        log.write("%d %.1f\n" % (n, (time.monotonic() - t) * 1000))
        log.flush()
        due += 0.1
        time.sleep(max(0.0, due - time.monotonic()))
    s.shutdown(socket.SHUT_WR)
    rest = r.read()
    if rest:
        raise RuntimeError("unexpected data at the end: %r" % rest)
    log.write("DONE %d\n" % n)
except Exception as e:
    log.write("ERROR after line %d: %r\n" % (n, e))
log.flush()
'

fwlab_fwd_start "$state" "$sock" "$log" || die "fwd did not start: $(cat "$log")"
fwctl apply "$src/templates/windows-stack.yaml" >/dev/null || die "apply failed: $(tail -3 "$log")"
before="$(fwlab_ruleset_hash)"

ip netns exec "$(fwlab_ns app)" "$py" -S -c "$server" "${FWLAB_ADDR[app]}" 8080 "$tmp/server.log" &
FWLAB_BG+=($!)
for ((i = 0; i < 500; i++)); do
	[ -s "$tmp/server.log" ] && break
	sleep 0.01
done
ip netns exec "$(fwlab_ns web)" "$py" -S -c "$client" "${FWLAB_ADDR[app]}" 8080 "$tmp/stop" \
	"$tmp/client.log" &
client_pid=$!
FWLAB_BG+=("$client_pid")

lines() { awk '/^[0-9]/ { n++ } END { print n + 0 }' "$tmp/client.log" 2>/dev/null || echo 0; }
# progress NAME: ten more lines must be echoed within 5 s.
progress() {
	local from="$1" name="$2" i
	for ((i = 0; i < 500; i++)); do
		[ "$(lines)" -ge $((from + 10)) ] && return 0
		grep -q '^ERROR' "$tmp/client.log" 2>/dev/null && break
		sleep 0.01
	done
	bad "$name: the session did not go on: $(tail -2 "$tmp/client.log")"
	return 1
}
# slowest FROM: the slowest echo (ms) after line FROM
slowest() { awk -v from="$1" '$1 ~ /^[0-9]+$/ && $1 > from && $2 > m { m = $2 } END { printf "%d", m }' "$tmp/client.log"; }
# survive NAME CMD...: the session goes on across CMD, no echo slower than 1 s
survive() {
	local name="$1" from worst
	shift
	from="$(lines)"
	"$@" || bad "$name: the event itself failed"
	progress "$from" "$name" || return
	worst="$(slowest "$from")"
	if [ "$worst" -lt 1000 ]; then
		ok
		echo "restart_tcp: $name: lines $from..$(lines), slowest echo $worst ms"
	else
		bad "$name: an echo took $worst ms (lost packets: the session stalled)"
	fi
}

progress 0 "the session start" || die "no session: $(cat "$tmp/client.log" "$tmp/server.log")"

kill_restart() {
	fwlab_fwd_kill "$1"
	local rc=$?
	# SIGTERM is a clean stop (under ASan: no leak either)
	[ "$1" != TERM ] || [ "$rc" -eq 0 ] || bad "fwd exited with $rc on SIGTERM: $(tail -3 "$log")"
	sleep 0.5 # the session runs on with no daemon at all
	fwlab_fwd_start "$state" "$sock" "$log" && [ "$(fwlab_ruleset_hash)" = "$before" ]
}
survive "kill -9 and restart" kill_restart 9
survive "SIGTERM and restart" kill_restart TERM
reapply() { fwctl apply "$src/templates/windows-stack.yaml" >/dev/null; }
survive "re-apply of the same policy" reapply
[ "$(fwlab_ruleset_hash)" = "$before" ] && ok || bad "the ruleset changed"

# The control: the detector must see a real outage (a table of our own in the
# firewall namespace only, dropping every forwarded packet for 1.5 s).
from="$(lines)"
fwlab_in fw nft -f - <<'EOF'
table inet rtcp_control {
	chain forward { type filter hook forward priority -300; policy drop; }
}
EOF
sleep 1.5
fwlab_in fw nft delete table inet rtcp_control
if progress "$from" "the control"; then
	worst="$(slowest "$from")"
	if [ "$worst" -ge 1000 ]; then
		ok
		echo "restart_tcp: the control: a 1.5 s outage shows as a $worst ms echo"
	else
		bad "the control: a 1.5 s outage went unnoticed (slowest echo $worst ms)"
	fi
fi

# The end: a clean close, every line at the server, in order.
touch "$tmp/stop"
wait "$client_pid"
if ! grep -q '^DONE' "$tmp/client.log"; then
	bad "the session did not end cleanly: $(tail -2 "$tmp/client.log")"
else
	n="$(sed -n 's/^DONE //p' "$tmp/client.log")"
	for ((i = 0; i < 200; i++)); do
		[ "$(tail -1 "$tmp/server.log")" = EOF ] && break
		sleep 0.01
	done
	if diff <(echo ready; seq 1 "$n"; echo EOF) "$tmp/server.log" >"$tmp/diff"; then
		ok
		echo "restart_tcp: $n lines, none lost, no reset"
	else
		bad "the server did not get lines 1..$n in order and a clean end: $(head -5 "$tmp/diff")"
	fi
fi
echo "restart_tcp: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
