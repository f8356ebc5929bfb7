#!/bin/bash
# Install what ioband's build, tests, demo and benchmarks need on Debian 12,
# and only what is missing.  Run as root (or with sudo available).
set -euo pipefail

pkgs=(make gcc libc6-dev kmod cpio busybox-static fio dmsetup libdevmapper-dev
      qemu-system-x86 linux-image-amd64 linux-headers-amd64 pkg-config dkms debootstrap
      e2fsprogs lvm2 cryptsetup-bin xfsprogs btrfs-progs fdisk)
[ "${IOBAND_DEPS_EXTRA:-}" ] && pkgs+=(${IOBAND_DEPS_EXTRA})

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: everything needed is installed"
	exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}"
echo "deps: apt-get update (a minute on a new machine)"
$sudo apt-get update -q
echo "deps: apt-get install (a few minutes on a new machine: QEMU and a kernel)"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" |
	grep --line-buffered -E '^(Get|Setting up|Unpacking linux)' | sed -u 's/^/deps: /'
echo "deps: done"
