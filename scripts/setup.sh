#!/bin/bash
# Install what fwd needs to build and test on Debian 12 (run as root).
set -euo pipefail

packages=(
	build-essential cmake pkg-config clang clang-format cppcheck
	libyaml-dev libjansson-dev libcmocka-dev libnftnl-dev libmnl-dev
	libnl-3-dev libnl-route-3-dev libsodium-dev libsystemd-dev
	nftables iproute2 iputils-ping netcat-openbsd python3 groff-base man-db
	libnftables-dev iperf3 util-linux wireguard-tools wireguard-go
	# fwctl vpn user add: QR codes (terminal, PNG); zbar-tools reads them back in tests
	libqrencode-dev libpng-dev zbar-tools
	# the appliance image and the VM test tier (image/, docs/appliance.md)
	qemu-system-x86 busybox-static kmod cpio xorriso grub-pc-bin grub-efi-amd64-bin
	mtools dosfstools
	# GitOps (fwd --git-url/--git-receive); git and ssh-keygen sign commits in tests
	libgit2-dev git openssh-client
	# gpg-signed commits: gpgme runs gpg; gpg-agent makes the tests' keys
	libgpgme-dev gpg gpg-agent
)
missing=()
for p in "${packages[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages: ${missing[*]} (run as root to install them)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all build and test dependencies are installed"
