#!/bin/sh
# VM tier: the same sysfs writes on the real kernel and on passd-sim give the same answers and
# the same state, on the SR-IOV topology (NVMe PF, 4 VFs) (tests/vm/sim-vs-kernel.sh).
test_description='passd-sim behaves as the real kernel: sriov, profile q35-sriov'
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/test-lib.sh"
. "$top_srcdir/tests/vm/sim-vs-kernel.sh"

svk_run sriov q35-sriov -t sriov -M vfio-pci
test_done
