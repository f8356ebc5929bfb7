#!/bin/sh
# make demo: two cgroups share a saturated disk 1:3 through ioband.
. /tests/lib.sh

say() { echo "demo: $*"; }

say "a null_blk disk limited to 8 MiB/s (/dev/disk0)"
nullb_create disk0 2048 mbps=8
mkdir -p /sys/fs/cgroup/vm1 /sys/fs/cgroup/vm2
A=$(stat -c %i /sys/fs/cgroup/vm1)
B=$(stat -c %i /sys/fs/cgroup/vm2)
say "cgroups vm1 (id $A) and vm2 (id $B)"

table="0 $(sectors /dev/disk0) ioband /dev/disk0 demo 0 0 cgroup weight 0 :100 $A:100 $B:300"
say "dmsetup create ioband0 with the table:"
say "  $table"
dm_create ioband0 "$table"
say "dmsetup table ioband0:"
say "  $(dmsetup table ioband0)"

say "fio 4k random reads, queue depth 16, one job in each cgroup, 12 s"
J="--filename=/dev/mapper/ioband0 --rw=randread --bs=4k --iodepth=16 --ramp_time=2 --runtime=12 --time_based"
fio_start /tmp/vm1 "--cgroup /sys/fs/cgroup/vm1" --name=vm1 $J
fio_start /tmp/vm2 "--cgroup /sys/fs/cgroup/vm2" --name=vm2 $J

# Live view from dmsetup status: sectors read per group, about every 2 s.
cs() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }
prev1=0
prev2=0
prevt=$(cs)
printf 'demo: %6s %12s %12s %8s\n' "time" "vm1 KiB/s" "vm2 KiB/s" "vm2/vm1"
t=0
while [ $t -lt 12 ]; do
	sleep 2
	t=$((t + 2))
	s1=$(group_field ioband0 $A 3)
	s2=$(group_field ioband0 $B 3)
	now=$(cs)
	r1=$(( (s1 - prev1) * 50 / (now - prevt) ))	# sectors/2 = KiB, per cs*100
	r2=$(( (s2 - prev2) * 50 / (now - prevt) ))
	prevt=$now
	printf 'demo: %5ss %12s %12s %8s\n' $t $r1 $r2 "$(ratio $r1 $r2)"
	prev1=$s1
	prev2=$s2
done
wait

window_bw /tmp/vm1 /tmp/vm2
a=$BW_A
b=$BW_B
say "fio, over the ${WINDOW_S} s both ran: vm1 $a KiB/s (weight 100), vm2 $b KiB/s (weight 300): vm2/vm1 = $(ratio $a $b)"
say "dmsetup status ioband0 (per group: id, 11 counters):"
dmsetup status ioband0 | awk '{ printf "demo:   %s %s %s %s\n", $1, $2, $3, $4;
	for (i = 5; i <= NF; i += 12) { printf "demo:   group %s:", $i; for (j = 1; j < 12; j++) printf " %s", $(i + j); printf "\n" } }'
within "$(ratio $a $b)" 3.0 10 && say "the disk was shared 1:3, as the weights say" ||
	say "the share was off the 1:3 target (emulation noise?)"
dm_remove ioband0
