#!/bin/sh
# VM tier: passd follows hotplug on the real kernel through its udev monitor (coldplug by
# systemd-udevd in the guest, so the monitor listens to udev, as on a host).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
vm_exec -t mixed -c udev -- guest/hotplug.sh
