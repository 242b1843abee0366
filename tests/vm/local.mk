# tests/vm: the VM tier. Each test boots a throw-away QEMU guest (Debian's kernel, q35, emulated
# VT-d) with this machine's root over 9p and runs passd on the guest's real /sys. Not part of
# `make check` (it takes minutes); `make check-vm` runs it, and so do scripts/run-tests and CI.
vm_tests = \
	tests/vm/t9800-vm-assign.sh \
	tests/vm/t9100-vm-discovery.sh \
	tests/vm/t9110-vm-discovery-sriov.sh \
	tests/vm/t9120-vm-discovery-noiommu.sh \
	tests/vm/t9200-vm-bind.sh \
	tests/vm/t9300-vm-rollback.sh \
	tests/vm/t9400-vm-hotplug.sh \
	tests/vm/t9500-vm-critical.sh \
	tests/vm/t9600-vm-sriov.sh \
	tests/vm/t9700-vm-noiommu.sh \
	tests/vm/t9710-vm-preflight.sh \
	tests/vm/t9900-vm-sim-vs-kernel.sh \
	tests/vm/t9901-vm-sim-vs-kernel-noiommu.sh \
	tests/vm/t9902-vm-sim-vs-kernel-sriov.sh

# vfio-check: a small client of the kernel's VFIO uAPI, run in the guest (tests/vm/guest/bind.sh).
check_PROGRAMS += tests/vm/vfio-check
tests_vm_vfio_check_SOURCES = tests/vm/vfio-check.c
# no sanitizers: ASan start-up makes each run several times dearer in the guest; tiny program
tests_vm_vfio_check_CFLAGS = $(WARN_CFLAGS)
tests_vm_vfio_check_LDFLAGS =
# sysfs-script: one fixed sequence of sysfs writes, run on the real kernel and on passd-sim (t99*)
check_PROGRAMS += tests/vm/sysfs-script
tests_vm_sysfs_script_SOURCES = tests/vm/sysfs-script.c
EXTRA_DIST += tests/vm/sim-vs-kernel.sh

# l2-edu.elf: a bare PVH kernel for t9800's L2 domain; it reads edu through the passed-through
# BAR in a second of nested TCG, where booting Linux takes minutes. 32-bit code, no libraries:
# gcc -m32 needs no multilib for it.
check_DATA += tests/vm/l2-edu.elf
CLEANFILES += tests/vm/l2-edu.elf
tests/vm/l2-edu.elf: tests/vm/l2-edu.S tests/vm/l2-edu.lds
	$(AM_V_GEN)$(MKDIR_P) tests/vm && \
	$(CC) -m32 -nostdlib -static -Wl,-T,$(srcdir)/tests/vm/l2-edu.lds \
		-Wl,--no-warn-rwx-segments -Wl,--build-id=none -o $@ $(srcdir)/tests/vm/l2-edu.S
EXTRA_DIST += tests/vm/l2-edu.S tests/vm/l2-edu.lds

EXTRA_DIST += $(vm_tests) tests/vm/vm-lib.sh tests/vm/guest-lib.sh tests/vm/vmrun.sh \
	tests/vm/mkinitrd.sh tests/vm/initrd-init.sh tests/vm/guest-stage2.sh \
	tests/vm/topologies tests/vm/guest

# Two guests at a time: TCG is CPU-bound and a guest uses one vCPU.
check-vm: all
	$(MAKE) $(AM_MAKEFLAGS) -j2 check TESTS="$(vm_tests)" TEST_SUITE_LOG=test-suite-vm.log
.PHONY: check-vm
