#!/bin/sh
# make bench: everything in one boot, so that the figures compare.  Prints
# "bench: " tables and "data: " lines that bench/run-bench.sh turns into
# plots.  Absolute numbers under emulation mean little; ratios do.
. /tests/lib.sh

RT=${RT:-8}
ONLY_IOPS=$ONLY
DT="--ramp_time=1 --runtime=$RT --time_based"
echo "bench: setting up devices"
nullb_create fast 2048
nullb_create slow 2048 mbps=8
mkdir -p /sys/fs/cgroup/a /sys/fs/cgroup/b
A=$(stat -c %i /sys/fs/cgroup/a)
B=$(stat -c %i /sys/fs/cgroup/b)

# --- uncontended IOPS --------------------------------------------------------
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
IRT=${IRT:-5}
iops() {	# iops DEV JOBS -> read IOPS
	fio_start /tmp/i "" --name=i --filename=$1 --rw=randread --bs=4k --iodepth=16 --numjobs=$2 \
		--ramp_time=1 --runtime=$IRT --time_based
	wait
	fio_field /tmp/i 8
}
dm_create lin "0 $(sectors /dev/fast) linear /dev/fast 0"
dm_create ibf "$(ioband_table /dev/fast bf cgroup weight 0 :100 $A:100 $B:300)"
echo "bench: uncontended 4k random read, QD16, null_blk without a limit"
echo "bench: (three rounds of ${IRT} s, devices alternating; the median round)"
for round in 1 2 3; do
	for d in fast lin ibf; do
		case $d in
		fast) dev=/dev/fast ;;
		*) dev=/dev/mapper/$d ;;
		esac
		eval "a1_${d}_$round=$(iops $dev 1) a2_${d}_$round=$(iops $dev 2)"
	done
done
printf 'bench: %-24s %12s %12s\n' device "1 job IOPS" "2 jobs IOPS"
for d in fast lin ibf; do
	eval "i1=\$(median \$a1_${d}_1 \$a1_${d}_2 \$a1_${d}_3) i2=\$(median \$a2_${d}_1 \$a2_${d}_2 \$a2_${d}_3)"
	printf 'bench: %-24s %12s %12s\n' $d $i1 $i2
	echo "data: iops $d $i1 $i2"
	eval "I1_$d=$i1 I2_$d=$i2"
done
for round in 1 2 3; do
	eval "echo \"bench:   round $round: ioband/dm-linear 1 job \$(ratio \$a1_lin_$round \$a1_ibf_$round), 2 jobs \$(ratio \$a2_lin_$round \$a2_ibf_$round)\""
done
printf 'bench: ioband / dm-linear (medians): 1 job %s, 2 jobs %s (target >= 0.95)\n' \
	"$(ratio $I1_lin $I1_ibf)" "$(ratio $I2_lin $I2_ibf)"

# The cost of owner resolution: ibf with bio-cgroup's page owners on and
# off (then the submitter's cgroup is used), in pairs run back to back,
# the order swapped every pair so that a drift of the host favours neither.
# Each pair gives one ratio; their median, and their spread, which says how
# small a difference this machine can see at all.
ORT=${ORT:-3}
BCG=/sys/module/bio_cgroup/parameters/enable
echo "bench: owner resolution: 9 pairs of ${ORT} s runs, 1 job, page owners on / off"
owner_iops() {	# owner_iops 1|0 -> IOPS with page owners on or off
	echo $1 > $BCG
	fio_start /tmp/i "" --name=i --filename=/dev/mapper/ibf --rw=randread --bs=4k --iodepth=16 \
		--ramp_time=1 --runtime=$ORT --time_based
	wait
	echo 1 > $BCG
	fio_field /tmp/i 8
}
pairs=
for pair in 1 2 3 4 5 6 7 8 9; do
	if [ $((pair % 2)) = 1 ]; then
		on=$(owner_iops 1); off=$(owner_iops 0)
	else
		off=$(owner_iops 0); on=$(owner_iops 1)
	fi
	r=$(ratio "$off" "$on")
	echo "bench:   pair $pair: on $on, off $off IOPS, on/off $r"
	pairs="$pairs $r"
done
set -- $(printf '%s\n' $pairs | sort -n)
printf 'bench: owners from pages / owners off: median %s (pairs %s..%s, middle half %s..%s; target >= 0.98)\n' \
	"$5" "$1" "$9" "$3" "$7"
echo "data: owner $5 $1 $9"

# The cost itself, which those IOPS are too noisy to resolve: the kernel's
# function_graph tracer times every bio_cgroup_owner() call, with page
# owners on and off (off returns the submitter's cgroup at once, so the
# tracer's own cost, in both, cancels).  Each run's 10th percentile: the
# call as it runs when nothing (an interrupt, the host) gets in its way.
# The difference against the time a job spends per I/O at this VM's rate
# is the IOPS a CPU-bound job loses.
T=/sys/kernel/tracing
mount -t tracefs none $T 2>/dev/null
owner_us() {	# owner_us 1|0 -> "P10_US IOPS"
	echo $1 > $BCG
	echo > $T/trace
	echo 1 > $T/tracing_on
	fio_start /tmp/i "" --name=i --filename=/dev/mapper/ibf --rw=randread --bs=4k --iodepth=16 \
		--runtime=2 --time_based
	wait
	echo 0 > $T/tracing_on
	echo 1 > $BCG
	awk '/ us +\|/ { for (i = 2; i <= NF; i++) if ($i == "us") { print $(i - 1); break } }' $T/trace |
		sort -n | awk -v iops="$(fio_field /tmp/i 8)" '{ v[NR] = $1 }
			END { printf "%s %d\n", NR ? v[int((NR + 9) / 10)] : 0, iops }'
}
if echo bio_cgroup_owner > $T/set_ftrace_filter 2>/dev/null &&
   echo function_graph > $T/current_tracer && echo 8192 > $T/buffer_size_kb; then
	runs=
	for en in 1 0 1 0 1 0; do runs="$runs $en $(owner_us $en)"; done
	echo nop > $T/current_tracer
	echo > $T/set_ftrace_filter
	echo "$runs" | awk '{
		for (i = 1; i <= NF; i += 3) {
			k = $i; n[k]++; v[k, n[k]] = $(i + 1); iops += $(i + 2); runs++
			line = line sprintf(" %s %s", k ? "on" : "off", $(i + 1))
		}
		for (k = 0; k <= 1; k++) {	# median and spread of 3 runs
			lo[k] = hi[k] = v[k, 1]; s = 0
			for (j = 1; j <= n[k]; j++) {
				if (v[k, j] < lo[k]) lo[k] = v[k, j]
				if (v[k, j] > hi[k]) hi[k] = v[k, j]
				s += v[k, j]
			}
			med[k] = s - lo[k] - hi[k]
		}
		cost = med[1] - med[0]; res = hi[1] - lo[1]
		if (hi[0] - lo[0] > res) res = hi[0] - lo[0]
		bound = (cost > 0 ? cost : 0) + res; per = 1e6 * runs / iops
		printf "bench: bio_cgroup_owner() traced, 10th percentile per run (us):%s\n", line
		printf "bench: owner resolution costs %.3f us per bio (runs of one setting differ by up to %.3f us): at most %.3f us of the %.1f us a job spends per I/O here (%d IOPS, traced): <= %.2f%% (target <= 2%%)\n", cost, res, bound, per, iops / runs, 100 * bound / per
		printf "data: owner_cost %.3f %.3f %.1f\n", cost, res, per
	}'
else
	echo "bench: no function_graph tracer in this kernel: owner resolution cost not timed"
fi
dm_remove ibf
dm_remove lin
[ "$ONLY_IOPS" = iops ] && { echo "bench: done"; exit 0; }

# --- shares 1:3 on a saturated device -----------------------------------------
J="--rw=randread --bs=4k --iodepth=16"
share_run() {	# share_run NAME DEV: fio in cgroups a and b at once
	fio_start /tmp/sa "--cgroup /sys/fs/cgroup/a" --name=a --filename=$2 $J $DT
	fio_start /tmp/sb "--cgroup /sys/fs/cgroup/b" --name=b --filename=$2 $J $DT
	wait
	window_bw /tmp/sa /tmp/sb
	a=$BW_A
	b=$BW_B
	r=$(ratio $a $b)
	err=$(awk -v r=$r 'BEGIN { d = (r - 3) / 3 * 100; if (d < 0) d = -d; printf "%.1f%%", d }')
	printf 'bench: %-34s %10s %10s %8s %8s\n' "$1" $a $b $r $err
	echo "data: share $(echo $1 | tr ' ' '_') $a $b $r"
}
echo "bench: weights 100:300, 4k random read QD16 on null_blk limited to 8 MiB/s, $RT s"
printf 'bench: %-34s %10s %10s %8s %8s\n' controller "A KiB/s" "B KiB/s" "B/A" "error"
maj=$(cat /sys/block/slow/dev)

echo none > /sys/block/slow/queue/scheduler
share_run "none (raw device)" /dev/slow
dm_create lin "0 $(sectors /dev/slow) linear /dev/slow 0"
share_run "dm-linear" /dev/mapper/lin
dm_remove lin

dm_create ibs "$(ioband_table /dev/slow bs cgroup weight 0 :100 $A:100 $B:300)"
share_run "ioband weight" /dev/mapper/ibs
dm_remove ibs
dm_create ibs "$(ioband_table /dev/slow bs cgroup weight-iosize 0 :100 $A:100 $B:300)"
share_run "ioband weight-iosize" /dev/mapper/ibs
dm_remove ibs

dm_create lin "0 $(sectors /dev/slow) linear /dev/slow 0"
dm_create ibs "$(ioband_table /dev/mapper/lin bs cgroup weight 0 :100 $A:100 $B:300)"
share_run "ioband over dm-linear" /dev/mapper/ibs
dm_remove ibs
dm_remove lin

if echo bfq > /sys/block/slow/queue/scheduler 2>/dev/null && [ -e /sys/fs/cgroup/a/io.bfq.weight ]; then
	echo 100 > /sys/fs/cgroup/a/io.bfq.weight
	echo 300 > /sys/fs/cgroup/b/io.bfq.weight
	share_run "BFQ io.bfq.weight" /dev/slow
	dm_create lin "0 $(sectors /dev/slow) linear /dev/slow 0"
	share_run "BFQ under dm-linear" /dev/mapper/lin
	dm_remove lin
else
	echo "bench: BFQ: not available"
fi
echo none > /sys/block/slow/queue/scheduler

if echo "$maj enable=1" > /sys/fs/cgroup/io.cost.qos 2>/dev/null; then
	echo "default 100" > /sys/fs/cgroup/a/io.weight
	echo "default 300" > /sys/fs/cgroup/b/io.weight
	share_run "iocost io.weight" /dev/slow
	echo "$maj enable=0" > /sys/fs/cgroup/io.cost.qos
else
	echo "bench: iocost: not available"
fi

# blk-throttle only caps: give A a quarter and B three quarters of 8 MiB/s.
if echo "$maj rbps=2097152" > /sys/fs/cgroup/a/io.max 2>/dev/null; then
	echo "$maj rbps=6291456" > /sys/fs/cgroup/b/io.max
	share_run "blk-throttle caps 2+6 MiB/s" /dev/slow
	fio_start /tmp/sa "--cgroup /sys/fs/cgroup/a" --name=a --filename=/dev/slow $J $DT
	wait
	echo "bench: blk-throttle, A alone: $(fio_rbw /tmp/sa) KiB/s of 8192 (caps do not lend idle bandwidth)"
	echo "$maj rbps=max" > /sys/fs/cgroup/a/io.max
	echo "$maj rbps=max" > /sys/fs/cgroup/b/io.max
fi
dm_create ibs "$(ioband_table /dev/slow bs cgroup weight 0 :100 $A:100 $B:300)"
fio_start /tmp/sa "--cgroup /sys/fs/cgroup/a" --name=a --filename=/dev/mapper/ibs $J $DT
wait
echo "bench: ioband, A alone: $(fio_rbw /tmp/sa) KiB/s of 8192 (work conserving)"
dm_remove ibs
echo "bench: done"
