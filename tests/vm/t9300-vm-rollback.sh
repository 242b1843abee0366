#!/bin/sh
# VM tier: a group bind that fails half-way on the real kernel (a device removed between two
# steps) rolls back, and a passd killed half-way rolls back when it restarts.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
vm_exec -t mixed -M vfio-pci -- guest/rollback.sh
