#!/bin/sh
. /tests/lib.sh
nullb_create fast 1024; fast=/dev/fast
fio_start /tmp/f "" --name=f --filename=$fast --rw=randread --bs=4k --iodepth=16 --runtime=3 --time_based
wait; echo "raw nullb 1 job QD16: $(fio_rbw /tmp/f) KiB/s"

mount -t debugfs none /sys/kernel/debug; echo "module dm_ioband +p" > /sys/kernel/debug/dynamic_debug/control
for mbps in 8; do
nullb_create nb$mbps 1024 mbps=$mbps; dev=/dev/nb$mbps
dm_create ib "$(ioband_table $dev g1 cgroup weight 0 :100)"
A=$(cg_make a); B=$(cg_make b)
dmsetup message ib 0 attach $A; dmsetup message ib 0 attach $B
dmsetup message ib 0 weight $A:100; dmsetup message ib 0 weight $B:300
fio_start /tmp/b "--cgroup /sys/fs/cgroup/b" --name=b --filename=/dev/mapper/ib --rw=randread --bs=4k --iodepth=16 --runtime=3 --time_based
wait; echo "B alone mbps=$mbps: $(fio_rbw /tmp/b)"
fio_start /tmp/a "--cgroup /sys/fs/cgroup/a" --name=a --filename=/dev/mapper/ib --rw=randread --bs=4k --iodepth=16 --runtime=4 --ramp_time=1 --time_based
fio_start /tmp/b "--cgroup /sys/fs/cgroup/b" --name=b --filename=/dev/mapper/ib --rw=randread --bs=4k --iodepth=16 --runtime=4 --ramp_time=1 --time_based
wait
echo "mbps=$mbps A bw $(fio_rbw /tmp/a) B bw $(fio_rbw /tmp/b) ratio $(ratio $(fio_rbw /tmp/a) $(fio_rbw /tmp/b))"
dmsetup status ib
dm_remove ib
done

dmesg | grep -A3 "epoch [45][0-9] ends" | cut -c1-160
rmmod dm_ioband && echo rmmod ok
summary
