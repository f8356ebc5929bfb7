#!/bin/bash
# Build a debug kernel from Debian's 6.1 source for `make check-debug`, in
# the cache directory that `make clean` leaves alone:
#   CACHE/kdebug/src        the configured and built source tree (modules
#                           are built against it)
#   CACHE/kdebug/root       lib/modules/KVER and boot/vmlinuz-KVER
#   CACHE/kdebug/kver       the kernel version
# Usage: kernel-debug.sh CACHE
# The config is x86_64 defconfig for a KVM/QEMU guest plus what the suite
# loads (dm, null_blk, brd, loop, ext4, bfq) and the checkers: KASAN,
# lockdep with lock_stat, kmemleak, UBSAN, atomic-sleep and debug objects.
# About 40 minutes on 2 cores the first time; nothing to do afterwards.
set -euo pipefail
cache=$(realpath -m "$1")
k=$cache/kdebug
mkdir -p "$k"

# Every module modules.dep names is there: a kbuild clean with M= over
# the cache removes them, and the (incremental) build below puts them back.
modules_there() {
	local d=$1/lib/modules/$2 m
	[ -e "$d/modules.dep" ] || return 1
	for m in $(cut -d: -f1 "$d/modules.dep"); do
		[ -e "$d/$m" ] || { echo "kdebug: $m is missing: building again"; return 1; }
	done
}

if [ -e "$k/kver" ] && [ -e "$k/root/boot/vmlinuz-$(cat "$k/kver")" ] &&
   [ -e "$k/src/Module.symvers" ] && modules_there "$k/root" "$(cat "$k/kver")"; then
	echo "kdebug: cached: $(cat "$k/kver")"
	exit 0
fi

# the source and what building a kernel needs, through deps.sh
IOBAND_DEPS_EXTRA="linux-source-6.1 bc flex bison libelf-dev libssl-dev xz-utils" \
	"$(dirname "$0")/deps.sh" | sed -u 's/^deps:/kdebug:/'

if [ ! -e "$k/src/.unpacked" ]; then
	tarball=$(ls /usr/src/linux-source-6.1.tar.xz)
	echo "kdebug: unpacking $tarball"
	rm -rf "$k/src"
	mkdir -p "$k/src"
	tar -C "$k/src" --strip-components=1 -xJf "$tarball"
	touch "$k/src/.unpacked"
fi

cd "$k/src"
echo "kdebug: configuring (defconfig, guest, ioband's modules, debug checkers)"
make -s defconfig >/dev/null
make -s kvm_guest.config >/dev/null
frag=$(mktemp)
cat > "$frag" <<'CFG'
CONFIG_LOCALVERSION="-iobdebug"
CONFIG_LOCALVERSION_AUTO=n
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
CONFIG_MODULE_SIG=n
CONFIG_MODULE_COMPRESS_NONE=y
CONFIG_DEBUG_INFO_NONE=y
CONFIG_DEBUG_INFO_BTF=n
CONFIG_CGROUPS=y
CONFIG_MEMCG=y
CONFIG_BLK_CGROUP=y
CONFIG_CGROUP_WRITEBACK=y
CONFIG_BLK_CGROUP_IOCOST=y
CONFIG_BLK_DEV_THROTTLING=y
CONFIG_MD=y
CONFIG_BLK_DEV_DM=m
CONFIG_DM_DELAY=m
CONFIG_DM_FLAKEY=m
CONFIG_CONFIGFS_FS=m
CONFIG_BLK_DEV_NULL_BLK=m
CONFIG_BLK_DEV_RAM=m
CONFIG_BLK_DEV_LOOP=m
CONFIG_EXT4_FS=m
CONFIG_IOSCHED_BFQ=m
CONFIG_DEBUG_FS=y
CONFIG_KASAN=y
CONFIG_KASAN_GENERIC=y
CONFIG_KASAN_INLINE=y
CONFIG_PROVE_LOCKING=y
CONFIG_LOCK_STAT=y
CONFIG_DEBUG_ATOMIC_SLEEP=y
CONFIG_DEBUG_KMEMLEAK=y
CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE=65536
CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN=n
CONFIG_UBSAN=y
CONFIG_UBSAN_BOUNDS=y
CONFIG_UBSAN_SHIFT=y
CONFIG_DEBUG_OBJECTS=y
CONFIG_DEBUG_OBJECTS_FREE=y
CONFIG_DEBUG_OBJECTS_TIMERS=y
CONFIG_DEBUG_OBJECTS_WORK=y
CONFIG_DEBUG_OBJECTS_RCU_HEAD=y
CONFIG_DEBUG_LIST=y
CONFIG_DETECT_HUNG_TASK=y
CONFIG_SOFTLOCKUP_DETECTOR=y
CFG
scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null
rm -f "$frag"
make -s olddefconfig >/dev/null
for opt in KASAN PROVE_LOCKING LOCK_STAT DEBUG_KMEMLEAK UBSAN DEBUG_OBJECTS BLK_DEV_NULL_BLK; do
	grep -q "^CONFIG_$opt=[ym]" .config || { echo "kdebug: CONFIG_$opt did not stick" >&2; exit 1; }
done

echo "kdebug: building with $(nproc) jobs (about 40 minutes the first time)"
start=$(date +%s)
# progress every 200 objects, so that a person sees it move
make -j"$(nproc)" bzImage modules 2>&1 | tee "$k/build.log" |
	awk '/^  (CC|LD|AR)/ { n++; if (n % 200 == 0) { printf "kdebug: %d objects built\n", n; fflush() } }
	     /error:/ { print; fflush() }'
[ "${PIPESTATUS[0]}" = 0 ] || { echo "kdebug: build failed, see $k/build.log" >&2; exit 1; }
# known only now: the release string includes CONFIG_LOCALVERSION
kver=$(cat include/config/kernel.release)
rm -rf "$k/root"
mkdir -p "$k/root/boot"
make -s INSTALL_MOD_PATH="$k/root" modules_install >/dev/null
cp arch/x86/boot/bzImage "$k/root/boot/vmlinuz-$kver"
echo "$kver" > "$k/kver"
echo "kdebug: $kver built in $(( $(date +%s) - start )) s"
