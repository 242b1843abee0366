#!/bin/sh
# VM tier: passd's discovery against the real kernel on the mixed topology, plus a second root
# complex (pxb-pcie) on NUMA node 1 with an edu behind it, so NUMA nodes are checked for real.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
numa='-object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=512M'
numa="$numa -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1"
numa="$numa -device pxb-pcie,id=pxb1,bus_nr=128,numa_node=1,bus=pcie.0,addr=0x1e"
numa="$numa -device pcie-root-port,id=rpn,bus=pxb1,chassis=9,addr=0x0 -device edu,bus=rpn"
vm_exec -t mixed -d "$numa" -- guest/discovery.sh mixed
