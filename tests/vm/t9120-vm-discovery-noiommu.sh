#!/bin/sh
# VM tier: discovery on the mixed topology booted without the IOMMU: no groups, every device.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
vm_exec -t mixed -I -- guest/discovery.sh noiommu
