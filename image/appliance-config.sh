# shellcheck shell=sh
# The appliance's configuration (sourced by /lib/fwd/appliance.sh, busybox
# sh): the keys of appliance.conf on the config drive, each also settable on
# the kernel command line as fwd.KEY=VALUE (the command line wins).
# docs/appliance.md describes every key.
#
# The file is read, never sourced: one KEY=VALUE a line, # comments, values
# optionally in double quotes. Each key has a pattern its value must match;
# an unknown key or a bad value is an error, and with an error the
# appliance does not forward (fail closed).

# key pattern-name default
cfg_keys='
hostname name fwd
uplink ifname eth0
uplink_mac mac
uplink_address addresses
uplink_gateway address
trunk ifname eth1
trunk_mac mac
mgmt ifname
mgmt_mac mac
mgmt_address addresses
mgmt_gateway address
dns addresses
policy_url url
fwd_args args
console_shell bool yes
print_ruleset bool no
after_start action wait
'
cfg_errors=0

cfg_error() {
	echo "appliance: $*" >&2
	cfg_errors=$((cfg_errors + 1))
}

# cfg_valid PATTERN VALUE: 0 when VALUE is of the kind PATTERN names (an
# empty value unsets what may be unset: an interface, an address, a URL)
cfg_valid() {
	case "$1:$2" in
	name:* | bool:* | action:*) ;;
	*:) return 0 ;;
	esac
	case "$1" in
	name) re='[A-Za-z0-9][A-Za-z0-9.-]{0,62}' ;;
	ifname) re='[A-Za-z0-9][A-Za-z0-9._-]{0,14}' ;;
	mac) re='[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}' ;;
	address) re='[0-9a-fA-F:.]{2,45}' ;;
	# a comma-separated list of address/prefix, or dhcp
	addresses) re='dhcp|[0-9a-fA-F:./]{2,49}(,[0-9a-fA-F:./]{2,49}){0,15}' ;;
	url) re='https?://[A-Za-z0-9._~:/?#@!$&()*+,;=%-]{1,1000}' ;;
	args) re='[A-Za-z0-9 ._/=:@,+-]{1,1000}' ;;
	bool) re='yes|no' ;;
	action) re='wait|poweroff' ;;
	*) return 1 ;;
	esac
	# one line only: grep matches line by line
	[ "$(printf '%s' "$2" | wc -l)" -eq 0 ] && printf '%s\n' "$2" | grep -qxE "$re"
}

# cfg_set WHERE KEY VALUE: check and set cfg_KEY (WHERE names the source in
# messages).
cfg_set() {
	pat="$(echo "$cfg_keys" | awk -v k="$2" '$1 == k { print $2 }')"
	if [ -z "$pat" ]; then
		cfg_error "$1: unknown key $2"
	elif ! cfg_valid "$pat" "$3"; then
		cfg_error "$1: $2: not a valid $pat: $3"
	else
		# the key is one of cfg_keys; the value is not expanded here
		eval "cfg_$2=\$3"
	fi
}

cfg_defaults() {
	# shellcheck disable=SC2034 # d is read by the eval
	while read -r k _ d; do
		[ -z "$k" ] || eval "cfg_$k=\$d"
	done <<EOF
$cfg_keys
EOF
}

# cfg_read_file FILE: appliance.conf
cfg_read_file() {
	n=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		line="$(echo "$line" | sed 's/^[ \t]*//; s/[ \t]*$//')"
		case "$line" in
		'' | '#'*) continue ;;
		*=*) ;;
		*)
			cfg_error "$1:$n: not KEY=VALUE"
			continue
			;;
		esac
		# spaces around the = are allowed
		k="$(echo "${line%%=*}" | sed 's/[ \t]*$//')"
		v="$(echo "${line#*=}" | sed 's/^[ \t]*//')"
		case "$v" in
		\"*\") v="${v#\"}" v="${v%\"}" ;;
		esac
		cfg_set "$1:$n" "$k" "$v"
	done <"$1"
}

# cfg_read_cmdline [FILE]: fwd.KEY=VALUE words of the kernel command line
# (FILE, default /proc/cmdline; fwd.test is the test mode's)
cfg_read_cmdline() {
	for w in $(cat "${1:-/proc/cmdline}"); do
		case "$w" in
		fwd.test=*) ;;
		fwd.*=*)
			k="${w%%=*}"
			cfg_set "kernel command line" "${k#fwd.}" "${w#*=}"
			;;
		esac
	done
}
