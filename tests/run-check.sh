#!/bin/bash
# make check: unit tests, then for each kernel a W=1 build and the VM
# suite.  Prints every test line as it comes and ends with
# "N passed, N failed".
#   run-check.sh "KERNELS" BUILD CACHE UNIT_TEST...
set -uo pipefail
kernels=$1 build=$2 cache=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
extra=""
[ -n "${ONLY:-}" ] && extra="ioband.only=$ONLY"
log=$build/check.log
: > "$log"

echo "check: unit tests"
"$here/run-unit.sh" "$@" 2>&1 | tee -a "$log"

echo "check: make install and dkms"
"$here/install-check.sh" "$("$top/scripts/kernel.sh")" 2>&1 | tee -a "$log"

summary=()
versions=()
for k in $kernels; do
	start=$(date +%s)
	out=$build/$k
	if "$top/scripts/build-module.sh" "$k" "$out" "$cache"; then
		kver=$(cat "$out/kver")
		w=$(grep -c 'warning:' "$out/build.log")
		[ "$w" = 0 ] && r="ok" || r="not ok"
		echo "$r - [$k] build with W=1: $w warnings ($kver)" | tee -a "$log"
		versions+=("$k=$(modinfo -F version "$out/dm-ioband.ko")")
	else
		echo "not ok - [$k] build failed" | tee -a "$log"
		summary+=("kernel $k: build failed")
		continue
	fi
	echo "check: guest initramfs for $kver"
	"$here/vm/mkinitramfs.sh" "$kver" "$(cat "$out/modroot")" "$out/dm-ioband.ko" \
		"$build/runas" "$top/tools/iobandctl" "$out/initrd.cpio" || { echo "not ok - [$k] initramfs" | tee -a "$log"; continue; }
	vmextra=$extra
	[ -n "${IOBAND_LONG:-}" ] && vmextra="$vmextra ioband.long=1"
	if [ "$k" = debug ]; then
		# KASAN and lockdep make every I/O tens of times slower
		export IOBAND_VM_TIMEOUT=${IOBAND_VM_TIMEOUT:-7200}
		vmextra="$vmextra ioband.debugkernel=1"
		echo "check: VM tests on the debug kernel $kver (an hour or more under emulation)"
	else
		echo "check: VM tests on $kver (about 18 minutes under emulation)"
	fi
	"$here/vm/run-vm.sh" "$out/vmlinuz" "$out/initrd.cpio" check "$out/check-vm.log" "$vmextra" |
		grep --line-buffered -E '^(ok|not ok|skip|guest:|vm:|  \.\.)|(BUG|WARNING|Oops|panic|Call Trace|KASAN|UBSAN|circular locking)' |
		sed -u "s/^\(ok\|not ok\|skip\) - /\1 - [$k] /" | tee -a "$log"
	if ! grep -q '^=== IOBAND-GUEST-DONE ===' "$out/check-vm.log"; then
		echo "not ok - [$k] VM suite did not run to its end (see $out/check-vm.log)" | tee -a "$log"
	fi
	p=$(grep -c "^ok - \[$k\]" "$log")
	f=$(grep -c "^not ok - \[$k\]" "$log")
	summary+=("kernel $k ($kver): $p passed, $f failed in $(( $(date +%s) - start )) s")
done

if [ ${#versions[@]} -gt 1 ]; then
	uniq=$(printf '%s\n' "${versions[@]}" | cut -d= -f2 | sort -u | wc -l)
	[ "$uniq" = 1 ] && r="ok" || r="not ok"
	echo "$r - modules for every kernel have one version: ${versions[*]}" | tee -a "$log"
fi
for s in "${summary[@]}"; do echo "check: $s"; done
passed=$(grep -c '^ok - ' "$log")
failed=$(grep -c '^not ok - ' "$log")
skipped=$(grep -c '^skip - ' "$log")
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
