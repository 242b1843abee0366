#!/bin/sh
# VM tier: passd binds and unbinds each group of the mixed topology on real vfio-pci (loaded by
# vmrun -M, as a host's boot would; passd does not load modules), and vfio-check agrees.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
vm_exec -t mixed -M vfio-pci -- guest/bind.sh
