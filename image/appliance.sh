# shellcheck shell=sh
# Appliance mode of /init (sourced, busybox sh, PID 1):
#  1. forwarding off (it is off at boot; said again so nothing relies on it);
#  2. the configuration: the config drive (a vfat or ISO 9660 volume
#     labelled cidata, like cloud-init's NoCloud: appliance.conf and
#     fwd/*.yaml), then fwd.KEY=VALUE on the kernel command line;
#  3. interfaces: renamed by MAC where asked, addresses, routes, DNS;
#  4. fwd starts (state on tmpfs: each boot is a first boot) and the policy
#     is applied with fwctl apply;
#  5. only when that succeeded: forwarding on, then "FWD-APPLIANCE-READY
#     generation=N forwarding=1" on the consoles. Any error before:
#     "FWD-APPLIANCE-FAILED forwarding=0 why", and the appliance does not
#     forward (fail closed);
#  6. PID 1 stays: it restarts fwd if it dies (fwd loads the last-known-good
#     generation; the ruleset stayed in the kernel meanwhile) and keeps a
#     root shell on the consoles (console_shell=yes).
. /lib/fwd/appliance-config.sh

state=/var/lib/fwd sock=/run/fwd/fwd.sock fwd_log=/var/log/fwd.log

# Debian's static busybox runs its own applet for a name before PATH: ip is
# iproute2's (busybox's knows no VLANs, bridges or -br).
ip() { /usr/bin/ip "$@"; }
policy_dir=/etc/fwd/policy

# say LINE: on every active console (serial and screen), not only the last
say() {
	for c in $(cat /sys/class/tty/console/active 2>/dev/null); do
		echo "$*" >"/dev/$c" 2>/dev/null
	done
}

forwarding() { # forwarding 0|1
	echo "$1" >/proc/sys/net/ipv4/ip_forward
	echo "$1" >/proc/sys/net/ipv6/conf/all/forwarding
}

# The config drive: devices appear while the disk drivers probe, so wait up
# to 3 s for the label.
config_drive() {
	local dev=''
	for _ in $(seq 30); do
		dev="$(findfs LABEL=cidata 2>/dev/null || findfs LABEL=CIDATA 2>/dev/null)" && break
		sleep 0.1
	done
	[ -n "$dev" ] || return 0
	if ! mount -o ro "$dev" /mnt/config; then
		cfg_error "config drive $dev: cannot mount it"
		return 0
	fi
	say "appliance: config drive $dev"
	[ ! -f /mnt/config/appliance.conf ] || cp /mnt/config/appliance.conf /etc/fwd/appliance.conf
	if [ -d /mnt/config/fwd ]; then
		find /mnt/config/fwd -maxdepth 1 \( -name '*.yaml' -o -name '*.yml' \) \
			-exec cp {} "$policy_dir/" \;
	fi
	umount /mnt/config
}

# link_by_mac NAME MAC: give the interface with MAC the name NAME
link_by_mac() {
	local f want have
	want="$(echo "$2" | tr 'A-F' 'a-f')"
	for f in /sys/class/net/*/address; do
		have="$(cat "$f")"
		[ "$have" = "$want" ] || continue
		f="${f%/address}" && f="${f##*/}"
		[ "$f" = "$1" ] || ip link set dev "$f" name "$1" || cfg_error "cannot rename $f to $1"
		return 0
	done
	cfg_error "no interface has MAC $2 (for $1)"
}

# link_setup ROLE NAME MAC ADDRESSES GATEWAY
link_setup() {
	local a
	[ -n "$2" ] || return 0
	[ -z "$3" ] || link_by_mac "$2" "$3"
	if [ ! -e "/sys/class/net/$2" ]; then
		cfg_error "$1 interface $2: no such interface ($(ls /sys/class/net | tr '\n' ' '))"
		return 0
	fi
	ip link set "$2" up || cfg_error "$1 interface $2 does not come up"
	if [ "$4" = dhcp ]; then
		udhcpc -i "$2" -s /lib/fwd/udhcpc.script -n -q -t 5 -T 2 >/dev/null 2>&1 ||
			cfg_error "$1 interface $2: no DHCP lease"
	elif [ -n "$4" ]; then
		for a in $(echo "$4" | tr ',' ' '); do
			ip addr add "$a" dev "$2" || cfg_error "$1 address $a on $2 refused"
		done
	fi
	if [ -n "$5" ]; then
		case "$5" in
		*:*) ip -6 route add default via "$5" dev "$2" ;;
		*) ip route add default via "$5" dev "$2" ;;
		esac || cfg_error "$1 gateway $5 refused"
	fi
	say "appliance: $1 $2 up${4:+ $4}"
}

fwd_start() {
	rm -f "$sock"
	# shellcheck disable=SC2086 # fwd_args is a list of words
	fwd --state-dir "$state" --socket "$sock" --group root $cfg_fwd_args >>"$fwd_log" 2>&1 &
	fwd_pid=$!
	for _ in $(seq 300); do
		[ -S "$sock" ] && return 0
		kill -0 "$fwd_pid" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

appliance_failed() {
	forwarding 0
	say "FWD-APPLIANCE-FAILED forwarding=$(cat /proc/sys/net/ipv4/ip_forward) $*"
}

appliance_start() {
	local gen out n
	forwarding 0
	mkdir -p "$policy_dir" "$state" /run/fwd /var/log
	chmod 700 "$state"
	cfg_defaults
	config_drive
	[ ! -f /etc/fwd/appliance.conf ] || cfg_read_file /etc/fwd/appliance.conf
	cfg_read_cmdline
	hostname "$cfg_hostname"
	link_setup uplink "$cfg_uplink" "$cfg_uplink_mac" "$cfg_uplink_address" "$cfg_uplink_gateway"
	link_setup trunk "$cfg_trunk" "$cfg_trunk_mac" "" ""
	link_setup management "$cfg_mgmt" "$cfg_mgmt_mac" "$cfg_mgmt_address" "$cfg_mgmt_gateway"
	if [ -n "$cfg_dns" ] && [ "$cfg_dns" != dhcp ]; then
		echo "$cfg_dns" | tr ',' '\n' | sed 's/^/nameserver /' >/etc/resolv.conf
	fi
	if [ -n "$cfg_policy_url" ]; then
		wget -q -T 20 -O "$policy_dir/policy_url.yaml" "$cfg_policy_url" ||
			cfg_error "policy_url: cannot fetch $cfg_policy_url"
	fi
	if ! fwd_start; then
		appliance_failed "fwd did not start: $(tail -3 "$fwd_log" | tr '\n' ' ')"
		return 1
	fi
	n="$(find "$policy_dir" -maxdepth 1 -name '*.y*ml' | wc -l)"
	if [ "$cfg_errors" -gt 0 ]; then
		appliance_failed "$cfg_errors configuration error(s), see above"
		return 1
	fi
	if [ "$n" -eq 0 ]; then
		appliance_failed "no policy (config drive fwd/*.yaml or policy_url)"
		return 1
	fi
	if ! out="$(fwctl --socket "$sock" apply "$policy_dir/" 2>&1)"; then
		say "$out"
		appliance_failed "the policy was refused"
		return 1
	fi
	gen="$(fwctl --socket "$sock" status | sed -n 's/^live generation: //p')"
	forwarding 1
	say "FWD-APPLIANCE-READY generation=$gen forwarding=$(cat /proc/sys/net/ipv4/ip_forward) uptime=$(cut -d" " -f1 /proc/uptime)"
	if [ "$cfg_print_ruleset" = yes ]; then
		say "FWD-RULESET-BEGIN"
		nft list ruleset >/dev/console 2>&1
		say "FWD-RULESET-END"
		say "FWD-LINKS-BEGIN"
		{ ip -br addr && bridge vlan show; } >/dev/console 2>&1
		say "FWD-LINKS-END"
	fi
	return 0
}

# The consoles' shells (the devices of the active consoles; tty0 is the
# screen, whose first terminal is tty1).
shell_ttys() {
	for c in $(cat /sys/class/tty/console/active 2>/dev/null); do
		[ "$c" = tty0 ] && c=tty1
		[ -c "/dev/$c" ] && echo "$c"
	done
}

appliance_supervise() {
	local t pid
	while :; do
		if [ -n "${fwd_pid:-}" ] && ! kill -0 "$fwd_pid" 2>/dev/null; then
			wait "$fwd_pid" 2>/dev/null
			say "appliance: fwd exited with status $? (log: $fwd_log): restarting it"
			fwd_start || say "appliance: fwd does not start again"
		fi
		if [ "$cfg_console_shell" = yes ]; then
			for t in $(shell_ttys); do
				eval "pid=\${shell_$t:-}"
				[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && continue
				# bash: busybox sh would run its own ip, not iproute2's
				PS1='\h:\w# ' setsid -c bash <"/dev/$t" >"/dev/$t" 2>&1 &
				eval "shell_$t=\$!"
			done
		fi
		sleep 2
	done
}

appliance_start
# after_start=poweroff: a test's boot ends here, ready or failed
[ "$cfg_after_start" != poweroff ] || {
	sync
	poweroff -f
}
appliance_supervise
