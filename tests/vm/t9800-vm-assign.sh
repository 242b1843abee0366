#!/bin/sh
# VM tier: the whole path of an assignment on the real kernel, with libvirtd and an L2 QEMU in
# the guest. The guest's QEMU capabilities are cached between runs (libvirtd probes them for
# 10-40 s under TCG otherwise); a stale or missing cache only costs that time.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
cache=${PASSD_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/passd-vm}
caps=$cache/libvirt-caps
job=$(mktemp -d "${TMPDIR:-/tmp}/passd-t9800.XXXXXX")
trap 'rm -rf "$job"' EXIT
PASSD_VM_TIMEOUT=${PASSD_VM_TIMEOUT:-600} VM_NO_EXEC=1 vm_exec -t mixed -M vfio-pci -o "$job" \
	-e "PASSD_LIBVIRT_CAPS=$caps" -e "PASSD_VM_CACHE_DIR=$cache" -- guest/assign.sh
rc=$?
if [ -d "$job/libvirt-caps" ] && ls "$job/libvirt-caps"/*.xml >/dev/null 2>&1; then
	mkdir -p "$caps.new.$$" && cp "$job/libvirt-caps"/*.xml "$caps.new.$$/" &&
		rm -rf "$caps" && mv "$caps.new.$$" "$caps"
fi
exit $rc
