#!/bin/bash
# Build the fuzz targets with clang and run each for a bounded time, seeded
# with the templates and the malformed corpus (policy) or sample requests
# (protocol). Usage: fuzz/run.sh [SECONDS per target]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
build="$root/build-fuzz"
CC=clang cmake -S "$root" -B "$build" -DFWD_FUZZ=ON -DFWD_TESTS=OFF >/dev/null
cmake --build "$build" --target fuzz_policy fuzz_proto fuzz_nflog fuzz_edit fuzz_sshsig \
	-j"$(nproc)" >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

run() { # TARGET CORPUS_DIR MAX_LEN
	"$build/fuzz/$1" -max_total_time="$seconds" -max_len="$3" -rss_limit_mb=2048 \
		-timeout=10 -print_final_stats=1 "$2" 2>"$work/$1.log" || {
		tail -50 "$work/$1.log"
		echo "fuzz: $1 crashed or leaked (see above)" >&2
		exit 1
	}
	echo "fuzz: $1: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$1.log" | cut -d' ' -f2) runs in ${seconds}s without a crash"
}

mkdir -p "$work/policy" "$work/proto"
cp "$root"/templates/*.yaml "$work/policy/"
cp "$root"/tests/malformed/*.yaml "$work/policy/" 2>/dev/null || true
printf '%s' '{"version":1,"id":1,"command":"status"}' >"$work/proto/status"
printf '%s' '{"version":1,"id":2,"command":"apply","args":{"files":[{"name":"a.yaml","content":"x"}],"confirm":60}}' >"$work/proto/apply"
printf '%s' '{"version":1,"command":"show","args":{"tenant":"acme"}}' >"$work/proto/show"
printf '%s' '{"version":1,"command":"rule-add","args":{"tenant":"acme","rule":{"from":["a","b"],"to":"c","allow":"ssh","id":"x","log":true,"comment":"c","before":"y"}}}' >"$work/proto/rule-add"
printf '%s' '{"version":1,"command":"rule-del","args":{"tenant":"acme","id":"x"}}' >"$work/proto/rule-del"
run fuzz_policy "$work/policy" 65536
run fuzz_proto "$work/proto" 4096
run fuzz_edit "$work/policy" 65536
# A logged TCP SYN as the kernel sends it (nlmsghdr, nfgenmsg, hook header,
# prefix, payload), for the NFLOG parser to start from.
mkdir -p "$work/nflog"
python3 -c '
import struct, sys
def attr(t, v):
    a = struct.pack("=HH", 4 + len(v), t) + v
    return a + b"\0" * (-len(a) % 4)
ip = bytes.fromhex("4500003c12344000400600000a0a6e140a0a780a9d7801bd00000001000000"
                   "00a002faf000000000")
body = struct.pack("=BBH", 2, 0, 100) + attr(1, struct.pack(">HBB", 0x800, 2, 0)) + \
    attr(4, struct.pack(">I", 7)) + attr(10, b"fwd:acme:deny:forward \0") + attr(9, ip)
sys.stdout.buffer.write(struct.pack("=IHHII", 16 + len(body), 0x400, 0, 0, 0) + body)
' >"$work/nflog/syn"
# Inputs that once crashed a target start every run, so a regression shows
# at once rather than when the fuzzer happens on it again.
cp "$root"/fuzz/regressions/nflog/* "$work/nflog/"
run fuzz_nflog "$work/nflog" 4096
# Commit verification: a signature git stores, ssh-keygen's (mode 0), its
# blob (mode 1), an allowed-signers file (mode 2).
mkdir -p "$work/sshsig"
sig='-----BEGIN SSH SIGNATURE-----
U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg4CUfwpuBrEVlMJaO5FKagRLxH6
SUml5/v3XtdErf79MAAAADZ2l0AAAAAAAAAAZzaGE1MTIAAABTAAAAC3NzaC1lZDI1NTE5
AAAAQCd5Kf45J7TUMtYwtA2zS3pfhx8kSpHSuibv4Q0E3x7AOUMLstl7nzJUxBFi1c1/nR
02hxmXaa99K4jAWncGnwo=
-----END SSH SIGNATURE-----'
printf '\0%s' "$sig" >"$work/sshsig/armored"
{ printf '\1'; sed '1d;$d' <<<"$sig" | base64 -d; } >"$work/sshsig/blob"
printf '\2%s\n%s\n' 'alice@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOAlH8KbgaxFZTCWjuRSmoES8R+klJpef7917XRK3+/T' \
	'ops namespaces="git",valid-before="20991231Z" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOAlH8KbgaxFZTCWjuRSmoES8R+klJpef7917XRK3+/T' \
	>"$work/sshsig/signers"
run fuzz_sshsig "$work/sshsig" 4096
