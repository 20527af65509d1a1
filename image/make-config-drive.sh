#!/bin/bash
# Make the appliance's config drive (cloud-init NoCloud style, label cidata):
#
#   image/make-config-drive.sh [--iso] POLICY APPLIANCE_CONF OUT
#
# POLICY is a tenant file or a directory of them (*.yaml, *.yml); they go to
# fwd/ on the drive, APPLIANCE_CONF to appliance.conf (docs/appliance.md
# lists its keys). The default is a FAT image labelled CIDATA (mkfs.vfat +
# mcopy, no mount, no root) to attach as a disk; --iso makes an ISO 9660
# image labelled cidata (xorriso) to attach as a CD-ROM, e.g. Proxmox's
# ide2. appliance.conf is checked with the appliance's own reader first; a
# bad key or value stops here rather than at boot. The policy is checked
# with fwctl when FWCTL names it (FWCTL=build/fwctl).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
iso=0
[ "${1:-}" != --iso ] || {
	iso=1
	shift
}
[ $# -eq 3 ] || {
	echo "usage: $0 [--iso] POLICY APPLIANCE_CONF OUT" >&2
	exit 2
}
policy="$1" conf="$2" out="$3"
die() {
	echo "make-config-drive: $*" >&2
	exit 1
}
[ -e "$policy" ] || die "$policy: no such file or directory"
[ -f "$conf" ] || die "$conf: no such file"

# The same reader as at boot (image/appliance-config.sh).
# shellcheck source=image/appliance-config.sh
. "$here/appliance-config.sh"
cfg_defaults
cfg_read_file "$conf"
[ "$cfg_errors" -eq 0 ] || die "$conf: $cfg_errors error(s)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/fwd"
if [ -d "$policy" ]; then
	find "$policy" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' \) \
		-exec cp {} "$work/root/fwd/" \;
else
	cp "$policy" "$work/root/fwd/"
fi
[ -n "$(ls "$work/root/fwd")" ] || die "$policy: no *.yaml tenant files"
if [ -n "${FWCTL:-}" ]; then
	"$FWCTL" check "$work/root/fwd/" >&2 || die "fwctl check refused the policy"
fi
cp "$conf" "$work/root/appliance.conf"

if [ "$iso" -eq 1 ]; then
	command -v xorriso >/dev/null || die "xorriso is missing (Debian package xorriso)"
	xorriso -as mkisofs -quiet -V cidata -J -r -o "$out.tmp" "$work/root" 2>&1 |
		grep -v '^xorriso.*: NOTE' >&2 || true
else
	for t in mkfs.vfat mcopy; do
		command -v "$t" >/dev/null || die "$t is missing (Debian packages dosfstools, mtools)"
	done
	# room for the files and the FAT itself, at least 1 MiB
	kb="$(du -sk "$work/root" | cut -f1)"
	kb=$((kb * 2 + 1024))
	rm -f "$out.tmp"
	mkfs.vfat -C -n CIDATA "$out.tmp" "$kb" >/dev/null
	mcopy -s -i "$out.tmp" "$work/root/fwd" "$work/root/appliance.conf" ::/
fi
[ -s "$out.tmp" ] || die "no image was written"
mv "$out.tmp" "$out"
echo "make-config-drive: $out" >&2
