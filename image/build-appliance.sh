#!/bin/bash
# Build the bootable appliance image:
#
#   image/build-appliance.sh BUILD_DIR [OUT]
#
# OUT (default BUILD_DIR/image/fwd-appliance.iso) is a hybrid ISO made by
# grub-mkrescue: it boots with BIOS and UEFI, as a CD-ROM or written to a
# disk (so it also imports as a raw disk). It holds Debian's cloud kernel and
# the initramfs of image/build-initramfs.sh (gzip'd); the appliance runs
# from RAM, its configuration comes from a config drive
# (image/make-config-drive.sh) or the kernel command line. docs/appliance.md
# tells how to import it into Proxmox or libvirt.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 1 ] && [ $# -le 2 ] || {
	echo "usage: $0 BUILD_DIR [OUT]" >&2
	exit 2
}
build="$(cd "$1" && pwd)"
out="${2:-$build/image/fwd-appliance.iso}"
die() {
	echo "build-appliance: $*" >&2
	exit 1
}
command -v grub-mkrescue >/dev/null ||
	die "grub-mkrescue is missing (Debian packages grub-pc-bin grub-efi-amd64-bin xorriso mtools: run scripts/setup.sh)"
for d in i386-pc x86_64-efi; do
	[ -d "/usr/lib/grub/$d" ] || die "GRUB's $d files are missing (grub-pc-bin, grub-efi-amd64-bin)"
done
command -v xorriso >/dev/null || die "xorriso is missing"
command -v mformat >/dev/null || die "mtools is missing (the UEFI boot image needs it)"

cpio="$(bash "$src/image/build-initramfs.sh" "$build")" || die "the initramfs could not be built"
[ ! -s "$out" ] || [ -n "$(find "$cpio" "$src/image/build-appliance.sh" -newer "$out")" ] || {
	echo "$out"
	exit 0
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/iso/boot/grub"
cp -L "$build/image/vmlinuz" "$work/iso/boot/vmlinuz"
gzip -6 -c "$cpio" >"$work/iso/boot/initrd.img"
# Serial and screen both: a hypervisor's web console shows the screen,
# qemu -nographic and `qm terminal` the serial port. The last console= is
# /dev/console; the appliance writes its status lines to both.
cat >"$work/iso/boot/grub/grub.cfg" <<'EOF'
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
# no menu drawn on the serial port (Esc during the second shows it)
set timeout_style=hidden
set timeout=1
menuentry "fwd appliance" {
	linux /boot/vmlinuz console=tty0 console=ttyS0,115200 quiet panic=10
	initrd /boot/initrd.img
}
EOF
grub-mkrescue -o "$out.tmp" "$work/iso" -- -volid FWD_APPLIANCE >"$work/log" 2>&1 || {
	cat "$work/log" >&2
	die "grub-mkrescue failed"
}
mv "$out.tmp" "$out"
echo "build-appliance: $out ($(du -h "$out" | cut -f1))" >&2
echo "$out"
