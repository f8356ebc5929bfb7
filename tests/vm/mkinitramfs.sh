#!/bin/bash
# Build the guest initramfs for the ioband VM tests.
#   mkinitramfs.sh KVER MODROOT IOBAND_KO RUNAS IOBANDCTL OUT
# MODROOT holds lib/modules/KVER (/ for the host's Debian kernel).
# The archive is an uncompressed newc cpio: the kernel unpacks it faster
# under emulation than it would decompress it.
set -euo pipefail
kver=$1 modroot=$2 ko=$3 runas=$4 iobandctl=$5 out=$6
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"	# tests run programs as other users

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,lib/modules,tests,mnt,root}
cp /bin/busybox "$root/bin/busybox"
for app in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$app" ] || ln -s busybox "$root/bin/$app"
done

# Real binaries with the libraries ldd names.  Remove a busybox link of the
# same name first, or cp writes through it over busybox.
copy_bin() {
	local src=$1 dst=$root/bin/$(basename "$1") lib
	rm -f "$dst"
	cp -L "$src" "$dst"
	for lib in $(ldd "$src" | awk '/=>/ { print $3 } /^\t\// { print $1 }'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
copy_bin /usr/sbin/dmsetup
copy_bin /usr/bin/fio
copy_bin "$iobandctl"
copy_bin /sbin/mke2fs
# the storage stacks of the "stacks" tests
for b in lvm cryptsetup sfdisk mkfs.xfs mkfs.btrfs; do
	copy_bin "$(command -v $b || echo /usr/sbin/$b)"
done
mkdir -p "$root/etc/lvm"
cp "$here/guest/lvm.conf" "$root/etc/lvm/lvm.conf"
cp "$runas" "$root/bin/runas"
# the systemd unit as `make install` puts it (PREFIX=/usr), for the unit's
# test; the binary it names is the image's
make -s -C "$here/../../tools" install-unit DESTDIR="$root" PREFIX=/usr >/dev/null
mkdir -p "$root/usr/sbin"
ln -s /bin/iobandctl "$root/usr/sbin/iobandctl"

# Kernel modules, in load order, as plain .ko files: those /init loads
# (etc/modules), then those the "stacks" tests load (etc/modules.stacks).
add_mods() {
	local list=$1 m f name
	shift
	: > "$root/etc/$list"
	for m in "$@"; do
		for f in $(modprobe -d "$modroot" -S "$kver" --show-depends "$m" |
			   awk '$1 == "insmod" { print $2 }'); do
			name=$(basename "${f%%.ko*}").ko
			[ -e "$root/lib/modules/$name" ] && continue
			case $f in
			*.xz) xz -dc "$f" > "$root/lib/modules/$name" ;;
			*.zst) zstd -qdc "$f" > "$root/lib/modules/$name" ;;
			*) cp "$f" "$root/lib/modules/$name" ;;
			esac
			echo "$name" >> "$root/etc/$list"
		done
	done
}
add_mods modules configfs null_blk dm-mod dm-delay dm-flakey bfq brd loop ext4
add_mods modules.stacks dm-crypt dm-thin-pool xts aesni-intel algif_skcipher xfs btrfs
cp "$(dirname "$ko")/bio-cgroup.ko" "$root/lib/modules/bio-cgroup.ko"
cp "$ko" "$root/lib/modules/dm-ioband.ko"
printf 'bio-cgroup.ko\ndm-ioband.ko\n' >> "$root/etc/modules"
# the bench's, loaded by the bench when it wants it
cost=$(dirname "$ko")/bio-cgroup-cost.ko
[ -e "$cost" ] && cp "$cost" "$root/lib/modules/"

cp "$here"/guest/*.sh "$root/tests/"
cp "$here/guest/init" "$root/init"
chmod +x "$root/init" "$root"/tests/*.sh
printf 'root:x:0:0::/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"

(cd "$root" && find . | cpio -o -H newc --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
