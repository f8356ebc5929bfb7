#!/bin/bash
# Build dm-ioband.ko and bio-cgroup.ko for one of the supported kernels, with W=1.
#   build-module.sh 6.1|6.12|debug OUTDIR CACHE
# Writes OUTDIR/dm-ioband.ko, OUTDIR/bio-cgroup.ko (for 6.1 also the bench's
# bio-cgroup-cost.ko), OUTDIR/build.log, OUTDIR/kver, OUTDIR/vmlinuz
# (a link to the kernel image) and OUTDIR/modroot (where lib/modules is).
# 6.1 is Debian 12's kernel on this host; 6.12 is Debian 13's, built in a
# trixie chroot prepared by kernel-612.sh (its headers need gcc-14); debug
# is Debian's 6.1 source with KASAN, lockdep and kmemleak (kernel-debug.sh).
set -euo pipefail
which=$1 out=$(realpath -m "$2") cache=$(realpath -m "$3")
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"

case $which in
6.1)
	kver=$("$src/scripts/kernel.sh")
	echo "build: dm-ioband.ko for $kver (W=1)"
	rm -rf "$out/src"
	mkdir -p "$out/src"
	cp -r "$src/Kbuild" "$src/dm-ioband" "$src/bio-cgroup" "$out/src/"
	mkdir -p "$out/src/bench"
	cp "$src/bench/bio-cgroup-cost.c" "$out/src/bench/"
	# with the bench's module, which is never installed
	make -C "/lib/modules/$kver/build" M="$out/src" W=1 IOBAND_BENCH=m modules \
		> "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
	cp "$out/src/dm-ioband.ko" "$out/src/bio-cgroup.ko" "$out/src/bio-cgroup-cost.ko" "$out/"
	ln -sf "/boot/vmlinuz-$kver" "$out/vmlinuz"
	echo / > "$out/modroot"
	;;
6.12)
	"$src/scripts/kernel-612.sh" "$cache"
	kver=$(cat "$cache/k612/kver")
	root=$cache/trixie
	echo "build: dm-ioband.ko for $kver in the trixie chroot (W=1)"
	rm -rf "$root/build/ioband"
	mkdir -p "$root/build/ioband"
	cp -r "$src/Kbuild" "$src/dm-ioband" "$src/bio-cgroup" "$root/build/ioband/"
	chroot "$root" make -C "/usr/src/linux-headers-$kver" M=/build/ioband W=1 modules \
		> "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
	cp "$root/build/ioband/dm-ioband.ko" "$root/build/ioband/bio-cgroup.ko" "$out/"
	ln -sf "$cache/k612/root/boot/vmlinuz-$kver" "$out/vmlinuz"
	echo "$cache/k612/root/usr" > "$out/modroot"
	;;
debug)
	"$src/scripts/kernel-debug.sh" "$cache"
	kver=$(cat "$cache/kdebug/kver")
	echo "build: dm-ioband.ko for $kver, the debug kernel (W=1)"
	rm -rf "$out/src"
	mkdir -p "$out/src"
	cp -r "$src/Kbuild" "$src/dm-ioband" "$src/bio-cgroup" "$out/src/"
	make -C "$cache/kdebug/src" M="$out/src" W=1 modules \
		> "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
	cp "$out/src/dm-ioband.ko" "$out/src/bio-cgroup.ko" "$out/"
	ln -sf "$cache/kdebug/root/boot/vmlinuz-$kver" "$out/vmlinuz"
	echo "$cache/kdebug/root" > "$out/modroot"
	;;
*)
	echo "build-module.sh: unknown kernel '$which' (6.1 or 6.12)" >&2
	exit 2
	;;
esac
echo "$kver" > "$out/kver"
if grep -q 'warning:' "$out/build.log"; then
	echo "build: warnings:"
	grep 'warning:' "$out/build.log"
fi
