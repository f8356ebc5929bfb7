#!/bin/bash
# make profile: boot the VM under the tb-profile.so QEMU plugin and print
# the guest kernel's instructions per I/O, function by function, through
# dm-linear and through ioband (tests/vm/guest/suite-profile.sh).
#   run-profile.sh VMLINUZ INITRD OUTDIR
# Exact counts of the code run, not timings: they are the same from boot
# to boot but for fio's own variation, and name where ioband's cost is.
set -euo pipefail
vmlinuz=$1 initrd=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
mark=0x5a5a0000		# where prof-mark is linked; tb-profile.so watches it
mkdir -p "$out"
echo "profile: building the plugin and the marker"
gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$out/tb-profile.so" "$here/tb-profile.c"
gcc -nostdlib -static -no-pie -Wl,-Ttext=$mark -Wl,--build-id=none \
	-o "$out/prof-mark" "$here/prof-mark.S"
ov=$(mktemp -d)
trap 'rm -rf "$ov"' EXIT
chmod 755 "$ov"	# it is the guest's / when unpacked
mkdir -p "$ov/bin"
cp "$out/prof-mark" "$ov/bin/"
(cd "$ov" && find . | cpio -o -H newc --quiet) > "$out/overlay.cpio"
cat "$initrd" "$out/overlay.cpio" > "$out/initrd-profile.cpio"
rm -f "$out/kallsyms.txt" "$out/windows.txt"
log=$out/profile-vm.log
echo "profile: one VM boot, about a minute under emulation"
# one vCPU (the plugin's counts are plain adds); its symbols on ttyS1
IOBAND_ICOUNT=${IOBAND_ICOUNT:-2} \
IOBAND_QEMU_ARGS="-serial file:$out/kallsyms.txt -plugin $out/tb-profile.so,mark=$mark,syms=$out/kallsyms.txt,out=$out/windows.txt${PROF_BLOCKS:+,blocks=$PROF_BLOCKS}" \
	"$here/../tests/vm/run-vm.sh" "$vmlinuz" "$out/initrd-profile.cpio" profile "$log" |
	grep --line-buffered -E '^(profile:|vm:|guest:)' || true
grep -q '^profile: done' "$log" && [ -s "$out/windows.txt" ] || {
	echo "profile: the guest did not finish, or the plugin wrote nothing ($log)"
	exit 1
}
# Instructions per I/O of each function on each device, and where ioband
# differs from dm-linear.  "own" sums dm core, dm-ioband, bio-cgroup and
# the clock (whoever reads it) on each device, and its difference is what
# ioband adds there: the rest of the kernel (page zeroing and freeing for
# fio, timers) moves by tens of instructions per I/O from boot to boot
# with the same code.
awk -v top=${PROF_TOP:-30} '
	FNR == NR {
		if ($1 == "profile:" && $2 == "window") { dev[$3] = $4; ios[$4] += $5 }
		next
	}
	($1 in dev) && NF == 3 { d = dev[$1]; n[d, $2] += $3; sym[$2] = 1 }
	END {
		if (!ios["lin"] || !ios["ibf"]) {
			print "profile: no reads counted for dm-linear or ioband: see the VM log"
			exit 1
		}
		printf "profile: %-44s %10s %10s %10s\n", "instructions per I/O", "dm-linear", "ioband", "difference"
		for (s in sym) {
			l = n["lin", s] / ios["lin"]; i = n["ibf", s] / ios["ibf"]
			tl += l; ti += i; diff[s] = i - l
			own = s ~ /\[(dm_ioband|bio_cgroup|dm_mod)\]$/ || s == "ktime_get" || s == "read_tsc"
			if (own) { ol += l; oi += i }
		}
		for (k = 0; k < top; k++) {
			best = ""
			for (s in diff)
				if (!(s in shown) && (best == "" || (diff[s] < 0 ? -diff[s] : diff[s]) > (diff[best] < 0 ? -diff[best] : diff[best])))
					best = s
			if (best == "") break
			shown[best] = 1
			printf "profile: %-44s %10.1f %10.1f %+10.1f\n", substr(best, 1, 44), n["lin", best] / ios["lin"], n["ibf", best] / ios["ibf"], diff[best]
		}
		printf "profile: %-44s %10.1f %10.1f %+10.1f\n", "all kernel code", tl, ti, ti - tl
		printf "profile: %-44s %10.1f %10.1f %+10.1f\n", "own (dm, dm-ioband, bio-cgroup, the clock)", ol, oi, oi - ol
		printf "profile: (%d reads through each device)\n", ios["lin"]
		printf "data: profile_own %.1f %.1f\n", ol, oi
	}' "$log" "$out/windows.txt" | tee "$out/profile.txt"
