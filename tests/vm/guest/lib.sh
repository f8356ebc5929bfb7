# Shared helpers for the ioband guest suites (busybox sh).

PASSED=0
FAILED=0
SKIPPED=0

say() { echo "  .. $*"; }

# result NAME STATUS DETAILS: STATUS 0 is a pass.
result() {
	if [ "$2" -eq 0 ]; then
		PASSED=$((PASSED + 1))
		echo "ok - $1: $3"
	else
		FAILED=$((FAILED + 1))
		echo "not ok - $1: $3"
	fi
	# ioband.debug=1: the module's debug lines for this test, then clear.
	[ -n "$DEBUG" ] && dmesg -c | sed 's/^/  dbg /'
	return 0
}

# skip NAME WHY: a test that does not apply here; counted apart.
skip() {
	SKIPPED=$((SKIPPED + 1))
	echo "skip - $1: $2"
}

# want TESTNAME: true if the suite should run it (ONLY: prefixes, by commas).
want() {
	local o
	[ -z "$ONLY" ] && return 0
	for o in $(echo "$ONLY" | tr , ' '); do
		case $1 in $o*) return 0 ;; esac
	done
	return 1
}

summary() {
	echo "guest: $PASSED passed, $FAILED failed, $SKIPPED skipped"
}

# nullb_create NAME SIZE_MB [attr=value ...]: a configfs null_blk /dev/NAME.
nullb_create() {
	local name=$1 size=$2 d kv
	shift 2
	d=/sys/kernel/config/nullb/$name
	mkdir "$d" || return 1
	echo "$size" > "$d/size"
	echo 2 > "$d/queue_mode"
	for kv in "$@"; do
		echo "${kv#*=}" > "$d/${kv%%=*}" || { echo "nullb: bad $kv" >&2; return 1; }
	done
	echo 1 > "$d/power"
	local i=0
	while [ ! -b /dev/$name ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -b /dev/$name ] || return 1
	# FIFO below ioband: mq-deadline sorts a deep queue by sector, and two
	# sequential streams then complete in its order, not ioband's.
	echo none > /sys/block/$name/queue/scheduler
}

nullb_remove() {
	local name=${1#/dev/}
	echo 0 > /sys/kernel/config/nullb/$name/power 2>/dev/null
	rmdir /sys/kernel/config/nullb/$name
}

sectors() { blockdev --getsz "$1"; }

# dirty_at BG MAX EXPIRE: the flushers start at BG MiB dirty, writers are
# held at MAX MiB, pages are old after EXPIRE centiseconds.
dirty_at() {
	echo $(($1 << 20)) > /proc/sys/vm/dirty_background_bytes
	echo $(($2 << 20)) > /proc/sys/vm/dirty_bytes
	echo "$3" > /proc/sys/vm/dirty_expire_centisecs
}
# dirty_defaults: the kernel's own (10% and 20% of memory, 30 s)
dirty_defaults() {
	echo 10 > /proc/sys/vm/dirty_background_ratio
	echo 20 > /proc/sys/vm/dirty_ratio
	echo 3000 > /proc/sys/vm/dirty_expire_centisecs
}

# dm_create NAME TABLE: create a dm device without udev.
dm_create() {
	echo "$2" | dmsetup create "$1" --noudevsync || return 1
	dmsetup mknodes "$1" >/dev/null 2>&1
	[ -b /dev/mapper/$1 ] || return 1
	chmod 666 /dev/mapper/$1
}

# halves DEV LIN_A LIN_B: two dm-linear devices, the two halves of DEV.
halves() {
	local half=$(( $(sectors $1) / 2 ))
	dm_create $2 "0 $half linear $1 0" && dm_create $3 "0 $half linear $1 $half"
}

dm_remove() { dmsetup remove --noudevsync "$1" 2>/dev/null || dmsetup remove --noudevsync --retry "$1"; }

# ioband_table DEV GROUPID TYPE POLICY TOKEN [group args...]
ioband_table() {
	local dev=$1 devgroup=$2 type=$3 policy=$4 token=$5
	shift 5
	echo "0 $(sectors $dev) ioband $dev $devgroup 0 0 $type $policy $token $*"
}

cg_make() {
	mkdir -p /sys/fs/cgroup/$1
	stat -c %i /sys/fs/cgroup/$1
}

cg_remove() { rmdir /sys/fs/cgroup/$1 2>/dev/null; }

# fio_start OUT RUNAS_OPTS FIO_ARGS...: start fio in the background via runas.
# RUNAS_OPTS is one word list, e.g. "--cgroup /sys/fs/cgroup/a".
fio_start() {
	local out=$1 ro=$2
	shift 2
	rm -f "$out" "$out.log" "$out"_bw.*.log
	runas $ro -- fio --output-format=terse --output="$out" --group_reporting \
		--write_bw_log="$out" --log_avg_msec=500 --log_unix_epoch=1 \
		--direct=1 --ioengine=libaio "$@" > "$out.log" 2>&1 &
}

# window_bw A B: the KiB/s of runs A and B (fio_start OUT names) over the
# time both were running, from fio's per-job bandwidth logs; sets BW_A and
# BW_B.  fio's own averages cover each run's own time, and a run that
# starts late gets the device alone at its end.
window_bw() {
	WINDOW_RUNS="$1 $2"
	set -- $(awk -F', *' -v a="$1" -v b="$2" '
		function who(f) { return index(f, a "_bw.") == 1 ? "a" : "b" }
		FNR == 1 { n++; first[n] = $1; file[n] = FILENAME }
		{ last[n] = $1; t[n, FNR] = $1; v[n, FNR] = $2; cnt[n] = FNR }
		END {
			from = 0; to = 1e18
			for (i = 1; i <= n; i++) {
				if (first[i] > from) from = first[i]
				if (last[i] < to) to = last[i]
			}
			for (i = 1; i <= n; i++) {
				s = 0; k = 0
				for (j = 1; j <= cnt[i]; j++)
					if (t[i, j] > from && t[i, j] <= to) { s += v[i, j]; k++ }
				if (k) sum[who(file[i])] += s / k
				samples += k
			}
			printf "%d %d %d\n", sum["a"], sum["b"], (to - from) / 1000
		}' "$1"_bw.*.log "$2"_bw.*.log)
	BW_A=$1
	BW_B=$2
	WINDOW_S=$3
}

# window_samples: each run's 500 ms samples (KiB/s) from the last
# window_bw, to show how a failed share went.
window_samples() {
	local f
	for f in $WINDOW_RUNS; do
		awk -F', *' -v f="${f##*/}" '
			{ s = s " " $2 }
			END { print "  .. " f " KiB/s every 0.5 s:" s }' "$f"_bw.*.log
	done
}

# Terse v3 fields: 5 error, 6 read KiB, 7 read KiB/s, 47 write KiB, 48 write KiB/s.
fio_field() { awk -F';' -v f="$2" 'NR == 1 { print $f }' "$1"; }
fio_rbw() { fio_field "$1" 7; }
fio_wbw() { fio_field "$1" 48; }
fio_err() { fio_field "$1" 5; }

# pct PART WHOLE: PART as a percentage of WHOLE, 2 decimals (0 if WHOLE is 0).
pct() { awk -v p="$1" -v w="$2" 'BEGIN { printf "%.2f", w ? 100 * p / w : 0 }'; }

# ratio A B: B/A with 3 decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a <= 0) print "inf"; else printf "%.3f", b / a }'; }

# within VALUE TARGET PCT: |VALUE - TARGET| <= PCT% of TARGET.
within() {
	awk -v v="$1" -v t="$2" -v p="$3" 'BEGIN { d = v - t; if (d < 0) d = -d; exit !(v != "inf" && d <= t * p / 100) }'
}

# at_least VALUE MIN
at_least() { awk -v v="$1" -v m="$2" 'BEGIN { exit !(v >= m) }'; }

# group_field DEV ID FIELD: a field of one group's block in dmsetup status.
# FIELD 1 rd_ios 2 rd_merges 3 rd_sectors 4 rd_ticks 5 wr_ios 6 wr_merges
# 7 wr_sectors 8 wr_ticks 9 held 10 io_ticks 11 time_in_queue.
group_field() {
	dmsetup status "$1" | awk -v id="$2" -v f="$3" '{
		for (i = 5; i <= NF; i += 12) if ($i == id) { print $(i + f); exit }
	}'
}

# wb_pair IBDEV DIR MIB SECONDS: cgroups a and b (CG_A, CG_B) each write
# MIB MiB into DIR through the page cache, and a sync from the root cgroup
# has the flushers write it back.  Sets WB_A, WB_B, WB_D (sectors written
# to IBDEV by a, b and the default group, counted from a reset) and BW_A,
# BW_B (KiB/s) over SECONDS while both have data.  The first seconds go to
# the tokens both groups banked while idle (carryover), a's and b's at
# different times: the window starts 4 s in.
wb_pair() {
	local ib=$1 dir=$2 mib=$3 len=$4 sp sa sb ea eb
	dmsetup message "$ib" 0 reset
	runas --cgroup /sys/fs/cgroup/a -- dd if=/dev/zero of="$dir/a" bs=1M count="$mib" 2>/dev/null
	runas --cgroup /sys/fs/cgroup/b -- dd if=/dev/zero of="$dir/b" bs=1M count="$mib" 2>/dev/null
	sync &
	sp=$!
	sleep 4
	sa=$(group_field "$ib" $CG_A 7); sb=$(group_field "$ib" $CG_B 7)
	sleep "$len"
	ea=$(group_field "$ib" $CG_A 7); eb=$(group_field "$ib" $CG_B 7)
	wait $sp
	WB_A=$(group_field "$ib" $CG_A 7)
	WB_B=$(group_field "$ib" $CG_B 7)
	WB_D=$(group_field "$ib" -1 7)
	BW_A=$(( (ea - sa) / 2 / len )); BW_B=$(( (eb - sb) / 2 / len )); WINDOW_S=$len
	WINDOW_RUNS=	# no fio samples
}

# wb_charged NAME MIB: after wb_pair, the test that each writer's MIB MiB
# reached its own group, 99-101%.  Sets WB_PA and WB_PB (percent).
wb_charged() {
	local want=$(($2 << 11))
	WB_PA=$(pct "$WB_A" $want)
	WB_PB=$(pct "$WB_B" $want)
	at_least "$WB_PA" 99 && at_least "$WB_PB" 99 && at_least 101 "$WB_PA" && at_least 101 "$WB_PB"
	result "$1" $? \
		"a $WB_PA%, b $WB_PB% of their $2 MiB ($WB_A and $WB_B of $want sectors); default group $WB_D sectors (metadata, journal)"
}

# dmesg_known: the kernel log without the reports of a known bug of the
# test device itself: null_blk's bandwidth timer (mbps=) races with its
# submit path, which restarts the timer while its callback runs (6.1:
# null_handle_throttled's hrtimer_active()/hrtimer_restart()), and the
# callback's hrtimer_forward_now() then WARNs.  Seen with and without
# ioband below the device (make check-long, before ioband had a timer).
# Sets KNOWN to how many such reports were dropped.  The OOM killer's
# reports (their call traces) are dropped too, OOMS of them: a test whose
# cgroup hits one fails by itself (section 19).
dmesg_known() {
	dmesg > /tmp/dmesg.all
	OOMS=$(grep -c 'invoked oom-killer' /tmp/dmesg.all)
	KNOWN=$(awk '/invoked oom-killer/ { oom = 1; ol = 0 }
		oom { if (/Killed process/ || ++ol > 200) oom = 0; next }
		/WARNING: .*hrtimer_forward/ { inb = 1; nb = 0; known = 0 }
		inb { buf[++nb] = $0; if (/nullb_bwtimer_fn/) known = 1
		      if (/end trace/) { inb = 0; if (known) n++; else for (i = 1; i <= nb; i++) print buf[i] > "/tmp/dmesg.clean" }
		      next }
		{ print > "/tmp/dmesg.clean" }
		END { if (inb && !known) for (i = 1; i <= nb; i++) print buf[i] > "/tmp/dmesg.clean"
		      if (inb && known) n++; print n + 0 }' /tmp/dmesg.all)
	[ -e /tmp/dmesg.clean ] || : > /tmp/dmesg.clean
}

# dmesg_clean: no WARN, BUG or oops in the kernel log (but the known
# null_blk one and the OOM killer's, dmesg_known); if there is one, show
# its first report with the call trace.
dmesg_clean() {
	rm -f /tmp/dmesg.clean
	dmesg_known
	[ "$KNOWN" = 0 ] || say "ignored $KNOWN report(s) of null_blk's own bandwidth-timer race (hrtimer_forward in nullb_bwtimer_fn)"
	[ "$OOMS" = 0 ] || say "ignored $OOMS report(s) of the OOM killer"
	grep -E -q 'WARNING:|BUG:|Oops|general protection|Call Trace' /tmp/dmesg.clean || return 0
	grep -E -A30 -m1 'WARNING:|BUG:|Oops|general protection' /tmp/dmesg.clean | sed 's/^/  .. /'
	return 1
}

# refused DEV "MESSAGE" "REASON": DEV refuses MESSAGE with REASON in the
# kernel log and its table stays $before; otherwise counts it in $bad and
# says why in $why ($n counts the cases).
refused() {
	n=$((n + 1))
	dmesg -c > /dev/null
	if dmsetup message "$1" 0 $2 2>/dev/null; then
		bad=$((bad + 1)) why="$why [accepted: $2]"
	elif ! dmesg | grep -q -- "$3"; then
		bad=$((bad + 1)) why="$why [$2: no '$3' in '$(dmesg | tail -1)']"
	elif [ "$(dmsetup table "$1")" != "$before" ]; then
		bad=$((bad + 1)) why="$why [$2 changed the table]"
	fi
}

# The latency victim of section 25 and of the latency bench: 4k random
# reads at QD1 and a fixed 200 IOPS.
# v_start OUT CGROUP DEV FIOARGS: V, in the background; its figures are
# read from fio's JSON with v_p99, v_p50, v_mean (us) and v_ios.
v_start() {
	local out=$1 cg=$2 dev=$3
	shift 3
	rm -f "$out"
	runas --cgroup /sys/fs/cgroup/$cg -- fio --name=v --filename="$dev" \
		--rw=randread --bs=4k --iodepth=1 --rate_iops=200 --direct=1 \
		--ioengine=libaio --time_based --output-format=json \
		--percentile_list=50:90:99 --lat_percentiles=1 --output="$out" "$@" > "$out.log" 2>&1 &
}
# lv_start OUT CGROUP DEV FIOARGS: v_start at nice -20 (the latency section
# and benchmark), so that what V waits for is the I/O path and not the
# vCPUs, which N's fio and the dispatcher sending N's held bios share: on
# one vCPU (IOBAND_ICOUNT) V's p99 was 285 us at nice 0, 55 at -20
# (ioband's own, from map to end_io, 23 us), against 59 alone.
lv_start() { v_start "$@" --nice=-20; }
# v_read OUT KEY: a figure of the read side's latency from submission to
# completion (fio's lat_ns: its clat leaves out the time io_submit took,
# which through a filesystem can be most of it), in microseconds: "mean",
# "50.000000", "99.000000"; or "total_ios".
v_read() {
	awk -v k="\"$2\"" '
		/"read" :/ { r = 1 } /"write" :/ { r = 0 }
		r && /"lat_ns" :/ { c = 1 } r && /"clat_ns" :/ { c = 0 }
		r && $1 == k && k == "\"total_ios\"" { gsub(/[ ,]/, "", $3); print $3; exit }
		r && c && $1 == k { gsub(/[ ,]/, "", $3); printf "%.0f\n", $3 / 1000; exit }
	' FS=' ' "$1"
}
v_p99() { v_read "$1" 99.000000; }
v_mean() { v_read "$1" mean; }
v_ios() { v_read "$1" total_ios; }

# started IBDEV ID...: wait (up to 30 s) until every group ID has done
# I/O through IBDEV since the call: under emulation a handful of fio
# processes can take seconds to start, and a window that opens before
# the last one would measure their arrival.  False if one never did.
started() {
	local dev=$1 k
	shift
	dmsetup status "$dev" > /tmp/started0
	for k in $(seq 1 60); do
		dmsetup status "$dev" | awk -v ids="$*" '
			BEGIN { n = split(ids, want, " ") }
			FNR == 1 { f++ }
			{ for (i = 5; i <= NF; i += 12) io[f, $i] = $(i + 1) + $(i + 5) }
			END { for (j = 1; j <= n; j++)
				if (io[2, want[j]] <= io[1, want[j]]) exit 1 }' /tmp/started0 - && return 0
		sleep 0.5
	done
	return 1
}

# qos_window IBDEV: ioband's counters over QW_LEN seconds, QW_WARM seconds
# from now (check-qos.sh sets both); qw_kib ID and qw_iops ID read them
# (KiB/s, I/Os per second).
qos_window() {
	sleep $QW_WARM
	dmsetup status "$1" > /tmp/qw0
	t0=$(cut -d' ' -f1 /proc/uptime)
	sleep $QW_LEN
	dmsetup status "$1" > /tmp/qw1
	t1=$(cut -d' ' -f1 /proc/uptime)
	awk -v t0="$t0" -v t1="$t1" '
		FNR == 1 { f++ }
		{ for (i = 5; i <= NF; i += 12) {
			io[f, $i] = $(i + 1) + $(i + 5); sec[f, $i] = $(i + 3) + $(i + 7); ids[$i] = 1 } }
		END { for (id in ids) printf "%s %.0f %.1f\n", id,
			(sec[2, id] - sec[1, id]) / 2 / (t1 - t0), (io[2, id] - io[1, id]) / (t1 - t0) }
	' /tmp/qw0 /tmp/qw1 > /tmp/qw
}
qw_kib() { awk -v id="$1" '$1 == id { print $2 }' /tmp/qw; }
qw_iops() { awk -v id="$1" '$1 == id { print $3 }' /tmp/qw; }
