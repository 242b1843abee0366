#!/bin/bash
# mkinitrd.sh - build a tiny initramfs (busybox-static + the few modules the
# Debian kernel needs to mount the host's root over virtio-9p).
#
# usage: mkinitrd.sh [-k KVER] [-o OUTPUT]
#   KVER   defaults to the newest dir in /lib/modules
#   OUTPUT defaults to $PASSD_VM_CACHE/initrd-KVER.cpio.gz
#
# Needs: busybox-static (/bin/busybox), cpio, gzip, kmod (modprobe), and
# linux-image-amd64 (or any kernel whose modules live in /lib/modules/KVER).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kver=""
out=""
while getopts "k:o:h" o; do
    case $o in
        k) kver=$OPTARG ;;
        o) out=$OPTARG ;;
        *) sed -n '2,10p' "$0"; exit 2 ;;
    esac
done
[ -n "$kver" ] || kver=$(ls -1 /lib/modules | sort -V | tail -n1)
cache=${PASSD_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/passd-vm}
[ -n "$out" ] || out=$cache/initrd-$kver.cpio.gz
mkdir -p "$(dirname "$out")"

bb=/bin/busybox
[ -x "$bb" ] || { echo "mkinitrd: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || echo "mkinitrd: warning: $bb may not be static" >&2

work=$(mktemp -d /tmp/passd-vm-initrd.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,newroot,mods}
cp "$bb" "$work/bin/busybox"

# Modules needed before the root can be mounted (order = load order).
: > "$work/mods/order"
for m in virtio_pci 9pnet_virtio 9p overlay; do
    modprobe -S "$kver" --show-depends "$m" | while read -r verb path _; do
        [ "$verb" = insmod ] || continue        # skip "builtin ..."
        base=$(basename "$path")
        base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
        grep -qx "$base" "$work/mods/order" && continue
        case $path in
            *.xz)  xz -dc "$path" > "$work/mods/$base" ;;
            *.zst) zstd -qdc "$path" > "$work/mods/$base" ;;
            *.gz)  gzip -dc "$path" > "$work/mods/$base" ;;
            *)     cp "$path" "$work/mods/$base" ;;
        esac
        echo "$base" >> "$work/mods/order"
    done
done

cp "$here/initrd-init.sh" "$work/init"
chmod 755 "$work/init"

(cd "$work" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
