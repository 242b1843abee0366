#!/bin/sh
# VM tier: passd's discovery against the real kernel on the mixed topology.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
vm_exec -t mixed -- guest/discovery.sh
