#!/bin/sh
# VM tier: passd binds and unbinds each group of the mixed topology on real vfio-pci, and
# vfio-check agrees. vfio-pci is loaded by vmrun -M, as a host's boot configuration would: the
# bind test does not depend on passd loading modules itself (the preflight tests check that).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
vm_exec -t mixed -M vfio-pci -- guest/bind.sh
