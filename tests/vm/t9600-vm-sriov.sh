#!/bin/sh
# VM tier: SR-IOV on the real kernel through passd's API, on QEMU's NVMe controller as a
# physical function with 4 VFs (topologies/sriov.args, guest/sriov.sh).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
vm_exec -t sriov -M vfio-pci -- guest/sriov.sh
