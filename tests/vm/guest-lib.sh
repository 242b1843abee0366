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
