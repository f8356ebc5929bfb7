#!/bin/sh
# make bench: everything in one boot, so that the figures compare.  Prints
# "bench: " tables and "data: " lines that bench/run-bench.sh turns into
# plots.  Absolute numbers under emulation mean little; ratios do.
. /tests/lib.sh

RT=${RT:-8}
DT="--ramp_time=1 --runtime=$RT --time_based"
echo "bench: setting up devices"
nullb_create fast 2048
nullb_create slow 2048 mbps=8
mkdir -p /sys/fs/cgroup/a /sys/fs/cgroup/b
A=$(stat -c %i /sys/fs/cgroup/a)
B=$(stat -c %i /sys/fs/cgroup/b)

# --- limits, bursts and reservations (ONLY=qos: this part alone) --------------
# On a 64 MiB/s null_blk: a writer limited to 8 MiB/s beside an unlimited
# one, by ioband (wbps) and by blk-throttle's io.max on dm-linear over the
# same disk; a burst after idling; and weights 1:9 with the light group
# reserving 16 MiB/s, against BFQ's weights.  Rates are fio's own, over
# QRT seconds after QRAMP seconds (the ramp spends a full bucket).
QRT=${QRT:-10}
QRAMP=3
bench_qos() {
	local dev lmaj a b t0 t1 t2
	nullb_create q64 2048 mbps=64
	W="--rw=randwrite --bs=64k --iodepth=8 --ramp_time=$QRAMP --runtime=$QRT --time_based"
	R="--rw=randread --bs=64k --iodepth=8 --ramp_time=$QRAMP --runtime=$QRT --time_based"
	echo "bench: limits: A limited to 8 MiB/s (8192 KiB/s), B unlimited, 64k writes QD8 each, ${QRT} s after ${QRAMP} s"
	printf 'bench: %-34s %10s %10s %8s %10s
' controller "A KiB/s" "B KiB/s" "A error" "A+B % disk"
	qos_row() {	# qos_row NAME: after fio runs /tmp/la and /tmp/lb
		a=$(fio_wbw /tmp/la) b=$(fio_wbw /tmp/lb)
		printf 'bench: %-34s %10s %10s %7s%% %10s
' "$1" $a $b \
			"$(awk -v a=$a 'BEGIN { d = (a - 8192) / 81.92; printf "%.2f", d < 0 ? -d : d }')" \
			"$(pct $((a + b)) 65536)"
		echo "data: limit $(echo $1 | tr ' ' '_') $a $b"
	}
	dm_create ibl "$(ioband_table /dev/q64 bl cgroup weight-iosize 0 :100 $A:100 $B:100 limit=$A:wbps=8388608)"
	fio_start /tmp/la "--cgroup /sys/fs/cgroup/a" --name=a --filename=/dev/mapper/ibl $W
	fio_start /tmp/lb "--cgroup /sys/fs/cgroup/b" --name=b --filename=/dev/mapper/ibl $W
	wait
	qos_row "ioband limit wbps"
	dm_remove ibl
	dm_create linl "0 $(sectors /dev/q64) linear /dev/q64 0"
	lmaj=$(dmsetup info -c --noheadings -o major,minor linl | tr -d ' ')
	if echo "$lmaj wbps=8388608" > /sys/fs/cgroup/a/io.max 2>/dev/null; then
		fio_start /tmp/la "--cgroup /sys/fs/cgroup/a" --name=a --filename=/dev/mapper/linl $W
		fio_start /tmp/lb "--cgroup /sys/fs/cgroup/b" --name=b --filename=/dev/mapper/linl $W
		wait
		qos_row "blk-throttle io.max on dm-linear"
	else
		echo "bench: blk-throttle: not available"
	fi
	# bursts: idle, then 8 MiB, then 8 MiB more
	echo "bench: burst: A idle, then 8 MiB, then 8 MiB more (1 MiB O_DIRECT writes); 8 MiB/s limit"
	burst_row() {	# burst_row NAME DEV
		sleep 1.2
		t0=$(cut -d' ' -f1 /proc/uptime)
		runas --cgroup /sys/fs/cgroup/a -- dd if=/dev/zero of=$2 bs=1M count=8 oflag=direct 2>/dev/null
		t1=$(cut -d' ' -f1 /proc/uptime)
		runas --cgroup /sys/fs/cgroup/a -- dd if=/dev/zero of=$2 bs=1M count=8 seek=8 oflag=direct 2>/dev/null
		t2=$(cut -d' ' -f1 /proc/uptime)
		printf 'bench: %-34s first 8 MiB %5.2f s, next 8 MiB %5.2f s\n' "$1" \
			"$(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')" "$(awk -v a=$t1 -v b=$t2 'BEGIN { print b - a }')"
	}
	[ -e /sys/fs/cgroup/a/io.max ] && burst_row "blk-throttle io.max (no burst)" /dev/mapper/linl
	echo "$lmaj wbps=max" > /sys/fs/cgroup/a/io.max 2>/dev/null
	dm_remove linl
	dm_create ibl "$(ioband_table /dev/q64 bl cgroup weight-iosize 0 :100 $A:100 limit=$A:wbps=8388608)"
	burst_row "ioband, burst 100 ms (default)" /dev/mapper/ibl
	dmsetup message ibl 0 limit $A:burst=1000
	burst_row "ioband, burst 1000 ms" /dev/mapper/ibl
	dm_remove ibl
	# a reservation against weights 1:9
	echo "bench: weights 100:900, 64k reads QD8 each; ioband with A reserving 16 MiB/s (16384 KiB/s)"
	printf 'bench: %-34s %10s %10s %10s
' controller "A KiB/s" "B KiB/s" "A % of A+B"
	res_row() {
		a=$(fio_rbw /tmp/la) b=$(fio_rbw /tmp/lb)
		printf 'bench: %-34s %10s %10s %10s
' "$1" $a $b "$(pct $a $((a + b)))"
		echo "data: reserve $(echo $1 | tr ' ' '_') $a $b"
	}
	res_run() {
		fio_start /tmp/la "--cgroup /sys/fs/cgroup/a" --name=a --filename=$1 $R
		fio_start /tmp/lb "--cgroup /sys/fs/cgroup/b" --name=b --filename=$1 $R
		wait
	}
	dm_create ibl "$(ioband_table /dev/q64 bl cgroup weight-iosize 0 :100 $A:100 $B:900)"
	res_run /dev/mapper/ibl
	res_row "ioband weights 1:9"
	dmsetup message ibl 0 reserve $A:bps=16777216
	res_run /dev/mapper/ibl
	res_row "ioband 1:9, A reserves 16 MiB/s"
	dm_remove ibl
	if echo bfq > /sys/block/q64/queue/scheduler 2>/dev/null && [ -e /sys/fs/cgroup/a/io.bfq.weight ]; then
		echo 100 > /sys/fs/cgroup/a/io.bfq.weight
		echo 900 > /sys/fs/cgroup/b/io.bfq.weight
		res_run /dev/q64
		res_row "BFQ io.bfq.weight 1:9 (no floor)"
		echo 100 > /sys/fs/cgroup/b/io.bfq.weight
		echo none > /sys/block/q64/queue/scheduler
	else
		echo "bench: BFQ: not available"
	fi
	nullb_remove q64
}

# --- latency: a light victim beside a heavy neighbour (ONLY=latency) -----------
# On a 64 MiB/s null_blk: V reads 4k at QD1, 200 IOPS; N writes 64k at
# QD32.  V's p99 (fio, submission to completion) and N's rate under each
# controller, after LRAMP seconds, for LRT seconds.  V runs at nice -20
# under every controller, so that its tail is the I/O path's and not the
# vCPUs' (lib.sh's lv_start).
LRT=${LRT:-8}
LRAMP=2
bench_latency() {
	local lmaj na pa v n t
	nullb_create l64 2048 mbps=64
	mkdir -p /sys/fs/cgroup/v /sys/fs/cgroup/n
	V=$(stat -c %i /sys/fs/cgroup/v) N=$(stat -c %i /sys/fs/cgroup/n)
	NW="--name=n --rw=randwrite --bs=64k --iodepth=32 --ramp_time=$LRAMP --runtime=$LRT --time_based"
	lat_run() {	# lat_run DEV: V and N together on DEV
		fio_start /tmp/ln "--cgroup /sys/fs/cgroup/n" --filename=$1 $NW
		lv_start /tmp/lv v $1 --ramp_time=$LRAMP --runtime=$LRT
		wait
	}
	lat_row() {	# lat_row NAME: after lat_run
		v=$(v_p99 /tmp/lv) n=$(fio_wbw /tmp/ln)
		printf 'bench: %-40s %10s %10s %8s\n' "$1" "$v" "$n" "$(pct "$n" "$na")"
		echo "data: latency $(echo "$1" | tr ' ' '_') $v $n $(pct "$n" "$na")"
	}
	dm_create linl "0 $(sectors /dev/l64) linear /dev/l64 0"
	lmaj=$(dmsetup info -c --noheadings -o major,minor linl | tr -d ' ')
	lv_start /tmp/lv v /dev/mapper/linl --ramp_time=1 --runtime=$LRT
	wait
	pa=$(v_p99 /tmp/lv)
	fio_start /tmp/ln "--cgroup /sys/fs/cgroup/n" --filename=/dev/mapper/linl $NW
	wait
	na=$(fio_wbw /tmp/ln)
	t=$((2 * pa))
	echo "bench: latency: V 4k reads QD1 200 IOPS beside N 64k writes QD32, 64 MiB/s null_blk, ${LRT} s after ${LRAMP} s"
	echo "bench: alone (dm-linear): V p99 $pa us, N $na KiB/s; ioband's target for V: $t us (twice alone)"
	printf 'bench: %-40s %10s %10s %8s\n' controller "V p99 us" "N KiB/s" "N % alone"
	lat_run /dev/mapper/linl
	lat_row "no control (dm-linear)"
	if echo "$lmaj wbps=$((na * 1024 * 80 / 100))" > /sys/fs/cgroup/n/io.max 2>/dev/null; then
		lat_run /dev/mapper/linl
		lat_row "blk-throttle N at 80%"
		echo "$lmaj wbps=$((na * 1024 * 90 / 100))" > /sys/fs/cgroup/n/io.max
		lat_run /dev/mapper/linl
		lat_row "blk-throttle N at 90%"
		echo "$lmaj wbps=max" > /sys/fs/cgroup/n/io.max
	else
		echo "bench: blk-throttle: not available"
	fi
	dm_remove linl
	if echo bfq > /sys/block/l64/queue/scheduler 2>/dev/null && [ -e /sys/fs/cgroup/v/io.bfq.weight ]; then
		lat_run /dev/l64
		lat_row "BFQ equal weights, low_latency $(cat /sys/block/l64/queue/iosched/low_latency)"
		echo none > /sys/block/l64/queue/scheduler
	else
		echo "bench: BFQ: not available"
	fi
	dm_create ibv "$(ioband_table /dev/l64 bv cgroup weight-iosize 0 :100 $V:100 $N:100)"
	lat_run /dev/mapper/ibv
	lat_row "ioband equal weights"
	dmsetup message ibv 0 latency $V:$t
	lat_run /dev/mapper/ibv
	lat_row "ioband, V's target $t us"
	dm_remove ibv
	nullb_remove l64
}
case $ONLY in
qos) bench_qos; echo "bench: done"; exit 0 ;;
latency) bench_latency; echo "bench: done"; exit 0 ;;
esac

# --- uncontended IOPS --------------------------------------------------------
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
IRT=${IRT:-4}
# fio without its disk statistics: it reads them through sysfs, code that
# is no device's work and that varied by hundreds of instructions per I/O
# from run to run in make profile (here each device gained 0.2% or less).
iops() {	# iops DEV JOBS [SECONDS] -> read IOPS
	fio_start /tmp/i "" --name=i --filename=$1 --rw=randread --bs=4k --iodepth=32 --numjobs=$2 --disk_util=0 \
		--ramp_time=1 --runtime=${3:-$IRT} --time_based
	wait
	fio_field /tmp/i 8
}
# The raw null_blk with no scheduler, with BFQ (for the scale of what a
# scheduler costs), dm-linear and ioband over it, alternating round by
# round; each figure is the median of three rounds.
bench_iops() {
	local d dev round j i1 i2 i4 bfq=
	dm_create lin "0 $(sectors /dev/fast) linear /dev/fast 0"
	dm_create ibf "$(ioband_table /dev/fast bf cgroup weight 0 :100 $A:100 $B:300)"
	grep -qw bfq /sys/block/fast/queue/scheduler || modprobe bfq 2>/dev/null
	grep -qw bfq /sys/block/fast/queue/scheduler && bfq=bfq
	echo "bench: uncontended 4k random read, QD32 per job, null_blk without a limit"
	echo "bench: (three rounds of ${IRT} s, devices alternating; the median round)"
	for round in 1 2 3; do
		for d in fast $bfq lin ibf; do
			dev=/dev/$d
			case $d in
			fast) dev=/dev/fast ;;
			bfq) dev=/dev/fast; echo bfq > /sys/block/fast/queue/scheduler ;;
			*) dev=/dev/mapper/$d ;;
			esac
			for j in 1 2 4; do
				eval "a${j}_${d}_$round=$(iops $dev $j)"
			done
			echo none > /sys/block/fast/queue/scheduler
		done
		echo "bench:   round $round done"
	done
	printf 'bench: %-24s %12s %12s %12s\n' device "1 job IOPS" "2 jobs IOPS" "4 jobs IOPS"
	for d in fast $bfq lin ibf; do
		for j in 1 2 4; do
			eval "i$j=\$(median \$a${j}_${d}_1 \$a${j}_${d}_2 \$a${j}_${d}_3)"
			eval "I${j}_$d=\$i$j"
		done
		printf 'bench: %-24s %12s %12s %12s\n' $d $i1 $i2 $i4
		echo "data: iops $d $i1 $i2 $i4"
	done
	for round in 1 2 3; do
		eval "echo \"bench:   round $round: ioband/dm-linear 1 job \$(ratio \$a1_lin_$round \$a1_ibf_$round), 2 jobs \$(ratio \$a2_lin_$round \$a2_ibf_$round), 4 jobs \$(ratio \$a4_lin_$round \$a4_ibf_$round)\""
	done
	printf 'bench: ioband / dm-linear (medians): 1 job %s, 2 jobs %s, 4 jobs %s (target >= 0.97)\n' \
		"$(ratio $I1_lin $I1_ibf)" "$(ratio $I2_lin $I2_ibf)" "$(ratio $I4_lin $I4_ibf)"
	[ -n "$bfq" ] && printf 'bench: BFQ / none on the raw device, for scale: 1 job %s, 2 jobs %s, 4 jobs %s\n' \
		"$(ratio $I1_fast $I1_bfq)" "$(ratio $I2_fast $I2_bfq)" "$(ratio $I4_fast $I4_bfq)"
	dm_remove ibf
	dm_remove lin
}

# --- cost against the number of groups (ONLY=groups) --------------------------
# 2, 10, 100 and 1000 attached groups, two of them busy (a:100, b:300),
# 4k random reads QD32 each on the null_blk without a limit: total IOPS
# and B/A, which should not move with the number of idle groups.  One
# device of each size at once, taken in turn for three rounds of IRT
# seconds (one run after another, rows moved by up to a quarter with
# no pattern in the number of groups); each figure is the median round.
# Then eight busy groups, weights 100..800, on the 8 MiB/s null_blk.
bench_groups() {
	local n i ids= args t a b r round s
	for i in $(seq 1 1000); do
		mkdir -p /sys/fs/cgroup/g$i
	done
	ids=$(for i in $(seq 1 1000); do stat -c %i /sys/fs/cgroup/g$i; done)
	for n in 2 10 100 1000; do
		args=$(echo "$ids" | head -n $((n - 2)) | sed 's/$/:100/' | tr '\n' ' ')
		dm_create ibg$n "$(ioband_table /dev/fast bg$n cgroup weight 0 :100 $A:100 $B:300 $args)"
	done
	echo "bench: groups: two busy (a:100, b:300) among N attached, 4k random read QD32 each"
	echo "bench: (three rounds of ${IRT} s, the four devices in turn; the median round)"
	for round in 1 2 3; do
		for n in 2 10 100 1000; do
			fio_start /tmp/sa "--cgroup /sys/fs/cgroup/a" --name=a --filename=/dev/mapper/ibg$n \
				--rw=randread --bs=4k --iodepth=32 --ramp_time=1 --runtime=$IRT --time_based
			fio_start /tmp/sb "--cgroup /sys/fs/cgroup/b" --name=b --filename=/dev/mapper/ibg$n \
				--rw=randread --bs=4k --iodepth=32 --ramp_time=1 --runtime=$IRT --time_based
			wait
			a=$(fio_field /tmp/sa 8) b=$(fio_field /tmp/sb 8)
			eval "t${n}_$round=$((a + b)) r${n}_$round=$(ratio $a $b)"
		done
		eval "echo \"bench:   round $round: IOPS \$t2_$round \$t10_$round \$t100_$round \$t1000_$round, B/A \$r2_$round \$r10_$round \$r100_$round \$r1000_$round\""
	done
	printf 'bench: %-24s %10s %10s %8s\n' groups "IOPS" "of 2" "B/A"
	for n in 2 10 100 1000; do
		eval "t=\$(median \$t${n}_1 \$t${n}_2 \$t${n}_3) r=\$(median \$r${n}_1 \$r${n}_2 \$r${n}_3)"
		[ $n = 2 ] && s=$t
		printf 'bench: %-24s %10s %10s %8s\n' "$n attached" $t "$(ratio $s $t)" $r
		echo "data: groups $n $t $r"
	done
	for n in 2 10 100 1000; do
		dm_remove ibg$n
	done
	bench_weights8
	for i in $(seq 1 1000); do
		rmdir /sys/fs/cgroup/g$i
	done
}

# Eight busy groups, weights 100..800, on the 8 MiB/s null_blk; W8ROUNDS
# windows one after another on the same device (ONLY=weights8: three).
bench_weights8() {
	local i args t a round pids
	for i in 1 2 3 4 5 6 7 8; do
		mkdir -p /sys/fs/cgroup/g$i
	done
	echo "bench: eight busy groups, weights 100..800, 4k random read QD16 each, 8 MiB/s null_blk, $((RT - 2)) s"
	args= 
	for i in 1 2 3 4 5 6 7 8; do
		args="$args $(stat -c %i /sys/fs/cgroup/g$i):$((i * 100))"
	done
	dm_create ib8 "$(ioband_table /dev/slow b8 cgroup weight 0 :100 $args)"
	# ioband's counts over RT - 2 seconds from 2 s after the last of the
	# eight began: eight fio processes start up to seconds apart under
	# emulation, and each one's own average then covers a different
	# device.  fio runs until the window has closed (it is stopped then).
	for round in $(seq 1 ${W8ROUNDS:-1}); do
	pids=
	for i in 1 2 3 4 5 6 7 8; do
		fio_start /tmp/s$i "--cgroup /sys/fs/cgroup/g$i" --name=g$i --filename=/dev/mapper/ib8 \
			--rw=randread --bs=4k --iodepth=16 --runtime=$((RT + 60)) --time_based
		pids="$pids $!"
	done
	if ! started ib8 $(for i in 1 2 3 4 5 6 7 8; do stat -c %i /sys/fs/cgroup/g$i; done); then
		echo "bench: not every group began within 30 s: no figures"
		kill $pids
		wait
		continue
	fi
	QW_WARM=2 QW_LEN=$((RT - 2)) qos_window ib8
	kill $pids
	wait
	w8() { qw_kib "$(stat -c %i /sys/fs/cgroup/g$1)"; }
	t=0
	for i in 1 2 3 4 5 6 7 8; do
		t=$((t + $(w8 $i)))
	done
	printf 'bench: %-8s %8s %10s %10s %8s\n' group weight "KiB/s" "ideal" "error"
	for i in 1 2 3 4 5 6 7 8; do
		a=$(w8 $i)
		awk -v i=$i -v a=$a -v t=$t 'BEGIN { w = i * 100; id = t * w / 3600; e = (a - id) / id * 100
			printf "bench: g%-7d %8d %10d %10d %7.1f%%\n", i, w, a, id, e
			printf "data: weights8 %d %d %d %.1f\n", w, a, id, e }'
	done
	done
	dm_remove ib8
}
case $ONLY in
iops) bench_iops; echo "bench: done"; exit 0 ;;
groups) bench_groups; echo "bench: done"; exit 0 ;;
weights8) W8ROUNDS=${W8ROUNDS:-3} bench_weights8; echo "bench: done"; exit 0 ;;
esac
# ONLY=shares: the 1:3 shares of every controller alone
if [ "$ONLY" != shares ]; then
bench_iops
dm_create ibf "$(ioband_table /dev/fast bf cgroup weight 0 :100 $A:100 $B:300)"

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
	iops /dev/mapper/ibf 1 $ORT
	echo 1 > $BCG
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

# The cost itself, which those IOPS are far too noisy to show:
# bio-cgroup-cost.ko times bio_cgroup_owner() in the kernel on a bio of four
# page-cache pages that cgroup a wrote, and on a bio without data (what the
# call costs with the lookup off: the submitter's cgroup at once), in
# alternating blocks of 1000 calls, the fastest block of each.  Against the
# time a job spends per I/O on ibf here, the difference is the share of
# IOPS a CPU-bound job loses to owner resolution.
if [ -e /lib/modules/bio-cgroup-cost.ko ]; then
	runas --cgroup /sys/fs/cgroup/a -- dd if=/dev/zero of=/tmp/cost bs=4k count=4 2>/dev/null
	insmod /lib/modules/bio-cgroup-cost.ko file=/tmp/cost
	rmmod bio_cgroup_cost
	dmesg | grep 'bio-cgroup-cost:' | tail -1 | awk -v a="$A" -v iops="$I1_ibf" '{
		for (i = 1; i <= NF; i++) {
			if ($i == "cgroup") id = $(i + 1)
			if ($i == "pages") w = $(i + 1)
			if ($i == "data") wo = $(i + 1)
		}
		sub(/;/, "", id); sub(/,/, "", w)
		per = 1e6 / iops; d = (w - wo) / 1000
		printf "bench: bio_cgroup_owner() per bio: %.1f ns with page owners (found cgroup %s, a is %s), %.1f ns without\n", w / 1000, id, a, wo / 1000
		printf "bench: owner resolution adds %.1f ns per bio, %.3f%% of the %.1f us a job spends per I/O on ibf here (target <= 2%%)\n", d, 100 * d / (per * 1000), per
		printf "data: owner_cost %.1f %.1f %.1f\n", w / 1000, wo / 1000, per
	}'
	rm -f /tmp/cost
else
	echo "bench: no bio-cgroup-cost.ko: owner resolution not timed"
fi
dm_remove ibf
fi

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
	# at its best: a linear model of this device (8 MiB/s, 2048 4k IOPS
	# either way: every byte costs the same), as its documentation advises
	if echo "$maj ctrl=user model=linear rbps=8388608 rseqiops=2048 rrandiops=2048 wbps=8388608 wseqiops=2048 wrandiops=2048" \
		> /sys/fs/cgroup/io.cost.model 2>/dev/null; then
		share_run "iocost io.weight, linear model" /dev/slow
		# and its vrate held at 100% of the model, so that a vrate
		# climbing to its maximum cannot be why the budgets do not bind
		if echo "$maj enable=1 ctrl=user rpct=0 wpct=0 min=100.00 max=100.00" \
			> /sys/fs/cgroup/io.cost.qos 2>/dev/null; then
			share_run "iocost, linear model, vrate 100%" /dev/slow
		fi
		echo "$maj ctrl=auto" > /sys/fs/cgroup/io.cost.model
	else
		echo "bench: iocost: the linear model was refused"
	fi
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
if [ "$ONLY" = shares ]; then
	echo "bench: done"
	exit 0
fi
bench_groups
bench_qos
bench_latency
echo "bench: done"
