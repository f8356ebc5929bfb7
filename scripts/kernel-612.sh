#!/bin/bash
# Prepare Debian 13's 6.12 kernel for building and testing ioband on a
# Debian 12 host, in a cache directory that `make clean` leaves alone:
#   CACHE/trixie        a trixie chroot with gcc-14 and the kernel headers
#                       (bookworm's gcc-12 cannot build against them)
#   CACHE/k612/root     the unpacked kernel image package (vmlinuz, modules)
#   CACHE/k612/kver     the kernel version
# Usage: kernel-612.sh CACHE
# Needs root and debootstrap (installed when missing).  About 4 minutes
# and 1.2 GB the first time; nothing to do afterwards.
set -euo pipefail
cache=$(realpath -m "$1")
chroot_dir=$cache/trixie
k=$cache/k612
mirror=${IOBAND_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache" "$k"

# Every module modules.dep names is there: a kbuild clean with M= over
# the cache removes them; then the image is unpacked again.
modules_there() {
	local d=$k/root/usr/lib/modules/$1 m
	[ -e "$d/modules.dep" ] || return 1
	for m in $(cut -d: -f1 "$d/modules.dep"); do
		[ -e "$d/$m" ] || { echo "k612: $m is missing: unpacking again"; return 1; }
	done
}

if [ -e "$k/kver" ] && [ -e "$k/root/boot/vmlinuz-$(cat "$k/kver")" ]; then
	if ! modules_there "$(cat "$k/kver")"; then
		rm -rf "$k/root"
	elif chroot "$chroot_dir" perl -MPod::Usage -e 1 2>/dev/null; then
		echo "k612: cached: $(cat "$k/kver")"
		exit 0
	fi
fi

if ! command -v debootstrap >/dev/null; then
	echo "k612: installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
fi

if [ ! -e "$chroot_dir/.complete" ]; then
	echo "k612: debootstrap trixie into $chroot_dir (about 3 minutes)"
	rm -rf "$chroot_dir"
	debootstrap --variant=minbase \
		--include=gcc-14,make,libc6-dev,linux-headers-amd64,kmod,bc,libelf-dev,xz-utils,perl \
		trixie "$chroot_dir" "$mirror" 2>&1 |
		grep --line-buffered -E '^I: (Retrieving|Validating|Extracting|Installing|Configuring|Base)' |
		awk '{ n++ } n % 40 == 1 || /Base/ { print "k612: " $0; fflush() }'
	touch "$chroot_dir/.complete"
fi

# W=1 runs kernel-doc, which needs perl's Pod::Usage
if ! chroot "$chroot_dir" perl -MPod::Usage -e 1 2>/dev/null; then
	echo "k612: installing perl in the chroot"
	chroot "$chroot_dir" apt-get install -y -q perl >/dev/null
fi

kver=$(ls "$chroot_dir/usr/src" | sed -n 's/^linux-headers-\(.*-amd64\)$/\1/p' | sort -V | tail -1)
[ -n "$kver" ] || { echo "k612: no amd64 headers in the chroot" >&2; exit 1; }
echo "k612: kernel $kver"

if [ ! -e "$k/root/boot/vmlinuz-$kver" ]; then
	echo "k612: fetching linux-image-$kver-unsigned (about 110 MB)"
	mkdir -p "$chroot_dir/tmp/k"
	chroot "$chroot_dir" sh -c "cd /tmp/k && apt-get download -q linux-image-$kver-unsigned" >/dev/null
	rm -rf "$k/root"
	mkdir -p "$k/root"
	dpkg -x "$chroot_dir"/tmp/k/linux-image-"$kver"-unsigned_*.deb "$k/root"
	rm -rf "$chroot_dir/tmp/k"
	# modules.dep for modprobe --show-depends (the image is merged-/usr)
	depmod -b "$k/root/usr" "$kver"
fi
echo "$kver" > "$k/kver"
echo "k612: ready"
