# guest-lib.sh - guest side of the VM tier, sourced by tests/vm/guest/*.sh after test-lib.sh.
#
# Here passd runs on the guest's real /sys, /proc and /dev: a real kernel, a real (emulated)
# IOMMU, real vfio-pci. Every fork+exec costs ~50 ms under TCG, so helpers use shell builtins
# where they can.

# Refuse to run anywhere but in a passd VM guest: this drives a real /sys.
vm_guest || { echo "Bail out! guest-lib.sh outside a passd VM guest"; exit 1; }

SYSFS_ROOT=/sys
export SYSFS_ROOT

# vm_read FILE: the first line of a sysfs file, without a fork.
vm_read() {
	_v=
	read -r _v <"$1" 2>/dev/null
	printf '%s\n' "$_v"
}

# vm_driver ADDR: the bound driver of a device, "-" for none.
vm_driver() {
	_l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) || { echo -; return; }
	echo "${_l##*/}"
}

# vm_group ADDR: the IOMMU group number of a device.
vm_group() {
	_l=$(readlink "/sys/bus/pci/devices/$1/iommu_group") || return 1
	echo "${_l##*/}"
}

# vm_find VENDOR:DEVICE [N]: the address of the N-th (1-based) function with that id.
vm_find() {
	_n=${2:-1}
	for _d in /sys/bus/pci/devices/*; do
		_v=$(vm_read "$_d/vendor") _i=$(vm_read "$_d/device")
		if [ "${_v#0x}:${_i#0x}" = "$1" ]; then
			_n=$((_n - 1))
			[ $_n -eq 0 ] && { echo "${_d##*/}"; return 0; }
		fi
	done
	return 1
}

# vm_libvirtd_start: libvirtd for QEMU in the guest, answering on qemu:///system. The guest's
# root is a tmpfs overlay, so the qemu.conf edits never reach the host. No systemd here:
# stdio_handler=file instead of virtlogd; root, no security driver, namespaces or cgroups.
# vfio-pci first: libvirt refuses VFIO unless /dev/vfio/vfio exists when it starts.
# PASSD_LIBVIRT_CAPS: a dir of QEMU capabilities cached by an earlier run (probing them takes
# libvirtd 10-40 s under TCG); they are copied back to $PVM_OUT/libvirt-caps for the next run.
vm_libvirtd_start() {
	modprobe vfio-pci || return 1
	cat >>/etc/libvirt/qemu.conf <<-'EOC'
	user = "root"
	group = "root"
	security_driver = "none"
	namespaces = [ ]
	cgroup_controllers = [ ]
	stdio_handler = "file"
	EOC
	mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt/qemu/capabilities \
		/run/libvirt || return 1
	if [ -n "${PASSD_LIBVIRT_CAPS:-}" ] && [ -d "$PASSD_LIBVIRT_CAPS" ]; then
		cp "$PASSD_LIBVIRT_CAPS"/*.xml /var/cache/libvirt/qemu/capabilities/ 2>/dev/null
	fi
	LIBVIRT_DEFAULT_URI=qemu:///system
	export LIBVIRT_DEFAULT_URI
	libvirtd --daemon || return 1
	_i=0
	until virsh -q version >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -gt 900 ] && { echo "libvirtd did not answer in 180 s" >&2; return 1; }
		sleep 0.2
	done
	if [ -n "${PVM_OUT:-}" ]; then
		mkdir -p "$PVM_OUT/libvirt-caps" &&
		cp /var/cache/libvirt/qemu/capabilities/*.xml "$PVM_OUT/libvirt-caps/" 2>/dev/null
	fi
	return 0
}

# vm_libvirtd_stop: every domain destroyed, libvirtd gone.
vm_libvirtd_stop() {
	for _d in $(virsh -q list --name 2>/dev/null); do
		virsh -q destroy "$_d" >/dev/null 2>&1
	done
	[ -f /run/libvirtd.pid ] && kill "$(cat /run/libvirtd.pid)" 2>/dev/null
	return 0
}
