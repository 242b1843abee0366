#!/bin/sh
# VM tier: discovery on the sriov topology, VFs made by writing sriov_numvfs directly.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
vm_exec -t sriov -- guest/discovery.sh sriov
