#!/bin/sh
# Stage 2 of the passd-vm guest, PID 1 after switch_root into the host's root
# (seen through 9p). Copied into the job dir by vmrun.sh as stage2.sh.
# Reads /run/passd-vm/env (PVM_* settings + user vars), runs /run/passd-vm/cmd.sh
# with stdout+stderr on ttyS1, writes the exit code to /run/passd-vm/rc, powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C
J=/run/passd-vm
. $J/env

t0=$(cut -d' ' -f1 /proc/uptime)
mkdir -p /dev/pts /dev/shm /dev/hugepages
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null
[ -d /sys/fs/cgroup ] && mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ln -sf /proc/self/fd /dev/fd 2>/dev/null
hostname passd-vm 2>/dev/null
# loopback up: without it 127.0.0.1 has no local route, and a default route (if a test adds
# one) would send loopback traffic out of a NIC, where connects hang
ip link set lo up 2>/dev/null

case ${PVM_COLDPLUG:-modalias} in
    udev)
        /lib/systemd/systemd-udevd --daemon >/dev/null 2>&1
        udevadm trigger --type=subsystems --action=add
        udevadm trigger --type=devices --action=add
        udevadm settle --timeout=60 ;;
    modalias)
        # load drivers for the PCI devices, like udev coldplug would
        modprobe -qab $(cat /sys/bus/pci/devices/*/modalias) 2>/dev/null ;;
    none) ;;
esac
[ -n "$PVM_MODULES" ] && modprobe -ab $(echo "$PVM_MODULES" | tr , ' ')

t1=$(cut -d' ' -f1 /proc/uptime)
echo "passd-vm: guest userspace ready at ${t1}s uptime (stage2 took $(awk "BEGIN{print $t1-$t0}")s)" > /dev/ttyS0

out=/dev/ttyS1
stty -F $out raw -echo 2>/dev/null
cd "${PVM_CWD:-/}" 2>/dev/null || cd /
/bin/bash $J/cmd.sh < /dev/null > $out 2>&1
rc=$?
echo $rc > $J/rc
echo "passd-vm: command exited $rc at $(cut -d' ' -f1 /proc/uptime)s uptime" > /dev/ttyS0
sync
# start the waiter BEFORE the power-off request: once the virtio-9p device is
# shut down no binary can be exec'd from the 9p root any more
sleep 3600 & 
echo o > /proc/sysrq-trigger
while :; do wait; done
