#!/bin/sh
# VM tier: host-critical on the real kernel. The guest mounts a filesystem and enables swap on a
# virtio disk backed by a small raw file made here, and routes through an e1000e; passd must
# refuse both groups without force (topologies/critical.args, guest/critical.sh).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
vm_require
img_dir=$(mktemp -d "${TMPDIR:-/tmp}/passd-t9500.XXXXXX") || exit 99
truncate -s 64M "$img_dir/disk.img" || exit 99
(vm_exec -t critical -M virtio_blk,ext4,vfio-pci \
	-d "-drive file=$img_dir/disk.img,if=none,id=disk0,format=raw -device virtio-blk-pci,drive=disk0,bus=rp1" \
	-- guest/critical.sh)
rc=$?
rm -rf "$img_dir"
exit $rc
