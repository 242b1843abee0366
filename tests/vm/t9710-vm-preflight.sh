#!/bin/sh
# VM tier: the host preflight (GET /v1/host, passctl check) on the mixed topology with the
# emulated VT-d, each check against the guest's /proc and /sys; vfio is left for passd to load.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
vm_exec -t mixed -- guest/preflight.sh
