# ioband in the storage stacks users build with the real tools: LVM,
# LUKS2 (cryptsetup), partitions (sfdisk), dm-thin, and ext4, xfs, btrfs.
# Sourced by suite-check.sh (needs lib.sh, pair, check_ratio, CG_A, CG_B).
#
# Each stack gets a fresh memory-backed null_blk of 4 MB/s, and cgroups
# a and b at weights 1:3 on the ioband device.  Two measurements:
#   st_direct: a and b read at random with O_DIRECT; B/A 3.0 +-10%
#   st_wb: a file system on the stack; a and b each dirty 32 MiB through
#     the page cache and a sync from the root cgroup writes them back.
#     Each writer's sectors reach its own group (99-101%), and the
#     writeback shares 1:3 while both have data.
# Below ioband (an LV, LUKS2, dm-thin) the file system sits on ioband
# itself, and its writeback reaches ioband as in section 11: there st_wb
# runs in make check-long only (st_wb_below).  With LVM above ioband,
# and for xfs and btrfs, whose writeback is not ext4's, it always runs.

ST_CASES="lvm-below lvm-above luks-below crypt-above partitions thin fs"
st_any=
for c in $ST_CASES; do want stacks-$c && st_any=1; done
[ -n "$st_any" ] || return 0

echo "guest: 22. ioband in storage stacks: LVM, LUKS2, partitions, dm-thin, xfs, btrfs"
say "loading $(cat /etc/modules.stacks | tr '\n' ' ')"
for m in $(cat /etc/modules.stacks); do
	insmod /lib/modules/$m 2>/dev/null || echo "guest: insmod $m failed"
done
dmesg -c > /dev/null
mkdir -p /run/lock/lvm /run/lvm /run/cryptsetup /mnt/st
ST_DT=$DT
# 3 s of warm-up: the first pair on a freshly stacked device read up to
# B/A 3.27 (dm-crypt over ioband), a second pair right after it 2.99
DT="--ramp_time=3 --runtime=10 --time_based"
# as in the writeback tests: no background writeback until the sync
dirty_at 512 768 6000
dd if=/dev/urandom of=/tmp/luks.key bs=64 count=1 2>/dev/null
# LUKS2 with pbkdf2 at its minimum and a small header: a format in a second
LUKS="--batch-mode --disable-locks --key-file /tmp/luks.key"
LUKSFMT="$LUKS --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --luks2-metadata-size 16k --luks2-keyslots-size 512k"

# st_dev NAME: a fresh 1 GiB null_blk /dev/NAME, memory-backed, 4 MB/s.
# mbps= never completes a request larger than a tick's bytes (80 KB):
# requests are capped at 64 KB, and the device takes no discards (one
# would be the size of the whole disk).
st_dev() { nullb_create "$1" 1024 memory_backed=1 mbps=4 max_sectors=128; }

# st_ioband NAME DEV: an ioband device over DEV, cgroups a:100 b:300.
st_ioband() {
	dm_create "$1" "$(ioband_table "$2" "$1" cgroup weight-iosize 0 :100 $CG_A:100 $CG_B:300)" &&
		dmsetup message "$1" 0 io_limit 8
}

# st_run LOG CMD...: run a set-up command (no input, two minutes at
# most); on failure show its output.
st_run() {
	local log=$1
	shift
	timeout 120 "$@" < /dev/null > "$log" 2>&1 && return 0
	echo "  .. '$*' failed:"
	tail -5 "$log" | sed 's/^/  .. /'
	return 1
}

st_direct() {
	local r="--filename=$2 --rw=randread --bs=4k --iodepth=16"
	pair "--cgroup /sys/fs/cgroup/a" "$r" "--cgroup /sys/fs/cgroup/b" "$r"
	check_ratio "$1: O_DIRECT random reads share 1:3" 3.0 10
}

st_wr() { group_field "$1" "$2" 7; }

# st_wb NAME IBDEV FSDEV MKFS...: the writeback measurement, with the
# file system MKFS makes on FSDEV (IBDEV or a device stacked on it).
st_wb() {
	local name=$1 ib=$2 dev=$3
	shift 3
	if ! st_run /tmp/mkfs.log "$@" "$dev" || ! st_run /tmp/mount.log mount "$dev" /mnt/st; then
		result "$name: writeback charged to the dirtier" 1 "no file system"
		return 1
	fi
	chmod 777 /mnt/st
	sync
	wb_pair "$ib" /mnt/st 32 7
	umount /mnt/st
	wb_charged "$name: writeback charged to the dirtier" 32
	check_ratio "$name: writeback shares 1:3" 3.0 10
}

# st_wb_below: st_wb for a stack below ioband, in make check-long only
st_wb_below() {
	if [ -z "$LONG" ]; then
		skip "$1: writeback" "ext4 directly on ioband, as section 11; in make check-long"
		return 0
	fi
	st_wb "$@"
}

MKEXT4="/bin/mke2fs -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0"

# --- LVM below ioband: a logical volume, by its /dev/VG/LV path -------------
if want stacks-lvm-below; then
	say "LVM below ioband"
	st_dev stl
	if st_run /tmp/lvm.log lvm pvcreate -q /dev/stl &&
	   st_run /tmp/lvm.log lvm vgcreate -q vgs /dev/stl &&
	   st_run /tmp/lvm.log lvm lvcreate -q -y -L 512M -n lv vgs; then
		out=$(iobandctl create ibl /dev/vgs/lv --type cgroup --policy weight-iosize 2>&1) &&
			iobandctl attach ibl a --weight 100 >/dev/null &&
			iobandctl attach ibl b --weight 300 >/dev/null &&
			dmsetup message ibl 0 io_limit 8
		rc=$?
		t=$(dmsetup table ibl | cut -d' ' -f4)
		[ $rc = 0 ] && [ "$t" = "$(printf '%d:%d' $(stat -L -c '0x%t 0x%T' /dev/vgs/lv))" ]
		result "iobandctl create over an LV path (/dev/vgs/lv)" $? "exit $rc, device $t: $out"
		st_direct "ioband over an LVM volume" /dev/mapper/ibl
		st_wb_below "ioband over an LVM volume, ext4" ibl /dev/mapper/ibl $MKEXT4
		iobandctl remove ibl
	else
		result "LVM volume for ioband to stack on" 1 "lvm failed"
	fi
	st_run /tmp/lvm.log lvm vgremove -q -ff vgs
	nullb_remove stl
fi

# --- LVM above ioband: ioband is the physical volume -------------------------
if want stacks-lvm-above; then
	say "LVM above ioband"
	st_dev rawo	# not /dev/st*: LVM must see the PV only through ioband
	st_ioband ibo /dev/rawo
	if st_run /tmp/lvm.log lvm pvcreate -q /dev/mapper/ibo &&
	   st_run /tmp/lvm.log lvm vgcreate -q vgo /dev/mapper/ibo &&
	   st_run /tmp/lvm.log lvm lvcreate -q -y -L 512M -n lv vgo; then
		st_direct "LVM over ioband" /dev/vgo/lv
		st_wb "LVM over ioband, ext4" ibo /dev/vgo/lv $MKEXT4
	else
		result "LVM volume group on an ioband device" 1 "lvm failed"
	fi
	st_run /tmp/lvm.log lvm vgremove -q -ff vgo
	dm_remove ibo
	nullb_remove rawo
fi

# --- LUKS2 below ioband: ioband over /dev/mapper/NAME -----------------------
if want stacks-luks-below; then
	say "LUKS2 below ioband"
	st_dev stc
	if st_run /tmp/luks.log cryptsetup luksFormat $LUKSFMT /dev/stc &&
	   st_run /tmp/luks.log cryptsetup open $LUKS /dev/stc cr; then
		dmsetup mknodes cr
		out=$(iobandctl create ibc /dev/mapper/cr --type cgroup --policy weight-iosize 2>&1) &&
			iobandctl attach ibc a --weight 100 >/dev/null &&
			iobandctl attach ibc b --weight 300 >/dev/null &&
			dmsetup message ibc 0 io_limit 8
		result "iobandctl create over a /dev/mapper name (LUKS2)" $? "$out"
		st_direct "ioband over LUKS2" /dev/mapper/ibc
		st_wb_below "ioband over LUKS2, ext4" ibc /dev/mapper/ibc $MKEXT4
		iobandctl remove ibc
		st_run /tmp/luks.log cryptsetup close $LUKS cr
	else
		result "LUKS2 device for ioband to stack on" 1 "cryptsetup failed"
	fi
	nullb_remove stc
fi

# --- dm-crypt above ioband -----------------------------------------------
if want stacks-crypt-above; then
	say "dm-crypt above ioband"
	# Reads are submitted in the reader's context with its own pages.
	# Encrypted writes are copies in dm-crypt's own pages, submitted by its
	# dmcrypt_write thread (from the writer's own context with
	# no_write_workqueue and a synchronous cipher), and the page cache's
	# writeback comes from the flusher: no owner is left for a device
	# below.  The limit is documented; these tests hold it to the text.
	st_dev stk
	st_ioband ibk /dev/stk
	if st_run /tmp/luks.log cryptsetup luksFormat $LUKSFMT /dev/mapper/ibk &&
	   st_run /tmp/luks.log cryptsetup open $LUKS /dev/mapper/ibk ck; then
		dmsetup mknodes ck
		st_direct "dm-crypt over ioband" /dev/mapper/ck
		# ck_writes: a and b write at random with O_DIRECT; CK_MINE is
		# the part of the sectors written that reached a's or b's group.
		ck_writes() {
			local w="--filename=/dev/mapper/ck --rw=randwrite --bs=4k --iodepth=16" a b d
			dmsetup message ibk 0 reset
			pair "--cgroup /sys/fs/cgroup/a" "$w" "--cgroup /sys/fs/cgroup/b" "$w"
			a=$(st_wr ibk $CG_A); b=$(st_wr ibk $CG_B); d=$(st_wr ibk -1)
			CK_ALL=$((a + b + d))
			CK_MINE=$(pct $((a + b)) $CK_ALL)
			CK_RATIO=$(ratio "$a" "$b")
		}
		# at 4 MB/s, 10 s of writes are some 80000 sectors
		ck_writes
		at_least 1 "$CK_MINE" && [ "$CK_ALL" -gt 20000 ]
		result "dm-crypt over ioband: its write thread's O_DIRECT writes land on the default group (the documented limit)" $? \
			"$CK_MINE% of $CK_ALL sectors reached the writers' groups"
		st_run /tmp/luks.log cryptsetup close $LUKS ck
		st_run /tmp/luks.log cryptsetup open $LUKS --perf-no_write_workqueue /dev/mapper/ibk ck
		dmsetup mknodes ck
		ck_writes
		at_least "$CK_MINE" 95 && [ "$CK_ALL" -gt 20000 ]
		result "dm-crypt with no_write_workqueue over ioband: O_DIRECT writes charged to the writers" $? \
			"$CK_MINE% of $CK_ALL sectors reached the writers' groups (want >= 95%); B/A $CK_RATIO by sectors"
		# writeback, even with no_write_workqueue: the flusher submits
		st_run /tmp/mkfs.log $MKEXT4 /dev/mapper/ck &&
			st_run /tmp/mount.log mount /dev/mapper/ck /mnt/st && chmod 777 /mnt/st
		sync
		dmsetup message ibk 0 reset
		runas --cgroup /sys/fs/cgroup/a -- dd if=/dev/zero of=/mnt/st/a bs=1M count=16 2>/dev/null
		runas --cgroup /sys/fs/cgroup/b -- dd if=/dev/zero of=/mnt/st/b bs=1M count=16 2>/dev/null
		sync
		umount /mnt/st
		A=$(st_wr ibk $CG_A); B=$(st_wr ibk $CG_B); D=$(st_wr ibk -1)
		pd=$(pct "$D" $((32 << 11)))
		[ "$A" = 0 ] && [ "$B" = 0 ] && at_least "$pd" 99
		result "dm-crypt with no_write_workqueue over ioband: writeback lands on the default group (the documented limit)" $? \
			"a $A, b $B sectors; default group $D sectors, $pd% of the 2 x 16 MiB written"
		st_run /tmp/luks.log cryptsetup close $LUKS ck
	else
		result "LUKS2 device on an ioband device" 1 "cryptsetup failed"
	fi
	dm_remove ibk
	nullb_remove stk
fi

# --- partitions: two partitions of one disk in one device group, 1:2 -------
if want stacks-partitions; then
	say "partitions"
	st_dev stp
	if printf 'label: gpt\n,400M\n,400M\n' | timeout 120 sfdisk -q /dev/stp > /tmp/sfdisk.log 2>&1 &&
	   [ -b /dev/stp1 ] && [ -b /dev/stp2 ]; then
		dm_create ibp1 "$(ioband_table /dev/stp1 stp none weight 0 :100)"
		dm_create ibp2 "$(ioband_table /dev/stp2 stp none weight 0 :200)"
		pair "" "--filename=/dev/mapper/ibp1 --rw=randread --bs=4k --iodepth=16" \
		     "" "--filename=/dev/mapper/ibp2 --rw=randread --bs=4k --iodepth=16"
		check_ratio "two partitions of one disk in one device group share 1:2" 2.0 10
		dm_remove ibp1
		dm_remove ibp2
	else
		result "partitions of a null_blk disk" 1 "sfdisk: $(tail -2 /tmp/sfdisk.log)"
	fi
	nullb_remove stp
fi

# --- dm-thin below ioband: discards pass, writeback charged ----------------
if want stacks-thin; then
	say "dm-thin below ioband"
	st_dev stt
	# 16 MiB of metadata (zeroed: the pool formats it), the rest for data
	dm_create tmeta "0 32768 linear /dev/stt 0"
	dm_create tdata "0 $(( $(sectors /dev/stt) - 32768 )) linear /dev/stt 32768"
	dd if=/dev/zero of=/dev/mapper/tmeta bs=4k count=1 oflag=direct 2>/dev/null
	if dm_create tpool "0 $(sectors /dev/mapper/tdata) thin-pool /dev/mapper/tmeta /dev/mapper/tdata 128 0" &&
	   dmsetup message tpool 0 "create_thin 0" &&
	   dm_create thin "0 $((768 << 11)) thin /dev/mapper/tpool 0"; then
		st_ioband ibt /dev/mapper/thin
		# the pool's used data blocks (64 KiB): "used/total", the 6th field
		used() { dmsetup status tpool | awk '{ split($6, u, "/"); print u[1] }'; }
		dd if=/dev/urandom of=/dev/mapper/ibt bs=64k count=128 oflag=direct 2>/dev/null
		u1=$(used)
		blkdiscard /dev/mapper/ibt
		d=$?
		u2=$(used)
		[ "$d" = 0 ] && [ "${u1:-0}" -ge 128 ] && [ "$u2" = 0 ]
		result "discards pass through ioband to dm-thin" $? \
			"blkdiscard exit $d; pool blocks in use: $u1 after 8 MiB written, $u2 after the discard"
		st_wb_below "ioband over dm-thin, ext4" ibt /dev/mapper/ibt $MKEXT4
	else
		result "dm-thin volume for ioband to stack on" 1 "thin-pool failed"
	fi
	dm_remove ibt
	dm_remove thin
	dm_remove tpool
	dm_remove tmeta
	dm_remove tdata
	nullb_remove stt
fi

# --- xfs and btrfs on ioband ------------------------------------------------
if want stacks-fs; then
	say "xfs and btrfs"
	st_dev stx
	st_ioband ibx /dev/stx
	st_wb "xfs on ioband" ibx /dev/mapper/ibx mkfs.xfs -q -f -K
	dm_remove ibx
	nullb_remove stx
	st_dev stb
	st_ioband ibb /dev/stb
	st_wb "btrfs on ioband" ibb /dev/mapper/ibb mkfs.btrfs -q -f -K
	dm_remove ibb
	nullb_remove stb
fi

dmesg_clean
result "stacks: no WARN, BUG or oops" $? "$(dmesg | grep -E 'WARNING:|BUG:|Oops' | head -3)"
DT=$ST_DT
dirty_defaults
