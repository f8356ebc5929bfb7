# ioband: build the dm-ioband module and tools, run the tests, the demo and
# the benchmarks.  `make help` lists the targets.

KVER   ?= $(shell scripts/kernel.sh 2>/dev/null)
KDIR   ?= /lib/modules/$(KVER)/build
VMLINUZ ?= /boot/vmlinuz-$(KVER)
BUILD  := build
CFLAGS_USER := -std=c11 -O2 -Wall -Wextra -Werror
INITRD := $(BUILD)/initrd-$(KVER).cpio

.PHONY: all module tools unit check check-vm demo bench install clean deps help

all: module tools

help:
	@echo "make deps     install what is missing (Debian 12, needs root)"
	@echo "make          build dm-ioband.ko (and tools)"
	@echo "make check    deps, build, unit tests, VM tests; ends with 'N passed, N failed'"
	@echo "make demo     deps, build, boot a VM and show two groups sharing a disk 1:3"
	@echo "make bench    deps, build, benchmarks in one VM boot (ioband, dm-linear, BFQ, ...)"
	@echo "make install  install dm-ioband.ko for KVER ($(KVER)) and run depmod"
	@echo "Variables: KVER, ONLY=<test prefix> (VM tests), IOBAND_KVM=1 (use KVM)"

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

$(BUILD)/test-%: tests/unit/test-%.c dm-ioband/ioband-policy.c dm-ioband/ioband-policy.h tests/unit/check.h
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS_USER) -Idm-ioband -o $@ $< dm-ioband/ioband-policy.c

unit: $(BUILD)/test-policy $(BUILD)/test-sim
	@tests/run-unit.sh $^

$(INITRD): module $(BUILD)/runas tests/vm/mkinitramfs.sh tests/vm/guest/*
	@echo "build: guest initramfs for $(KVER)"
	tests/vm/mkinitramfs.sh $(KVER) / dm-ioband.ko $(BUILD)/runas $@

check: deps
	@$(MAKE) --no-print-directory check-run

check-run: all $(BUILD)/test-policy $(BUILD)/test-sim $(INITRD)
	@tests/run-check.sh $(VMLINUZ) $(INITRD) $(BUILD)/test-policy $(BUILD)/test-sim

demo: deps
	@$(MAKE) --no-print-directory all $(BUILD)/runas $(INITRD)
	@tests/vm/run-vm.sh $(VMLINUZ) $(INITRD) demo $(BUILD)/demo.log

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/runas $(INITRD)
	@bench/run-bench.sh $(VMLINUZ) $(INITRD) $(BUILD)

install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C tools clean
	rm -rf $(BUILD)
