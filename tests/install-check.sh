#!/bin/bash
# Host-side checks of the installation paths, for make check:
#   install-check.sh KVER
# make install into a DESTDIR, and a DKMS build against the host's headers
# (dkms add/build, then removed again).  Prints ok/not ok lines.
set -uo pipefail
kver=$1
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")

dest=$(mktemp -d)
if make -s -C "$top" install KVER="$kver" DESTDIR="$dest" >"$dest.log" 2>&1 &&
   [ -e "$dest/lib/modules/$kver/updates/dm-ioband.ko" ] &&
   [ -e "$dest/lib/modules/$kver/updates/bio-cgroup.ko" ] &&
   [ ! -e "$dest/lib/modules/$kver/updates/bio-cgroup-cost.ko" ] &&
   [ -x "$dest/usr/local/sbin/iobandctl" ] &&
   [ -e "$dest/usr/local/share/man/man8/iobandctl.8" ] &&
   grep -qx 'ExecStart=/usr/local/sbin/iobandctl apply /etc/ioband.conf' \
	"$dest/usr/local/lib/systemd/system/ioband.service" &&
   "$dest/usr/local/sbin/iobandctl" --version | grep -q "^iobandctl $ver\$"; then
	echo "ok - make install DESTDIR puts dm-ioband.ko and bio-cgroup.ko (not the bench's module) in lib/modules/$kver/updates, iobandctl $ver, iobandctl.8 and ioband.service (running usr/local/sbin/iobandctl) in usr/local"
else
	echo "not ok - make install DESTDIR: $(tail -3 "$dest.log" | tr '\n' ' ')"
fi
rm -rf "$dest" "$dest.log"

if ! command -v dkms >/dev/null || [ "$(id -u)" != 0 ]; then
	echo "ok - dkms build: skipped (needs root and dkms)"
	exit 0
fi
src=/usr/src/ioband-$ver
if [ -e "$src" ] || dkms status ioband 2>/dev/null | grep -q .; then
	echo "ok - dkms build: skipped (ioband is already registered with dkms here)"
	exit 0
fi
mkdir -p "$src"
cp -r "$top/Kbuild" "$top/dkms.conf" "$top/dm-ioband" "$top/bio-cgroup" "$src/"
log=$(mktemp)
if dkms add "ioband/$ver" >"$log" 2>&1 && dkms build "ioband/$ver" -k "$kver" >>"$log" 2>&1 &&
   dkms status "ioband/$ver" -k "$kver" | grep -q built &&
   find "/var/lib/dkms/ioband/$ver" -name 'bio-cgroup.ko*' | grep -q .; then
	echo "ok - dkms build ioband/$ver for $kver"
else
	echo "not ok - dkms build ioband/$ver for $kver: $(tail -5 "$log" | tr '\n' ' ')"
fi
dkms remove "ioband/$ver" --all >/dev/null 2>&1
rm -rf "$src" "$log"
