#!/bin/bash
# make bench: boot the VM with the bench suite, print its tables, and draw
# the share comparison as an SVG bar chart.
#   run-bench.sh VMLINUZ INITRD OUTDIR
# ONLY=iops, ONLY=groups, ONLY=weights8, ONLY=shares, ONLY=qos or
# ONLY=latency runs one part (uncontended IOPS; cost against the number
# of groups; eight weights 100..800, three windows; the 1:3 shares of
# every controller; limits, bursts and reservations; a light victim's p99
# beside a heavy neighbour).
set -uo pipefail
vmlinuz=$1 initrd=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
log=$out/bench-vm.log
if [ -n "${ONLY:-}" ]; then
	echo "bench: one VM boot, ONLY=$ONLY: 2 to 8 minutes under emulation"
else
	echo "bench: one VM boot, about 8 minutes under emulation"
fi
IOBAND_VM_TIMEOUT=${IOBAND_VM_TIMEOUT:-1500} \
	"$here/../tests/vm/run-vm.sh" "$vmlinuz" "$initrd" bench "$log" "${ONLY:+ioband.only=$ONLY}" |
	grep --line-buffered -E '^(bench:|vm:|guest:)'
grep '^data: share' "$log" | "$here/plot-shares.sh" > "$out/shares.svg"
grep '^data: latency' "$log" | "$here/plot-latency.sh" > "$out/latency.svg"
grep '^data: iops' "$log" > "$out/iops.txt"
echo "bench: plots written to $out/shares.svg and $out/latency.svg, log in $log"
grep -q '^bench: done' "$log"
