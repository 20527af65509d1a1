# shellcheck shell=bash
# What the GitOps namespace tests (tests/netns/gitops*.sh) share, sourced
# after tests/support/fwlab.sh's fwlab_test_begin and fwlab_up: fwd in the
# lab's firewall namespace on a receive repository ($tmp/repo.git), the work
# clone's commits and pushes (the test defines w: git in $tmp/work, with its
# signing setup), the records of STATE/gitops/status.json, and the policy.
c() { "$build/fwctl" --socket "$sock" "$@"; }
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$tmp/gitconfig"
printf '[init]\n\tdefaultBranch = main\n' >"$GIT_CONFIG_GLOBAL"

# Stop fwd with SIGTERM: it must exit 0 (with the sanitizers: no leak).
stop() {
	local rc
	[ -n "$FWLAB_PID" ] || return 0
	fwlab_fwd_kill 15
	rc=$?
	[ "$rc" -eq 0 ] && ok || bad "fwd exited with $rc: $(grep -A8 -e Sanitizer -e 'runtime error' "$log" | head -30)"
}
# fwd on the receive repository (no polls) with "$@"; GITOPS_FWD_ENV: more
# of its environment (NAME=VALUE words).
gitops_start() {
	local i
	stop
	rm -f "$sock"
	# shellcheck disable=SC2086 # words on purpose
	env ${GITOPS_FWD_ENV:-} ip netns exec "$(fwlab_ns fw)" "$build/fwd" --state-dir "$state" \
		--socket "$sock" --group root --l2 off --git-receive "$tmp/repo.git" \
		--git-interval 0 "$@" 2>>"$log" &
	FWLAB_PID=$!
	for ((i = 0; i < 500; i++)); do
		[ -S "$sock" ] && [ -x "$tmp/repo.git/hooks/post-receive" ] && return 0
		sleep 0.01
	done
	die "fwd did not start: $(tail -5 "$log")"
}

# commit everything in the work tree, signed (or "$@" options); its id
commit() {
	local msg="$1"
	shift
	w add -A && w commit -q --allow-empty -S "$@" -m "$msg" && w rev-parse HEAD
}
push() { w push -q -f origin HEAD:main >>"$tmp/push.log" 2>&1; }

# status.json has one key per line, sorted; strings escaped as JSON does
# (\" and \\ here: no other escape occurs in these records).
json_value() { sed -e 's/^[^:]*: //' -e 's/,$//' -e 's/^"\(.*\)"$/\1/' -e 's/\\"/"/g' -e 's/\\\\/\\/g'; }
# one field of a commit's record in status.json ("(no record)": none)
field() { # field SHA KEY
	local v
	v="$(awk -v sha="$1" -v key="$2" '
		/^    [{]$/ { cur = ""; next }
		$0 == "      \"commit\": \"" sha "\"," { cur = sha }
		cur != "" && index($0, "      \"" key "\": ") == 1 { print; exit }
	' "$state/gitops/status.json")"
	if [ -n "$v" ]; then json_value <<<"$v"; else echo "(no record)"; fi
}
top() { # a top-level field of status.json ("" for null)
	grep "^  \"$1\": " "$state/gitops/status.json" | json_value | sed 's/^null$//'
}
# expect_refused SHA REASON: refused with exactly REASON, the kernel as it
# was when the test last set $kernel (fwlab_ruleset_hash)
expect_refused() {
	local got
	got="$(field "$1" state): $(field "$1" reason)"
	[ "$got" = "refused: $2" ] && ok || bad "commit ${1:0:12}: $got, expected refused: $2"
	[ "$(fwlab_ruleset_hash)" = "$kernel" ] && ok || bad "a refused commit (${2:0:40}) changed the kernel"
}
policy() { # policy PORT [extra lines]: tenant acme, web -> app on PORT
	cat <<EOF
tenant:
  name: acme
  id: 1
uplink:
  interface: eth0
  addresses: [203.0.113.10]
zones:
  dmz:
    vlan: 110
    subnet: 10.10.110.0/24
    interface: vlan110
  servers:
    vlan: 120
    subnet: 10.10.120.0/24
    interface: vlan120
hosts:
  web:
    zone: dmz
    address: 10.10.110.10
  app:
    zone: servers
    address: 10.10.120.20
rules:
  - id: web-to-erp
    from: web
    to: app
    allow: tcp/$1
management:
  - id: admin-ssh
    from: 198.51.100.0/28
    allow: ssh
EOF
	[ $# -lt 2 ] || printf '%s\n' "$2"
}
