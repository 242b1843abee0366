#!/bin/bash
# vmrun.sh - boot a throw-away Linux guest (Debian kernel, q35 + emulated Intel
# IOMMU) whose root filesystem is THIS machine's root (virtio-9p, read-only,
# with a tmpfs overlay on top), run one command inside it, power off.
#
# usage: vmrun.sh [options] [--] COMMAND [ARGS...]
#   -t TOPO     device topology: name of topologies/TOPO.args next to this
#               script, or a path to such a file (default: mixed)
#   -d 'ARGS'   extra raw qemu args (word-split; repeatable)
#   -s N        vCPUs (default 1)          -m MB   guest RAM (default 1024)
#   -a ACCEL    tcg | kvm (default tcg)
#   -k KVER     guest kernel version (default: newest /lib/modules/* that has
#               /boot/vmlinuz-KVER)
#   -I          no vIOMMU (drop intel-iommu device and intel_iommu=on)
#   -P          iommu=pt in the guest (identity map for host-owned devices)
#   -A 'ARGS'   extra guest kernel cmdline
#   -r MODE     guest root: overlay (writable, default) | ro (tmpfs on /tmp,/var/*)
#   -c MODE     coldplug: modalias (default, modprobe drivers of PCI devices)
#               | udev (run systemd-udevd + trigger + settle) | none
#   -M MODS     modules to modprobe before COMMAND (comma list, e.g. vfio-pci)
#   -e VAR=VAL  environment variable for COMMAND (repeatable)
#   -C DIR      working directory in the guest (default: current directory)
#   -T SECS     timeout for the whole VM run (default 600)
#   -o DIR      keep the job dir (console.log, rc, cmd.sh) in DIR
#   -v          copy the guest kernel console log to stderr at the end
#   -q          quiet kernel (loglevel=3)
# Environment: PASSD_VM_CACHE (initrd/vmlinux cache dir, default ~/.cache/passd-vm),
#   PASSD_VM_BZIMAGE=1 (boot the compressed bzImage via SeaBIOS instead of PVH).
#
# Carried in the project from the workplace's vmlab (../shared/vmlab, REPORT.md explains every
# choice below), so passd's tests need nothing outside the repository at run time.
#
# COMMAND runs under bash as root in the guest, stdin=/dev/null, stdout and
# stderr merged and streamed to this script's stdout. Exit status: that of
# COMMAND; 124 on timeout; 125 when the guest died without reporting one.
# Inside the guest /run/passd-vm is a writable dir shared with the host job dir
# ($PVM_OUT points to it) - put artifacts there and use -o to keep them.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
topo=mixed; extra=(); smp=1; mem=1024; accel=tcg; kver=""; viommu=1; pt=0
kargs=""; rootmode=overlay; coldplug=modalias; mods=""; envs=(); cwd=$PWD
timeout_s=600; keep=""; verbose=0; quiet=0
while getopts "t:d:s:m:a:k:IPA:r:c:M:e:C:T:o:vqh" o; do
    case $o in
        t) topo=$OPTARG ;;            d) read -ra x <<< "$OPTARG"; extra+=("${x[@]}") ;;
        s) smp=$OPTARG ;;             m) mem=$OPTARG ;;
        a) accel=$OPTARG ;;           k) kver=$OPTARG ;;
        I) viommu=0 ;;                P) pt=1 ;;
        A) kargs="$kargs $OPTARG" ;;  r) rootmode=$OPTARG ;;
        c) coldplug=$OPTARG ;;        M) mods=$OPTARG ;;
        e) envs+=("$OPTARG") ;;       C) cwd=$OPTARG ;;
        T) timeout_s=$OPTARG ;;       o) keep=$OPTARG ;;
        v) verbose=1 ;;               q) quiet=1 ;;
        *) awk 'NR>1 && /^#/{sub(/^# ?/,""); print; next} NR>1{exit}' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND-1))
[ $# -gt 0 ] || { echo "vmrun: no command given (see -h)" >&2; exit 2; }

if [ -z "$kver" ]; then
    for d in $(ls -1 /lib/modules 2>/dev/null | sort -Vr); do
        [ -e "/boot/vmlinuz-$d" ] && { kver=$d; break; }
    done
fi
[ -n "$kver" ] && [ -r "/boot/vmlinuz-$kver" ] || {
    echo "vmrun: no guest kernel (apt-get install linux-image-amd64)" >&2; exit 125; }
command -v qemu-system-x86_64 >/dev/null || {
    echo "vmrun: qemu-system-x86_64 missing (apt-get install qemu-system-x86)" >&2; exit 125; }

# PVH direct boot: QEMU can start an uncompressed ELF vmlinux at its 32-bit
# PVH entry point, skipping SeaBIOS real-mode setup and the in-guest xz
# decompression (~3.5 s under TCG). Extract it once from the bzImage.
kernel=/boot/vmlinuz-$kver
cache=${PASSD_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/passd-vm}
mkdir -p "$cache"
# two guests may start at once on a clean machine: one of them builds the cache
exec 9>"$cache/.lock"
flock 9
if [ "${PASSD_VM_BZIMAGE:-0}" != 1 ] && grep -q '^CONFIG_PVH=y' "/boot/config-$kver" 2>/dev/null; then
    vml=$cache/vmlinux-$kver
    if [ ! -s "$vml" ] || [ "$kernel" -nt "$vml" ]; then
        for fmt in xz zstd gzip; do      # Debian: 6.1 uses xz, 6.12 zstd
            case $fmt in
                xz)   magic='\xfd7zXZ\x00'; dec="xz -dc --single-stream" ;;
                zstd) magic='\x28\xb5\x2f\xfd'; dec="zstd -dcq" ;;
                gzip) magic='\x1f\x8b\x08\x00'; dec="gzip -dc" ;;
            esac
            command -v "${dec%% *}" >/dev/null || continue
            off=$(LC_ALL=C grep -obUaP "$magic" "$kernel" | head -n1 | cut -d: -f1 || :)
            [ -n "$off" ] || continue
            # the decompressor may complain about data after the stream: judge
            # the result by its ELF header instead of the exit status
            { tail -c +$((off + 1)) "$kernel" || :; } | $dec > "$vml.tmp" 2>/dev/null || :
            if [ "$(head -c4 "$vml.tmp")" = $'\x7fELF' ]; then mv "$vml.tmp" "$vml"; break; fi
            rm -f "$vml.tmp"
        done
    fi
    [ -s "$vml" ] && kernel=$vml
fi

# initramfs: rebuild when missing or older than its inputs
initrd=$cache/initrd-$kver.cpio.gz
if [ ! -s "$initrd" ] || [ "$here/initrd-init.sh" -nt "$initrd" ] || [ "$here/mkinitrd.sh" -nt "$initrd" ]; then
    "$here/mkinitrd.sh" -k "$kver" -o "$initrd" >/dev/null || exit 125
fi

flock -u 9
exec 9>&-

case $topo in */*) tfile=$topo ;; *) tfile=$here/topologies/$topo.args ;; esac
[ -r "$tfile" ] || { echo "vmrun: topology $tfile not found" >&2; exit 2; }
topo_args=()
while read -r opt val; do
    case $opt in ''|'#'*) continue ;; esac
    topo_args+=("$opt"); [ -n "$val" ] && topo_args+=("$val")
done < "$tfile"

job=$(mktemp -d /tmp/passd-vm-job.XXXXXX)
cleanup() { [ -n "$keep" ] && { mkdir -p "$keep" && cp -a "$job/." "$keep/"; }; rm -rf "$job"; }
trap cleanup EXIT
cp "$here/guest-stage2.sh" "$job/stage2.sh"
{ printf '%q ' "$@"; echo; } > "$job/cmd.sh"
{
    printf 'PVM_COLDPLUG=%q\nPVM_MODULES=%q\nPVM_CWD=%q\nPVM_OUT=/run/passd-vm\n' \
        "$coldplug" "$mods" "$cwd"
    echo "export PVM_OUT"
    for e in ${envs[@]+"${envs[@]}"}; do printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"; done
} > "$job/env"

# no_timer_check: on a loaded host TCG runs the early IO-APIC timer check too slowly and the
# kernel panics ("timer doesn't work through Interrupt-remapped IO-APIC"); seen at load 10.
append="console=ttyS0 panic=1 rdinit=/init passdvm.root=$rootmode passdvm=1 no_timer_check"
[ $quiet = 1 ] && append="$append loglevel=3"
iommu_args=()
if [ $viommu = 1 ]; then
    append="$append intel_iommu=on"
    [ $pt = 1 ] && append="$append iommu=pt"
    iommu_args=(-device intel-iommu,intremap=on,caching-mode=on)
fi
append="$append $kargs"

case $accel in
    tcg) machine="q35,accel=tcg,kernel-irqchip=split"; cpu=max ;;
    kvm) machine="q35,accel=kvm,kernel-irqchip=split"; cpu=host ;;
    *) echo "vmrun: bad accel $accel" >&2; exit 2 ;;
esac

qemu=(qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot
    -machine "$machine" -cpu "$cpu" -smp "$smp" -m "$mem"
    "${iommu_args[@]}"
    -kernel "$kernel" -initrd "$initrd" -append "$append"
    -serial "file:$job/console.log"
    -chardev stdio,id=cmdout,signal=on -serial chardev:cmdout
    -fsdev local,id=fsroot,path=/,security_model=none,readonly=on,multidevs=remap
    -device virtio-9p-pci,fsdev=fsroot,mount_tag=hostroot,bus=pcie.0,addr=0x2
    -fsdev local,id=fsjob,path="$job",security_model=none,multidevs=remap
    -device virtio-9p-pci,fsdev=fsjob,mount_tag=pvmjob,bus=pcie.0,addr=0x3
    "${topo_args[@]}" ${extra[@]+"${extra[@]}"})
printf '%q ' "${qemu[@]}" > "$job/qemu-cmdline"

t0=$(date +%s.%N)
timeout -k 5 "$timeout_s" "${qemu[@]}" < /dev/null 2> "$job/qemu.stderr"
qrc=$?
t1=$(date +%s.%N)
echo "wall=$(awk "BEGIN{printf \"%.2f\", $t1-$t0}") qemu_rc=$qrc" > "$job/timing"
if [ $verbose = 1 ] || [ ! -s "$job/rc" ]; then
    { echo "----- vmrun: qemu stderr -----"; cat "$job/qemu.stderr"
      echo "----- vmrun: guest console ($job/console.log) -----"; tail -n 60 "$job/console.log"
      echo "----- vmrun: $(cat "$job/timing") -----"; } >&2
fi
[ $qrc = 124 ] || [ $qrc = 137 ] && { echo "vmrun: timeout after ${timeout_s}s" >&2; exit 124; }
[ -s "$job/rc" ] || { echo "vmrun: guest did not report an exit code (qemu rc $qrc)" >&2; exit 125; }
exit "$(cat "$job/rc")"
