# A thousand groups (issue "Speed: ... cost flat from 1 to 1000 groups"):
# iobandctl creates a device of 1000 cgroups from an apply file, the
# status lists every group and `iobandctl stats --json` reads them all;
# half are detached while two of them write and verify, and no byte or
# bio is lost.  Sourced by suite-check.sh (needs lib.sh).  ONLY=scale.

want scale || return 0
echo "guest: 26. a thousand groups"
SN=1000
mkdir -p /sys/fs/cgroup/s
for i in $(seq 1 $SN); do
	mkdir -p /sys/fs/cgroup/s/g$i
done
echo "+io +memory" > /sys/fs/cgroup/s/cgroup.subtree_control 2>/dev/null
# s_conf N: an apply file of groups g1..gN, weights 100..800
s_conf() {
	printf '[ibs]\ndevice = /dev/nbmem\ndevice-group = s26\ntype = cgroup\n'
	for i in $(seq 1 $1); do
		echo "group /sys/fs/cgroup/s/g$i = $((100 + i % 8 * 100))"
	done
}
s_conf $SN > /tmp/s1000.conf
t0=$(cut -d' ' -f1 /proc/uptime)
out=$(iobandctl apply /tmp/s1000.conf 2>&1)
rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
n_table=$(dmsetup table ibs 2>/dev/null | tr ' ' '\n' | grep -c '^[0-9][0-9]*:[0-9][0-9]*$')
n_status=$(dmsetup status ibs 2>/dev/null | awk '{ print (NF - 4) / 12 }')
[ $rc = 0 ] && [ "$n_table" = $((SN + 1)) ] && [ "$n_status" = $((SN + 1)) ]
result "iobandctl apply makes a device of $SN groups; table and status list them all" $? \
	"rc $rc, $n_table id:weight pairs in the table (with the device's major:minor), $n_status groups in the status, $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }') s; $(echo "$out" | tail -1)"

iobandctl stats ibs --json --interval 1 > /tmp/s.json 2>/tmp/s.err
rc=$?
n_json=$(grep -o '"id":' /tmp/s.json | wc -l)
[ $rc = 0 ] && [ "$n_json" -ge $((SN + 1)) ]
result "iobandctl stats --json reads all $((SN + 1)) groups" $? "rc $rc, $n_json ids; $(head -c 200 /tmp/s.err)"
iobandctl stats ibs --interval 1 > /tmp/s.txt 2>&1
grep -q "/sys/fs/cgroup/s/g$SN " /tmp/s.txt
result "iobandctl stats shows the last group by its path" $? "$(grep -c . /tmp/s.txt) lines; $(tail -1 /tmp/s.txt)"

# A resume activates every group: the shares are recomputed once for
# all of them (not once per group), and they follow the weights: with no
# group busy each gets weight / sum of weights, g1 (200) twice g8 (100).
t0=$(cut -d' ' -f1 /proc/uptime)
dmsetup suspend ibs && dmsetup resume ibs
rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
dmsetup message ibs 0 groups > /tmp/sg.txt 2>&1
own1=$(awk -v id="$(stat -c %i /sys/fs/cgroup/s/g1)" '$1 == id { sub("own=", "", $5); print $5 }' /tmp/sg.txt)
own8=$(awk -v id="$(stat -c %i /sys/fs/cgroup/s/g8)" '$1 == id { sub("own=", "", $5); print $5 }' /tmp/sg.txt)
own_all=$(awk '$5 ~ /^own=/ { sub("own=", "", $5); s += $5 } END { print s + 0 }' /tmp/sg.txt)
[ $rc = 0 ] && [ "${own8:-0}" -gt 0 ] && within "$(ratio "$own8" "${own1:-0}")" 2 1 &&
	within "$own_all" 1000000 1
result "suspend and resume $SN groups: shares by weight after it (g1/g8 = 2 +-1%, all 1e6 ppm +-1%)" $? \
	"rc $rc, $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", b - a }') s; own g1 $own1 g8 $own8 ppm, all $own_all"

# Half the groups go while g1 and g2 (kept) and g999 (detached under it)
# write and verify; the apply plans one detach per group.
SV="--filename=/dev/mapper/ibs --rw=randwrite --bs=16k --iodepth=8 --size=32m --verify=crc32c --verify_backlog=128 --verify_fatal=1 --runtime=12 --time_based"
fio_start /tmp/s1 "--cgroup /sys/fs/cgroup/s/g1" --name=s1 $SV --offset=0
fio_start /tmp/s2 "--cgroup /sys/fs/cgroup/s/g2" --name=s2 $SV --offset=64m
fio_start /tmp/s3 "--cgroup /sys/fs/cgroup/s/g999" --name=s3 $SV --offset=128m
sleep 3
s_conf $((SN / 2)) > /tmp/s500.conf
out=$(iobandctl apply --dry-run /tmp/s500.conf 2>&1)
ndet=$(echo "$out" | grep -c 'detach')
out=$(iobandctl apply /tmp/s500.conf 2>&1)
rc=$?
n_status=$(dmsetup status ibs | awk '{ print (NF - 4) / 12 }')
wait
errs=
for f in s1 s2 s3; do
	[ "$(fio_err /tmp/$f)" = 0 ] || errs="$errs $f:$(fio_err /tmp/$f)"
done
[ $rc = 0 ] && [ "$ndet" = $((SN / 2)) ] && [ "$n_status" = $((SN / 2 + 1)) ] && [ -z "$errs" ]
result "detach $((SN / 2)) groups under verified writes: none lost, status lists $((SN / 2 + 1))" $? \
	"rc $rc, $ndet detaches planned, $n_status groups left, fio errors:${errs:- none}; $(echo "$out" | tail -1)"
b1=$(fio_field /tmp/s1 47) b3=$(fio_field /tmp/s3 47)
[ "${b1:-0}" -gt 0 ] && [ "${b3:-0}" -gt 0 ]
result "the detached group's writer went on (default group)" $? "g1 wrote $b1 KiB, g999 $b3 KiB"
dm_remove ibs
result "remove the device" $? ""
for i in $(seq 1 $SN); do
	rmdir /sys/fs/cgroup/s/g$i
done
rmdir /sys/fs/cgroup/s
