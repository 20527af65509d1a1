#!/bin/bash
# Fetch Debian's cloud kernel into a cache and print the directory that holds
# it: DIR/vmlinuz, DIR/kver (the module directory's name) and DIR/root/lib/
# modules/KVER/ with modules.dep made by depmod.
#
# The kernel package is downloaded (apt-get download) and unpacked
# (dpkg-deb -x), never installed: the machine's own kernel and boot loader
# are not touched. The versioned package comes from the metapackage's
# Depends (FWD_KERNEL_PACKAGE, default linux-image-cloud-amd64) as apt's
# lists know it, so a new Debian kernel is picked up after `apt-get update`;
# a kernel already in the cache is never fetched again. Without apt lists the
# newest cached kernel is used.
#
# Cache: FWD_IMAGE_CACHE, default /var/cache/fwd-image (root) or
# ~/.cache/fwd-image. Concurrent runs wait on a lock in the cache.
set -euo pipefail

meta="${FWD_KERNEL_PACKAGE:-linux-image-cloud-amd64}"
if [ -n "${FWD_IMAGE_CACHE:-}" ]; then
	cache="$FWD_IMAGE_CACHE"
elif [ "$(id -u)" -eq 0 ]; then
	cache=/var/cache/fwd-image
else
	cache="${XDG_CACHE_HOME:-$HOME/.cache}/fwd-image"
fi
die() {
	echo "fetch-kernel: $*" >&2
	exit 1
}
for tool in apt-get apt-cache dpkg-deb depmod flock; do
	command -v "$tool" >/dev/null ||
		die "$tool is missing (Debian packages apt, dpkg, kmod, util-linux: run scripts/setup.sh)"
done
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

# The versioned package the metapackage depends on, e.g.
# linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2).
# apt-cache takes a second: its answer is kept until apt's lists change.
pkg='' ver=''
resolved="$cache/.resolved-$meta"
lists=/var/lib/apt/lists
if [ -s "$resolved" ] && [ -z "$(find "$lists" -maxdepth 1 -newer "$resolved" 2>/dev/null)" ]; then
	read -r pkg ver <"$resolved"
else
	info="$(apt-cache show --no-all-versions "$meta" 2>/dev/null)"
	# no lists yet (a fresh machine whose packages came preinstalled): root reads them once
	if [ -z "$info" ] && [ "$(id -u)" -eq 0 ] && [ -z "$(find "$cache" -name .complete)" ]; then
		echo "fetch-kernel: apt knows no $meta: apt-get update" >&2
		apt-get update -qq >&2 || true
		info="$(apt-cache show --no-all-versions "$meta" 2>/dev/null)"
	fi
fi
if [ -z "$pkg" ] && [ -n "${info:-}" ]; then
	dep="$(sed -n 's/^Depends: //p' <<<"$info" | head -1)"
	pkg="$(awk '{ print $1 }' <<<"$dep")"
	ver="$(sed -n 's/^[^(]*(= \([^)]*\)).*/\1/p' <<<"$dep")"
	[ -z "$pkg" ] || [ -z "$ver" ] || echo "$pkg $ver" >"$resolved"
fi
if [ -z "$pkg" ] || [ -z "$ver" ]; then
	newest="$(find "$cache" -mindepth 2 -maxdepth 2 -name .complete -printf '%T@ %h\n' |
		sort -n | tail -1 | cut -d' ' -f2-)"
	[ -n "$newest" ] ||
		die "apt knows no package $meta and the cache $cache is empty: run apt-get update"
	echo "fetch-kernel: apt knows no $meta: using the cached $(basename "$newest")" >&2
	echo "$newest"
	exit 0
fi

dir="$cache/$pkg-$ver"
if [ -e "$dir/.complete" ]; then
	echo "$dir"
	exit 0
fi

work="$(mktemp -d "$cache/.fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# apt drops to user _apt for downloads, which cannot write into root's
# cache: download as the caller.
(cd "$work" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$pkg=$ver" >&2) ||
	die "apt-get download $pkg=$ver failed"
mkdir "$work/x"
dpkg-deb -x "$work"/*.deb "$work/x"
vmlinuz="$(find "$work/x/boot" -name 'vmlinuz-*' | head -1)"
[ -n "$vmlinuz" ] || die "$pkg has no /boot/vmlinuz-*"
kver="${vmlinuz##*/vmlinuz-}"
mods="$work/x/lib/modules/$kver"
[ -d "$mods" ] || die "$pkg has no /lib/modules/$kver"
# Compressed modules (a later Debian kernel may ship .ko.xz or .ko.zst) are
# unpacked once here, so that busybox's modprobe in the image loads them.
find "$mods" -name '*.ko.xz' -exec xz -d {} +
find "$mods" -name '*.ko.zst' -exec zstd -q -d --rm {} +
find "$mods" -name '*.ko.gz' -exec gzip -d {} +
depmod -b "$work/x" "$kver"

mkdir "$work/out"
mv "$vmlinuz" "$work/out/vmlinuz"
mkdir -p "$work/out/root/lib/modules"
mv "$mods" "$work/out/root/lib/modules/"
cp "$work/x/boot/config-$kver" "$work/out/config"
echo "$kver" >"$work/out/kver"
touch "$work/out/.complete"
rm -rf "$dir"
mv "$work/out" "$dir"
echo "fetch-kernel: $pkg $ver ($kver) in $dir" >&2
echo "$dir"
