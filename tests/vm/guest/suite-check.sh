#!/bin/sh
# The ioband VM test suite (make check).  Each test prints one or more
# "ok - NAME: details" / "not ok - NAME: details" lines.
. /tests/lib.sh

RUNTIME=${RUNTIME:-10}
DT="--ramp_time=1 --runtime=$RUNTIME --time_based"

echo "guest: setting up null_blk devices"
# 4k tests: 4 MB/s is ~1000 IOPS, well below what two fio reach under
# emulation even on a loaded host (at 8 MB/s a busy CI machine could not
# keep the device saturated), so the device and not the CPU is the
# bottleneck.
nullb_create slow 2048 mbps=4 || echo "guest: cannot create null_blk"
nullb_create mid 2048 mbps=16
nullb_create nbmem 512 memory_backed=1 mbps=32
nullb_create nbdisc 64 memory_backed=1 discard=1
cg_make a >/dev/null
cg_make b >/dev/null
cg_make c >/dev/null
CG_A=$(stat -c %i /sys/fs/cgroup/a)
CG_B=$(stat -c %i /sys/fs/cgroup/b)
CG_C=$(stat -c %i /sys/fs/cgroup/c)

# pair NAME RUNAS_A FIOARGS_A -- RUNAS_B FIOARGS_B: run two fio at once,
# set BW_A and BW_B (KiB/s, read + write).
pair() {
	local ra=$1 aa=$2 rb=$3 ba=$4
	fio_start /tmp/fa "$ra" --name=a $aa $DT
	fio_start /tmp/fb "$rb" --name=b $ba $DT
	wait
	pair_result
}

# Read both fio results over the time both ran; a failed fio shows its log.
pair_result() {
	local f
	for f in fa fb; do
		if [ "$(fio_err /tmp/$f)" != 0 ]; then
			echo "  .. fio $f failed:"; sed 's/^/  .. /' /tmp/$f.log | head -5
		fi
	done
	window_bw /tmp/fa /tmp/fb
}

# check_ratio NAME TARGET PCT: assert BW_B/BW_A.  Not on the debug kernel:
# there the CPU, not the device, is the bottleneck, and shares are
# undefined.
check_ratio() {
	local r rc
	r=$(ratio "$BW_A" "$BW_B")
	if [ -n "$DEBUGKERNEL" ]; then
		skip "$1" "shares are not measured on the debug kernel (B/A $r)"
		WINDOW_RUNS=
		return 0
	fi
	within "$r" "$2" "$3"
	rc=$?
	result "$1" $rc "B/A $r (want $2 +-$3%), A $BW_A KiB/s, B $BW_B KiB/s over ${WINDOW_S}s"
	# a failure shows how it went (a pair's samples, not a writeback's)
	[ $rc = 0 ] || [ -z "$WINDOW_RUNS" ] || window_samples
	WINDOW_RUNS=
}

# --- 0. cgroup ids are inode numbers ---------------------------------------
if want ids; then
	# Attach by inode number, run I/O from the cgroup, and see it charged.
	dm_create ib0 "$(ioband_table /dev/mid ids cgroup weight 0 :100 $CG_A:100)"
	runas --cgroup /sys/fs/cgroup/a -- dd if=/dev/mapper/ib0 of=/dev/null bs=4k count=64 iflag=direct 2>/dev/null
	n=$(group_field ib0 $CG_A 1)
	[ "$n" = 64 ]
	result "cgroup id is the directory inode" $? "cgroup a inode $CG_A, charged $n of 64 reads"
	# A child of an attached cgroup belongs to it; a detached one falls
	# back to the default group.
	mkdir -p /sys/fs/cgroup/a/sub
	runas --cgroup /sys/fs/cgroup/a/sub -- dd if=/dev/mapper/ib0 of=/dev/null bs=4k count=32 iflag=direct 2>/dev/null
	n=$(group_field ib0 $CG_A 1)
	dmsetup message ib0 0 detach $CG_A
	runas --cgroup /sys/fs/cgroup/a/sub -- dd if=/dev/mapper/ib0 of=/dev/null bs=4k count=16 iflag=direct 2>/dev/null
	d=$(group_field ib0 -1 1)
	[ "$n" = 96 ] && [ "$d" = 16 ]
	result "nested cgroup charged to the nearest attached ancestor" $? "a/sub: $n of 96 to a; after detach $d of 16 to the default group"
	rmdir /sys/fs/cgroup/a/sub
	# Each CPU keeps the group its last bio's cgroup went to: b's reads
	# go to the default group, then to b's group from its attach on, on
	# the same CPU, and back after its detach (with a attached, so that
	# bios are looked up at all; b's group is dead after its detach, and
	# its bios would go to the default group whatever the CPU kept).
	dmsetup message ib0 0 attach $CG_A
	rd() { taskset -c 0 runas --cgroup /sys/fs/cgroup/$1 -- dd if=/dev/mapper/ib0 of=/dev/null bs=4k count=$2 iflag=direct 2>/dev/null; }
	d0=$(group_field ib0 -1 1)
	rd b 8
	dmsetup message ib0 0 attach $CG_B
	rd b 24
	n=$(group_field ib0 $CG_B 1)
	dmsetup message ib0 0 detach $CG_B
	rd b 4
	d=$(group_field ib0 -1 1)
	[ "$n" = 24 ] && [ $((d - d0)) = 12 ]
	result "a cgroup's bios follow its attach and detach on the same CPU" $? "b: $n of 24 after its attach; default group $((d - d0)) of 12 (8 before, 4 after)"
	# m/sub's reads go to m, then, on the same CPU, to a group of its
	# own once m is marked (memory on in m's subtree: the pages' owner
	# is m/sub)
	mkdir -p /sys/fs/cgroup/m
	echo "+memory" > /sys/fs/cgroup/m/cgroup.subtree_control
	mkdir -p /sys/fs/cgroup/m/sub
	m=$(stat -c %i /sys/fs/cgroup/m) sub=$(stat -c %i /sys/fs/cgroup/m/sub)
	dmsetup message ib0 0 attach $m
	rd m/sub 8
	dmsetup message ib0 0 children $m:1
	rd m/sub 16
	n=$(group_field ib0 $sub 1) nm=$(group_field ib0 $m 1)
	fb=$(dmsetup message ib0 0 groups | head -1)
	dmsetup message ib0 0 children $m:0
	dmsetup message ib0 0 detach $m
	rmdir /sys/fs/cgroup/m/sub /sys/fs/cgroup/m
	[ "$n" = 16 ] && [ "$nm" = 8 ]
	result "a child cgroup's bios go to a group of its own from its parent's mark on, on the same CPU" $? "m/sub: m got $nm of the 8 before the mark, its own group $n of the 16 after ($fb: a fallback is a group spawn could not make)"
	dm_remove ib0
fi

# --- 1. weights 1:3 by group type -------------------------------------------
if want weights; then
	echo "guest: 1. weights 100:300, B/A must be 3.0 +-10%"
	dm_create ib1 "$(ioband_table /dev/slow t1 cgroup weight 0 :100 $CG_A:100 $CG_B:300)"
	R4="--filename=/dev/mapper/ib1 --rw=randread --bs=4k --iodepth=16"
	pair "--cgroup /sys/fs/cgroup/a" "$R4" "--cgroup /sys/fs/cgroup/b" "$R4"
	check_ratio "weights cgroup 4k randread qd16" 3.0 10
	dm_remove ib1

	dm_create ib1 "$(ioband_table /dev/mid t1 cgroup weight 0 :100 $CG_A:100 $CG_B:300)"
	S64="--filename=/dev/mapper/ib1 --rw=read --bs=64k --iodepth=8"
	pair "--cgroup /sys/fs/cgroup/a" "$S64" "--cgroup /sys/fs/cgroup/b" "$S64"
	check_ratio "weights cgroup 64k seqread qd8" 3.0 10
	dm_remove ib1

	# The other group types: what they test is whose bio it is, and 5 s
	# of 4k reads (some 5000; 4 s for pid and pgrp, attached after 2 s)
	# pin a 1:3 share as well as 9 s (CI time)
	W_DT=$DT
	DT="--ramp_time=1 --runtime=6 --time_based"
	dm_create ib1 "$(ioband_table /dev/slow t1 uid weight 0 :100 1001:100 1002:300)"
	pair "--uid 1001 --gid 1001" "$R4" "--uid 1002 --gid 1002" "$R4"
	check_ratio "weights uid 4k randread qd16" 3.0 10
	dm_remove ib1

	dm_create ib1 "$(ioband_table /dev/slow t1 gid weight 0 :100 2001:100 2002:300)"
	pair "--gid 2001" "$R4" "--gid 2002" "$R4"
	check_ratio "weights gid 4k randread qd16" 3.0 10
	dm_remove ib1

	# pid: fio's job threads (--thread) share the tgid of the process we
	# attach; pgrp: runas makes a new process group and fio's threads stay
	# in it.  runas waits before its exec so that the attach comes first.
	attached_pair() {
		fio_start /tmp/fa "$1 --delay 2" --name=a $R4 --thread $DT
		pa=$!
		fio_start /tmp/fb "$1 --delay 2" --name=b $R4 --thread $DT
		pb=$!
		dmsetup message ib1 0 attach $pa && dmsetup message ib1 0 weight $pa:100
		dmsetup message ib1 0 attach $pb && dmsetup message ib1 0 weight $pb:300
		wait
		pair_result
	}
	dm_create ib1 "$(ioband_table /dev/slow t1 pid weight 0 :100)"
	attached_pair ""
	check_ratio "weights pid 4k randread qd16" 3.0 10
	dmsetup message ib1 0 detach $pa
	dmsetup message ib1 0 detach $pb
	dmsetup message ib1 0 type pgrp
	attached_pair "--newpgrp"
	check_ratio "weights pgrp 4k randread qd16" 3.0 10
	dm_remove ib1
	DT=$W_DT
fi

# --- 2. weight-iosize: equal bytes for 4k and 64k at equal weights --------
if want iosize; then
	echo "guest: 2. weight-iosize, 4k against 64k, equal bytes +-10%"
	# 16 MB/s: B's 64k reads are some 120 a second, A's 4k ones 2000
	dm_create ib2 "$(ioband_table /dev/mid t2 cgroup weight-iosize ${IOSIZE_TOKEN:-0} :100 $CG_A:100 $CG_B:100)"
	pair "--cgroup /sys/fs/cgroup/a" "--filename=/dev/mapper/ib2 --rw=randread --bs=4k --iodepth=16" \
	     "--cgroup /sys/fs/cgroup/b" "--filename=/dev/mapper/ib2 --rw=randread --bs=64k --iodepth=8"
	check_ratio "weight-iosize 4k vs 64k bytes" 1.0 10
	dm_remove ib2
fi

# --- 3. work conservation ----------------------------------------------------
if want conserve; then
	echo "guest: 3. work conservation: A alone must get >= 90% of the device"
	fio_start /tmp/fr "" --name=raw --filename=/dev/slow --rw=randread --bs=4k --iodepth=16 $DT
	wait
	raw=$(fio_rbw /tmp/fr)
	dm_create ib3 "$(ioband_table /dev/slow t3 cgroup weight 0 :100 $CG_A:100 $CG_B:900)"
	fio_start /tmp/fa "--cgroup /sys/fs/cgroup/a" --name=a --filename=/dev/mapper/ib3 --rw=randread --bs=4k --iodepth=16 $DT
	wait
	got=$(fio_rbw /tmp/fa)
	r=$(ratio "$raw" "$got")
	at_least "$r" 0.9
	result "work conservation (weight 100 of 1100, others idle)" $? "A alone $got KiB/s = $r of the raw device ($raw KiB/s)"
	dm_remove ib3
fi

# --- 4. thread-count independence -------------------------------------------
if want threads; then
	echo "guest: 4. one job against eight, equal weights, shares equal +-10%"
	dm_create ib4 "$(ioband_table /dev/slow t4 cgroup weight 0 :100 $CG_A:100 $CG_B:100)"
	R4="--filename=/dev/mapper/ib4 --rw=randread --bs=4k --iodepth=16"
	pair "--cgroup /sys/fs/cgroup/a" "$R4 --numjobs=1" "--cgroup /sys/fs/cgroup/b" "$R4 --numjobs=8"
	check_ratio "1 job vs 8 jobs equal weights" 1.0 10
	dm_remove ib4

	# io_limit with submitters on both CPUs: each CPU keeps a stock of
	# the device group's in-flight slots (ioband-slots.h).  Bios stay
	# 10 ms in this null_blk; two jobs send 32 bios at once and wait for
	# all 32 before the next burst, so 64 are in flight without a limit.
	# io_limit 8 lets 8 (+1 per concurrent sender) through, and all 8 are
	# used, none left in an idle CPU's stock: 800 IOPS, less the
	# dispatcher's turn for each wave of held bios.  (A completion that
	# fails to wake the dispatcher does not show here: the last of a wave
	# empties the group, which wakes it too; test-policy's threads catch
	# that.)
	nullb_create deep 1024 irqmode=2 completion_nsec=10000000 hw_queue_depth=64
	inflight_max() {	# DEV SECONDS: most requests in flight, sampled
		awk -v f=/sys/block/$1/inflight -v n=$(($2 * 20)) 'BEGIN {
			for (i = 0; i < n; i++) {
				getline l < f; close(f); split(l, v, " ")
				if (v[1] + v[2] > m) m = v[1] + v[2]
				system("sleep 0.02")
			}
			print m + 0 }'
	}
	deep_run() {	# IO_LIMIT: sets DEEP_MAX and DEEP_IOPS
		dm_create ib4d "0 $(sectors /dev/deep) ioband /dev/deep t4d 0 $1 none weight 0 :100"
		fio_start /tmp/fd "" --name=deep --filename=/dev/mapper/ib4d --rw=randread \
			--bs=4k --iodepth=32 --iodepth_batch_submit=32 --iodepth_batch_complete_min=32 \
			--numjobs=2 --ramp_time=1 --runtime=5 --time_based
		sleep 2
		DEEP_MAX=$(inflight_max deep 3)
		wait
		DEEP_IOPS=$(fio_field /tmp/fd 8)
		dm_remove ib4d
	}
	deep_run 0
	ref_max=$DEEP_MAX ref_iops=$DEEP_IOPS
	deep_run 8
	if [ -n "$DEBUGKERNEL" ]; then
		# bound by the CPU there: the cap, not the rate
		[ "$ref_max" -gt 10 ] && [ "$DEEP_MAX" -ge 6 ] && [ "$DEEP_MAX" -le 10 ]
		result "io_limit 8 caps bios in flight from two CPUs" $? \
			"at most $DEEP_MAX in flight (want 6 to 10), $DEEP_IOPS IOPS (not measured on the debug kernel); default io_limit: $ref_max in flight, $ref_iops IOPS"
	else
		[ "$ref_max" -ge 32 ] && [ "$DEEP_MAX" -ge 6 ] && [ "$DEEP_MAX" -le 10 ] &&
			at_least "$DEEP_IOPS" 600
		result "io_limit 8 caps bios in flight from two CPUs, and uses all 8" $? \
			"at most $DEEP_MAX in flight (want 6 to 10), $DEEP_IOPS IOPS (want >= 600, 75% of 800); default io_limit: $ref_max in flight, $ref_iops IOPS"
		nullb_remove deep	# null_blk teardown soft-locks the debug kernel
	fi
fi

# --- 5. device group ------------------------------------------------------------
if want devgroup; then
	echo "guest: 5. two ioband devices in one device group, weights 1:2"
	halves /dev/slow lin0 lin1
	dm_create ib5a "$(ioband_table /dev/mapper/lin0 dg5 none weight 0 :100)"
	dm_create ib5b "$(ioband_table /dev/mapper/lin1 dg5 none weight 0 :200)"
	pair "" "--filename=/dev/mapper/ib5a --rw=randread --bs=4k --iodepth=16" \
	     "" "--filename=/dev/mapper/ib5b --rw=randread --bs=4k --iodepth=16"
	check_ratio "device group weights 1:2" 2.0 10
	dm_remove ib5a
	dm_remove ib5b
	dm_remove lin0
	dm_remove lin1
fi

# --- 6. data integrity under reconfiguration ----------------------------------
if want integrity; then
	echo "guest: 6. three writers with crc32c verify while settings change"
	dm_create ib6 "$(ioband_table /dev/nbmem t6 cgroup weight 0 :100 $CG_A:100 $CG_B:200 $CG_C:300)"
	V="--filename=/dev/mapper/ib6 --rw=randwrite --bs=4k --iodepth=8 --size=48m --verify=crc32c --verify_fatal=1"
	fio_start /tmp/va "--cgroup /sys/fs/cgroup/a" --name=va $V --offset=0
	p1=$!
	fio_start /tmp/vb "--cgroup /sys/fs/cgroup/b" --name=vb $V --offset=64m --bs=64k
	p2=$!
	fio_start /tmp/vc "--cgroup /sys/fs/cgroup/c" --name=vc $V --offset=128m --bs=16k
	p3=$!
	cg_make d >/dev/null
	CG_D=$(stat -c %i /sys/fs/cgroup/d)
	msgs=0
	bad=0
	while kill -0 $p1 2>/dev/null || kill -0 $p2 2>/dev/null || kill -0 $p3 2>/dev/null; do
		for m in "weight $CG_A:500" "token 64" "carryover 0" "policy weight-iosize" \
			 "attach $CG_D" "weight $CG_D:50" "io_limit 16" "io_throttle 2" \
			 "detach $CG_D" "policy weight" "token 0" "carryover 2" "io_limit 0" \
			 "io_throttle 0" "weight $CG_A:100" "detach $CG_C" "attach $CG_C" \
			 "weight $CG_C:300" "reset"; do
			dmsetup message ib6 0 $m || bad=$((bad + 1))
			msgs=$((msgs + 1))
		done
		sleep 0.2
	done
	wait
	errs=0
	for f in va vb vc; do
		e=$(fio_err /tmp/$f)
		[ "$e" = 0 ] || errs=$((errs + 1))
		grep -qi "verify\|error" /tmp/$f.log && errs=$((errs + 1))
	done
	written=$(( $(group_field ib6 $CG_A 7) + $(group_field ib6 $CG_B 7) + $(group_field ib6 $CG_C 7) ))
	[ $errs = 0 ] && [ $bad = 0 ] && [ $msgs -gt 0 ]
	result "data integrity with $msgs reconfiguration messages" $? "fio errors $errs, refused messages $bad"
	# RWF_NOWAIT: map() never sleeps, so ioband takes such bios (io_uring
	# then issues inline rather than from a worker thread); dm-delay, which
	# does not, refuses them with EOPNOTSUPP.
	NW="--rw=randwrite --bs=4k --size=4m --ioengine=pvsync2 --nowait=1 --direct=1 --verify=crc32c --verify_fatal=1"
	fio_start /tmp/nw "--cgroup /sys/fs/cgroup/a" --name=nw --filename=/dev/mapper/ib6 $NW --offset=192m
	wait
	dm_create dly6 "0 $(sectors /dev/nbmem) delay /dev/nbmem 0 0"
	fio_start /tmp/nwd "" --name=nwd --filename=/dev/mapper/dly6 $NW --offset=192m
	wait
	dm_remove dly6
	e1=$(fio_err /tmp/nw) e2=$(fio_err /tmp/nwd)
	[ "$e1" = 0 ] && [ "$(fio_field /tmp/nw 47)" -gt 0 ] &&
		{ [ -n "$e2" ] && [ "$e2" != 0 ] || grep -qi "not supported" /tmp/nwd.log; }
	result "RWF_NOWAIT direct writes go through ioband, verified (dm-delay refuses them)" $? \
		"ioband: error $e1, $(fio_field /tmp/nw 47) KiB; dm-delay: error ${e2:-none} ($(grep -m1 -io 'operation not supported' /tmp/nwd.log))"
	dm_remove ib6
fi

# --- 7. bad input --------------------------------------------------------------
# bad_table WHAT EXPECTED_DMESG ARGS...: the table must be refused with a
# reason in the kernel log, and no device left behind.
BAD_FAIL=""
BAD_N=0
bad_table() {
	local what=$1 expect=$2 before
	shift 2
	BAD_N=$((BAD_N + 1))
	dmesg -c >/dev/null
	if echo "0 $(sectors /dev/mid) ioband $*" | dmsetup create badib --noudevsync 2>/dev/null; then
		BAD_FAIL="$BAD_FAIL [$what: accepted]"
		dm_remove badib
		return
	fi
	dmsetup info badib >/dev/null 2>&1 && { BAD_FAIL="$BAD_FAIL [$what: device left]"; dm_remove badib; }
	dmesg | grep -q "$expect" || BAD_FAIL="$BAD_FAIL [$what: no '$expect' in dmesg]"
}

# bad_msg WHAT EXPECTED_DMESG MESSAGE...: refused, reason logged, table and
# status block of the live device unchanged.
bad_msg() {
	local what=$1 expect=$2 t0 t1
	shift 2
	BAD_N=$((BAD_N + 1))
	t0=$(dmsetup table ib7)
	dmesg -c >/dev/null
	if dmsetup message -- ib7 0 "$@" 2>/dev/null; then
		BAD_FAIL="$BAD_FAIL [$what: accepted]"
	fi
	dmesg | grep -q "$expect" || BAD_FAIL="$BAD_FAIL [$what: no '$expect' in dmesg]"
	t1=$(dmsetup table ib7)
	[ "$t0" = "$t1" ] || BAD_FAIL="$BAD_FAIL [$what: table changed to '$t1']"
}

if want badinput; then
	echo "guest: 7. malformed tables and messages"
	D=/dev/mid
	bad_table "too few args" "Not enough arguments" $D g7 0 0 none weight
	bad_table "no device" "Device lookup failed" /dev/nonexistent g7 0 0 none weight 0
	bad_table "bad major:minor" "Device lookup failed" 999:999 g7 0 0 none weight 0
	bad_table "long devgroup" "Invalid device-group id" $D 0123456789012345678901234567890123456789 0 0 none weight 0
	bad_table "io_throttle word" "Invalid io_throttle" $D g7 abc 0 none weight 0
	bad_table "io_throttle negative" "Invalid io_throttle" $D g7 -1 0 none weight 0
	bad_table "io_throttle range" "Invalid io_throttle" $D g7 40000 0 none weight 0
	bad_table "io_limit overflow" "Invalid io_limit" $D g7 0 99999999999999999999 none weight 0
	bad_table "io_limit below throttle" "io_limit is smaller" $D g7 8 2 none weight 0
	bad_table "unknown type" "Unknown group type" $D g7 0 0 bogus weight 0
	bad_table "type node" "not supported" $D g7 0 0 node weight 0
	bad_table "type cpuset" "not supported" $D g7 0 0 cpuset weight 0
	bad_table "unknown policy" "Unknown policy" $D g7 0 0 none fifo 0
	bad_table "token word" "Invalid token base" $D g7 0 0 none weight x
	bad_table "token range" "Invalid token base" $D g7 0 0 none weight 2000000000
	bad_table "weight 0" "Invalid group argument" $D g7 0 0 uid weight 0 :0
	bad_table "weight range" "Invalid group argument" $D g7 0 0 uid weight 0 :10001
	bad_table "default twice" "Default weight given twice" $D g7 0 0 uid weight 0 :100 :200
	bad_table "group twice" "Group id given twice" $D g7 0 0 uid weight 0 1000:100 1000:200
	bad_table "groups on none" "Group type none takes no groups" $D g7 0 0 none weight 0 5:100
	bad_table "cgroup id 0" "Invalid group argument" $D g7 0 0 cgroup weight 0 0:100
	bad_table "two colons" "Invalid group argument" $D g7 0 0 uid weight 0 1:2:3
	bad_table "junk weight" "Invalid group argument" $D g7 0 0 uid weight 0 abc
	dm_create ib7 "$(ioband_table $D g7 uid weight 0 :100 1001:200)"
	bad_table "device group conflict" "Device group exists with other" $D g7 0 0 uid weight-iosize 0
	bad_msg "unknown message" "unknown message" bogus 1
	bad_msg "missing argument" "wrong number of arguments" weight
	bad_msg "extra argument" "wrong number of arguments" attach 1 2
	bad_msg "weight 0" "expected" weight 0
	bad_msg "weight unknown group" "is not attached" weight 4242:50
	bad_msg "weight overflow" "expected" weight 1001:99999999999
	bad_msg "attach word" "invalid uid id" attach abc
	bad_msg "attach twice" "attached already" attach 1001
	bad_msg "detach unknown" "not attached" detach 424242
	bad_msg "detach default" "invalid uid id" detach -1
	bad_msg "type unknown" "unknown type" type foo
	bad_msg "type node" "not supported" type node
	bad_msg "type with groups" "detach the" type gid
	bad_msg "token negative" "expected 0 to" token -5
	bad_msg "carryover range" "expected 0 to" carryover 1000
	bad_msg "io_throttle range" "expected 0 to" io_throttle 99999
	bad_msg "io_limit below throttle" "below io_throttle" io_limit 2
	bad_msg "policy unknown" "unknown policy" policy foo
	bad_msg "reset with argument" "wrong number of arguments" reset now
	[ -z "$BAD_FAIL" ]
	result "bad input refused with a reason, nothing changed" $? "$BAD_N cases$BAD_FAIL"
	t=$(dmsetup table ib7 | cut -d' ' -f4-)
	echo "$t" | grep -q " g7 0 0 uid weight 0 :100 1001:200\$"
	result "table after bad input" $? "$t"
	dm_remove ib7
	dmesg_clean
	result "no WARN, BUG or oops after bad input" $? "$(dmesg | grep -c -E 'WARNING:|BUG:|Oops')"
fi

# --- 9. table round trip, discard and flush pass through ------------------
if want passthrough; then
	echo "guest: 9. dmsetup table recreates the device; discard, flush and O_SYNC pass"
	dm_create ib9 "$(ioband_table /dev/nbdisc t9 cgroup weight 0 :50 $CG_A:100)"
	dmsetup message ib9 0 attach $CG_B
	dmsetup message ib9 0 weight $CG_B:700
	dmsetup message ib9 0 policy weight-iosize
	t1=$(dmsetup table ib9)
	dm_remove ib9
	dm_create ib9 "$t1"
	t2=$(dmsetup table ib9)
	[ "$t1" = "$t2" ] && echo "$t1" | grep -q "weight-iosize 0 :50 $CG_A:100 $CG_B:700\$"
	result "table line recreates the device" $? "$t2"

	# Write a pattern, discard the first 4 MiB through ioband, read zeros.
	dd if=/dev/urandom of=/tmp/pat bs=1M count=8 2>/dev/null
	dd if=/tmp/pat of=/dev/mapper/ib9 bs=1M oflag=direct 2>/dev/null
	nonzero() { dd if=/dev/mapper/ib9 bs=1M count=4 iflag=direct 2>/dev/null | od -An -v -tx1 | tr -d ' \n0' | wc -c; }
	z0=$(nonzero)
	blkdiscard -o 0 -l 4194304 /dev/mapper/ib9
	d=$?
	z=$(nonzero)
	[ $d = 0 ] && [ "$z0" -gt 1000000 ] && [ "$z" = 0 ]
	result "discard reaches the device" $? "blkdiscard status $d, non-zero hex digits before $z0, after $z"

	# fsync after every write (flushes) and O_SYNC writes, verified.
	fio_start /tmp/fl "--cgroup /sys/fs/cgroup/a" --name=fl --filename=/dev/mapper/ib9 \
		--rw=randwrite --bs=4k --size=4m --offset=8m --fsync=1 --verify=crc32c --iodepth=1
	fio_start /tmp/fu "--cgroup /sys/fs/cgroup/b" --name=fu --filename=/dev/mapper/ib9 \
		--rw=randwrite --bs=16k --size=4m --offset=16m --sync=1 --verify=crc32c --iodepth=4
	wait
	[ "$(fio_err /tmp/fl)" = 0 ] && [ "$(fio_err /tmp/fu)" = 0 ]
	result "flush and O_SYNC writes verify" $? "fio errors $(fio_err /tmp/fl) and $(fio_err /tmp/fu)"
	dm_remove ib9
fi

# --- 10. iobandctl ---------------------------------------------------------------
if want tool; then
	echo "guest: 10. iobandctl: create, attach by path, stats, apply, bad input"
	majmin() { printf '%d:%d' $(stat -L -c '0x%t 0x%T' "$1"); }
	# tool_fails CODE TEXT CMD...: the command exits CODE and says TEXT.
	TOOL_BAD=""
	TOOL_N=0
	tool_fails() {
		local code=$1 text=$2 out rc
		shift 2
		TOOL_N=$((TOOL_N + 1))
		out=$("$@" 2>&1)
		rc=$?
		if [ $rc != "$code" ] || ! echo "$out" | grep -qF -- "$text"; then
			TOOL_BAD="$TOOL_BAD [$*: exit $rc, '$out']"
		fi
	}

	out=$(iobandctl create tb /dev/slow --type cgroup --device-group tt 2>&1)
	rc=$?
	[ $rc = 0 ] && [ -b /dev/mapper/tb ]
	result "iobandctl create makes /dev/mapper/tb, no udev running" $? "exit $rc: $out"
	iobandctl attach tb /sys/fs/cgroup/a --weight 100 >/dev/null
	iobandctl attach tb b --weight 300 >/dev/null
	t=$(dmsetup table tb | cut -d' ' -f4-)
	[ "$t" = "$(majmin /dev/slow) tt 0 0 cgroup weight 0 :100 $CG_A:100 $CG_B:300" ]
	result "iobandctl attach by absolute and relative cgroup path" $? "table: $t"

	R="--filename=/dev/mapper/tb --rw=randread --bs=4k --iodepth=16"
	fio_start /tmp/fa "--cgroup /sys/fs/cgroup/a" --name=a $R $DT
	fio_start /tmp/fb "--cgroup /sys/fs/cgroup/b" --name=b $R $DT
	sleep 5
	iobandctl stats tb --interval 3 > /tmp/stats.txt 2>&1
	wait
	pair_result
	check_ratio "iobandctl-made device, weights 1:3" 3.0 10
	sed 's/^/  .. /' /tmp/stats.txt
	grep -q "^/sys/fs/cgroup/b  *300 " /tmp/stats.txt
	result "iobandctl stats names groups by cgroup path" $? "$(grep -c cgroup /tmp/stats.txt) cgroup lines"

	# After the I/O, stats --json totals must be dmsetup status's sectors.
	iobandctl stats tb --json --interval 1 > /tmp/stats.json
	rc=$?
	bad=""
	for id in $CG_A $CG_B; do
		js=$(grep "\"id\": $id," /tmp/stats.json | sed 's/.*"read_bytes": \([0-9]*\).*/\1/')
		st=$(group_field tb $id 3)
		st=$(( ${st:-0} * 512 ))
		[ -n "$js" ] && [ "$js" = "$st" ] && [ "$st" -gt 0 ] || bad="$bad $id:$js/$st"
	done
	head -c 60 /tmp/stats.json | grep -q '^{"device": "tb", "device_group": "tt"' &&
		tail -1 /tmp/stats.json | grep -q '^]}$' || bad="$bad shape"
	[ $rc = 0 ] && [ -z "$bad" ]
	result "iobandctl stats --json per-group bytes agree with dmsetup status" $? \
		"exit $rc, a $(group_field tb $CG_A 3) b $(group_field tb $CG_B 3) sectors${bad:+, mismatch$bad}"

	cat > /tmp/ib.conf <<CONF
# an apply file: one device, two cgroups
[tc]
device = /dev/mid
type = cgroup
weight = 50
group a = 200
group /sys/fs/cgroup/c = 100
CONF
	out1=$(iobandctl apply /tmp/ib.conf 2>&1)
	rc1=$?
	t1=$(dmsetup table tc | cut -d' ' -f4-)
	out2=$(iobandctl apply /tmp/ib.conf 2>&1)
	rc2=$?
	t2=$(dmsetup table tc | cut -d' ' -f4-)
	[ $rc1 = 0 ] && [ $rc2 = 0 ] && [ "$out2" = "apply: nothing to change" ] &&
		[ "$t1" = "$(majmin /dev/mid) tc 0 0 cgroup weight 0 :50 $CG_A:200 $CG_C:100" ] &&
		[ "$t1" = "$t2" ]
	result "iobandctl apply creates, a second apply changes nothing" $? "'$(echo $out1)' then '$out2'; $t2"
	sed -i -e 's/^group a = 200/group a = 400/' -e '/^group .*\/c = /d' -e 's/^weight = 50/weight = 60/' /tmp/ib.conf
	out=$(iobandctl apply /tmp/ib.conf 2>&1)
	rc=$?
	t=$(dmsetup table tc | cut -d' ' -f4-)
	[ $rc = 0 ] && [ "$t" = "$(majmin /dev/mid) tc 0 0 cgroup weight 0 :60 $CG_A:400" ] &&
		[ "$(iobandctl apply /tmp/ib.conf)" = "apply: nothing to change" ]
	result "iobandctl apply changes only what differs" $? "$(echo $out); $t"

	# limits and reservations: set, stats, apply
	out=$(iobandctl set tb a limit=wbps=8M,burst=200 reserve=riops=300 2>&1) &&
		out2=$(iobandctl -v set tb a limit=wbps=0 2>&1)
	rc=$?
	t=$(dmsetup table tb | cut -d' ' -f4-)
	iobandctl stats tb --interval 1 > /tmp/qs.txt 2>&1
	iobandctl stats tb --json --interval 1 > /tmp/qs.json 2>&1
	sed 's/^/  .. /' /tmp/qs.txt
	[ $rc = 0 ] && [ "${t##* $CG_B:300 }" = "limit=$CG_A:burst=200 reserve=$CG_A:riops=300" ] &&
		echo "$out2" | grep -qx "iobandctl: message tb: limit $CG_A:bps=0,rbps=0,wbps=0,iops=0,riops=0,wiops=0,burst=200" &&
		grep -q "^  /sys/fs/cgroup/a: reserve riops=300$" /tmp/qs.txt &&
		grep -q '"reserve": {"riops": 300}, "burst_left": {}, "held_by_limit": false' /tmp/qs.json
	result "iobandctl set limit and reserve; stats shows them" $? \
		"exit $rc, '$(echo "$out2" | grep message)'; table ...${t##* $CG_B:300}; stats: $(grep -A1 '^Limits' /tmp/qs.txt | tail -1)"
	iobandctl set tb a limit=burst=0 reserve=riops=0
	echo "group /sys/fs/cgroup/c = 100 limit=wbps=8M,burst=50 reserve=bps=1M" >> /tmp/ib.conf
	out=$(iobandctl apply /tmp/ib.conf 2>&1)
	rc=$?
	t=$(dmsetup table tc | cut -d' ' -f4-)
	[ $rc = 0 ] && [ "$t" = "$(majmin /dev/mid) tc 0 0 cgroup weight 0 :60 $CG_A:400 $CG_C:100 limit=$CG_C:wbps=8388608,burst=50 reserve=$CG_C:bps=1048576" ] &&
		[ "$(iobandctl apply /tmp/ib.conf)" = "apply: nothing to change" ]
	result "iobandctl apply sets limits and reservations" $? "$(echo $out); $t"
	sed -i '/^group .*\/c = /d' /tmp/ib.conf
	iobandctl apply /tmp/ib.conf > /dev/null

	# Bad input: the exit code and the message, and nothing changed.
	dm_create lin10 "0 $(sectors /dev/nbdisc) linear /dev/nbdisc 0"
	before=$(dmsetup table tb; dmsetup table tc; dmsetup ls | sort)
	tool_fails 1 "iobandctl: attach nosuch: no such device" iobandctl attach nosuch a
	tool_fails 1 "iobandctl: attach tb: /sys/fs/cgroup/nope: no such cgroup" iobandctl attach tb nope
	tool_fails 1 "user:1001 is a user, but the device's groups are of type cgroup" iobandctl attach tb user:1001
	tool_fails 1 "is attached already" iobandctl attach tb a
	tool_fails 1 "is not attached" iobandctl detach tb c
	tool_fails 2 "weight '0': expected 1 to 10000" iobandctl set tb weight=0
	tool_fails 2 "unknown key 'speed'" iobandctl set tb speed=3
	tool_fails 2 "policy 'fifo'" iobandctl set tb policy=fifo
	tool_fails 1 "detach the 2 attached groups first" iobandctl set tb type=uid
	tool_fails 2 "expected a number, or one with K, M, G or T" iobandctl set tb a limit=bps=5X
	tool_fails 2 "unknown key 'burst'" iobandctl set tb a reserve=burst=5
	tool_fails 1 "reserve bps=2097152 is above limit bps=1048576" iobandctl set tb a limit=bps=1M reserve=bps=2M
	tool_fails 2 "only weight, limit, reserve, latency and children are set per group" iobandctl set tb a token=5
	tool_fails 2 "children: names a GROUP (a cgroup)" iobandctl set tb children=1
	tool_fails 1 "exists already" iobandctl create tb /dev/slow
	tool_fails 1 "/dev/nosuch: No such file or directory" iobandctl create tz /dev/nosuch
	tool_fails 2 "type 'node'" iobandctl create tz /dev/slow --type node
	# the kernel refuses the table (device group tt has policy weight):
	# the half-made device is removed again
	tool_fails 1 "iobandctl: create tz: " iobandctl create tz /dev/mid --device-group tt --policy weight-iosize
	tool_fails 2 "unknown command 'frob'" iobandctl frob
	tool_fails 2 "expected NAME GROUP" iobandctl attach tb
	tool_fails 1 "not an ioband device" iobandctl stats lin10
	printf '[tz]\ndevice = /dev/slow\nspeed = 3\n' > /tmp/bad1.conf
	tool_fails 1 "/tmp/bad1.conf:3: unknown key 'speed'" iobandctl apply /tmp/bad1.conf
	printf '[tz]\ndevice = /dev/slow\ntype = cgroup\n[tc]\ndevice = /dev/mid\ntype = cgroup\ngroup nope = 5\n' > /tmp/bad2.conf
	tool_fails 1 "/tmp/bad2.conf:7: /sys/fs/cgroup/nope: no such cgroup" iobandctl apply /tmp/bad2.conf
	printf '[tz]\ndevice = /dev/slow\ntype = user\ngroup /sys/fs/cgroup/a = 5\n' > /tmp/bad3.conf
	tool_fails 1 "is a cgroup, but the device's groups are of type uid" iobandctl apply /tmp/bad3.conf
	printf '[tc]\ndevice = /dev/slow\ntype = cgroup\n' > /tmp/bad4.conf
	tool_fails 1 "exists over device $(majmin /dev/mid), not $(majmin /dev/slow): remove it first" iobandctl apply /tmp/bad4.conf
	after=$(dmsetup table tb; dmsetup table tc; dmsetup ls | sort)
	dm_remove lin10
	[ -z "$TOOL_BAD" ] && [ "$before" = "$after" ]
	result "iobandctl bad input: exit code and message, nothing changed" $? \
		"$TOOL_N cases${TOOL_BAD:+, wrong:$TOOL_BAD}$([ "$before" = "$after" ] || echo ', devices changed')"

	n=$(iobandctl list --json | grep -c '"name": "t[bc]"')
	iobandctl list | sed 's/^/  .. /'
	iobandctl remove tb >/dev/null && iobandctl remove tc >/dev/null
	rc=$?
	[ "$n" = 2 ] && [ $rc = 0 ] && [ ! -e /dev/mapper/tb ] && ! dmsetup info tc >/dev/null 2>&1
	result "iobandctl list --json shows both, remove removes them" $? "listed $n, remove exit $rc"
fi

# --- 11. writeback attribution (bio-cgroup) ------------------------------------
if want writeback; then
	echo "guest: 11. writeback is charged to the cgroup that dirtied the pages"
	# memory-backed so that ext4 reads back what it wrote; 4 MB/s, well
	# below what the flushers reach under emulation.  null_blk's mbps=
	# lets 1/50 s of bytes through per tick and never a request larger
	# than that (80 KB here): requests are capped at 64 KB.
	nullb_create wbdev 1024 memory_backed=1 mbps=4 max_sectors=128
	# no background writeback before the tests ask for it
	dirty_at 512 768 6000
	dm_create ib11 "$(ioband_table /dev/wbdev t11 cgroup weight-iosize 0 :100 $CG_A:100 $CG_B:300)"
	# busybox runs its own mke2fs for "mke2fs": name e2fsprogs' by path
	/bin/mke2fs -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/ib11
	mkdir -p /mnt/wb
	mount -t ext4 /dev/mapper/ib11 /mnt/wb
	chmod 777 /mnt/wb
	wr() { group_field "$1" "$2" 7; }
	# the counters' file is named by the device's major:minor; they count
	# while the module parameter says so
	echo 1 > /sys/module/dm_ioband/parameters/attribution
	attr() {
		awk -v k="$2" '$1 == k { print $2 }' \
			/sys/kernel/debug/ioband/$(dmsetup info -c -o major,minor --noheadings --separator : "$1")
	}
	# Two ioband targets in one table: a file each, the second's name
	# with its start sector (they were one name: the second had none, and
	# debugfs warned of a file already present).
	if halves /dev/nbdisc h11a h11b; then
		hs=$(sectors /dev/mapper/h11a)
		w0=$(dmesg | grep -c "already present")
		if printf '0 %s ioband /dev/mapper/h11a t11h 0 0 cgroup weight 0 :100\n%s %s ioband /dev/mapper/h11b t11h 0 0 cgroup weight 0 :100\n' \
			$hs $hs $hs | dmsetup create ib11h --noudevsync; then
			mm=$(dmsetup info -c -o major,minor --noheadings --separator : ib11h)
			f1=/sys/kernel/debug/ioband/$mm f2=/sys/kernel/debug/ioband/$mm+$hs
			w=$(( $(dmesg | grep -c "already present") - w0 ))
			seen=$(ls /sys/kernel/debug/ioband | grep -E "^$mm(\+|\$)" | tr '\n' ' ')
			[ -n "$mm" ] && [ -f "$f1" ] && [ -f "$f2" ] && grep -q "^agree " "$f2" && [ "$w" = 0 ]
			r=$?
			dm_remove ib11h
			# and both gone with the device
			[ $r = 0 ] && [ ! -e "$f1" ] && [ ! -e "$f2" ]
			result "two ioband targets in one table: a counters' file each" $? \
				"${seen}(want $mm and $mm+$hs); $w warnings; after removal: $(ls /sys/kernel/debug/ioband | grep -cE "^$mm(\+|\$)") left"
		else
			result "two ioband targets in one table: a counters' file each" 1 "the table was refused"
		fi
	else
		result "two ioband targets in one table: a counters' file each" 1 "the halves of nbdisc could not be made"
	fi
	dmsetup info h11a > /dev/null 2>&1 && dm_remove h11a
	dmsetup info h11b > /dev/null 2>&1 && dm_remove h11b

	# 1. Two writers dirty 48 MiB each through the page cache; a sync
	# from the root cgroup has the flushers write them back, b at 3 MB/s
	# and a at 1 MB/s while both have data.  With the default io_limit
	# (1.5 times the queue below: seconds of 64 KB writes) the device's own
	# queue, sorted by sector, would decide the order of completions over
	# the 12 s measured: keep ioband in charge of the queue.
	dmsetup message ib11 0 io_limit 8
	a0=$(attr ib11 agree); d0=$(attr ib11 disagree)
	wb_pair ib11 /mnt/wb 48 12
	wb_charged "ext4 writeback by the flusher charged to the dirtier" 48
	check_ratio "ext4 writeback of two cgroups shares 1:3" 3.0 10
	ag=$(( $(attr ib11 agree) - a0 )); dg=$(( $(attr ib11 disagree) - d0 ))
	p=$(pct $ag $((ag + dg)))
	at_least "$p" 99 && [ $ag -gt 1000 ]
	result "attribution agrees with the kernel's own on ext4 writeback" $? "$p%: agree $ag, disagree $dg"

	# 3. The same with attribution off: the flusher's own cgroup (the
	# root) gets the writeback.
	echo 0 > /sys/module/bio_cgroup/parameters/enable
	rm -f /mnt/wb/a /mnt/wb/b
	sync
	dmsetup message ib11 0 reset
	runas --cgroup /sys/fs/cgroup/a -- dd if=/dev/zero of=/mnt/wb/a bs=1M count=16 2>/dev/null
	sync
	echo 1 > /sys/module/bio_cgroup/parameters/enable
	A0=$(wr ib11 $CG_A); D0=$(wr ib11 -1)
	po=$(pct "$A0" $((16 << 11)))
	at_least 5 "$po" && at_least "$D0" $((16 << 11))
	result "with attribution off the writeback lands on the default group" $? \
		"a got $po% of its 16 MiB ($A0 sectors), default group $D0 sectors; with it on: $WB_PA%"

	# 5. Nested: a leaf below an attached cgroup with its own memory cgroup.
	cg_make n >/dev/null
	echo "+io +memory" > /sys/fs/cgroup/n/cgroup.subtree_control
	CG_N=$(cg_make n/leaf)
	CG_N=$(stat -c %i /sys/fs/cgroup/n)
	dmsetup message ib11 0 attach $CG_N
	dmsetup message ib11 0 reset
	runas --cgroup /sys/fs/cgroup/n/leaf -- dd if=/dev/zero of=/mnt/wb/n bs=1M count=8 2>/dev/null
	sync
	N=$(wr ib11 $CG_N)
	pn=$(pct "$N" $((8 << 11)))
	at_least "$pn" 99
	result "writeback of n/leaf charged to attached ancestor n" $? "$pn% ($N sectors)"

	# A cgroup removed while attached: its group stays until detached.
	CG_R=$(cg_make r)
	dmsetup message ib11 0 attach $CG_R
	runas --cgroup /sys/fs/cgroup/r -- dd if=/dev/zero of=/mnt/wb/r bs=1M count=8 2>/dev/null
	rmdir /sys/fs/cgroup/r
	sync
	R=$(wr ib11 $CG_R)
	st=$(dmsetup status ib11 | grep -c " $CG_R ")
	dmsetup message ib11 0 detach $CG_R
	dt=$?
	[ "$st" = 1 ] && [ "${R:-0}" -gt 0 ] && [ "$dt" = 0 ] && dmesg_clean
	result "cgroup removed while attached: group stays readable, detach works" $? \
		"after rmdir and sync: $R sectors charged to the removed cgroup; detach status $dt"

	# 6. O_DIRECT random reads in a against buffered writes in b, 1:1 by
	# bytes.  b's dd is held at 8-16 MiB dirty, so the flusher writes
	# its pages back all along, charged to b by their owner.  fio must not
	# flush the device's page cache first (invalidate=0): that would wait
	# for all of b's writeback.
	dmsetup message ib11 0 weight $CG_B:100
	dirty_at 8 16 3000
	runas --cgroup /sys/fs/cgroup/b -- dd if=/dev/zero of=/mnt/wb/big bs=1M count=400 2>/dev/null &
	wp=$!
	fio_start /tmp/fa "--cgroup /sys/fs/cgroup/a" --name=a --filename=/dev/mapper/ib11 \
		--rw=randread --bs=4k --iodepth=16 --invalidate=0 --runtime=16 --time_based
	sleep 4
	sa=$(group_field ib11 $CG_A 3); sb=$(wr ib11 $CG_B)
	sleep 10
	ea=$(group_field ib11 $CG_A 3); eb=$(wr ib11 $CG_B)
	kill $wp 2>/dev/null
	wait
	# truncated, the rest of b's dirty pages need no writeback
	rm -f /mnt/wb/big
	BW_A=$(( (ea - sa) / 2 / 10 )); BW_B=$(( (eb - sb) / 2 / 10 )); WINDOW_S=10
	check_ratio "O_DIRECT reads in a against buffered writeback in b share 1:1" 1.0 10

	umount /mnt/wb
	dm_remove ib11
	rmdir /sys/fs/cgroup/n/leaf /sys/fs/cgroup/n

	# 2. Buffered writes straight to the ioband device from cgroup a,
	# written back by the flusher (the node stays open elsewhere, so the
	# writer's close does not flush in its own context).
	dm_create ib12 "$(ioband_table /dev/wbdev t12 cgroup weight 0 :100 $CG_A:100 $CG_B:300)"
	exec 3< /dev/mapper/ib12
	a0=$(attr ib12 agree); d0=$(attr ib12 disagree)
	runas --cgroup /sys/fs/cgroup/a -- dd if=/dev/zero of=/dev/mapper/ib12 bs=1M count=16 2>/dev/null
	sync
	A=$(wr ib12 $CG_A); D=$(wr ib12 -1)
	pa=$(pct "$A" $((16 << 11)))
	ag=$(( $(attr ib12 agree) - a0 )); dg=$(( $(attr ib12 disagree) - d0 ))
	p=$(pct $ag $((ag + dg)))
	exec 3<&-
	at_least "$pa" 99
	result "buffered writes to /dev/mapper/ib12 charged to the writer's cgroup" $? "$pa% ($A of $((16 << 11)) sectors), default group $D"
	at_least "$p" 99 && [ $ag -gt 100 ]
	result "attribution agrees with the kernel's own on block-device writeback" $? "$p%: agree $ag, disagree $dg"
	dm_remove ib12
	dirty_defaults
	nullb_remove wbdev
fi

# --- 12. work conservation against a light, steady group ----------------------
# A victim reading 4k at QD1 and a fixed 200 IOPS beside a neighbour
# writing 64k at QD32, equal weights.  Through ioband the neighbour keeps
# >= 95% of what it gets beside the same victim on the bare device; the
# victim is not held in ioband (its share is far above what it uses) and
# gets 95% of what it gets on the bare device.  Two devices: 64 MiB/s in
# 20 ms ticks (null_blk mbps=) and 8 slots of 1 ms (IOPS-bound).  Under
# emulation the slot device is bound by the CPU before its slots (about
# 4500 of 8000 IOPS), and there ioband's per-bio cost shows on its own: the reference
# is then the lower of the bare device and the neighbour alone through
# ioband (same device, same path, no victim), so that what is measured is
# whether the victim holds the neighbour back.
# light_run VDEV NDEV: a 4k QD1 reader at 200 IOPS in a on VDEV beside a
# 64k QD32 writer in b on NDEV, 10 s; sets BW_A and BW_B (KiB/s).
light_run() {
	fio_start /tmp/fa "--cgroup /sys/fs/cgroup/a" --name=v --filename=$1 \
		--rw=randread --bs=4k --iodepth=1 --rate_iops=200 --ramp_time=1 --runtime=10 --time_based
	fio_start /tmp/fb "--cgroup /sys/fs/cgroup/b" --name=n --filename=$2 --rw=randwrite \
		--bs=64k --iodepth=32 --ramp_time=1 --runtime=10 --time_based
	wait
	pair_result
}
if want workcons; then
	echo "guest: 12. a light steady reader must not hold a heavy writer back"
	nullb_create mb64 1024 mbps=64
	nullb_create slots 1024 irqmode=2 completion_nsec=1000000 hw_queue_depth=8 submit_queues=1
	for dev in mb64 slots; do
		other=slots pairs=2
		if [ $dev = slots ]; then
			# Under emulation 8 slots of 1 ms are bound by the CPU and
			# late timers, not by the slots: the same run varies by 25%
			# from one ten seconds to the next.  Five pairs, long only.
			if [ -z "$LONG" ]; then
				skip "light steady reader does not hold a heavy writer back (slots)" \
					"bound by the CPU under emulation, runs vary by 25%; in make check-long"
				continue
			fi
			other=mb64 pairs=5
		fi
		light_run /dev/$dev /dev/$dev
		rv=$BW_A rn=$BW_B
		dm_create ib12 "$(ioband_table /dev/$dev t12 cgroup weight 0 :100 $CG_A:100 $CG_B:100)"
		dm_create ib12o "$(ioband_table /dev/$other t12o cgroup weight 0 :100 $CG_A:100 $CG_B:100)"
		# The reference: the same runs with the victim on an ioband
		# device of its own over the other device, so that both see the
		# same CPU load (under emulation the slot device is bound by the
		# CPU, and runs vary by 10%), and only the sharing differs.
		# Interleaved, to even out slow phases.
		ref=0 got=0 vic=0 runs=""
		i=0
		while [ $i -lt $pairs ]; do
			i=$((i + 1))
			light_run /dev/mapper/ib12o /dev/mapper/ib12
			ref=$((ref + BW_B)) runs="$runs $BW_B/"
			light_run /dev/mapper/ib12 /dev/mapper/ib12
			got=$((got + BW_B)) vic=$((vic + BW_A)) runs="$runs$BW_B"
		done
		# what the victim uses of the device: its bytes of 64 MiB/s, or
		# its reads' time on 8 slots of 1 ms
		case $dev in
		mb64) u=$(awk -v v=$vic -v n=$pairs 'BEGIN { print v / n / 65536 }') ;;
		slots) u=$(awk -v v=$vic -v n=$pairs 'BEGIN { print v / n / 4 / 8000 }') ;;
		esac
		want=$(awk -v u="$u" 'BEGIN { printf "%.3f", 0.95 * (1 - u) }')
		r=$(ratio "$ref" "$got")
		# The victim: held in ioband for at most 1% of its reads' time
		# (what ioband does to it), and 85% of its 200 (170) as a floor
		# against starving it.  At QD1 its rate is one over its mean
		# latency, and with ioband holding none of its reads that is the
		# device's and the vCPUs': on mb64 a read that finds the tick's
		# bytes spent waits for the next tick, and without a latency
		# target (section 25's case target asserts the victim's rate
		# under one) nothing keeps the writer off them.
		# Its rate on the bare device is shown, not compared: it got 183
		# to 207 IOPS through ioband and 56 to 207 on the bare device,
		# and three CI runs failed a bound of 95% of the bare device's
		# (188 IOPS against 204, 194 against 207, 195 against 206)
		# with 0 ms held in ioband.
		vq=$(group_field ib12 $CG_A 11) vt=$(group_field ib12 $CG_A 4)
		at_least "$r" "$want" && at_least "$vic" $((pairs * 200 * 4 * 85 / 100)) &&
			[ -n "$vq" ] && [ -n "$vt" ] && at_least "$vt" $((vq * 100))
		result "light steady reader does not hold a heavy writer back ($dev)" $? \
			"neighbour $((got / pairs)) KiB/s = $r of $((ref / pairs)) with the victim on $other (want >= $want, 95% of what the victim leaves); victim $((vic / pairs / 4)) IOPS (want >= 170), held in ioband $vq ms of its reads' $vt ms (want <= 1%); on the bare device: neighbour $rn KiB/s, victim $((rv / 4)) IOPS; runs (reference/shared):$runs"
		dm_remove ib12
		dm_remove ib12o
	done
	nullb_remove mb64
	nullb_remove slots
fi

# --- 13. an interrupted suspend leaves the device throttling --------------------
if want suspendundo; then
	echo "guest: 13. a suspend interrupted while it waits for I/O: shares still 1:3"
	dm_create dly13 "0 $(sectors /dev/slow) delay /dev/slow 0 3000"
	dm_create ib13 "$(ioband_table /dev/mapper/dly13 t13 cgroup weight 0 :100 $CG_A:100 $CG_B:300)"
	# a read in flight for 3 s, so the suspend waits; SIGINT after 1 s
	dd if=/dev/mapper/ib13 of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null &
	sleep 0.5
	timeout -s INT 1 dmsetup suspend ib13 2>/dev/null
	sr=$?
	state=$(dmsetup info -c -o attr --noheadings ib13)
	wait
	# the delay off, so that the shares are the device's again
	dmsetup reload dly13 --table "0 $(sectors /dev/slow) delay /dev/slow 0 0"
	dmsetup suspend dly13 && dmsetup resume --noudevsync dly13
	R4="--filename=/dev/mapper/ib13 --rw=randread --bs=4k --iodepth=16"
	pair "--cgroup /sys/fs/cgroup/a" "$R4" "--cgroup /sys/fs/cgroup/b" "$R4"
	r=$(ratio "$BW_A" "$BW_B")
	[ "$sr" != 0 ] && [ "${state#*s}" = "$state" ]
	live=$?
	if [ -n "$DEBUGKERNEL" ]; then
		result "interrupted suspend: device live" $live "suspend exit $sr, attr '$state'"
		skip "interrupted suspend: still throttling" "shares are not measured on the debug kernel (B/A $r)"
	else
		[ $live = 0 ] && within "$r" 3.0 10
		result "interrupted suspend: device live and still throttling" $? \
			"suspend exit $sr, attr '$state'; then B/A $r (want 3.0 +-10%), A $BW_A KiB/s, B $BW_B KiB/s"
	fi
	dm_remove ib13
	dm_remove dly13
fi

# --- 14. settings survive the table line ---------------------------------------
if want tableset; then
	echo "guest: 14. every setting is in the table line"
	dm_create ib14a "$(ioband_table /dev/mid t14 uid weight 0 :100 1001:200)"
	dmsetup message ib14a 0 carryover 5
	dmsetup message ib14a 0 io_throttle 6
	dmsetup message ib14a 0 token 256
	t1=$(dmsetup table ib14a)
	echo "$t1" | dmsetup reload ib14a && dmsetup resume --noudevsync ib14a
	t2=$(dmsetup table ib14a)
	# the first member's line, with its device swapped, makes a second member
	dm_create ib14b "$(echo "$t1" | sed "s# [0-9]*:[0-9]* t14 # /dev/slow t14 #")"
	rb=$?
	t3=$(dmsetup table ib14b 2>/dev/null | cut -d' ' -f5-)
	# a change through one member is the other's too
	dmsetup message ib14b 0 carryover 7
	t4=$(dmsetup table ib14a | cut -d' ' -f5-)
	[ "$t1" = "$t2" ] && echo "$t2" | grep -q " t14 6 0 uid weight 256 carryover=5 :100 1001:200\$" &&
		[ $rb = 0 ] && [ "$t3" = "$(echo "$t2" | cut -d' ' -f5-)" ] &&
		echo "$t4" | grep -q "carryover=7 "
	result "table line carries carryover; reload changes nothing; it makes a second member" $? \
		"after reload '$t2'; second member '$t3' (create $rb); after carryover 7 on it, first '$t4'"
	# messages to both members at once: neither change is lost
	( i=0; while [ $i -lt 100 ]; do i=$((i + 1)); dmsetup message ib14a 0 token $i; done ) &
	( i=0; while [ $i -lt 100 ]; do i=$((i + 1)); dmsetup message ib14b 0 carryover $((i % 60)); done ) &
	wait
	ta=$(dmsetup table ib14a | cut -d' ' -f5-)
	tb=$(dmsetup table ib14b | cut -d' ' -f5-)
	[ "$ta" = "$tb" ] && echo "$ta" | grep -q " weight 100 carryover=40 "
	result "concurrent messages to two members: both changes kept" $? "'$ta' and '$tb' (want token 100, carryover=40)"
	dm_remove ib14b
	dm_remove ib14a

	# Two targets of one table (two segments) in one device group have
	# one set of parameters: a table that gives them two is refused, and
	# a message to the device changes both.
	s1=$(sectors /dev/slow) s2=$(sectors /dev/mid)
	seg() { echo "$1 $2 ioband $3 t14c 0 0 uid weight $4 :100"; }
	dmesg -c > /dev/null
	printf '%s\n%s\n' "$(seg 0 $s1 /dev/slow 0)" "$(seg $s1 $s2 /dev/mid 64)" |
		dmsetup create ib14c --noudevsync 2>/dev/null
	rd=$?
	[ $rd != 0 ] || dm_remove ib14c
	why=$(dmesg | grep -o "Targets of one table[^:]*" | head -1)
	dm_create ib14c "$(printf '%s\n%s' "$(seg 0 $s1 /dev/slow 0)" "$(seg $s1 $s2 /dev/mid 0)")"
	dmsetup message ib14c 0 token 300
	dmsetup suspend ib14c && dmsetup resume --noudevsync ib14c
	tok=$(dmsetup table ib14c | awk '{ printf "%s ", $10 }')
	[ $rd != 0 ] && [ -n "$why" ] && [ "$tok" = "300 300 " ]
	result "two targets of one table in a device group: one set of parameters" $? \
		"create with tokens 0 and 64: exit $rd ($why); after token 300 to the device and a resume: tokens $tok"
	# A reloaded table brings its parameters to the device group when it
	# resumes, and every other member's line then says them: a message
	# meanwhile changed the live tables, not the loaded one.
	dm_create ib14d "$(seg 0 $(sectors /dev/nbdisc) /dev/nbdisc 300)"
	dmsetup table ib14c | dmsetup reload ib14c
	dmsetup message ib14c 0 token 500
	dmsetup suspend ib14c && dmsetup resume --noudevsync ib14c
	tok=$(dmsetup table ib14c | awk '{ printf "%s ", $10 }')
	td=$(dmsetup table ib14d | awk '{ print $10 }')
	dmsetup table ib14d | dmsetup reload ib14d
	rr=$?
	dmsetup resume --noudevsync ib14d
	[ "$tok" = "300 300 " ] && [ "$td" = 300 ] && [ $rr = 0 ]
	result "a resumed reload's parameters are every member's" $? \
		"reloaded at token 300, then token 500 to the live table, then resumed: tokens $tok, the other member's $td (want 300); its own line reloads: exit $rr"
	dm_remove ib14d
	dm_remove ib14c
fi

# --- 21. a member's suspend and resume do not fake the device's rate ----------
# The device group measures its rate from its groups' completed tokens; a
# member's groups leave at suspend and come back at resume, and must not
# take their counts with them (with the old sum, every resume doubled the
# rate, the cap).  The epochs' rates come from the module's debug lines.
if want devgrouprate && [ ! -e /sys/kernel/debug/dynamic_debug/control ]; then
	skip "member suspend/resume: the device group's rate does not jump" \
		"the kernel has no dynamic debug (the debug kernel's config): no epoch lines to read"
elif want devgrouprate; then
	echo "guest: 21. suspend and resume of one member while both are busy"
	halves /dev/slow lin21a lin21b
	dm_create ib21a "$(ioband_table /dev/mapper/lin21a t21 none weight 0 :100)"
	dm_create ib21b "$(ioband_table /dev/mapper/lin21b t21 none weight 0 :100)"
	fio_start /tmp/fa "" --name=a --filename=/dev/mapper/ib21a --rw=randread --bs=4k --iodepth=16 --runtime=16 --time_based
	fio_start /tmp/fb "" --name=b --filename=/dev/mapper/ib21b --rw=randread --bs=4k --iodepth=16 --runtime=16 --time_based
	echo "module dm_ioband +p" > /sys/kernel/debug/dynamic_debug/control
	sleep 3
	dmesg -c > /dev/null
	for i in 1 2 3 4 5; do
		sleep 2
		dmsetup suspend ib21b && dmsetup resume --noudevsync ib21b
	done
	sleep 1
	[ -z "$DEBUG" ] && echo "module dm_ioband -p" > /sys/kernel/debug/dynamic_debug/control
	# "... busy %d, rate %llu, reserve scale %u)": the number after "rate"
	dmesg -c | awk '/t21: epoch .* rate / { for (i = 1; i < NF; i++) if ($i == "rate") { v = $(i + 1); sub(/,$/, "", v); print v } }' > /tmp/rates
	wait
	set -- $(sort -n /tmp/rates | awk '{ v[NR] = $1 } END { print NR, v[int((NR + 1) / 2)], v[NR] }')
	n=$1 med=$2 max=$3
	r=$(ratio "$med" "$max")
	[ "$n" -ge 20 ] && at_least 1.5 "$r"
	result "member suspend/resume: the device group's rate does not jump" $? \
		"$n epochs, rate median $med, max $max ($r of the median, want <= 1.5)"
	dm_remove ib21a
	dm_remove ib21b
	dm_remove lin21a
	dm_remove lin21b
fi

# --- 15. io_ticks counts the time bios wait in ioband -------------------------
if want ioticks; then
	echo "guest: 15. io_ticks of a backlogged, throttled group"
	dm_create ib15 "$(ioband_table /dev/slow t15 cgroup weight 0 :100 $CG_A:100 $CG_B:1900)"
	fio_start /tmp/fa "--cgroup /sys/fs/cgroup/a" --name=a --filename=/dev/mapper/ib15 \
		--rw=randread --bs=4k --iodepth=1 --runtime=12 --time_based
	fio_start /tmp/fb "--cgroup /sys/fs/cgroup/b" --name=b --filename=/dev/mapper/ib15 \
		--rw=randread --bs=4k --iodepth=16 --runtime=12 --time_based
	sleep 2
	dmsetup message ib15 0 reset
	t0=$(cut -d' ' -f1 /proc/uptime)
	sleep 8
	ticks=$(group_field ib15 $CG_A 10)
	queue=$(group_field ib15 $CG_A 11)
	t1=$(cut -d' ' -f1 /proc/uptime)
	wait
	ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
	p=$(pct "$ticks" "$ms")
	at_least "$p" 90
	result "io_ticks of a backlogged group counts its time held in ioband" $? \
		"io_ticks $ticks ms over $ms ms ($p%, want >= 90%); of it waiting in ioband $queue ms"
	dm_remove ib15
fi

# --- 16. errors and stalls from the device below ------------------------------
if want faults; then
	echo "guest: 16. EIO and a stalled device below, with bios held in ioband"
	n=$(sectors /dev/slow)
	half=$((n / 2))
	dm_create err16 "0 $half linear /dev/slow 0
$half $((n - half)) error"
	dm_create ib16 "$(ioband_table /dev/mapper/err16 t16 cgroup weight 0 :100 $CG_A:100 $CG_B:900)"
	# b keeps the device busy, so a's writes into the error half are held
	fio_start /tmp/fb "--cgroup /sys/fs/cgroup/b" --name=b --filename=/dev/mapper/ib16 \
		--rw=randread --bs=4k --iodepth=16 --size=$((half / 2048))m --runtime=8 --time_based
	sleep 1
	timeout 60 runas --cgroup /sys/fs/cgroup/a -- fio --name=e --filename=/dev/mapper/ib16 \
		--direct=1 --ioengine=libaio --rw=randwrite --bs=4k --iodepth=16 \
		--offset=$((half * 512)) --size=4m --continue_on_error=io \
		--output-format=terse --output=/tmp/fe > /tmp/fe.log 2>&1
	rc=$?
	wait
	ios=$(group_field ib16 $CG_A 5)
	held=$(group_field ib16 $CG_A 9)
	errs=$(awk -F';' 'NR == 1 { print $5 }' /tmp/fe)
	[ $rc != 124 ] && [ "$ios" = 1024 ] && [ "$held" = 0 ] && [ "${errs:-0}" != 0 ]
	result "EIO from below: every held bio completes with its error" $? \
		"fio exit $rc (a timeout gives 143), error $errs; a's writes counted $ios of 1024, held now $held"
	dm_remove ib16
	dm_remove err16

	# Reads delayed 1.5 s below while groups are throttled: suspend and
	# remove still complete, and nobody is reported hung.
	[ -e /proc/sys/kernel/hung_task_timeout_secs ] && echo 5 > /proc/sys/kernel/hung_task_timeout_secs
	dm_create dly16 "0 $n delay /dev/slow 0 1500"
	dm_create ib16 "$(ioband_table /dev/mapper/dly16 t16 cgroup weight 0 :100 $CG_A:100 $CG_B:300)"
	R4="--filename=/dev/mapper/ib16 --rw=randread --bs=4k --iodepth=16 --runtime=8 --time_based"
	fio_start /tmp/fa "--cgroup /sys/fs/cgroup/a" --name=a $R4
	fio_start /tmp/fb "--cgroup /sys/fs/cgroup/b" --name=b $R4
	sleep 4
	s0=$(cut -d' ' -f1 /proc/uptime)
	timeout 60 dmsetup suspend ib16
	sr=$?
	timeout 60 dmsetup resume --noudevsync ib16
	rr=$?
	s1=$(cut -d' ' -f1 /proc/uptime)
	wait
	timeout 60 dmsetup remove --noudevsync ib16
	rm=$?
	dm_remove dly16
	hung=$(dmesg | grep -c "blocked for more than")
	[ $sr = 0 ] && [ $rr = 0 ] && [ $rm = 0 ] && [ "$hung" = 0 ]
	result "a stalled device below: suspend, resume and remove complete" $? \
		"suspend $sr, resume $rr in $(awk -v a=$s0 -v b=$s1 'BEGIN { printf "%.1f", b - a }') s; remove $rm; hung-task reports $hung"
	[ -e /proc/sys/kernel/hung_task_timeout_secs ] && echo 120 > /proc/sys/kernel/hung_task_timeout_secs
fi

# --- 17. cgroups come and go under load ---------------------------------------
if want cgloop; then
	ROUNDS=50
	echo "guest: 17. $ROUNDS times: a cgroup attached, writing, removed, detached, under load"
	dm_create ib17 "$(ioband_table /dev/mid t17 cgroup weight 0 :100 $CG_A:100)"
	exec 3< /dev/mapper/ib17	# the writers' close does not flush: the flusher does
	fio_start /tmp/fa "--cgroup /sys/fs/cgroup/a" --name=a --filename=/dev/mapper/ib17 \
		--rw=randrw --bs=16k --iodepth=8 --runtime=600 --time_based
	fp=$!
	bad=""
	i=0
	while [ $i -lt $ROUNDS ]; do
		i=$((i + 1))
		id=$(cg_make l$i)
		dmsetup message ib17 0 attach $id || bad="$bad attach$i"
		dmsetup message ib17 0 weight $id:$((i * 10)) || bad="$bad weight$i"
		# buffered: some of it is written back after the cgroup is gone
		runas --cgroup /sys/fs/cgroup/l$i -- dd if=/dev/zero of=/dev/mapper/ib17 bs=64k count=16 \
			seek=$((i * 16)) 2>/dev/null || bad="$bad dd$i"
		cg_remove l$i || bad="$bad rmdir$i"
		[ $((i % 5)) = 0 ] && sync
		dmsetup message ib17 0 detach $id || bad="$bad detach$i"
	done
	sync
	n=$(dmsetup status ib17 | awk '{ print (NF - 4) / 12 }')
	kill $fp 2>/dev/null
	wait
	exec 3<&-
	timeout 60 dmsetup remove --noudevsync ib17
	rm=$?
	[ -z "$bad" ] && [ "$n" = 2 ] && [ $rm = 0 ] && dmesg_clean
	result "$ROUNDS cgroups attached, written, removed and detached under load" $? \
		"failed steps:${bad:- none}; groups left $n (want 2: default and a); remove $rm"
fi

# --- 18. random messages under load --------------------------------------------
# Valid and invalid messages at random; a model of the table predicts
# which the kernel accepts and, at the end, the table line itself.
if want msgfuzz; then
	# a tenth of a second each under emulation; fuzz-parse sends
	# millions to the parser in userspace
	MSGS=250
	[ -n "$LONG" ] && MSGS=2000
	echo "guest: 18. $MSGS random messages under fio; the table is what the accepted ones imply"
	dm_create ib18 "$(ioband_table /dev/nbmem t18 uid weight 0 :100 1000:100)"
	fio_start /tmp/fa "" --name=m --filename=/dev/mapper/ib18 --rw=randwrite --bs=4k \
		--iodepth=8 --size=32m --verify=crc32c --verify_backlog=128 --verify_fatal=1 \
		--runtime=600 --time_based
	fp=$!
	# model: weights of ids 1000..1008 (0: not attached), the parameters
	M_DEF=100 M_POL=weight M_TOK=0 M_CAR=2 M_THR=0 M_LIM=0
	# and each group's wbps limit and rbps reservation (0: none)
	for k in 0 1 2 3 4 5 6 7 8; do eval M_W$k=0 M_L$k=0 M_R$k=0; done
	M_W0=100
	pick() { shift $((RANDOM % $# )); echo "$1"; }
	num_ok() {	# num_ok VALUE MIN MAX: strict decimal within range
		case $1 in ''|*[!0-9]*) return 1 ;; esac
		[ ${#1} -le 10 ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
	}
	thr() { [ "$1" = 0 ] && echo 4 || echo "$1"; }
	rate_ok() {	# a limit or reservation value: 0 to 2^40
		case $1 in ''|*[!0-9]*) return 1 ;; esac
		[ ${#1} -le 18 ] && [ "$1" -le 1099511627776 ]
	}
	wrong=0 acc=0 i=0
	while [ $i -lt $MSGS ]; do
		i=$((i + 1))
		k=$((RANDOM % 9))
		id=$((1000 + k))
		v=$(pick 0 1 7 100 250 10000 10001 -3 abc 99999999999 1073741824 1073741825 64 65 2 8 16 32767 32768)
		case $((RANDOM % 12)) in
		0) m="attach $(pick $id $id $id -1 x)" ;;
		1) m="detach $(pick $id $id $id -1 x)" ;;
		2) m="weight $id:$v" ;;
		3) m="weight $v" ;;
		4) m="token $v" ;;
		5) m="carryover $v" ;;
		6) m="io_throttle $v" ;;
		7) m="io_limit $v" ;;
		8) m="policy $(pick weight weight-iosize default fifo range-bw)" ;;
		9) m="$(pick reset bogus 'type uid' 'type fifo' 'weight' qos)" ;;
		10) m="limit $(pick $id $id $id x):wbps=$v" ;;
		11) m="reserve $(pick $id $id $id x):rbps=$v" ;;
		esac
		set -- $m
		# predict
		ok=1
		case $1 in
		attach) { [ "$2" = $id ] && eval [ \$M_W$k = 0 ]; } || ok=0 ;;
		detach) { [ "$2" = $id ] && eval [ \$M_W$k != 0 ]; } || ok=0 ;;
		weight)
			if [ $# != 2 ]; then ok=0
			elif [ "${2#*:}" != "$2" ]; then
				{ eval [ \$M_W$k != 0 ] && num_ok "${2#*:}" 1 10000; } || ok=0
			else num_ok "$2" 1 10000 || ok=0; fi ;;
		token) num_ok "$2" 0 1073741824 || ok=0 ;;
		carryover) num_ok "$2" 0 64 || ok=0 ;;
		io_throttle) { num_ok "$2" 0 32767 && { [ $M_LIM = 0 ] || [ $M_LIM -ge $(thr $2) ]; }; } || ok=0 ;;
		io_limit) { num_ok "$2" 0 32767 && { [ "$2" = 0 ] || [ "$2" -ge $(thr $M_THR) ]; }; } || ok=0 ;;
		policy) case $2 in weight|weight-iosize|default|range-bw) ;; *) ok=0 ;; esac ;;
		limit|reserve) { [ "${2%%:*}" = $id ] && eval [ \$M_W$k != 0 ] && rate_ok "${2#*=}"; } || ok=0 ;;
		reset|qos) ;;
		type) [ "$2" = uid ] || ok=0 ;;
		*) ok=0 ;;
		esac
		if dmsetup message ib18 0 $m >/dev/null 2>&1; then got=1; else got=0; fi
		[ $got = $ok ] || { wrong=$((wrong + 1)); [ $wrong -le 3 ] && say "'$m': kernel $got, model $ok"; }
		[ $got = 1 ] || continue
		acc=$((acc + 1))
		case $1 in
		attach) eval M_W$k=100 ;;
		detach) eval M_W$k=0 M_L$k=0 M_R$k=0 ;;
		limit) eval M_L$k=$((${2#*=})) ;;
		reserve) eval M_R$k=$((${2#*=})) ;;
		weight) if [ "${2#*:}" != "$2" ]; then eval M_W$k=$((${2#*:})); else M_DEF=$(($2)); fi ;;
		token) M_TOK=$(($2)) ;;
		carryover) M_CAR=$(($2)) ;;
		io_throttle) M_THR=$(($2)) ;;
		io_limit) M_LIM=$(($2)) ;;
		policy) case $2 in default) M_POL=weight ;; range-bw) M_POL=weight-iosize ;; *) M_POL=$2 ;; esac ;;
		esac
	done
	want_t="t18 $M_THR $M_LIM uid $M_POL $M_TOK"
	[ $M_CAR != 2 ] && want_t="$want_t carryover=$M_CAR"
	want_t="$want_t :$M_DEF"
	for k in 0 1 2 3 4 5 6 7 8; do
		eval w=\$M_W$k
		[ $w != 0 ] && want_t="$want_t $((1000 + k)):$w"
	done
	for k in 0 1 2 3 4 5 6 7 8; do
		eval l=\$M_L$k r=\$M_R$k
		[ $l != 0 ] && want_t="$want_t limit=$((1000 + k)):wbps=$l"
		[ $r != 0 ] && want_t="$want_t reserve=$((1000 + k)):rbps=$r"
	done
	got_t=$(dmsetup table ib18 | cut -d' ' -f5-)
	kill $fp 2>/dev/null
	wait
	grep -q "verify" /tmp/fa.log && wrong=$((wrong + 1))
	[ $wrong = 0 ] && [ "$got_t" = "$want_t" ]
	result "$MSGS random messages: refused or taken as predicted, table as implied" $? \
		"$acc accepted, $((MSGS - acc)) refused, $wrong mispredicted or verify errors; table '$got_t'$([ "$got_t" = "$want_t" ] || echo ", model '$want_t'")"
	dm_remove ib18
fi

# --- 19. writeback under a tight memory.max ------------------------------------
if want memmax; then
	echo "guest: 19. a writer limited to 48 MiB of memory writes 64 MiB through a throttled group"
	dm_create ib19 "$(ioband_table /dev/nbmem t19 cgroup weight-iosize 0 :100 $CG_A:300 $CG_C:100)"
	/bin/mke2fs -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/ib19
	mkdir -p /mnt/mm
	mount -t ext4 /dev/mapper/ib19 /mnt/mm
	chmod 777 /mnt/mm
	# The writer is busybox dd, not fio: fio's own shared memory (24 to
	# 30 MiB on 6.12, not reclaimable without swap) took from the page
	# cache a part that varied by kernel.  dd takes under 1 MiB, so c's
	# page cache gets nearly all of 48 MiB, and c dirties more; a heavy
	# neighbour keeps c held.  The bios ioband holds are pages under
	# writeback, which reclaim cannot free: at 32 MiB, 23.9 MB of them
	# met the OOM killer on 6.12 (Documentation: limits), and at 48 MiB
	# 40.3 MB did once (a clean CI of dab2f6e).  Dirty limits of 4 and
	# 8 MiB bound them: their peak, sampled, was 8 MiB in two runs on
	# 6.12, 23 and 24 at the defaults.  The pattern is on /tmp (tmpfs,
	# no swap), charged to the root cgroup that wrote it.
	dd if=/dev/urandom of=/tmp/mm.pat bs=1M count=64 2>/dev/null
	echo $((48 << 20)) > /sys/fs/cgroup/c/memory.max
	dirty_at 4 8 3000
	# c's pages under writeback, at their most, sampled (MiB)
	rm -f /tmp/fc.done /tmp/fc.wb
	( wbmax=0; while [ ! -e /tmp/fc.done ]; do
		w=$(awk '$1 == "file_writeback" { print int($2 / 1048576) }' /sys/fs/cgroup/c/memory.stat)
		[ "${w:-0}" -gt $wbmax ] && wbmax=$w && echo $wbmax > /tmp/fc.wb
		sleep 0.2
	done ) &
	sp=$!
	fio_start /tmp/fa "--cgroup /sys/fs/cgroup/a" --name=a --filename=/dev/mapper/ib19 \
		--rw=randread --bs=64k --iodepth=16 --invalidate=0 --runtime=600 --time_based
	fp=$!
	timeout 300 runas --cgroup /sys/fs/cgroup/c -- dd if=/tmp/mm.pat of=/mnt/mm/f \
		bs=64k conv=fsync > /tmp/fc.log 2>&1
	rc=$?
	touch /tmp/fc.done
	kill $fp $sp 2>/dev/null
	wait
	wb=$(cat /tmp/fc.wb 2>/dev/null)
	rm -f /tmp/fc.done /tmp/fc.wb
	mx=$(grep -s '^max ' /sys/fs/cgroup/c/memory.events | cut -d' ' -f2)
	[ $rc = 0 ] || { cat /tmp/fc.log /sys/fs/cgroup/c/memory.events /sys/fs/cgroup/c/memory.stat | grep -E "^(oom|max|file|anon|file_dirty|file_writeback) |dd:"; dmesg | grep -iE "oom|killed process|invoked" | head -5; } | sed 's/^/  .. /'
	# an OOM kill or a timeout may leave the writer in
	# balance_dirty_pages, holding the mount: end it, and wait, or the
	# umount, the device's removal and the module's unload fail too
	left=0
	while [ -n "$(cat /sys/fs/cgroup/c/cgroup.procs)" ] && [ $left -lt 60 ]; do
		kill -9 $(cat /sys/fs/cgroup/c/cgroup.procs) 2>/dev/null
		sleep 1
		left=$((left + 1))
	done
	[ $left = 0 ] || echo "  .. c's processes ended after $left s"
	echo max > /sys/fs/cgroup/c/memory.max
	dirty_defaults
	# read it back from the device: a new mount has none of it cached
	# (a mount still busy is not stacked on: cmp would read the cache)
	if umount /mnt/mm; then
		mount -t ext4 /dev/mapper/ib19 /mnt/mm
		cmp /tmp/mm.pat /mnt/mm/f > /tmp/fc.cmp 2>&1
		same=$?
		umount /mnt/mm
	else
		echo "umount failed: still busy" > /tmp/fc.cmp
		same=2
		umount -l /mnt/mm
	fi
	rm -f /tmp/mm.pat
	cw=$(group_field ib19 $CG_C 7)
	[ $rc = 0 ] && [ $same = 0 ] && [ "${mx:-0}" -gt 0 ] && [ "${cw:-0}" -ge 131072 ]
	result "writeback under memory.max through a held group: no deadlock, data verifies" $? \
		"dd exit $rc (a timeout gives 143), read back $([ $same = 0 ] && echo equal || head -c 200 /tmp/fc.cmp); memory.max hit ${mx:-0} times (want > 0), c's writeback at most ${wb:-0} MiB; c's group wrote $cw sectors (want >= 131072, the 64 MiB)"
	dm_remove ib19
fi

# --- 8. lifecycle under load ----------------------------------------------------
if want lifecycle; then
	ROUNDS=20 POLICIES=weight
	[ -n "$LONG" ] && ROUNDS=100 POLICIES="weight weight-iosize"
	for POL in $POLICIES; do
	echo "guest: 8. $ROUNDS rounds of suspend, noflush suspend, reload and messages under fio ($POL)"
	table8() { ioband_table /dev/nbmem t8 cgroup $POL 0 :100 $CG_A:$1 $CG_B:100; }
	dm_create ib8 "$(table8 100)"
	V="--filename=/dev/mapper/ib8 --rw=randwrite --bs=4k --iodepth=16 --size=64m --verify=crc32c --verify_backlog=256 --verify_fatal=1 --runtime=$((ROUNDS + 10)) --time_based"
	fio_start /tmp/la "--cgroup /sys/fs/cgroup/a" --name=la $V --offset=0
	fio_start /tmp/lb "--cgroup /sys/fs/cgroup/b" --name=lb $V --offset=128m --bs=64k
	sleep 2
	fails=""
	i=0
	while [ $i -lt $ROUNDS ]; do
		i=$((i + 1))
		timeout 60 dmsetup suspend ib8 || fails="$fails suspend$i"
		timeout 60 dmsetup resume --noudevsync ib8 || fails="$fails resume$i"
		timeout 60 dmsetup suspend --noflush ib8 || fails="$fails noflush$i"
		timeout 60 dmsetup resume --noudevsync ib8 || fails="$fails resume-nf$i"
		timeout 60 dmsetup reload ib8 --table "$(table8 $((100 + i * 10)))" || fails="$fails reload$i"
		timeout 60 dmsetup resume --noudevsync ib8 || fails="$fails resume-rl$i"
		dmsetup message ib8 0 weight $CG_B:$((50 + i)) || fails="$fails msg$i"
		dmsetup message ib8 0 token $((i * 16)) || fails="$fails token$i"
		dmsetup status ib8 >/dev/null || fails="$fails status$i"
	done
	got_t=$(dmsetup table ib8 | cut -d' ' -f5-)
	wait
	errs=0
	for f in la lb; do
		[ "$(fio_err /tmp/$f)" = 0 ] || errs=$((errs + 1))
	done
	[ -z "$fails" ] && [ $errs = 0 ]
	result "$ROUNDS rounds of suspend/noflush/reload under fio ($POL)" $? "fio errors $errs, failed steps:${fails:- none}"
	echo "$got_t" | grep -q "$CG_A:$((100 + ROUNDS * 10)) $CG_B:$((50 + ROUNDS))\$"
	result "table reflects the last reload and message ($POL)" $? "$got_t"
	timeout 60 dmsetup remove --noudevsync ib8
	result "remove after load ($POL)" $? ""
	done
	timeout 60 rmmod dm_ioband
	result "module unloads" $? "$(lsmod | grep -c dm_ioband) left"
	insmod /lib/modules/dm-ioband.ko
	dmesg_clean
	result "no WARN, BUG or oops in the run" $? "$(dmesg | grep -E 'WARNING:|BUG:|Oops' | head -3)"
fi

# --- 23. reservations and limits ------------------------------------------------
. /tests/check-qos.sh	# ONLY=qos, or qos-CASE

# --- 24. groups that follow the cgroup tree --------------------------------------
. /tests/check-tree.sh	# ONLY=tree, or tree-CASE

# --- 25. latency targets, latency statistics, tracepoints -----------------------
. /tests/check-latency.sh	# ONLY=latency, or latency-CASE

# --- 26. a thousand groups -------------------------------------------------------
. /tests/check-scale.sh	# ONLY=scale

# --- 22. real storage stacks: LVM, LUKS2, partitions, dm-thin, xfs, btrfs -----
. /tests/check-stacks.sh	# ONLY=stacks, or stacks-CASE

# --- 20. on the debug kernel: lock_stat, kmemleak, KASAN, lockdep, UBSAN -----
if [ -n "$DEBUGKERNEL" ] && want debugcheck; then
	echo "guest: 20. debug kernel: lock acquisitions per bio, then the checkers' reports"
	# ioband's locks per completed bio for a group with tokens: alone
	# beside the default group on a null_blk without a limit, with the
	# epoch's tokens set to 2048, what the automatic epoch gives a device
	# of 10000 IOPS or more (this kernel does about 800: on its own epoch
	# of 160 tokens a lone group would run out, and be held, every 200 ms).
	nullb_create nb20 512
	dm_create ib20 "$(ioband_table /dev/nb20 t20 cgroup weight 2048 :100 $CG_A:100)"
	echo 0 > /proc/lock_stat
	echo 1 > /proc/sys/kernel/lock_stat
	runas --cgroup /sys/fs/cgroup/a -- fio --name=l --filename=/dev/mapper/ib20 --direct=1 \
		--ioengine=libaio --rw=randread --bs=4k --iodepth=8 --runtime=5 --time_based \
		--eta=never > /dev/null 2>&1
	echo 0 > /proc/sys/kernel/lock_stat
	ios=$(group_field ib20 $CG_A 1)
	# "class: con-bounces contentions wait-min wait-max wait-total wait-avg
	# acq-bounces acquisitions ...": the acquisitions of one class name
	acq() { awk -v c="$1:" '$1 == c { n += $9 } END { print n + 0 }' /proc/lock_stat; }
	g=$(acq '&g->lock'); d=$(acq '&dom->lock'); c=$(acq '&ib->cfg_lock')
	per() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.3f", n ? a / n : 0 }'; }
	# the issue's target: fewer than 1 in 32 (token magazines)
	[ "$ios" -gt 0 ] && [ "$d" -gt 0 ] && awk -v g=$g -v n=$ios 'BEGIN { exit !(g * 32 < n) }'
	result "lock_stat: ioband's group lock fewer than once per 32 completed bios" $? \
		"$ios bios: g->lock $g ($(per $g $ios) per bio), dom->lock $d ($(per $d $ios)), cfg_lock $c ($(per $c $ios))"
	dm_remove ib20	# nb20 stays: null_blk teardown soft-locks the debug kernel
	# kmemleak reports an object after two scans that found no reference
	echo scan > /sys/kernel/debug/kmemleak
	sleep 5
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > /tmp/leaks
	all=$(grep -c 'unreferenced object' /tmp/leaks)
	on=""
	[ -e /sys/kernel/debug/kmemleak ] && on="$on kmemleak"
	[ -e /proc/lockdep ] && on="$on lockdep"
	grep -q "KernelAddressSanitizer initialized" /tmp/kmsg.all && on="$on KASAN"
	[ "$on" = " kmemleak lockdep KASAN" ]
	result "the checkers are on" $? "found:$on"
	ours=$(awk '/unreferenced object/ { o = 0 } /ioband|bio_cgroup|dm_mod|dm_/ { o = 1 }
		    /^$/ { n += o; o = 0 } END { print n + o }' /tmp/leaks)
	[ "$ours" = 0 ]
	result "kmemleak: nothing leaked by ioband or dm" $? "$all unreferenced objects in all, $ours with ioband or dm in their trace"
	[ "$ours" = 0 ] || head -40 /tmp/leaks | sed 's/^/  .. /'
	# the whole boot's log, not dmesg: the tests clear that as they go
	sleep 1
	rep=$(grep -E -c 'BUG: KASAN|UBSAN:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|BUG: sleeping function|ODEBUG:|WARNING:|BUG:' /tmp/kmsg.all)
	[ "$rep" = 0 ] && [ -s /tmp/kmsg.all ]
	result "no KASAN, UBSAN, lockdep, debug-objects or sleep-in-atomic report in the whole run" $? \
		"$rep report lines in $(wc -l < /tmp/kmsg.all) lines of kernel log"
	[ "$rep" = 0 ] || grep -E -A12 'BUG: KASAN|UBSAN:|possible circular|possible recursive|inconsistent lock|suspicious RCU|sleeping function|ODEBUG:|WARNING:|BUG:' /tmp/kmsg.all | head -60 | sed 's/^/  .. /'
fi

summary
