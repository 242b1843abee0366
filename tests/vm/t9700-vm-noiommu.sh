#!/bin/sh
# VM tier: the mixed topology without the vIOMMU (-I). A bind gets a clear error from passd, not
# the kernel's silent probe failure, nothing changes, and the preflight fails with hints.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
vm_exec -t mixed -I -M vfio-pci -- guest/noiommu.sh
