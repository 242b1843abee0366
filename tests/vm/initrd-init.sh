#!/bin/busybox sh
# /init of the passd-vm initramfs (runs as PID 1 under busybox).
# Loads virtio/9p modules, mounts the host root (9p tag "hostroot") read-only,
# optionally puts a tmpfs overlay on top, mounts the per-run job dir (9p tag
# "pvmjob") at /run/passd-vm and switch_roots to /run/passd-vm/stage2.sh.
#
# Kernel cmdline knobs: passdvm.root=overlay|ro  passdvm.cache=none|loose|mmap
#                       passdvm.msize=BYTES      passdvm.shell=1 (debug shell)
/bin/busybox mkdir -p /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

die() {
    echo "passd-vm-init: FATAL: $*" > /dev/console
    [ -n "$shell" ] && sh < /dev/console > /dev/console 2>&1
    echo o > /proc/sysrq-trigger
    while :; do sleep 1; done
}

rootmode=overlay; cache=loose; msize=262144; shell=
for arg in $(cat /proc/cmdline); do
    case $arg in
        passdvm.root=*)  rootmode=${arg#*=} ;;
        passdvm.cache=*) cache=${arg#*=} ;;
        passdvm.msize=*) msize=${arg#*=} ;;
        passdvm.shell=1) shell=1 ;;
    esac
done

for m in $(cat /mods/order); do
    insmod /mods/$m 2>/dev/null || grep -q "^${m%.ko} " /proc/modules || die "insmod $m failed"
done

opts="trans=virtio,version=9p2000.L,msize=$msize,cache=$cache"
mkdir -p /lower /ovl
# virtio-9p probe is async-ish: retry briefly until the tag shows up
i=0
until mount -t 9p -o "ro,$opts" hostroot /lower 2>/dev/null; do
    i=$((i+1)); [ $i -gt 50 ] && die "cannot mount 9p hostroot"
    sleep 0.1
done

if [ "$rootmode" = overlay ]; then
    mount -t tmpfs -o mode=755 tmpfs /ovl
    mkdir -p /ovl/upper /ovl/wd
    mount -t overlay overlay -o lowerdir=/lower,upperdir=/ovl/upper,workdir=/ovl/wd /newroot \
        || die "overlay mount failed (try passdvm.root=ro)"
else
    mount --move /lower /newroot
fi

# fresh /run (host's /run holds host daemons' sockets/pids), job dir inside it
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /newroot/run
mkdir -p /newroot/run/passd-vm /newroot/run/lock
mount -t 9p -o "$(echo $opts | sed 's/cache=[a-z]*/cache=none/')" pvmjob /newroot/run/passd-vm || die "cannot mount 9p pvmjob"
if [ "$rootmode" != overlay ]; then
    for d in /tmp /var/tmp /var/log /var/lib /var/cache /root; do
        mount -t tmpfs tmpfs /newroot$d || true
    done
fi

mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
[ -n "$shell" ] && { echo "passd-vm-init: debug shell (exit to continue)"; setsid cttyhack sh; }
exec switch_root /newroot /bin/sh /run/passd-vm/stage2.sh
