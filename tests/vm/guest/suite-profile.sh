#!/bin/sh
# make profile: the kernel's instructions per I/O, function by function,
# through dm-linear and through ioband over the same null_blk (4k random
# reads, QD32, one job, fio in the root cgroup beside two attached
# groups, as make bench ONLY=iops).  bench/run-profile.sh boots this under
# the tb-profile.so plugin: /bin/prof-mark sets a mark, and a window is
# the code run between two marks.  Prints "profile: window N DEV IOS".
. /tests/lib.sh

PIOS=${PIOS:-20480}
echo "profile: setting up devices"
nullb_create fast 2048
mkdir -p /sys/fs/cgroup/a /sys/fs/cgroup/b
A=$(stat -c %i /sys/fs/cgroup/a)
B=$(stat -c %i /sys/fs/cgroup/b)
dm_create lin "0 $(sectors /dev/fast) linear /dev/fast 0"
dm_create ibf "$(ioband_table /dev/fast bf cgroup weight 0 :100 $A:100 $B:300)"
# the symbols (a module's with its name after), for the plugin at exit
awk '$2 ~ /^[tT]$/' /proc/kallsyms > /dev/ttyS1

F="--rw=randread --bs=4k --iodepth=32 --direct=1 --ioengine=libaio --disk_util=0"
window=0
# prof_run DEV: a warm-up, then PIOS reads between two marks
prof_run() {
	fio --name=warm --filename=$1 $F --io_size=$((PIOS / 4 * 4))k --output=/dev/null
	rm -f /tmp/prof
	/bin/prof-mark
	fio --name=p --filename=$1 $F --io_size=$((PIOS * 4))k \
		--output-format=terse --output=/tmp/prof > /dev/null
	/bin/prof-mark
	window=$((window + 1))
	# terse field 6: KiB read
	echo "profile: window $window $(basename $1) $(($(cut -d';' -f6 /tmp/prof) / 4))"
	window=$((window + 1))	# the gap to the next mark
}
for round in 1 2; do
	for d in lin ibf; do
		echo "profile: round $round, $d"
		prof_run /dev/mapper/$d
	done
done
dm_remove ibf
dm_remove lin
echo "profile: done"
