#!/bin/bash
# make check: unit tests, then the VM suite on one kernel.  Prints every
# test line as it comes and ends with "N passed, N failed".
#   run-check.sh VMLINUZ INITRD UNIT_TEST...
set -uo pipefail
vmlinuz=$1 initrd=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
out=$(dirname "$initrd")
extra=""
[ -n "${ONLY:-}" ] && extra="ioband.only=$ONLY"

echo "check: unit tests"
"$here/run-unit.sh" "$@" 2>&1 | tee "$out/unit.log"

echo "check: VM tests on $(basename "$vmlinuz") (about 4 minutes under emulation)"
"$here/vm/run-vm.sh" "$vmlinuz" "$initrd" check "$out/check-vm.log" "$extra" |
	grep --line-buffered -E '^(ok|not ok|guest:|vm:|  \.\.)|(BUG|WARNING|Oops|panic|Call Trace)'
vm_done=$?
grep -q '^=== IOBAND-GUEST-DONE ===' "$out/check-vm.log"; vm_done=$?

passed=$(cat "$out/unit.log" "$out/check-vm.log" | grep -c '^ok - ')
failed=$(cat "$out/unit.log" "$out/check-vm.log" | grep -c '^not ok - ')
if [ $vm_done -ne 0 ]; then
	echo "not ok - VM suite did not run to its end (see $out/check-vm.log)"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
