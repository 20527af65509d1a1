#!/bin/bash
# Build the appliance's and the test VM's initramfs (they are one image; the
# kernel command line chooses the mode, see image/init):
#
#   image/build-initramfs.sh BUILD_DIR
#
# gives BUILD_DIR/image/vmlinuz (Debian's cloud kernel, image/fetch-kernel.sh)
# and BUILD_DIR/image/initramfs.cpio, a newc cpio with
#  - busybox (Debian's busybox-static) for the shell and the small tools;
#  - fwd and fwctl of BUILD_DIR, nft, ip, bridge, wg, bash and a few test
#    tools of this machine, each with the shared libraries ldd names;
#  - the kernel modules of image/modules.list with their dependencies, and
#    modules.dep/modules.alias for them (depmod);
#  - the test suite: tests/vm, tests/netns, tests/support, templates/ under
#    /fwd/src and the build's test helpers under /fwd/build, laid out like a
#    source and a build directory so tests take (build_dir, src_dir) as on
#    the host.
# Nothing is rebuilt when no input is newer than the image; concurrent builds
# of one BUILD_DIR wait for each other.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -eq 1 ] || {
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
}
build="$(cd "$1" && pwd)"
out="$build/image"
die() {
	echo "build-initramfs: $*" >&2
	exit 1
}

# Binaries of the build: required, then every other program at the top of
# the build directory and in tests/ (test helpers: ruleset_hash, selftests),
# and bench_wg (tests/vm/vpn_kernel.sh measures the kernel's WireGuard) and
# bench_l2_vlans (tests/vm/l2_bench.sh: 1,000 VLANs with gateways).
build_bins=(fwd fwctl)
build_opt=()
for f in "$build"/* "$build"/tests/* "$build"/bench/bench_wg "$build"/bench/bench_l2_vlans; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	b="${f#"$build"/}"
	case " ${build_bins[*]} " in *" $b "*) continue ;; esac
	case "$b" in tests/test_*) continue ;; esac # unit tests run on the host
	build_opt+=("$b")
done
# Programs of this machine (Debian packages in scripts/setup.sh): required,
# then optional.
host_bins=(bash nft ip bridge wg)
host_opt=(ping nc socat ss tc setpriv iperf3 flock gpg gpgconf gpg-agent) # gpg: --git-trusted-gpg-keys

for tool in busybox cpio ldd; do
	command -v "$tool" >/dev/null ||
		die "$tool is missing (Debian packages busybox-static, cpio: run scripts/setup.sh)"
done
busybox="$(command -v busybox)"
# A dynamically linked busybox would need its libraries before anything runs.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is not static: install busybox-static"
fi
for b in "${build_bins[@]}"; do
	[ -x "$build/$b" ] || die "$build/$b is missing: build the project first"
done
for b in "${host_bins[@]}"; do
	command -v "$b" >/dev/null || die "$b is missing on this machine: run scripts/setup.sh"
done

mkdir -p "$out"
exec 8>"$out/.lock"
flock 8

kdir="$(bash "$src/image/fetch-kernel.sh")" || die "no kernel"
kver="$(cat "$kdir/kver")"
img="$out/initramfs.cpio"

# Up to date: no input newer than the image (the kernel cache's stamp counts:
# a new kernel gives new modules).
inputs=("$src/image" "$src/tests/vm" "$src/tests/netns" "$src/tests/support" "$src/templates"
	"$kdir/.complete" "$busybox")
for b in "${build_bins[@]}" "${build_opt[@]}"; do
	[ ! -e "$build/$b" ] || inputs+=("$build/$b")
done
for b in "${host_bins[@]}" "${host_opt[@]}"; do
	p="$(command -v "$b" || true)"
	[ -z "$p" ] || inputs+=("$(readlink -f "$p")")
done
if [ -s "$img" ] && [ "$(readlink -f "$out/vmlinuz")" = "$kdir/vmlinuz" ] &&
	[ -z "$(find "${inputs[@]}" -newer "$img" -print -quit 2>/dev/null)" ]; then
	echo "$img"
	exit 0
fi

root="$out/root"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib64,etc,proc,sys,dev,run,tmp,var/lib,mnt/config}
mkdir -p "$root"/{lib,usr/lib}/x86_64-linux-gnu "$root/fwd/build/tests" "$root/fwd/build/bench" \
	"$root/fwd/src/tests"

# busybox applets in /bin, as hard links (one process makes them all; the
# cpio stores the program once), and /sbin/modprobe, which the kernel runs
# to load a module on demand. The real programs in /usr/bin come first in
# PATH.
cp "$busybox" "$root/bin/busybox"
"$root/bin/busybox" --install "$root/bin"
ln -s ../bin/busybox "$root/sbin/modprobe"

# The programs, and every library they need at the paths ldd found them (the
# dynamic loader searches the same directories there): one ldd for all.
progs=()
for b in "${build_bins[@]}"; do
	cp "$build/$b" "$root/fwd/build/$b"
	ln -s "../../fwd/build/$b" "$root/usr/sbin/$b"
	progs+=("$build/$b")
done
for b in "${build_opt[@]}"; do
	[ ! -x "$build/$b" ] || { cp "$build/$b" "$root/fwd/build/$b" && progs+=("$build/$b"); }
done
for b in "${host_bins[@]}" "${host_opt[@]}"; do
	p="$(command -v "$b" || true)"
	[ -z "$p" ] || { cp -L "$p" "$root/usr/bin/$b" && progs+=("$p"); }
done
ln -sf ../usr/bin/bash "$root/bin/bash"
ldd "${progs[@]}" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*[^:]$/ { print $1 }' |
	sort -u | xargs cp -L --parents -t "$root"

# Just enough of /etc: users and groups for fwd's --group and setpriv,
# protocol and service names for nft, iproute2's tables.
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
fwd:x:990:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
echo fwd >"$root/etc/hostname"
for f in /etc/protocols /etc/services /etc/ethertypes; do
	[ ! -e "$f" ] || cp "$f" "$root/etc/"
done
[ ! -d /etc/iproute2 ] || cp -r /etc/iproute2 "$root/etc/"

# Kernel modules: the listed ones and every module they depend on
# (modules.dep lists a module's whole closure), read in one pass.
kroot="$kdir/root"
kmods="$kroot/lib/modules/$kver"
mkdir -p "$root/lib/modules/$kver"
(cd "$kmods" && find kernel/net/netfilter kernel/net/ipv4/netfilter kernel/net/ipv6/netfilter \
	kernel/net/bridge/netfilter -name '*.ko') >"$out/modules.all"
: >"$out/modules.files"
awk -v boot="$root/etc/modules-boot" -v all="$out/modules.all" -v files="$out/modules.files" '
	function base(p) { sub(/.*\//, "", p); sub(/\.ko$/, "", p); gsub(/-/, "_", p); return p }
	FILENAME == all { avail[$1] = 1; next }
	FILENAME ~ /modules\.builtin$/ { builtin[base($1)] = 1; next }
	FILENAME ~ /modules\.dep$/ {
		sub(/:$/, "", $1); m = base($1); deps[m] = $0; sub(/:/, "", deps[m]); next
	}
	/^[ \t]*(#|$)/ { next }
	$1 == "load" || $1 == "have" {
		m = $2; gsub(/-/, "_", m)
		if (m in deps) { want(m); if ($1 == "load") print m > boot }
		else if (!(m in builtin)) { print "module " $2 " is not in " FILENAME > "/dev/stderr"; bad = 1 }
		next
	}
	$1 == "have-dir" {
		for (p in avail)
			if (index(p, $2 "/") == 1 && base(p) ~ /^(nf_|nft_|nfnetlink)/) want(base(p))
		next
	}
	{ print FILENAME ": unknown word " $1 > "/dev/stderr"; bad = 1 }
	function want(m,  n, f, i) {
		n = split(deps[m], f, " ")
		for (i = 1; i <= n; i++) print f[i] > files
	}
	END { exit bad }
'  "$out/modules.all" "$kmods/modules.builtin" "$kmods/modules.dep" "$src/image/modules.list" ||
	die "image/modules.list names modules that kernel $kver does not have"
: >>"$root/etc/modules-boot"
(cd "$kmods" && sort -u "$out/modules.files" | xargs cp --parents -t "$root/lib/modules/$kver")
cp "$kmods"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"

# The boot script and its two modes; the test suite.
install -m 755 "$src/image/init" "$root/init"
mkdir -p "$root/lib/fwd"
install -m 755 "$src/image/appliance.sh" "$src/image/appliance-config.sh" \
	"$src/image/vmtest.sh" "$src/image/udhcpc.script" "$root/lib/fwd/"
for d in vm netns support; do
	[ ! -d "$src/tests/$d" ] || cp -r "$src/tests/$d" "$root/fwd/src/tests/"
done
cp -r "$src/templates" "$root/fwd/src/"

# The cpio: owned by root, in a stable order. Not compressed: under TCG the
# kernel takes longer to gunzip it than qemu to load it (0.6 s of a 3 s
# boot); image/build-appliance.sh compresses it for the ISO.
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) >"$img.tmp"
mv "$img.tmp" "$img"
ln -sfn "$kdir/vmlinuz" "$out/vmlinuz"
echo "build-initramfs: $img ($(du -h "$img" | cut -f1), kernel $kver)" >&2
echo "$img"
