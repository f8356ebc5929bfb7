# Latency targets (issue "Isolation, part 2"): a light victim V (4k random
# reads, QD1, 200 IOPS) beside a heavy neighbour N (64k writes, QD32) on
# the 64 MiB/s null_blk, equal weights; the latency query, tracepoints and
# a lone group's latency against dm-linear's.  Sourced by suite-check.sh
# after check-qos.sh (needs lib.sh, qos_window, q_load, q_wait, q_result).
#
# The null_blk releases bytes in 20 ms ticks: V's read that finds the
# tick's budget spent waits for the next one.  So V alone completes in
# about 100 us, and beside an N that spends every tick it waits up to
# 20 ms: a scenario the device fails on its own, which a target fixes
# only by keeping N just under the device's rate.
#
# make check runs cases agree, target, unmeetable, trace, badinput and
# lone; two and buffered run when named (ONLY=latency, or latency-CASE):
# under emulation a boot's timing still decides too many of their
# outcomes (Documentation/ioband.rst, "Limits and known gaps": on the
# buffered case's 32 MB/s device even a fixed limit of 27 MB/s on N,
# 82% of its rate alone, kept V within its target in only seven boots
# of eleven).  The p99 they assert is the block layer's (bl_arm below),
# not fio's.
if [ -z "$ONLY" ]; then
	L_CASES="agree target unmeetable trace badinput lone"
	skip "25. latency targets: two targets, and a buffered writer as N" \
		"under emulation their outcome is the emulator's timing as much as ioband's; ONLY=latency runs them"
else
	L_CASES="agree target buffered unmeetable two trace badinput lone"
fi
# A target is twice a victim's p99 alone, but not under L_LEAST us (cases
# target, two and buffered).  "Alone" is one boot's and one window's: at
# the block layer, 55 to 3302 us over the runs of these cases on one
# machine (a tenth of them under 133), while with N held a victim's p99
# was 150 to 700 us in nine runs of ten, much of it the vCPUs' own
# stalls.  Twice a lucky alone is a target that holding back N does not
# meet (115 us once in case target: V 290 us against 230, N at 84%).
# The least does not make the cases easy: without a target V's p99 is
# 23 to 40 ms, a tick's wait or two (case 1).
L_LEAST=500
# l_target ALONE: the target for a victim whose p99 alone is ALONE us.
l_target() {
	local t=$((2 * ${1:-0}))
	[ "$t" -ge "$L_LEAST" ] || t=$L_LEAST
	echo "$t"
}
# l_want CASE: CASE is to run
l_want() {
	case " $L_CASES " in *" $1 "*) want "latency-$1" ;; *) return 1 ;; esac
}
l_any=
for c in $L_CASES; do l_want $c && l_any=1; done
[ -n "$l_any" ] || return 0

echo "guest: 25. latency targets"
[ -b /dev/q64 ] || nullb_create q64 2048 mbps=64
for c in lv lv2 ln; do mkdir -p /sys/fs/cgroup/$c; done
CG_V=$(stat -c %i /sys/fs/cgroup/lv)
CG_V2=$(stat -c %i /sys/fs/cgroup/lv2)
CG_N=$(stat -c %i /sys/fs/cgroup/ln)
LN="--rw=randwrite --bs=64k --iodepth=32"

# l_started DEV ID...: started, saying so when a group never did I/O.
l_started() {
	local dev=$1
	shift
	started "$dev" "$@" || echo "  .. groups $* did no I/O through $dev"
}

# l_lo CGROUP, l_hi CGROUP: the sectors of ibl that CGROUP's victim
# reads (l_v), from and below.
l_lo() { case $1 in lv2) echo 2097152 ;; *) echo 0 ;; esac; }
l_hi() { case $1 in lv) echo 2097152 ;; *) echo 1000000000000 ;; esac; }
# l_v OUT CGROUP FIOARGS: lv_start on ibl; lv reads its first GiB and lv2
# its second, so that bl_p99 tells their reads apart.
l_v() {
	local out=$1 cg=$2
	shift 2
	case $cg in
	lv) set -- --size=1g "$@" ;;
	lv2) set -- --offset=1g --size=1g "$@" ;;
	esac
	lv_start "$out" $cg /dev/mapper/ibl "$@"
}

# l_pair V_OUT BL_OUT: N in ln and V together; V measures after QW_WARM
# seconds for QW_LEN, its reads' latencies in BL_OUT (bl_window), N's
# rate is ioband's count over that window (qw_kib $CG_N).
l_pair() {
	bl_arm ibl
	Q_RUN=${Q_RUN:-$L_RUN} q_load n ln "--filename=/dev/mapper/ibl $LN"
	l_v "$1" lv --ramp_time=$QW_WARM --runtime=$L_VRUN
	bl_window ibl $CG_V $CG_N
	q_wait
	bl_off "$2"
}

# l_beside CGROUP...: a victim in each CGROUP reads ibl (fio's figures
# in /tmp/lva_CGROUP, the block layer's over 6 s after their first second
# in /tmp/bla) while N
# writes through an ioband device like ibl over another null_blk like q64
# (iblo on q64o): the victims are alone on their device, and the emulator
# carries the same load as when they share one with N, so that only the
# sharing differs (as in section 12).
l_beside() {
	local cg
	nullb_create q64o 2048 mbps=64
	dm_create iblo "$(ioband_table /dev/q64o l1o cgroup weight-iosize 0 :100 $CG_V:100 $CG_V2:100 $CG_N:100)"
	bl_arm ibl
	Q_RUN=11 q_load n ln "--filename=/dev/mapper/iblo $LN"
	for cg in "$@"; do
		l_v /tmp/lva_$cg $cg --ramp_time=1 --runtime=8
	done
	l_started ibl $(for cg in "$@"; do stat -c %i /sys/fs/cgroup/$cg; done)
	l_started iblo $CG_N
	sleep 1
	echo 1 > $T/tracing_on
	sleep 6
	echo 0 > $T/tracing_on
	q_wait
	bl_off /tmp/bla
	dm_remove iblo
	nullb_remove q64o
}

# l_alone: V's p99 alone (P99_ALONE, us, the block layer's: l_beside;
# fio's F99_ALONE) and N's rate alone (N_ALONE, KiB/s) on ibl, one after
# the other.  fio's p99 of V with nothing else running is P99_IDLE.  N's
# rate alone is over the same window as the runs it is compared with
# (QW_LEN after QW_WARM; it was 3 s): a buffered writer's writeback
# pauses for a second or so every few seconds, and each window should
# count them alike.  (Over eight boots or more each way, its rate alone
# came out about the same: 31178 to 32057 KiB/s over 7 s, 31729 to 32087
# over 3.)
l_alone() {
	l_v /tmp/lva lv --ramp_time=1 --runtime=6
	wait
	P99_IDLE=$(v_p99 /tmp/lva)
	l_beside lv
	P99_ALONE=$(bl_p99 /tmp/bla lv) F99_ALONE=$(v_p99 /tmp/lva_lv)
	q_load n ln "--filename=/dev/mapper/ibl $LN"
	l_started ibl $CG_N
	qos_window ibl
	q_wait
	N_ALONE=$(qw_kib $CG_N)
}

# positive VALUE...: every VALUE a number above 0 (a figure that is
# missing fails the test that reads it).
positive() {
	local v
	for v in "$@"; do
		awk -v v="$v" 'BEGIN { exit !(v ~ /^[0-9.]+$/ && v > 0) }' || return 1
	done
}

# The figure a target is for: a read's completion latency from its
# arrival at the ioband device to its completion there, as the block
# layer's own tracepoints (block_bio_queue, block_bio_complete on DEV)
# time it, not ioband.  fio's latency adds V's system call and its
# wake-up after the completion, which under emulation are most of its
# tail: beside a buffered writer, V's slowest reads spent 1.5 to 2.3 ms
# after ioband's end_io before io_getevents returned, with a vCPU each
# running fio and the flusher.  No I/O controller can shorten that.
# bl_arm DEV: trace DEV's bios, on the monotonic clock (the default
# clock is per CPU, and a bio may complete on another CPU), while
# tracing_on is 1; it is 0 until the window opens.  bl_off OUT: stop,
# and write every 4 KiB read (not metadata nor readahead: a filesystem's
# own reads are not the victims') that both arrived and completed in the
# window to OUT, a line each: its sector and its latency in us.  The
# tracepoints are enabled once, while nothing runs, and stay so until
# bl_done (also while nothing runs): a tracepoint is patched in and out
# with int3 and IPIs, and under emulation, with CPUs running through it,
# one such patch stopped a vCPU on a stale int3 (an oops in
# handle_softirqs) and another left a shell spinning for minutes (a soft
# lockup).  Between windows only the filter changes, which patches
# nothing.
T=/sys/kernel/tracing
bl_arm() {
	local mm e
	[ -d $T/events ] || mount -t tracefs nodev $T
	mm=$(dmsetup info -c --noheadings -o major,minor "$1")
	BL_DEV="${mm%:*},${mm#*:}"
	case $mm in *:*) ;; *) echo "  .. bl_arm: no device $1"; return 1 ;; esac
	echo 0 > $T/tracing_on
	for e in block_bio_queue block_bio_complete; do
		echo "dev == $(((${mm%:*} << 20) | ${mm#*:}))" > $T/events/block/$e/filter
	done
	if [ "$(cat $T/events/block/block_bio_queue/enable)" != 1 ]; then
		# "7 (expanded: 1408)" until a tracer first ran
		BL_BUF=$(awk '{ v = $1; if ($2 == "(expanded:") v = $3 + 0; print v }' $T/buffer_size_kb)
		echo mono > $T/trace_clock
		echo 4096 > $T/buffer_size_kb
		for e in block_bio_queue block_bio_complete; do
			echo 1 > $T/events/block/$e/enable
		done
	fi
	echo > $T/trace
}
bl_off() {
	echo 0 > $T/tracing_on
	# events a full buffer overwrote (a read of "trace" shows no LOST line)
	cat $T/per_cpu/cpu*/stats | awk '$1 == "overrun:" && $2 > 0 { print "lost" }' > "$1.lost"
	awk -v dev="$BL_DEV" '
		/LOST/ { print "lost"; next }
		{ for (i = 5; i < NF; i++) if ($i ~ /^block_bio_(queue|complete):$/) break }
		i == NF || $(i + 1) != dev || $(i + 2) !~ /^R/ || $(i + 2) ~ /[MA]/ ||
			$(i + 5) != 8 { next }
		{ t = $(i - 1); sub(/:$/, "", t); s = $(i + 3) }
		$i == "block_bio_queue:" { q[s] = t; next }
		s in q { printf "%s %.0f\n", s, (t - q[s]) * 1000000; delete q[s] }
	' $T/trace > "$1"
	cat "$1.lost" >> "$1"
	# say why a p99 will be missing (once on 6.1, case two's alone had
	# none for either victim, and the run does not say why)
	if grep -q lost "$1"; then
		echo "  .. bl_off $1: events lost ($(grep -c lost "$1") CPUs or LOST lines; buffer $(cat $T/buffer_size_kb) KiB)"
	elif [ ! -s "$1" ]; then
		echo "  .. bl_off $1: no read both queued and completed in the window ($(grep -vc '^#' $T/trace) events, filter $(cat $T/events/block/block_bio_queue/filter))"
	fi
	echo > $T/trace
}
bl_done() {
	local e
	[ -d $T/events/block ] || return 0
	for e in block_bio_queue block_bio_complete; do
		echo 0 > $T/events/block/$e/enable
		echo 0 > $T/events/block/$e/filter
	done
	echo local > $T/trace_clock
	[ -n "$BL_BUF" ] && echo "$BL_BUF" > $T/buffer_size_kb
	BL_BUF=
	echo 1 > $T/tracing_on
}
# bl_p99 FILE [CGROUP]: the 99th percentile (the smallest latency that
# 99% are at or under, us) of bl_off's reads, or of CGROUP's victim's
# (l_v); nothing if there are none or events were lost.
bl_p99() {
	local p
	grep -q lost "$1" && return
	p=$(awk -v lo=$(l_lo "$2") -v hi=$(l_hi "$2") '$1 >= lo && $1 < hi { print $2 }' "$1" | sort -n |
		awk '{ v[NR] = $1 } END { r = int(NR * 0.99); if (r < NR * 0.99) r++; if (NR) print v[r] }')
	[ -n "$p" ] || echo "  .. bl_p99 $1 $2: no reads of that victim among the $(wc -l < "$1") recorded" >&2
	echo "$p"
}
# bl_window DEV ID...: qos_window on DEV, recording bl_arm's trace over
# its QW_LEN, from QW_WARM after every group ID has done I/O through DEV
# (started): as the victims' fio counts from its ramp's end, not from
# its launch, which under emulation can take a second or two.  So that
# the window does not outlast them either (N's rate would then count a
# stretch without them), the victims run L_VRUN seconds after their
# ramp, and their neighbour L_RUN seconds in all.
L_VRUN=$((QW_LEN + 2))
L_RUN=$((QW_WARM + QW_LEN + 4))
bl_window() {
	local dev=$1
	shift
	l_started "$dev" "$@"
	sleep $QW_WARM
	echo 1 > $T/tracing_on
	QW_WARM=0 qos_window "$dev"
	echo 0 > $T/tracing_on
}

# l_query ID FIELD: a field of a group's line of the latency query
# (target cap floor missed capped r w).
l_query() {
	dmsetup message ibl 0 latency | awk -v id="$1" -v f="$2=" '
		$1 == id { for (i = 2; i <= NF; i++) if (index($i, f) == 1) print substr($i, length(f) + 1) }'
}
# l_rp99 ID: ioband's p99 of a group's reads, us.
l_rp99() { l_query "$1" r | cut -d, -f3; }

# The device of cases agree, target, unmeetable, two: V, V2 and N, equal
# weights.
if l_want agree || l_want target || l_want unmeetable || l_want two; then
	dm_create ibl "$(ioband_table /dev/q64 l1 cgroup weight-iosize 0 :100 $CG_V:100 $CG_V2:100 $CG_N:100)"
	l_alone
	TARGET=$(l_target "$P99_ALONE")
	say "alone: V p99 $P99_ALONE us (N on another device; by fio $F99_ALONE us, and $P99_IDLE us with nothing else running), N $N_ALONE KiB/s; V's target $TARGET us (twice $P99_ALONE, at least $L_LEAST)"
fi

# --- 5. the p99 ioband reports for V against fio's -----------------------------
if l_want agree || l_want target; then
	# without a target: from V's first bio, so that both count the same bios
	dmsetup message ibl 0 reset
	bl_arm ibl
	echo 1 > $T/tracing_on
	q_load n ln "--filename=/dev/mapper/ibl $LN"
	l_v /tmp/lv0 lv --runtime=$QW_LEN
	qos_window ibl
	q_wait
	bl_off /tmp/bl0
	p0=$(v_p99 /tmp/lv0) n0=$(qw_kib $CG_N) ip0=$(l_rp99 $CG_V) b0=$(bl_p99 /tmp/bl0 lv)
	positive "$P99_ALONE" "$b0" && at_least "$b0" "$TARGET"
	q_result "1. without a target V's p99 is over twice its p99 alone (the test can fail)" $? \
		"V p99 $b0 us without a target (by fio $p0 us), against $TARGET us"
	# ioband shows its bucket's midpoint (a bucket is an eighth of its
	# power of two wide, ioband-latency.h): the value of that bucket
	# nearest fio's p99 must be within 10% of it.  Here the p99 is in
	# the second tick's spread (20 to 40 ms), where a rank more or less
	# moves it by a bucket: by midpoints 89% once in six runs.
	# (busybox awk has no log() nor ^)
	near0=$(awk -v m="$ip0" -v f="$p0" 'BEGIN { w = 1; while (w * 16 <= m) w *= 2
		if (m < 16) { lo = m; hi = m + 1 } else { lo = m - w / 2; hi = m + w / 2 }
		print (f < lo ? lo : (f > hi ? hi : f)) }')
	positive "$ip0" "$p0" && within "$near0" "$p0" 10
	q_result "5. ioband's p99 of V (its bucket) agrees with fio's p99 within 10%" $? \
		"ioband $ip0 us (its bucket's nearest $near0), fio $p0 us ($(pct "$ip0" "$p0")% by midpoint)"
fi

# --- 1. a target twice V's p99 alone, against a saturating neighbour -------
if l_want target; then
	dmsetup message ibl 0 latency $CG_V:$TARGET
	dmsetup message ibl 0 reset
	l_pair /tmp/lv1 /tmp/bl1
	p1=$(bl_p99 /tmp/bl1 lv) f1=$(v_p99 /tmp/lv1) n1=$(qw_kib $CG_N) ios1=$(v_ios /tmp/lv1)
	# and V, at QD1, gets its 200 IOPS (section 12 has it without a target)
	positive "$P99_ALONE" "$N_ALONE" "$p1" "$n1" && at_least "$TARGET" "$p1" &&
		at_least "$n1" $((N_ALONE * 80 / 100)) && at_least "$ios1" $((200 * L_VRUN * 95 / 100))
	q_result "1. V's target 2x its p99 alone (>= $L_LEAST us): V's p99 within it, V >= 95% of its 200 IOPS, N >= 80% of alone" $? \
		"target $TARGET us: V p99 $p1 us (by fio $f1, alone $F99_ALONE), $ios1 reads in $L_VRUN s (want >= $((200 * L_VRUN * 95 / 100))), N $n1 KiB/s ($(pct $n1 $N_ALONE)% of alone); without a target: V p99 $b0 us, N $n0 KiB/s ($(pct $n0 $N_ALONE)%); V's group: $(l_query $CG_V missed) windows missed, N's: $(l_query $CG_N capped) capped"
	dmsetup message ibl 0 latency $CG_V:0
fi

# --- 3. a target the device cannot meet: N keeps its floor ---------------------
if l_want unmeetable; then
	dmsetup message ibl 0 latency $CG_V:10
	dmsetup message ibl 0 reset
	Q_RUN=$L_RUN
	# the floor while V is busy: N's part of the device is then half
	( sleep 5; l_query $CG_N floor > /tmp/lfloor ) &
	l_pair /tmp/lv3 /tmp/bl3
	Q_RUN=
	n3=$(qw_kib $CG_N) floor=$(cat /tmp/lfloor) ios=$(v_ios /tmp/lv3)
	missed=$(l_query $CG_V missed)
	iobandctl stats ibl --interval 1 > /tmp/lstats 2>&1
	iobandctl stats ibl --interval 1 --json > /tmp/lstats.json 2>&1
	ip3=$(l_rp99 $CG_V)
	dmsetup message ibl 0 latency $CG_V:0
	# V's 200 IOPS over its QW_LEN s (the ramp is not counted)
	positive "$n3" "$floor" && at_least "$n3" $((floor / 1024 * 90 / 100)) && at_least "$ios" $((200 * L_VRUN * 95 / 100)) &&
		at_least "$missed" 1
	q_result "3. a 10 us target: N keeps its floor, V is not stalled" $? \
		"N $n3 KiB/s, its floor $((floor / 1024)) KiB/s (half its part of the device); V completed $ios reads in $L_VRUN s (want >= $((200 * L_VRUN * 95 / 100))); $missed windows missed"
	grep -q "^  /sys/fs/cgroup/lv: target 10 us ([0-9]* windows missed) read p50/p90/p99 [0-9]*/[0-9]*/$ip3 us of [0-9]*\$" /tmp/lstats &&
		grep -q "\"latency\": {\"target_us\": 10, .*\"read\": {\"ios\": [1-9][0-9]*, \"p50_us\": [0-9]*, \"p90_us\": [0-9]*, \"p99_us\": $ip3}" /tmp/lstats.json
	result "iobandctl stats shows V's target and percentiles (text and --json)" $? \
		"$(grep '/sys/fs/cgroup/lv:' /tmp/lstats | sed 's/^ *//')"
fi

# --- 4. two groups with targets, one without -----------------------------------
if l_want two; then
	# each victim's target twice its p99 alone, with the other victim
	# reading too (four fio processes on two vCPUs, as in the case), but
	# not under L_LEAST us.
	l_beside lv lv2
	a4=$(bl_p99 /tmp/bla lv) a5=$(bl_p99 /tmp/bla lv2)
	t4=$(l_target "$a4") t5=$(l_target "$a5")
	dmsetup message ibl 0 latency $CG_V:$t4
	dmsetup message ibl 0 latency $CG_V2:$t5
	m4=$(l_query $CG_V missed) m5=$(l_query $CG_V2 missed)
	bl_arm ibl
	Q_RUN=$L_RUN q_load n ln "--filename=/dev/mapper/ibl $LN"
	( sleep 5; l_query $CG_N floor > /tmp/lfloor ) &
	l_v /tmp/lv4 lv --ramp_time=$QW_WARM --runtime=$L_VRUN
	l_v /tmp/lv5 lv2 --ramp_time=$QW_WARM --runtime=$L_VRUN
	bl_window ibl $CG_V $CG_V2 $CG_N
	q_wait
	bl_off /tmp/bl4
	p4=$(bl_p99 /tmp/bl4 lv) p5=$(bl_p99 /tmp/bl4 lv2) n4=$(qw_kib $CG_N) floor=$(cat /tmp/lfloor)
	positive "$a4" "$a5" "$p4" "$p5" "$n4" "$floor" && at_least "$t4" "$p4" && at_least "$t5" "$p5" &&
		at_least "$n4" $((floor / 1024))
	q_result "4. two groups with targets (2x their p99 alone, >= $L_LEAST us), one without: both within, N above its floor" $? \
		"V p99 $p4 us against $t4 (alone $a4; by fio $(v_p99 /tmp/lv4), alone $(v_p99 /tmp/lva_lv)), V2 p99 $p5 us against $t5 (alone $a5; by fio $(v_p99 /tmp/lv5), alone $(v_p99 /tmp/lva_lv2)), N $n4 KiB/s ($(pct $n4 $N_ALONE)% of alone), its floor $((floor / 1024)) KiB/s; $(($(l_query $CG_V missed) - m4)), $(($(l_query $CG_V2 missed) - m5)) windows missed"
	dmsetup message ibl 0 latency $CG_V:0
	dmsetup message ibl 0 latency $CG_V2:0
fi
[ -b /dev/mapper/ibl ] && dm_remove ibl
bl_done

# --- 2. the neighbour a buffered writer: ext4 writeback, charged to N -------
# l_buffered: the case, ext4 on ibl mounted on /mnt/l and on iblo on
# /mnt/lo.
l_buffered() {
	dd if=/dev/zero of=/mnt/l/v bs=1M count=64 2>/dev/null
	sync
	# N writes back all the time: at the default ratios (10% of 2 GiB)
	# its 128 MiB file never reached the background threshold, and N
	# alone once wrote back nothing in its window
	dirty_at 16 32 3000
	LB="--rw=write --bs=1M --size=128m --direct=0 --ioengine=psync"
	lv_start /tmp/lvb lv /mnt/l/v --ramp_time=1 --runtime=6
	wait
	pi=$(v_p99 /tmp/lvb)
	# V's p99 alone: N writes back as much to the other ext4, so that
	# the emulator carries the same load (as l_beside)
	bl_arm ibl
	Q_RUN=10 q_load n ln "--filename=/mnt/lo/n $LB"
	lv_start /tmp/lvb lv /mnt/l/v --ramp_time=2 --runtime=6
	l_started ibl $CG_V
	l_started iblo $CG_N
	sleep 2
	echo 1 > $T/tracing_on
	sleep 5
	echo 0 > $T/tracing_on
	q_wait
	bl_off /tmp/blba
	pa=$(bl_p99 /tmp/blba) fa=$(v_p99 /tmp/lvb)
	rm -f /mnt/lo/n
	LB="--filename=/mnt/l/n $LB"
	q_load n ln "$LB"
	l_started ibl $CG_N
	qos_window ibl
	q_wait
	na=$(qw_kib $CG_N)
	rm -f /mnt/l/n
	sync
	t2=$(l_target "$pa")
	bl_arm ibl
	Q_RUN=$L_RUN q_load n ln "$LB"
	lv_start /tmp/lvb0 lv /mnt/l/v --ramp_time=$QW_WARM --runtime=$L_VRUN
	bl_window ibl $CG_V $CG_N
	q_wait
	bl_off /tmp/blb0
	p20=$(bl_p99 /tmp/blb0) n20=$(qw_kib $CG_N)
	positive "$pa" "$p20" && at_least "$p20" "$t2"
	q_result "2. without a target V's p99 is over twice its p99 alone (the test can fail)" $? \
		"V p99 $p20 us without a target (by fio $(v_p99 /tmp/lvb0)), against $t2 us; N $n20 KiB/s"
	dmsetup message ibl 0 latency $CG_V:$t2
	bl_arm ibl
	Q_RUN=$L_RUN q_load n ln "$LB"
	lv_start /tmp/lvb1 lv /mnt/l/v --ramp_time=$QW_WARM --runtime=$L_VRUN
	bl_window ibl $CG_V $CG_N
	q_wait
	bl_off /tmp/blb1
	p2=$(bl_p99 /tmp/blb1) n2=$(qw_kib $CG_N)
	positive "$pa" "$na" "$p2" "$n2" && at_least "$t2" "$p2" && at_least "$n2" $((na * 80 / 100))
	q_result "2. a buffered writer as N (ext4 writeback): V's p99 within 2x alone (>= $L_LEAST us), N >= 80% of alone" $? \
		"alone: V p99 $pa us (N on another device; by fio $fa us, and $pi us with nothing else running), N $na KiB/s written back; without a target: V p99 $p20 us, N $n20 KiB/s; target $t2 us (2x alone, >= $L_LEAST): V p99 $p2 us (by fio $(v_p99 /tmp/lvb1)), N $n2 KiB/s ($(pct $n2 $na)%); $(l_query $CG_V missed) windows missed"
	dirty_defaults
}
if l_want buffered; then
	# memory-backed, so that ext4 reads back what it wrote; bios of at
	# most 64 KiB, so that no copy into its memory holds a vCPU for long.
	# 32 MB/s: under emulation ext4's writeback reaches some 36 MB/s, so
	# at 64 the CPU and not the device would be what V waits for.  And
	# one like it, where N writes while V's p99 alone is measured.
	mkdir -p /mnt/l /mnt/lo
	nullb_create l32m 384 mbps=32 memory_backed=1 max_sectors=128
	nullb_create l32o 384 mbps=32 memory_backed=1 max_sectors=128
	if dm_create ibl "$(ioband_table /dev/l32m l2 cgroup weight-iosize 0 :100 $CG_V:100 $CG_N:100)" &&
		dm_create iblo "$(ioband_table /dev/l32o l2o cgroup weight-iosize 0 :100 $CG_V:100 $CG_N:100)" &&
		/bin/mke2fs -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/ibl &&
		/bin/mke2fs -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/iblo &&
		mount -t ext4 /dev/mapper/ibl /mnt/l && mount -t ext4 /dev/mapper/iblo /mnt/lo; then
		l_buffered
	else
		result "2. a buffered writer as N: ext4 on two ioband devices" 1 "a device, mke2fs or mount failed"
	fi
	grep -q " /mnt/lo " /proc/mounts && umount /mnt/lo
	grep -q " /mnt/l " /proc/mounts && umount /mnt/l
	dmsetup info iblo > /dev/null 2>&1 && dm_remove iblo
	dmsetup info ibl > /dev/null 2>&1 && dm_remove ibl
	# freeing their memory holds a vCPU for minutes under KASAN (a soft
	# lockup in null_blk's teardown, seen on the debug kernel): kept there;
	# and kept under a device that could not be removed
	dmsetup info ibl > /dev/null 2>&1 || dmsetup info iblo > /dev/null 2>&1 ||
		[ -n "$DEBUGKERNEL" ] || { nullb_remove l32m; nullb_remove l32o; }
	bl_done
fi

# --- 6. tracepoints: one event of each kind per bio ----------------------------
if l_want trace; then
	T=/sys/kernel/tracing
	[ -d $T/events ] || mount -t tracefs nodev $T
	dm_create ibl "$(ioband_table /dev/q64 l6 cgroup weight-iosize 0 :100 $CG_V:100 $CG_N:100 latency=$CG_V:1000)"
	# "7 (expanded: 1408)" until a tracer first ran
	tbuf=$(awk '{ v = $1; if ($2 == "(expanded:") v = $3 + 0; print v }' $T/buffer_size_kb)
	echo 8192 > $T/buffer_size_kb
	echo > $T/trace
	for e in admit hold dispatch complete latency epoch; do
		echo 1 > $T/events/ioband/ioband_$e/enable
	done
	# 1021 reads of V and N's writes at QD32, so that some bios are held;
	# 1021 is not a multiple of a CPU's batch of completions for the
	# histogram (eight), so the query must gather what CPUs still keep
	q_load n ln "--filename=/dev/mapper/ibl $LN"
	runas --cgroup /sys/fs/cgroup/lv -- fio --name=v --filename=/dev/mapper/ibl \
		--rw=randread --bs=4k --iodepth=4 --direct=1 --ioengine=libaio --io_size=4084k \
		--output-format=json --output=/tmp/lv6 > /dev/null 2>&1
	q_wait
	for e in admit hold dispatch complete latency epoch; do
		echo 0 > $T/events/ioband/ioband_$e/enable
	done
	cat $T/trace > /tmp/trace6
	ev() { grep -c "ioband_$1: .* group=$2 " /tmp/trace6; }
	issued=$(v_ios /tmp/lv6)
	a=$(ev admit $CG_V) h=$(ev hold $CG_V) d=$(ev dispatch $CG_V) c=$(ev complete $CG_V)
	na=$(ev admit $CG_N) nh=$(ev hold $CG_N) nd=$(ev dispatch $CG_N) nc=$(ev complete $CG_N)
	l=$(grep -c "ioband_latency: " /tmp/trace6) e=$(grep -c "ioband_epoch: " /tmp/trace6)
	lost=$(grep -c "LOST" /tmp/trace6)
	[ "$issued" = 1021 ] && [ $((a + h)) = "$issued" ] && [ "$c" = "$issued" ] && [ "$d" = "$h" ] &&
		[ $((na + nh)) = "$nc" ] && [ "$nd" = "$nh" ] && [ "$nh" -gt 0 ] && [ "$l" -gt 0 ] &&
		[ "$e" -gt 0 ] && [ "$lost" = 0 ]
	result "6. tracepoints: admitted + held = completed = the bios fio issued" $? \
		"V: fio issued $issued, admit $a + hold $h, dispatch $d, complete $c; N: admit $na + hold $nh, dispatch $nd, complete $nc; $l latency and $e epoch events"
	hr=$(l_query $CG_V r | cut -d: -f1) hw=$(l_query $CG_N w | cut -d: -f1)
	[ "$hr" = "$issued" ] && [ "$hw" = "$nc" ]
	result "the latency query's histograms count every completion" $? \
		"V's reads $hr (fio issued $issued), N's writes $hw (completed $nc)"
	say "$(grep -m1 'ioband_complete: ' /tmp/trace6 | sed 's/^ *//')"
	say "$(grep -m1 'ioband_latency: ' /tmp/trace6 | sed 's/^ *//')"
	echo > $T/trace
	echo "$tbuf" > $T/buffer_size_kb
	dm_remove ibl
fi

# --- 7. a lone group's latency through ioband and through dm-linear -----------
# The same reader on dm-linear, on ioband and on ioband of type none (to
# tell where a difference comes from), in turn, 1 s each, eight rounds,
# from one fio on one vCPU with nothing else running: the emulator's
# speed drifts (it moved dm-linear's median from 150 to 420 us within one
# boot), so the runs alternate fast, and each device's figure is the
# median of its eight runs' medians.  (Three readers at once on one vCPU
# decided each other's latency instead: an ioband doing nothing measured
# 96% and 116% of dm-linear.)  The device keeps each bio 1 ms (a timer):
# emulation makes the CPU some thirty times slower and not the device,
# so with the 64 MiB/s null_blk's 100 us the figure would be mostly the
# emulator's path.
if l_want lone; then
	nullb_create l1ms 1024 irqmode=2 completion_nsec=1000000
	dm_create ibl "$(ioband_table /dev/l1ms l7 cgroup weight-iosize 0 :100 $CG_V:100 $CG_N:100)"
	dm_create lin7 "0 $(sectors /dev/l1ms) linear /dev/l1ms 0"
	dm_create ibn7 "$(ioband_table /dev/l1ms l7n none weight-iosize 0 :100)"
	{
		echo "[global]"
		echo "rw=randread"
		echo "bs=4k"
		echo "iodepth=1"
		echo "rate_iops=200"
		echo "direct=1"
		echo "ioengine=libaio"
		echo "time_based"
		echo "runtime=1"
		echo "percentile_list=50"
		echo "lat_percentiles=1"
		echo "stonewall"
		for r in 1 2 3 4 5 6 7 8; do
			case $((r % 3)) in
			0) order="lin7 ibl ibn7" ;; 1) order="ibl ibn7 lin7" ;; *) order="ibn7 lin7 ibl" ;;
			esac
			for d in $order; do
				echo "[$d]"
				echo "filename=/dev/mapper/$d"
			done
		done
	} > /tmp/lv7.fio
	runas --cgroup /sys/fs/cgroup/lv -- fio --output-format=json --output=/tmp/lv7 \
		--cpus_allowed=$(($(nproc) - 1)) /tmp/lv7.fio > /tmp/lv7.log 2>&1
	# each job's median latency (submission to completion), us
	awk '/"jobname" :/ { gsub(/[",]/, "", $3); j = $3 }
		/"read" :/ { r = 1 } /"write" :/ { r = 0 }
		r && /"lat_ns" :/ { c = 1 } r && /"clat_ns" :/ { c = 0 }
		r && c && $1 == "\"50.000000\"" { gsub(/[ ,]/, "", $3); printf "%s %.0f\n", j, $3 / 1000; r = 0 }
	' FS=' ' /tmp/lv7 > /tmp/lv7.med
	ml=$(awk '$1 == "lin7" { printf " %s", $2 }' /tmp/lv7.med)
	mi=$(awk '$1 == "ibl" { printf " %s", $2 }' /tmp/lv7.med)
	mn=$(awk '$1 == "ibn7" { printf " %s", $2 }' /tmp/lv7.med)
	waited=$(group_field ibl $CG_V 11)
	ios=$(group_field ibl $CG_V 1)
	dm_remove ibn7
	# the median of eight: the mean of the middle two
	mid() { printf '%s\n' "$@" | sort -n | awk 'NR == 4 || NR == 5 { s += $1 } END { print s / 2 }'; }
	l=$(mid $ml) i=$(mid $mi) n=$(mid $mn)
	positive "$l" "$i" && [ $(echo $mi | wc -w) = 8 ] && within "$i" "$l" 10
	q_result "7. a lone QD1 reader at 200 IOPS on a 1 ms device: ioband's median latency within 10% of dm-linear's" $? \
		"1 s runs in turn, eight each: dm-linear$ml us, ioband$mi us, ioband of type none$mn us; their medians $l, $i ($(pct "$i" "$l")%), $n ($(pct "$n" "$l")%); V's $ios reads waited $waited ms in ioband in all"
	dm_remove lin7
	dm_remove ibl
	nullb_remove l1ms
fi

# --- bad input: refused with a reason, nothing changed -------------------------
if l_want badinput; then
	dm_create ibl "$(ioband_table /dev/q64 l8 cgroup weight-iosize 0 :100 $CG_V:100 latency=$CG_V:500 latency=:2000)"
	before=$(dmsetup table ibl)
	echo "$before" | grep -q " latency=$CG_V:500 latency=:2000\$"
	result "latency= in the table line prints back" $? "$before"
	bad=0 n=0 why=""
	lbad() { refused ibl "$1" "$2"; }
	lbad "latency $CG_V:100 x" "wrong number of arguments"
	lbad "latency $CG_V" "expected <id>:<usec>"
	lbad "latency $CG_V:abc" "expected 0 to 60000000"
	lbad "latency $CG_V:60000001" "expected 0 to 60000000"
	lbad "latency $CG_V:-5" "expected 0 to 60000000"
	lbad "latency x:100" "expected <id>:<usec>"
	lbad "latency 424242:100" "not attached"
	for t in "latency=$CG_V:0" "latency=$CG_V:1,2" "latency=424242:100" "latency=$CG_V:5 latency=$CG_V:6"; do
		dmesg -c > /dev/null
		if dm_create ibx "$(ioband_table /dev/q64 l9 cgroup weight-iosize 0 :100 $CG_V:100 $t)" 2>/dev/null; then
			bad=$((bad + 1)) why="$why [table accepted: $t]"
			dm_remove ibx
		fi
	done
	dmsetup message ibl 0 latency $CG_V:0 && dmsetup message ibl 0 latency :0
	after=$(dmsetup table ibl)
	echo "$after" | grep -q "latency=" && { bad=$((bad + 1)) why="$why [0 did not remove: $after]"; }
	[ $bad = 0 ]
	result "bad latency messages and table lines are refused with a reason" $? "${why:-11 refused, 0 removes}"
	dm_remove ibl
fi
if [ -b /dev/q64 ]; then nullb_remove q64; fi
