#!/bin/sh
# VM tier: the same sysfs writes on the real kernel and on passd-sim give the same answers and
# the same state, on the mixed topology without an IOMMU (tests/vm/sim-vs-kernel.sh).
test_description='passd-sim behaves as the real kernel: mixed, profile q35-mixed-noiommu'
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/test-lib.sh"
. "$top_srcdir/tests/vm/sim-vs-kernel.sh"

svk_run mixed q35-mixed-noiommu -t mixed -I -M vfio-pci
test_done
