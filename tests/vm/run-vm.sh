#!/bin/bash
# Boot a kernel with the ioband initramfs under QEMU and run one guest suite.
#   run-vm.sh VMLINUZ INITRD SUITE LOG [EXTRA_CMDLINE]
# The guest's console is shown as it runs and saved to LOG.  Software
# emulation by default; IOBAND_KVM=1 uses KVM where it works.
# Exit status: 0 if the guest reached the end of the suite, 1 if not.
set -uo pipefail
vmlinuz=$1 initrd=$2 suite=$3 log=$4 extra=${5:-}
timeout=${IOBAND_VM_TIMEOUT:-1500}
accel="-accel tcg -cpu max"
# Under TCG the guest finds its vCPUs' TSCs "unsynchronized" at boot and
# falls back to the emulated HPET, where every clock read costs ~0.8 us
# (0.11 us from the TSC, which TCG derives from one host clock for all
# vCPUs): the I/O path, ioband's included, reads the clock per bio.
clock="clocksource=tsc tsc=reliable"
[ "${IOBAND_KVM:-0}" = 1 ] && accel="-accel kvm -cpu host" && clock=
# IOBAND_ICOUNT=N: the guest's clock counts instructions, 2^N ns each, and
# jumps over idle time.  Host noise then does not reach the guest's
# figures: an IOPS ratio is a ratio of instructions per I/O (cache misses
# and lock bouncing are not modelled).  One vCPU: QEMU 7.2 hangs bringing
# up a second one under -icount.
smp=2
# TCG only, whatever IOBAND_KVM says.
[ -n "${IOBAND_ICOUNT:-}" ] && smp=1 && clock="clocksource=tsc tsc=reliable" &&
	accel="-accel tcg -cpu max -icount shift=$IOBAND_ICOUNT,sleep=off"
# IOBAND_QEMU_ARGS: more of QEMU's options (make profile: a plugin, and a
# second serial port after the console's).
extra_qemu=${IOBAND_QEMU_ARGS:-}

echo "vm: booting $(basename "$vmlinuz") for suite '$suite' (software emulation, up to ${timeout}s)"
timeout --foreground -k 10 "$timeout" \
	qemu-system-x86_64 $accel -m 2048 -smp $smp -nodefaults -display none \
	-serial stdio $extra_qemu -no-reboot \
	-kernel "$vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 oops=panic $clock ioband.suite=$suite $extra" \
	< /dev/null 2>&1 | sed -u 's/\r$//' | tee "$log"
grep -q '^=== IOBAND-GUEST-DONE ===' "$log"
