#!/bin/bash
# The appliance's configuration reader (image/appliance-config.sh), run by
# busybox sh as on the appliance, and the config drives of
# image/make-config-drive.sh:
#  - every key of appliance.conf is read (comments, blanks, quotes, spaces
#    around the =, the last of a repeated key);
#  - a wrong file is reported with file:line and the key, every error
#    counted (the appliance then does not forward);
#  - fwd.KEY=VALUE on the kernel command line overrides the file;
#    fwd.test is left to the test mode;
#  - the FAT drive is labelled CIDATA, the ISO cidata, and both carry
#    appliance.conf and fwd/*.yaml byte for byte; a bad appliance.conf or
#    (with FWCTL) a bad policy makes no drive.
# Runs on this machine, no root: bash appliance_config.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "appliance_config: FAIL: $*" >&2
	fail=$((fail + 1))
}
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for t in busybox mtype mlabel xorriso; do
	command -v "$t" >/dev/null || {
		echo "appliance_config: FAIL: $t is missing (scripts/setup.sh)" >&2
		exit 1
	}
done

# cfg SCRIPT: run SCRIPT after the reader, in busybox sh; prints its output
cfg() {
	busybox sh -c ". '$src/image/appliance-config.sh'; cfg_defaults; $1" 2>&1
}
vars='echo "errors=$cfg_errors"; for k in hostname uplink uplink_mac uplink_address uplink_gateway trunk trunk_mac mgmt mgmt_mac mgmt_address mgmt_gateway dns policy_url fwd_args console_shell print_ruleset after_start; do eval "echo $k=\$cfg_$k"; done'

# --- defaults ---------------------------------------------------------------
got="$(cfg "$vars")"
want="errors=0
hostname=fwd
uplink=eth0
uplink_mac=
uplink_address=
uplink_gateway=
trunk=eth1
trunk_mac=
mgmt=
mgmt_mac=
mgmt_address=
mgmt_gateway=
dns=
policy_url=
fwd_args=
console_shell=yes
print_ruleset=no
after_start=wait"
[ "$got" = "$want" ] && ok || bad "defaults: $(diff <(echo "$want") <(echo "$got"))"

# --- every key -----------------------------------------------------------------
cat >"$tmp/full.conf" <<'EOF'
# every key
hostname=fw-acme-01
  uplink = eth0
uplink=wan
uplink_mac=52:54:00:AA:bb:01
uplink_address=203.0.113.10/24,203.0.113.11/24,2001:db8::10/64
uplink_gateway=203.0.113.1

trunk="lan"
trunk_mac=52:54:00:aa:bb:02
mgmt=mgmt0
mgmt_mac=52:54:00:aa:bb:03
mgmt_address=dhcp
mgmt_gateway=2001:db8:1::1
dns=192.0.2.53,2001:db8::53
policy_url=https://git.example.net/acme/fw/raw/main/acme.yaml?ref=v1
fwd_args=--drift-interval 60 --keep-history 20
console_shell=no
print_ruleset=yes
after_start=poweroff
EOF
got="$(cfg "cfg_read_file '$tmp/full.conf'; $vars")"
want="errors=0
hostname=fw-acme-01
uplink=wan
uplink_mac=52:54:00:AA:bb:01
uplink_address=203.0.113.10/24,203.0.113.11/24,2001:db8::10/64
uplink_gateway=203.0.113.1
trunk=lan
trunk_mac=52:54:00:aa:bb:02
mgmt=mgmt0
mgmt_mac=52:54:00:aa:bb:03
mgmt_address=dhcp
mgmt_gateway=2001:db8:1::1
dns=192.0.2.53,2001:db8::53
policy_url=https://git.example.net/acme/fw/raw/main/acme.yaml?ref=v1
fwd_args=--drift-interval 60 --keep-history 20
console_shell=no
print_ruleset=yes
after_start=poweroff"
[ "$got" = "$want" ] && ok || bad "every key: $(diff <(echo "$want") <(echo "$got"))"

# --- errors: file:line, key, kind; all of them counted --------------------------
cat >"$tmp/bad.conf" <<'EOF'
uplink=eth0;reboot
uplink_mac=52:54:00:aa:bb
uplink_address=10.0.0.1/24 10.0.0.2/24
hostname=
trunk=a-name-longer-than-15
policy_url=ftp://example.net/p.yaml
fwd_args=--x $(reboot)
console_shell=1
after_start=reboot
nonsense
Uplink=eth0
EOF
got="$(cfg "cfg_read_file '$tmp/bad.conf'; echo errors=\$cfg_errors; echo uplink=\$cfg_uplink")"
want="appliance: $tmp/bad.conf:1: uplink: not a valid ifname: eth0;reboot
appliance: $tmp/bad.conf:2: uplink_mac: not a valid mac: 52:54:00:aa:bb
appliance: $tmp/bad.conf:3: uplink_address: not a valid addresses: 10.0.0.1/24 10.0.0.2/24
appliance: $tmp/bad.conf:4: hostname: not a valid name: 
appliance: $tmp/bad.conf:5: trunk: not a valid ifname: a-name-longer-than-15
appliance: $tmp/bad.conf:6: policy_url: not a valid url: ftp://example.net/p.yaml
appliance: $tmp/bad.conf:7: fwd_args: not a valid args: --x \$(reboot)
appliance: $tmp/bad.conf:8: console_shell: not a valid bool: 1
appliance: $tmp/bad.conf:9: after_start: not a valid action: reboot
appliance: $tmp/bad.conf:10: not KEY=VALUE
appliance: $tmp/bad.conf:11: unknown key Uplink
errors=11
uplink=eth0"
[ "$got" = "$want" ] && ok || bad "errors: $(diff <(echo "$want") <(echo "$got"))"

# --- the kernel command line -------------------------------------------------------
echo 'BOOT_IMAGE=/boot/vmlinuz console=ttyS0 fwd.test=smoke fwd.uplink_address=198.51.100.2/24 fwd.console_shell=no quiet' >"$tmp/cmdline"
printf 'uplink_address=192.0.2.2/24\nconsole_shell=yes\nhostname=fw1\n' >"$tmp/c.conf"
got="$(cfg "cfg_read_file '$tmp/c.conf'; cfg_read_cmdline '$tmp/cmdline'; echo \$cfg_errors \$cfg_uplink_address \$cfg_console_shell \$cfg_hostname")"
[ "$got" = "0 198.51.100.2/24 no fw1" ] && ok || bad "command line: $got"
echo 'fwd.upl1nk=eth0 fwd.after_start=halt' >"$tmp/cmdline"
got="$(cfg "cfg_read_cmdline '$tmp/cmdline'; echo errors=\$cfg_errors")"
want="appliance: kernel command line: unknown key upl1nk
appliance: kernel command line: after_start: not a valid action: halt
errors=2"
[ "$got" = "$want" ] && ok || bad "command line errors: $(diff <(echo "$want") <(echo "$got"))"

# --- config drives -------------------------------------------------------------------
mkdir -p "$tmp/policy"
cp "$src/templates/windows-stack.yaml" "$src/templates/web-db-dmz.yaml" "$tmp/policy/"
printf 'uplink_address=192.0.2.2/24\n' >"$tmp/ok.conf"
mk() { bash "$src/image/make-config-drive.sh" "$@" 2>"$tmp/mk.err"; }
if mk "$tmp/policy" "$tmp/ok.conf" "$tmp/cfg.img"; then
	ok
	label="$(mlabel -s -i "$tmp/cfg.img" :: | sed 's/ *$//')"
	[ "$label" = " Volume label is CIDATA" ] && ok || bad "FAT label: $label"
	mtype -i "$tmp/cfg.img" ::/appliance.conf >"$tmp/got.conf"
	cmp -s "$tmp/got.conf" "$tmp/ok.conf" && ok || bad "FAT: appliance.conf differs"
	for f in windows-stack.yaml web-db-dmz.yaml; do
		mtype -i "$tmp/cfg.img" "::/fwd/$f" >"$tmp/got.yaml"
		cmp -s "$tmp/got.yaml" "$tmp/policy/$f" && ok || bad "FAT: fwd/$f differs"
	done
else
	bad "make-config-drive (FAT): $(cat "$tmp/mk.err")"
fi
if mk --iso "$src/templates/windows-stack.yaml" "$tmp/ok.conf" "$tmp/cfg.iso"; then
	ok
	vol="$(xorriso -indev "$tmp/cfg.iso" -pvd_info 2>/dev/null | sed -n 's/^Volume Id *: //p')"
	[ "$vol" = cidata ] && ok || bad "ISO volume id: $vol"
	xorriso -osirrox on -indev "$tmp/cfg.iso" -extract / "$tmp/iso" >/dev/null 2>&1
	cmp -s "$tmp/iso/appliance.conf" "$tmp/ok.conf" && ok || bad "ISO: appliance.conf differs"
	cmp -s "$tmp/iso/fwd/windows-stack.yaml" "$src/templates/windows-stack.yaml" && ok ||
		bad "ISO: fwd/windows-stack.yaml differs"
else
	bad "make-config-drive --iso: $(cat "$tmp/mk.err")"
fi
mk "$tmp/policy" "$tmp/bad.conf" "$tmp/no.img"
[ $? -eq 1 ] && [ ! -e "$tmp/no.img" ] && ok || bad "a bad appliance.conf made a drive"
grep -qxF "make-config-drive: $tmp/bad.conf: 11 error(s)" "$tmp/mk.err" && ok ||
	bad "bad appliance.conf message: $(cat "$tmp/mk.err")"
FWCTL="$build/fwctl" mk "$src/tests/malformed/overlapping-subnets.yaml" "$tmp/ok.conf" "$tmp/no.img"
[ $? -eq 1 ] && [ ! -e "$tmp/no.img" ] && ok || bad "a policy fwctl refuses made a drive"
grep -qxF "make-config-drive: fwctl check refused the policy" "$tmp/mk.err" && ok ||
	bad "bad policy message: $(cat "$tmp/mk.err")"

echo "appliance_config: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
