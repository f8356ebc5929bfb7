# Reservations and limits (issue "Isolation, part 1"): limits with bursts,
# reservations, ranges, over-committed reservations, dm-ioband's range-bw,
# and bad input.  Sourced by suite-check.sh (needs lib.sh, CG_A, CG_B,
# CG_C).  Cases run with ONLY=qos, or ONLY=qos-CASE; the helpers are
# defined either way (check-tree.sh uses them).
#
# Shares are read from ioband's own counters (dmsetup status) over a
# window that starts QW_WARM seconds after the load does (the first
# seconds hold a full limit bucket, and the epoch clock's first rates),
# so each figure covers QW_LEN seconds of steady state.

QW_WARM=2
QW_LEN=7
Q64=65536	# KiB/s, of q64

# qos_window, qw_kib, qw_iops: lib.sh

# q_load NAME CGROUP FIOARGS: a fio job in CGROUP for the warm-up, the
# window and a second more; q_wait waits for all of them.
q_load() {
	fio_start /tmp/qj_$1 "--cgroup /sys/fs/cgroup/$2" --name=$1 $3 \
		--runtime=${Q_RUN:-$((QW_WARM + QW_LEN + 1))} --time_based
}
q_wait() {
	wait
	for f in /tmp/qj_?; do
		[ -s "$f" ] && [ "$(fio_err "$f")" = 0 ] && continue
		echo "  .. fio $f failed:"; sed 's/^/  .. /' "$f.log" | head -5
	done
	rm -f /tmp/qj_?
}

# q_result NAME STATUS DETAILS: a measured result; on the debug kernel the
# CPU, not the device, is the bottleneck and rates mean nothing (as for
# check_ratio): the run still drives the code under KASAN and lockdep.
q_result() {
	if [ -n "$DEBUGKERNEL" ]; then
		skip "$1" "rates are not measured on the debug kernel ($3)"
		return 0
	fi
	result "$@"
}

# q_pair FIOARGS: groups a and b both run FIOARGS on ibq; the window's
# figures are then in /tmp/qw (qw_kib, qw_iops).
q_pair() {
	q_load a a "--filename=/dev/mapper/ibq $1"
	q_load b b "--filename=/dev/mapper/ibq $1"
	qos_window ibq
	q_wait
}

# in_range VALUE LO HI
in_range() { at_least "$1" "$2" && at_least "$3" "$1"; }

Q_CASES="limit iops burst reserve range overcommit slots rangebw badinput"
q_any=
for c in $Q_CASES; do want qos-$c && q_any=1; done
[ -n "$q_any" ] || return 0

echo "guest: 23. reservations and limits"
# 64 MiB/s in 20 ms ticks: bandwidth, as the issue's tests are written
nullb_create q64 2048 mbps=64

W64="--rw=randwrite --bs=64k --iodepth=8"
R64="--rw=randread --bs=64k --iodepth=8"
R4="--rw=randread --bs=4k --iodepth=16"

# --- a limit holds its group; the other takes the rest ----------------------
if want qos-limit; then
	dm_create ibq "$(ioband_table /dev/q64 q1 cgroup weight-iosize 0 :100 $CG_A:100 $CG_B:100 limit=$CG_A:wbps=8388608)"
	q_load a a "--filename=/dev/mapper/ibq $W64"
	q_load b b "--filename=/dev/mapper/ibq $W64"
	qos_window ibq
	held=$(dmsetup message ibq 0 qos | awk -v id=$CG_A '$1 == id { print $2, $3 }')
	q_wait
	a=$(qw_kib $CG_A) b=$(qw_kib $CG_B)
	within "$a" 8192 3 && at_least $((a + b)) $((Q64 * 90 / 100))
	q_result "limit wbps 8 MiB/s against an unlimited neighbour" $? \
		"A $a KiB/s (want 8192 +-3%), A+B $((a + b)) KiB/s = $(pct $((a + b)) $Q64)% of the disk (want >= 90%); A during the run: $held"
	dm_remove ibq
fi

# --- an IOPS limit --------------------------------------------------------------
if want qos-iops; then
	dm_create ibq "$(ioband_table /dev/q64 q2 cgroup weight 0 :100 $CG_A:100 $CG_B:100)"
	dmsetup message ibq 0 limit $CG_A:riops=500
	q_pair "$R4"
	a=$(qw_iops $CG_A) b=$(qw_iops $CG_B)
	within "$a" 500 3
	q_result "limit riops 500, 4k random reads at QD16" $? "A $a IOPS (want 500 +-3%), B $b IOPS"
	dm_remove ibq
fi

# --- a burst: a group idle for its burst runs above its limit, then at it ----
if want qos-burst; then
	dm_create ibq "$(ioband_table /dev/q64 q3 cgroup weight-iosize 0 :100 $CG_A:100 limit=$CG_A:wbps=8388608,burst=1000)"
	sleep 1.2
	t0=$(cut -d' ' -f1 /proc/uptime)
	runas --cgroup /sys/fs/cgroup/a -- dd if=/dev/zero of=/dev/mapper/ibq bs=1M count=8 oflag=direct 2>/dev/null
	t1=$(cut -d' ' -f1 /proc/uptime)
	runas --cgroup /sys/fs/cgroup/a -- dd if=/dev/zero of=/dev/mapper/ibq bs=1M count=8 seek=8 oflag=direct 2>/dev/null
	t2=$(cut -d' ' -f1 /proc/uptime)
	first=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	second=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", b - a }')
	at_least 0.4 "$first" && in_range "$second" 0.8 1.2
	q_result "burst: a full bucket (1 s of 8 MiB/s) goes at the disk's speed, then the rate" $? \
		"8 MiB after idling in ${first}s (want < 0.4 s; 0.125 s at 64 MiB/s, 1 s at the limit), the next 8 MiB in ${second}s (want 1.0 +-0.2 s)"
	dm_remove ibq
fi

# --- a reservation beats the weights ---------------------------------------------
if want qos-reserve; then
	dm_create ibq "$(ioband_table /dev/q64 q4 cgroup weight-iosize 0 :100 $CG_A:100 $CG_B:900)"
	q_pair "$R64"
	a0=$(qw_kib $CG_A)
	dmsetup message ibq 0 reserve $CG_A:bps=16777216
	q_pair "$R64"
	a=$(qw_kib $CG_A) b=$(qw_kib $CG_B)
	at_least "$a" $((16384 * 95 / 100)) && at_least $((a + b)) $((Q64 * 95 / 100))
	q_result "reservation 16 MiB/s beats weight 100 of 1000" $? \
		"A $a KiB/s reserving 16384 (want >= 95%), $a0 KiB/s without; A+B $((a + b)) KiB/s = $(pct $((a + b)) $Q64)% of the disk (want >= 95%)"
	dm_remove ibq
fi

# --- a range: reserve 8, limit 16, against a heavier neighbour ------------------
if want qos-range; then
	dm_create ibq "$(ioband_table /dev/q64 q5 cgroup weight-iosize 0 :100 $CG_A:100 $CG_B:900 limit=$CG_A:bps=16777216 reserve=$CG_A:bps=8388608)"
	q_pair "$R64"
	a=$(qw_kib $CG_A) b=$(qw_kib $CG_B)
	in_range "$a" $((8192 * 98 / 100)) $((16384 * 102 / 100))
	q_result "range 8..16 MiB/s against weight 900" $? "A $a KiB/s (want 8192..16384, 2% either side), B $b KiB/s"
	dm_remove ibq
fi

# --- reservations beyond the device: scaled, every group moves -------------------
if want qos-overcommit; then
	dm_create ibq "$(ioband_table /dev/q64 q6 cgroup weight-iosize 0 :100 $CG_A:100 $CG_B:100 $CG_C:100 reserve=$CG_A:bps=33554432 reserve=$CG_B:bps=67108864)"
	Q_RUN=13
	q_load a a "--filename=/dev/mapper/ibq $R64"
	q_load b b "--filename=/dev/mapper/ibq $R64"
	q_load c c "--filename=/dev/mapper/ibq $R64"
	Q_RUN=
	# every second of the window, every group moved
	sleep $QW_WARM
	moved=0 secs=0
	dmsetup status ibq > /tmp/qm0
	while [ $secs -lt 6 ]; do
		sleep 1
		dmsetup status ibq > /tmp/qm1
		n=$(awk 'FNR == 1 { f++ } { for (i = 5; i <= NF; i += 12) if ($i != -1) s[f, $i] = $(i + 3) }
			END { for (k in s) { split(k, p, SUBSEP); if (p[1] == 2 && s[2, p[2]] > s[1, p[2]]) n++ } print n + 0 }' /tmp/qm0 /tmp/qm1)
		[ "$n" = 3 ] && moved=$((moved + 1))
		mv /tmp/qm1 /tmp/qm0
		secs=$((secs + 1))
	done
	QW_WARM=0 QW_LEN=3 qos_window ibq
	QW_WARM=2 QW_LEN=7
	scale=$(dmsetup message ibq 0 qos | head -1)
	q_wait
	a=$(qw_kib $CG_A) b=$(qw_kib $CG_B) c=$(qw_kib $CG_C)
	r=$(ratio "$a" "$b")
	sc=$(echo "$scale" | sed 's/.*reserve_scale=\([0-9]*\).*/\1/')
	[ "$moved" = 6 ] && within "$r" 2.0 15 && at_least "$c" $((Q64 * 3 / 100)) && [ "$sc" -lt 100 ]
	q_result "reservations of 150% of the disk: scaled, every group moves" $? \
		"A $a B $b C $c KiB/s, B/A $r (want 2.0 +-15%), C >= 3% of the disk; all three moved in $moved of 6 seconds; $scale"
	dm_remove ibq
fi

# --- IOPS limits and reservations on 8 slots of 1 ms -------------------------------
if want qos-slots; then
	nullb_create qslots 1024 irqmode=2 completion_nsec=1000000 hw_queue_depth=8 submit_queues=1
	dm_create ibq "$(ioband_table /dev/qslots q7 cgroup weight 0 :100 $CG_A:100 $CG_B:100 limit=$CG_A:riops=1000)"
	q_pair "$R4"
	a=$(qw_iops $CG_A) b=$(qw_iops $CG_B)
	within "$a" 1000 3
	q_result "slots: limit riops 1000" $? "A $a IOPS (want 1000 +-3%), B $b IOPS"
	dm_remove ibq
	# without the reservation A gets a tenth: about 450 of the 4500 IOPS
	# the CPU lets through under emulation (see workcons)
	dm_create ibq "$(ioband_table /dev/qslots q7 cgroup weight 0 :100 $CG_A:100 $CG_B:900 reserve=$CG_A:riops=1500)"
	q_pair "$R4"
	a=$(qw_iops $CG_A) b=$(qw_iops $CG_B)
	at_least "$a" 1425
	q_result "slots: reservation riops 1500 beats weight 100 of 1000" $? \
		"A $a IOPS (want >= 1425; a tenth of A+B = $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f", (a + b) / 10 }') without it); B $b IOPS"
	dm_remove ibq
	nullb_remove qslots
fi

# --- dm-ioband's range-bw table line and messages ----------------------------------
if want qos-rangebw; then
	line="0 $(sectors /dev/q64) ioband /dev/q64 rb 4 128 cgroup range-bw 16384 :0:0 $CG_A:100:500 $CG_B:700:1000"
	echo "$line" | dmsetup create ibq --noudevsync
	t=$(dmsetup table ibq)
	# "--": dmsetup would read -1:... as an option (as range-bw.txt says)
	dmsetup message -- ibq 0 range-bw -1:5000:6000 && dmsetup message ibq 0 range-bw $CG_A:200:0
	t2=$(dmsetup table ibq)
	case "$t" in *"cgroup weight-iosize 0 :100 $CG_A:100 $CG_B:100 limit=$CG_A:bps=500000 reserve=$CG_A:bps=100000 limit=$CG_B:bps=1000000 reserve=$CG_B:bps=700000") r=0 ;; *) r=1 ;; esac
	case "$t2" in *"reserve=$CG_A:bps=200000 limit=$CG_B:bps=1000000 reserve=$CG_B:bps=700000 limit=:bps=6000000 reserve=:bps=5000000") ;; *) r=1 ;; esac
	result "range-bw table line (range-bw.txt) and messages, in KB/s" $r "table '${t#* ioband }', after range-bw -1:5000:6000 and $CG_A:200:0: '${t2#* ioband * * * * * * * }'"
	dm_remove ibq
fi

# --- bad input: refused with a reason, nothing changed; round trip -------------------
if want qos-badinput; then
	dm_create ibq "$(ioband_table /dev/q64 q9 cgroup weight-iosize 0 :100 $CG_A:100 $CG_B:100 limit=$CG_A:bps=1000000,burst=50 reserve=$CG_A:rbps=300000)"
	before=$(dmsetup table ibq)
	bad=0 n=0 why=""
	qbad() { refused ibq "$1" "$2"; }
	qbad "limit" "wrong number of arguments"
	qbad "limit $CG_A:bps=1 extra" "wrong number of arguments"
	qbad "limit $CG_A:" "expected <key>=<n>"
	qbad "limit $CG_A:bps" "expected <key>=<n>"
	qbad "limit $CG_A:bps=x" "expected 0 to"
	qbad "limit $CG_A:bps=-5" "expected 0 to"
	qbad "limit $CG_A:bps=1099511627777" "expected 0 to"
	qbad "limit $CG_A:bps=99999999999999999999999" "expected 0 to"
	qbad "limit $CG_A:bps=1,bps=2" "given twice"
	qbad "limit $CG_A:xbps=1" "unknown key"
	qbad "limit $CG_A:bps=1," "trailing comma"
	qbad "limit $CG_A:burst=60001" "expected 0 to 60000"
	qbad "limit 12345678:bps=1" "not attached"
	qbad "limit abc:bps=1" "invalid group id"
	qbad "reserve $CG_A:burst=10" "unknown key"
	qbad "reserve $CG_A:bps=2000000" "above limit bps=1000000"
	qbad "reserve $CG_A:wbps=800000" "above limit"
	qbad "limit $CG_A:bps=200000" "above limit bps=200000"
	qbad "limit $CG_A:rbps=100" "above limit rbps=100"
	qbad "range-bw $CG_A:500:100" "min-bw above max-bw"
	qbad "range-bw $CG_A:100" "expected <id>:<min-bw>:<max-bw>"
	qbad "range-bw 12345678:1:2" "not attached"
	qbad "range-bw $CG_A:200:250" "above limit"
	qbad "qos now" "wrong number of arguments"
	qbad "policy range-bws" "unknown policy"
	[ $bad = 0 ]
	result "limit, reserve, range-bw: bad input refused with a reason, table unchanged" $? "$n cases, $bad wrong$why"
	# table lines
	n=0 bad=0 why=""
	for tail in "limit=12345678:bps=1" "limit=$CG_A:bps=1 limit=$CG_A:bps=2" \
		    "limit=$CG_A:bps=10 reserve=$CG_A:bps=11" "limit=$CG_A:bogus=1" \
		    "reserve=$CG_A:burst=1" "limit=" "limit=$CG_A:bps=1,"; do
		n=$((n + 1))
		if dm_create ibqx "$(ioband_table /dev/q64 q9x cgroup weight 0 :100 $CG_A:100 $tail)" 2>/dev/null; then
			bad=$((bad + 1)) why="$why [accepted: $tail]"
			dm_remove ibqx
		fi
	done
	[ $bad = 0 ] && [ -z "$(dmsetup ls | grep ibqx)" ]
	result "bad limit= and reserve= table arguments refused" $? "$n lines, $bad accepted$why"
	# dmsetup table | dmsetup reload changes nothing
	dmsetup message ibq 0 limit :iops=900
	dmsetup message ibq 0 reserve $CG_B:wiops=30
	t1=$(dmsetup table ibq)
	echo "$t1" | dmsetup reload ibq && dmsetup resume ibq --noudevsync
	t2=$(dmsetup table ibq)
	[ "$t1" = "$t2" ] && case "$t1" in *"reserve=$CG_B:wiops=30 limit=:iops=900") true ;; *) false ;; esac
	result "limits and reservations round-trip through dmsetup table | reload" $? "'${t1#* ioband * * * * * * * }'"
	# 0 removes a key; a removed limit lets held bios go at once
	dmsetup message ibq 0 limit $CG_A:bps=0,burst=0 && dmsetup message ibq 0 reserve $CG_A:rbps=0 &&
		dmsetup message ibq 0 limit :iops=0 && dmsetup message ibq 0 reserve $CG_B:wiops=0
	t3=$(dmsetup table ibq)
	case "$t3" in *limit=*|*reserve=*) r=1 ;; *) r=0 ;; esac
	result "a key set to 0 is removed" $r "'${t3#* ioband }'"
	dm_remove ibq
fi

nullb_remove q64
