# vm-lib.sh - host side of the VM tier: boot a throw-away guest (Debian's kernel, q35, emulated
# Intel VT-d, this machine's root over 9p with a tmpfs overlay) and run one guest script in it.
#
#   #!/bin/sh
#   . "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vm/vm-lib.sh"
#   vm_exec -t mixed -M vfio-pci -- guest/discovery.sh
#
# The guest script prints TAP on its stdout, which vmrun.sh streams here; its exit status is
# the test's. A guest that dies prints no plan and the harness counts an error. The guest
# writes only to its own /sys: this machine's devices are never touched.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
VMRUN="$top_srcdir/tests/vm/vmrun.sh"

# What the tier needs comes from scripts/install-deps. Under CI a missing piece is a failure,
# elsewhere a skip that says what to install.
vm_require() {
	_missing=
	command -v qemu-system-x86_64 >/dev/null || _missing="$_missing qemu-system-x86"
	ls /boot/vmlinuz-* >/dev/null 2>&1 || _missing="$_missing linux-image-amd64"
	[ -x /bin/busybox ] || _missing="$_missing busybox-static"
	command -v cpio >/dev/null || _missing="$_missing cpio"
	[ -z "$_missing" ] && return 0
	if [ -n "${CI:-}" ]; then
		echo "1..1"
		echo "not ok 1 - the VM tier needs:$_missing (scripts/install-deps installs them)"
		exit 1
	fi
	echo "1..0 # SKIP the VM tier needs:$_missing (run scripts/install-deps)"
	exit 0
}

# vm_exec [vmrun options] -- GUEST_SCRIPT [ARGS]: GUEST_SCRIPT is relative to tests/vm.
vm_exec() {
	vm_require
	_opts=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_opts="$_opts $(printf "'%s'" "$1")"
		shift
	done
	[ $# -gt 0 ] && shift
	_script=$1
	shift
	eval "set -- $_opts -e top_srcdir=$top_srcdir -e top_builddir=$top_builddir \
		-e ASAN_OPTIONS=${ASAN_OPTIONS:-} -e UBSAN_OPTIONS=${UBSAN_OPTIONS:-} \
		-C $top_builddir -T ${PASSD_VM_TIMEOUT:-300} -q -- \
		/bin/bash $top_srcdir/tests/vm/$_script \"\$@\""
	# VM_NO_EXEC: return the guest's status, for a caller with work left after the run.
	[ -n "${VM_NO_EXEC:-}" ] && { "$VMRUN" "$@"; return; }
	exec "$VMRUN" "$@"
}
