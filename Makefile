# ioband: build the dm-ioband module and tools, run the tests, the demo and
# the benchmarks.  `make help` lists the targets.

KVER    ?= $(shell scripts/kernel.sh 2>/dev/null)
KDIR    ?= /lib/modules/$(KVER)/build
KERNELS ?= 6.1 6.12
BUILD   := build
CACHE   ?= .cache
PREFIX  ?= /usr/local
CFLAGS_USER := -std=c11 -O2 -Wall -Wextra -Werror

.PHONY: all module tools unit check check-run check-long check-debug demo \
	bench profile vm-6.1 install clean distclean deps help

all: module tools

help:
	@echo "make deps       install what is missing (Debian 12, needs root)"
	@echo "make            build dm-ioband.ko for the host's Debian kernel (and tools)"
	@echo "make check      deps, build, unit tests, VM tests; ends with 'N passed, N failed'"
	@echo "                on Debian 12 (6.1) and 13 (6.12) kernels; KERNELS=6.1 for one"
	@echo "make check-long the fuzzers longer and the soak scenarios (opt-in, about 30 minutes)"
	@echo "make check-debug the VM suite on a KASAN/lockdep/kmemleak kernel built from"
	@echo "                Debian's 6.1 source (opt-in; about 40 minutes to build it once)"
	@echo "make demo       deps, build, boot a VM and show two groups sharing a disk 1:3"
	@echo "make bench      deps, build, benchmarks in one VM boot (ioband, dm-linear, BFQ, ...)"
	@echo "make profile    deps, build, the kernel's instructions per I/O, function by function,"
	@echo "                through dm-linear and ioband (a QEMU plugin counts them; one VM boot)"
	@echo "make install    install dm-ioband.ko for KVER ($(KVER)), run depmod; iobandctl,"
	@echo "                its man page, bash completion and ioband.service under PREFIX ($(PREFIX))"
	@echo "make clean      remove build outputs; distclean also removes $(CACHE)/"
	@echo "Variables: KVER, KERNELS, ONLY=<test prefix> (VM tests), IOBAND_KVM=1 (use KVM), IOBAND_ICOUNT=2 (instruction-counted clock, one vCPU: for make bench ONLY=iops)"

deps:
	@scripts/deps.sh

module:
	@test -n "$(KVER)" || { echo "no kernel headers found: run 'make deps'"; exit 1; }
	@echo "build: dm-ioband.ko for $(KVER) (W=1)"
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

tools:
	$(MAKE) -C tools

$(BUILD)/runas: tests/vm/runas.c
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS_USER) -static -o $@ $<

CORE_SRC := dm-ioband/ioband-policy.c dm-ioband/ioband-magazine.c dm-ioband/ioband-qos.c dm-ioband/ioband-tree.c dm-ioband/ioband-latency.c dm-ioband/ioband-args.c
CORE_HDR := dm-ioband/ioband-policy.h dm-ioband/ioband-magazine.h dm-ioband/ioband-qos.h dm-ioband/ioband-tree.h dm-ioband/ioband-latency.h dm-ioband/ioband-args.h dm-ioband/ioband-slots.h dm-ioband/ioband-inflight.h tests/unit/user-atomic.h

$(BUILD)/test-%: tests/unit/test-%.c $(CORE_SRC) $(CORE_HDR) tests/unit/check.h
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS_USER) -pthread -Idm-ioband -Itests/unit -o $@ $< $(CORE_SRC)

TOOL_CORE := tools/table.c tools/config.c tools/plan.c tools/stats.c tools/groupspec.c tools/qos.c tools/tree.c \
	     tools/latency.c \
	     $(CORE_SRC)

$(BUILD)/test-iobandctl: tests/unit/test-iobandctl.c $(TOOL_CORE) tools/iobandctl.h tests/unit/check.h
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS_USER) -D_GNU_SOURCE -Itools -Idm-ioband -o $@ $< $(TOOL_CORE)

# The parsers under AddressSanitizer and UBSan, fed a million mutated lines.
$(BUILD)/fuzz-parse: tests/unit/fuzz-parse.c $(CORE_SRC) $(CORE_HDR) tests/unit/check.h
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS_USER) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
		-Idm-ioband -o $@ $< $(CORE_SRC)

UNIT := $(BUILD)/test-policy $(BUILD)/test-sim $(BUILD)/test-iobandctl $(BUILD)/fuzz-parse

unit: $(UNIT)
	@tests/run-unit.sh $^

check: deps
	@$(MAKE) --no-print-directory check-run

check-run: all $(UNIT) $(BUILD)/runas
	@tests/run-check.sh "$(KERNELS)" $(BUILD) $(CACHE) $(UNIT)

# Opt-in, not in CI: 20 million fuzzed lines, then the VM suite's soaks
# at their long sizes on Debian 12's kernel (100 suspend/reload rounds on
# each policy, 2000 random messages, 50 cgroups coming and going, 200
# per-child scopes made and removed), the light-reader test on the
# slot device, five pairs of runs, and the writeback pairs of the stacks
# below ioband (LVM, LUKS2, dm-thin).
check-long: deps
	@$(MAKE) --no-print-directory all $(UNIT) $(BUILD)/runas
	@IOBAND_LONG=1 ONLY=$${ONLY:-lifecycle,msgfuzz,cgloop,workcons,tree-churn,stacks-lvm-below,stacks-luks-below,stacks-thin} \
		tests/run-check.sh "6.1" $(BUILD) $(CACHE) $(UNIT)

# Opt-in: Debian's 6.1 source built with KASAN, lockdep, lock_stat,
# kmemleak, UBSAN and debug objects (cached in $(CACHE)/kdebug), the VM
# suite on it, then a kmemleak scan.
check-debug: deps
	@$(MAKE) --no-print-directory all $(UNIT) $(BUILD)/runas
	@tests/run-check.sh "debug" $(BUILD) $(CACHE) $(UNIT)

# The module and initramfs for Debian 12's kernel, for demo and bench.
vm-6.1: $(BUILD)/runas tools
	@scripts/build-module.sh 6.1 $(BUILD)/6.1 $(CACHE)
	@echo "build: guest initramfs"
	@tests/vm/mkinitramfs.sh $$(cat $(BUILD)/6.1/kver) / $(BUILD)/6.1/dm-ioband.ko \
		$(BUILD)/runas tools/iobandctl $(BUILD)/6.1/initrd.cpio

demo: deps
	@$(MAKE) --no-print-directory vm-6.1
	@tests/vm/run-vm.sh $(BUILD)/6.1/vmlinuz $(BUILD)/6.1/initrd.cpio demo $(BUILD)/demo.log

# The admission path in userspace, many threads, no emulation.
$(BUILD)/admit-bench: bench/admit-bench.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS_USER) -D_GNU_SOURCE -pthread -Idm-ioband -Itests/unit -o $@ $< $(CORE_SRC)

bench: deps $(BUILD)/admit-bench
	@$(BUILD)/admit-bench 1 | tee $(BUILD)/admit.txt
	@$(MAKE) --no-print-directory vm-6.1
	@bench/run-bench.sh $(BUILD)/6.1/vmlinuz $(BUILD)/6.1/initrd.cpio $(BUILD)

profile: deps
	@$(MAKE) --no-print-directory vm-6.1
	@bench/run-profile.sh $(BUILD)/6.1/vmlinuz $(BUILD)/6.1/initrd.cpio $(BUILD)/profile

install: module tools
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates \
		INSTALL_MOD_PATH=$(DESTDIR) modules_install
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi
	$(MAKE) -C tools install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

# Not kbuild's clean: it would sweep .ko and .o files out of $(CACHE) too.
clean:
	rm -f dm-ioband.ko dm-ioband.o dm-ioband.mod dm-ioband.mod.c dm-ioband.mod.o \
		bio-cgroup.ko bio-cgroup.o bio-cgroup.mod bio-cgroup.mod.c bio-cgroup.mod.o \
		.*.cmd Module.symvers modules.order dm-ioband/*.o dm-ioband/.*.cmd \
		bio-cgroup/*.o bio-cgroup/.*.cmd bio-cgroup-cost.* bench/*.o bench/.*.cmd
	$(MAKE) -C tools clean
	rm -rf $(BUILD)

distclean: clean
	rm -rf $(CACHE)
