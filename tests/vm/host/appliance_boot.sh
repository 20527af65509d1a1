#!/bin/bash
# The appliance boots as a hypervisor would boot it and applies its policy
# before it forwards; a policy that is refused leaves it not forwarding.
#
# Boot 1, the shipped artifact: image/build-appliance.sh's ISO as a CD-ROM
# (BIOS, GRUB), a FAT config drive (image/make-config-drive.sh: CIDATA,
# templates/windows-stack.yaml and an appliance.conf) as a virtio disk, two
# virtio NICs on qemu hubs that lead nowhere. Expected on the serial
# console: the drive found, eth0 up with the configured addresses, eth1 up,
# "FWD-APPLIANCE-READY generation=1 forwarding=1", the kernel's ruleset
# with the tenant's tables and its DNAT rule (fwd read it back and compared
# it with the plan before it said ready), and the zones on the trunk: eth1
# carries VLANs 110, 120, 130 and each zone's gateway has its address.
#
# Boot 2, a Proxmox-like cloud-init CD and the fail-closed path: the same
# kernel and initramfs (direct kernel boot: fast), the config drive as an
# ISO 9660 volume (cidata) on the i440fx machine's IDE CD-ROM, a policy fwd
# refuses (tests/malformed/overlapping-subnets.yaml), and fwd.KEY=VALUE on
# the kernel command line overriding appliance.conf. Expected: the
# command-line address, fwctl's refusal with the file:line of the error,
# "FWD-APPLIANCE-FAILED forwarding=0 the policy was refused" and no READY.
#
# Runs on this machine (no root needed): bash appliance_boot.sh BUILD_DIR
# SOURCE_DIR. A missing qemu or kernel fails the test.
set -uo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "appliance_boot: FAIL: $*" >&2
	fail=$((fail + 1))
}
die() {
	bad "$*"
	echo "appliance_boot: $pass passed, $fail failed"
	exit 1
}
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
logs="$build/image/log" # the consoles are kept there
mkdir -p "$logs"
qemu="$(command -v qemu-system-x86_64)" ||
	die "qemu-system-x86_64 is missing: install Debian's qemu-system-x86 (scripts/setup.sh)"
accel=tcg
[ -w /dev/kvm ] && accel=kvm
timeout="${FWD_VM_TIMEOUT:-300}"
ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

t0="$(ms)"
iso="$(bash "$src/image/build-appliance.sh" "$build")" || die "image/build-appliance.sh failed"
echo "appliance_boot: image built in $(($(ms) - t0)) ms"

# boot LOG QEMU_ARGS...: run the appliance until it powers off
# (after_start=poweroff); the console (serial) goes to LOG without \r.
boot() {
	local log="$1" t rc
	shift
	t="$(ms)"
	timeout -k 5 "$timeout" "$qemu" -machine pc -accel "$accel" -smp 1 -m 1024 -nodefaults \
		-no-reboot -display none -monitor none -serial "file:$log.raw" \
		-netdev hubport,id=n0,hubid=0 -device virtio-net-pci,netdev=n0,romfile= \
		-netdev hubport,id=n1,hubid=1 -device virtio-net-pci,netdev=n1,romfile= \
		"$@" </dev/null 2>"$log.qemu"
	rc=$?
	tr -d '\r' <"$log.raw" >"$log"
	echo "appliance_boot: $(basename "$log"): qemu exit $rc after $(($(ms) - t)) ms ($accel)"
	[ "$rc" -eq 0 ] || bad "$(basename "$log"): qemu exit $rc ($([ "$rc" -eq 124 ] && echo timeout)) $(cat "$log.qemu")"
	rm -f "$log.raw" "$log.qemu"
}
# has LOG LINE: LINE is a whole line of the console
has() { grep -qxF -- "$2" "$1"; }
# show LOG: the console, when a check failed (the ruleset is in the file)
show() {
	echo "---- console ($1, without the ruleset) ----"
	sed '/^FWD-RULESET-BEGIN$/,/^FWD-RULESET-END$/d' "$1" | grep -v '^\s*$' | tail -80
	echo "---- end ----"
}

# --- boot 1: the ISO and a FAT config drive -----------------------------------
cat >"$tmp/appliance.conf" <<'EOF'
# appliance_boot.sh, boot 1
hostname=fw-acme
uplink=eth0
uplink_address=203.0.113.10/24,203.0.113.11/24
uplink_gateway=203.0.113.1
trunk="eth1"
console_shell=no
print_ruleset=yes
after_start=poweroff
EOF
FWCTL="$build/fwctl" bash "$src/image/make-config-drive.sh" "$src/templates/windows-stack.yaml" \
	"$tmp/appliance.conf" "$tmp/cfg.img" 2>"$tmp/mk.err" || die "make-config-drive: $(cat "$tmp/mk.err")"
log="$logs/appliance_boot-1.log"
boot "$log" -cdrom "$iso" -boot d -drive "file=$tmp/cfg.img,if=virtio,format=raw,readonly=on"
f0="$fail"
grep -q '^appliance: config drive /dev/vd' "$log" && ok || bad "boot 1: the config drive was not found"
has "$log" "appliance: uplink eth0 up 203.0.113.10/24,203.0.113.11/24" && ok || bad "boot 1: the uplink"
has "$log" "appliance: trunk eth1 up" && ok || bad "boot 1: the trunk"
grep -q '^FWD-APPLIANCE-READY generation=1 forwarding=1 uptime=' "$log" && ok || bad "boot 1: not ready"
grep -q '^FWD-APPLIANCE-FAILED' "$log" && bad "boot 1: failed" || ok
sed -n '/^FWD-RULESET-BEGIN$/,/^FWD-RULESET-END$/p' "$log" >"$tmp/ruleset"
"$build/fwctl" compile "$src/templates/windows-stack.yaml" | grep '^table ' | sort >"$tmp/want.tables"
grep '^table ' "$tmp/ruleset" | sort >"$tmp/got.tables"
[ -s "$tmp/want.tables" ] && diff "$tmp/want.tables" "$tmp/got.tables" >"$tmp/d" && ok ||
	bad "boot 1: the kernel's tables differ from fwctl compile's: $(cat "$tmp/d")"
# (nft lists the match as "tcp dport" or "meta l4proto tcp th dport")
grep -qE 'iifname "eth0" ip daddr 203\.0\.113\.10 (meta l4proto tcp th|tcp) dport 443 dnat ip to 10\.10\.110\.10 ' \
	"$tmp/ruleset" && ok || bad "boot 1: the web server's DNAT rule is not in the kernel"
# The policy's zones on the trunk (fwd's L2 backend): eth1 carries exactly
# VLANs 110, 120, 130 and each zone's gateway has its address.
sed -n '/^FWD-LINKS-BEGIN$/,/^FWD-LINKS-END$/p' "$log" >"$tmp/links"
vids="$(awk '/^port/ { b = 1; next } !b || /^FWD-LINKS/ { next }
	/^[^ ]/ { port = $1; vid = $2 } /^ / { vid = $1 } port == "eth1" { printf "%s ", vid }' \
	"$tmp/links")"
[ "$vids" = "110 120 130 " ] && ok || bad "boot 1: VLANs on the trunk eth1: '$vids'"
for v in 110 120 130; do
	awk -v v="$v" '$1 ~ "^vlan" v "(@|$)" && $2 != "DOWN" && $3 == "10.10." v ".1/24" { f = 1 } END { exit !f }' \
		"$tmp/links" && ok || bad "boot 1: no gateway vlan$v with 10.10.$v.1/24"
done
[ "$fail" -eq "$f0" ] || show "$log"

# --- boot 2: a cloud-init-style CD, a refused policy, the command line ---------
mkdir -p "$tmp/bad"
cp "$src/tests/malformed/overlapping-subnets.yaml" "$tmp/bad/"
cat >"$tmp/appliance2.conf" <<'EOF'
uplink_address=192.0.2.2/24
trunk=
console_shell=no
after_start=poweroff
EOF
bash "$src/image/make-config-drive.sh" --iso "$tmp/bad" "$tmp/appliance2.conf" "$tmp/cfg.iso" \
	2>"$tmp/mk.err" || die "make-config-drive --iso: $(cat "$tmp/mk.err")"
log="$logs/appliance_boot-2.log"
boot "$log" -kernel "$build/image/vmlinuz" -initrd "$build/image/initramfs.cpio" \
	-append "console=ttyS0 quiet panic=-1 fwd.uplink_address=198.51.100.2/24 fwd.hostname=fw-two" \
	-drive "file=$tmp/cfg.iso,if=ide,media=cdrom,readonly=on"
f0="$fail"
grep -q '^appliance: config drive /dev/sr0$' "$log" && ok || bad "boot 2: the CD-ROM config drive was not found"
has "$log" "appliance: uplink eth0 up 198.51.100.2/24" && ok ||
	bad "boot 2: the command line did not override uplink_address"
grep -q 'overlapping-subnets.yaml:[0-9]*:[0-9]*: ' "$log" && ok || bad "boot 2: fwctl's refusal is not shown"
grep -q '^FWD-APPLIANCE-FAILED forwarding=0 the policy was refused$' "$log" && ok ||
	bad "boot 2: no FWD-APPLIANCE-FAILED forwarding=0"
grep -q '^FWD-APPLIANCE-READY' "$log" && bad "boot 2: ready with a refused policy" || ok
[ "$fail" -eq "$f0" ] || show "$log"

echo "appliance_boot: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
