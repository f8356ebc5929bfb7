# Groups that follow the cgroup tree (issue "Groups that follow the cgroup
# tree"): hierarchical weights, an idle child's part kept in its subtree,
# per-child groups made on first I/O and removed with their cgroup, a
# parent's limit over its children, writeback of a child, and the
# systemd unit's command.  Sourced by suite-check.sh after check-qos.sh
# (needs lib.sh, qos_window, q_result, in_range).  Cases run with
# ONLY=tree, or ONLY=tree-CASE.

T_CASES="shares idle children plimit writeback unit churn"
t_any=
for c in $T_CASES; do want tree-$c && t_any=1; done
[ -n "$t_any" ] || return 0

echo "guest: 24. groups that follow the cgroup tree"
# 64 MiB/s in 20 ms ticks, as the shares tests of section 23
[ -b /dev/q64 ] || nullb_create q64 2048 mbps=64
T64=65536	# KiB/s

# The tree: p and q at the top, p's children c1 and c2.
mkdir -p /sys/fs/cgroup/p /sys/fs/cgroup/q
echo "+io +memory" > /sys/fs/cgroup/p/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/p/c1 /sys/fs/cgroup/p/c2
CG_P=$(stat -c %i /sys/fs/cgroup/p)
CG_Q=$(stat -c %i /sys/fs/cgroup/q)
CG_C1=$(stat -c %i /sys/fs/cgroup/p/c1)
CG_C2=$(stat -c %i /sys/fs/cgroup/p/c2)
TW64="--filename=/dev/mapper/ibt --rw=randwrite --bs=64k --iodepth=8"

# t_share ID: the group's part of what all groups moved in the window (%).
t_share() {
	awk -v id="$1" '{ s += $2; if ($1 == id) v = $2 } END { printf "%.2f", s ? 100 * v / s : 0 }' /tmp/qw
}
t_total() { awk '{ s += $2 } END { print s }' /tmp/qw; }

# Test 1, and the table of the tree: c1, c2 and q saturate the disk.
if want tree-shares || want tree-idle || want tree-plimit; then
	dm_create ibt "$(ioband_table /dev/q64 t1 cgroup weight-iosize 0 :100 $CG_P:100 $CG_Q:100 $CG_C1:100 $CG_C2:300)"
fi
if want tree-shares; then
	# the loads run on 3 s past the window, for the queries after it
	Q_RUN=$((QW_WARM + QW_LEN + 4))
	q_load a p/c1 "$TW64"
	q_load b p/c2 "$TW64"
	q_load c q "$TW64"
	Q_RUN=
	qos_window ibt
	tree=$(dmsetup message ibt 0 groups | tr '\n' ';')
	iobandctl stats ibt --interval 1 > /tmp/tstats 2>&1
	q_wait
	s1=$(t_share $CG_C1) s2=$(t_share $CG_C2) sq=$(t_share $CG_Q)
	within "$sq" 50 10 && within "$s1" 12.5 10 && within "$s2" 37.5 10 &&
		at_least "$(t_total)" $((T64 * 90 / 100))
	q_result "hierarchy: q 50%, p/c1 12.5%, p/c2 37.5% (flat weights: 20/20/60)" $? \
		"q $sq%, c1 $s1%, c2 $s2% (each +-10%) of $(t_total) KiB/s; groups: $tree"
	echo "$tree" | grep -q ";$CG_C1 parent=$CG_P weight=100 " &&
		echo "$tree" | grep -q ";$CG_C2 parent=$CG_P weight=300 " &&
		echo "$tree" | grep -q ";$CG_Q parent=- weight=100 "
	result "the groups query shows each group's parent" $? "$tree"
	grep -q '^  /sys/fs/cgroup/p/c2  *300  3[0-9]\.[0-9]%' /tmp/tstats &&
		grep -q '^/sys/fs/cgroup/p  *100  50\.0%' /tmp/tstats &&
		grep -q '^/sys/fs/cgroup/q  *100  50\.0%' /tmp/tstats
	# the shares follow who was busy last epoch: rates, as q_result says
	q_result "iobandctl stats shows the tree, with each group's share by it" $? \
		"$(tr '\n' ';' < /tmp/tstats)"
fi

# Test 2: c2 idle, c1 gets p's whole half.
if want tree-idle; then
	q_load a p/c1 "$TW64"
	q_load c q "$TW64"
	qos_window ibt
	q_wait
	s1=$(t_share $CG_C1) sq=$(t_share $CG_Q)
	within "$s1" 50 10 && within "$sq" 50 10
	q_result "hierarchy: p/c2 idle, p/c1 gets p's half" $? \
		"c1 $s1%, q $sq% (each 50 +-10%) of $(t_total) KiB/s"
fi

# Test 4: p's limit bounds c1 + c2, q takes the rest.
if want tree-plimit; then
	dmsetup message ibt 0 limit $CG_P:wbps=16777216
	q_load a p/c1 "$TW64"
	q_load b p/c2 "$TW64"
	q_load c q "$TW64"
	qos_window ibt
	q_wait
	k1=$(qw_kib $CG_C1) k2=$(qw_kib $CG_C2) kq=$(qw_kib $CG_Q)
	within $((k1 + k2)) 16384 3 && at_least $((k1 + k2 + kq)) $((T64 * 90 / 100)) &&
		within "$(ratio $k1 $k2)" 3 15
	q_result "a parent's limit bounds its children's sum, shared 1:3 inside" $? \
		"c1 $k1 + c2 $k2 = $((k1 + k2)) KiB/s (want 16384 +-3%), c2/c1 $(ratio $k1 $k2) (want 3 +-15%), q $kq KiB/s"
	dmsetup message ibt 0 limit $CG_P:wbps=0
fi
if want tree-shares || want tree-idle || want tree-plimit; then
	dm_remove ibt
fi

# Test 3: per-child groups.  machine.slice is marked; three scopes made
# after the mark share equally, a fourth joins mid-run, and a removed
# scope's group goes.
if want tree-children; then
	mkdir -p /sys/fs/cgroup/machine.slice
	echo "+io +memory" > /sys/fs/cgroup/machine.slice/cgroup.subtree_control
	CG_M=$(stat -c %i /sys/fs/cgroup/machine.slice)
	dm_create ibt "$(ioband_table /dev/q64 t3 cgroup weight-iosize 0 :100 $CG_M:100 children=$CG_M)"
	for s in 1 2 3; do mkdir -p /sys/fs/cgroup/machine.slice/vm$s.scope; done
	S1=$(stat -c %i /sys/fs/cgroup/machine.slice/vm1.scope)
	S2=$(stat -c %i /sys/fs/cgroup/machine.slice/vm2.scope)
	S3=$(stat -c %i /sys/fs/cgroup/machine.slice/vm3.scope)
	Q_RUN=$((2 * QW_WARM + 2 * QW_LEN + 2))
	q_load a machine.slice/vm1.scope "$TW64"
	q_load b machine.slice/vm2.scope "$TW64"
	q_load c machine.slice/vm3.scope "$TW64"
	qos_window ibt
	s1=$(t_share $S1) s2=$(t_share $S2) s3=$(t_share $S3)
	# the fourth scope is made mid-run, as a guest starting
	mkdir -p /sys/fs/cgroup/machine.slice/vm4.scope
	S4=$(stat -c %i /sys/fs/cgroup/machine.slice/vm4.scope)
	Q_RUN=$((QW_WARM + QW_LEN + 1))
	q_load d machine.slice/vm4.scope "$TW64"
	qos_window ibt
	tbl=$(dmsetup table ibt | cut -d' ' -f5-)
	q_wait
	Q_RUN=
	f1=$(t_share $S1) f2=$(t_share $S2) f3=$(t_share $S3) f4=$(t_share $S4)
	grp=$(dmsetup message ibt 0 groups | head -1)
	within "$s1" 33.33 10 && within "$s2" 33.33 10 && within "$s3" 33.33 10 &&
		within "$f1" 25 10 && within "$f2" 25 10 && within "$f3" 25 10 && within "$f4" 25 10
	q_result "per-child groups: three scopes, then a fourth mid-run, share equally" $? \
		"thirds: $s1 $s2 $s3 %; quarters: $f1 $f2 $f3 $f4 % (each +-10%); $grp"
	[ "$tbl" = "t3 0 0 cgroup weight-iosize 0 :100 $CG_M:100 children=$CG_M" ] &&
		echo "$grp" | grep -q "^auto=4 "
	result "per-child groups: the table keeps the mark, not the groups it made" $? "table: $tbl; $grp"
	# a cgroup whose last task has just exited may refuse rmdir a moment
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		rmdir /sys/fs/cgroup/machine.slice/vm4.scope 2>/dev/null && break
		sleep 0.1
	done
	rmok=$([ -d /sys/fs/cgroup/machine.slice/vm4.scope ] && echo "rmdir failed" || echo "removed")
	# the worker looks once a second; the cgroup goes offline after rmdir
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		sleep 0.5
		dmsetup message ibt 0 groups | grep -q "^$S4 " || break
	done
	gone=$(dmsetup message ibt 0 groups | grep -c "^$S4 ")
	st=$(group_field ibt $S4 1)
	st=$([ -n "$st" ] && echo 1 || echo 0)
	left=$(dmsetup message ibt 0 groups | grep -c " auto=1")
	[ "$rmok" = removed ] && [ "$gone" = 0 ] && [ "$st" = 0 ] && [ "$left" = 3 ]
	result "per-child groups: a removed scope's group disappears" $? \
		"vm4 $rmok; its group in the groups query $gone, in the status $st, per-child groups left $left"
	dmsetup message ibt 0 children $CG_M:0
	left=$(dmsetup message ibt 0 groups | grep -c " auto=1")
	dmesg -c > /dev/null
	dmsetup message ibt 0 children $CG_M:2 2>/dev/null
	rc=$?
	msg=$(dmesg | grep ioband | tail -1)
	[ "$left" = 0 ] && [ $rc != 0 ] && echo "$msg" | grep -q "expected <id>:1 or <id>:0"
	result "per-child groups: taking the mark away removes them; bad marks refused" $? \
		"left $left; $msg"
	dm_remove ibt
	for s in 1 2 3; do rmdir /sys/fs/cgroup/machine.slice/vm$s.scope; done
fi

# Test 5: writeback of a child charged to that child, and of a per-child
# group's cgroup to its own group (made by the flusher's bio).
if want tree-writeback; then
	mkdir -p /mnt/tw
	dm_create ibt "$(ioband_table /dev/nbmem t5 cgroup weight-iosize 0 :100 $CG_P:100 $CG_C1:100 children=$CG_P)"
	/bin/mke2fs -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/ibt
	mount -t ext4 /dev/mapper/ibt /mnt/tw
	sync
	dmsetup message ibt 0 reset
	runas --cgroup /sys/fs/cgroup/p/c1 -- dd if=/dev/zero of=/mnt/tw/c1 bs=1M count=16 2>/dev/null
	runas --cgroup /sys/fs/cgroup/p/c2 -- dd if=/dev/zero of=/mnt/tw/c2 bs=1M count=16 2>/dev/null
	sync
	w1=$(group_field ibt $CG_C1 7) w2=$(group_field ibt $CG_C2 7) wp=$(group_field ibt $CG_P 7)
	p1=$(pct "${w1:-0}" $((16 << 11))) p2=$(pct "${w2:-0}" $((16 << 11)))
	at_least "$p1" 99 && at_least 101 "$p1" && at_least "$p2" 99 && at_least 101 "$p2"
	result "writeback of child cgroups charged to their own groups under the tree" $? \
		"p/c1 (attached) $p1%, p/c2 (per-child) $p2% of 16 MiB; p itself ${wp:-0} sectors"
	umount /mnt/tw
	dm_remove ibt
fi

# Per-child groups made and removed under load: scopes that write through
# the page cache and go, and the mark taken away and given back, while a
# steady writer runs in another scope.  KASAN (make check-debug) watches
# map() making groups as the worker removes them.
if want tree-churn; then
	ROUNDS=20
	[ -n "$LONG" ] && ROUNDS=200
	echo "guest: 24. $ROUNDS scopes made, written and removed under load, the mark toggled"
	mkdir -p /sys/fs/cgroup/machine.slice/vm0.scope
	echo "+io +memory" > /sys/fs/cgroup/machine.slice/cgroup.subtree_control
	CG_M=$(stat -c %i /sys/fs/cgroup/machine.slice)
	dm_create ibt "$(ioband_table /dev/mid t7 cgroup weight 0 :100 $CG_M:100 children=$CG_M)"
	exec 3< /dev/mapper/ibt	# the writers' close does not flush: the flusher does
	fio_start /tmp/fa "--cgroup /sys/fs/cgroup/machine.slice/vm0.scope" --name=a \
		--filename=/dev/mapper/ibt --rw=randrw --bs=16k --iodepth=8 --runtime=600 --time_based
	fp=$!
	bad="" i=0
	while [ $i -lt $ROUNDS ]; do
		i=$((i + 1))
		mkdir /sys/fs/cgroup/machine.slice/c$i.scope || bad="$bad mkdir$i"
		runas --cgroup /sys/fs/cgroup/machine.slice/c$i.scope -- dd if=/dev/zero \
			of=/dev/mapper/ibt bs=64k count=16 seek=$((i * 16)) 2>/dev/null || bad="$bad dd$i"
		for k in 1 2 3 4 5 6 7 8 9 10; do
			rmdir /sys/fs/cgroup/machine.slice/c$i.scope 2>/dev/null && break
			sleep 0.1
		done
		[ -d /sys/fs/cgroup/machine.slice/c$i.scope ] && bad="$bad rmdir$i"
		[ $((i % 5)) = 0 ] && sync
		if [ $((i % 7)) = 0 ]; then
			dmsetup message ibt 0 children $CG_M:0 || bad="$bad off$i"
			dmsetup message ibt 0 children $CG_M:1 || bad="$bad on$i"
		fi
	done
	sync
	# the worker removes the groups of gone cgroups once a second
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		sleep 0.5
		[ "$(dmsetup message ibt 0 groups | grep -c " auto=1")" = 1 ] && break
	done
	grp=$(dmsetup message ibt 0 groups | head -1)
	left=$(dmsetup message ibt 0 groups | grep -c " auto=1")
	vm0=$(dmsetup message ibt 0 groups | grep -c "^$(stat -c %i /sys/fs/cgroup/machine.slice/vm0.scope) .* auto=1")
	kill $fp 2>/dev/null
	wait
	exec 3<&-
	ferr=$(fio_err /tmp/fa)
	timeout 60 dmsetup remove --noudevsync ibt
	rm=$?
	rmdir /sys/fs/cgroup/machine.slice/vm0.scope
	[ -z "$bad" ] && [ "$left" = 1 ] && [ "$vm0" = 1 ] && [ $rm = 0 ] && dmesg_clean
	result "$ROUNDS scopes made, written and removed under load, mark toggled" $? \
		"failed steps:${bad:- none}; per-child groups left $left (want 1: vm0's); $grp; fio error ${ferr:-?}; remove $rm"
fi

# Test 6: the unit file as `make install` put it in the image (PREFIX=/usr;
# /usr/sbin/iobandctl is the image's); its ExecStart, run as it stands,
# applies a config with nested groups and the per-child mark.
if want tree-unit; then
	unit=/usr/lib/systemd/system/ioband.service
	cmd=$(sed -n 's/^ExecStart=//p' "$unit" 2>/dev/null)
	conf=$(echo "$cmd" | awk '{ print $NF }')
	mkdir -p /etc
	printf '%s\n' "[ibunit]" "device = /dev/q64" "type = cgroup" "policy = weight-iosize" \
		"group p = 100 children" "group p/c1 = 300" "group q = 200" > /etc/ioband.conf
	out=$($cmd 2>&1)
	rc=$?
	tbl=$(dmsetup table ibunit 2>&1 | cut -d' ' -f5-)
	grep -q '^Before=.*libvirtd.service' "$unit" && grep -q '^Before=.*machines.target' "$unit" &&
		[ "$conf" = /etc/ioband.conf ] && [ $rc = 0 ] &&
		[ "$tbl" = "ibunit 0 0 cgroup weight-iosize 0 :100 $CG_P:100 $CG_Q:200 $CG_C1:300 children=$CG_P" ]
	result "the systemd unit's command applies a config with nested groups" $? \
		"ExecStart=$cmd: exit $rc $out; table: $tbl"
	again=$($cmd 2>&1)
	[ $? = 0 ] && [ "$(dmsetup table ibunit | cut -d' ' -f5-)" = "$tbl" ] &&
		echo "$again" | grep -q "nothing to change"
	result "the unit's command again changes nothing" $? "$again"
	dmsetup remove ibunit 2>/dev/null
	rm -f /etc/ioband.conf
fi
rmdir /sys/fs/cgroup/p/c1 /sys/fs/cgroup/p/c2 /sys/fs/cgroup/p /sys/fs/cgroup/q 2>/dev/null
rmdir /sys/fs/cgroup/machine.slice 2>/dev/null
