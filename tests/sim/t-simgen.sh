#!/bin/sh
# t-simgen.sh - passd-simgen writes trees with the kernel's layout, and its truth matches them.
#
# TAP. Every shipped profile is generated into a temp dir and checked with find/readlink/read,
# independently of the generator: links resolve inside the tree, the truth file equals what the
# tree says (rebuilt here from bus/pci/drivers/*/ADDR, kernel/iommu_groups/*/devices/ADDR and the
# attribute files), plus per-profile facts. Bad profiles must be refused with FILE:LINE.
# Set TMPDIR to a tmpfs (/dev/shm) when the disk is slow: "large" writes ~140000 entries.

set -u
LC_ALL=C
export LC_ALL
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SIMGEN="$top_builddir/tests/sim/passd-simgen"
PROFILES="$top_srcdir/tests/sim/profiles"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -s "$T/err" ] && sed -e 's/^/#   /' "$T/err" | head -n 20
	return 0
}
# check DESC CMD...: one test; CMD's stderr goes to $T/err and is shown on failure
check() {
	_d=$1
	shift
	if "$@" 2>"$T/err"; then ok "$_d"; else not_ok "$_d"; fi
}

if [ ! -x "$SIMGEN" ]; then
	echo "1..0 # SKIP $SIMGEN is not built"
	exit 0
fi
if [ -z "${TMPDIR:-}" ] && [ -w /dev/shm ]; then TMPDIR=/dev/shm; fi
T=$(mktemp -d "${TMPDIR:-/tmp}/t-simgen.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# --- generic checks, run on every profile ----------------------------------------------------

# every bus/pci/devices entry is a relative link ../../../devices/... to a directory in devices/
check_bus_links() {
	s=$1/sys
	count=0
	for l in "$s"/bus/pci/devices/*; do
		[ -L "$l" ] || { echo "$l is not a symlink" >&2; return 1; }
		t=$(readlink "$l")
		case $t in
		../../../devices/pci*/"${l##*/}") ;;
		*) echo "${l##*/} -> $t: not ../../../devices/pciDDDD:BB/.../ADDR" >&2; return 1 ;;
		esac
		[ -d "$l/" ] || { echo "${l##*/} -> $t does not resolve" >&2; return 1; }
		count=$((count + 1))
	done
	[ "$count" -gt 0 ] || { echo "no devices" >&2; return 1; }
}

# no dangling or absolute symlink anywhere; no link climbs out of sys/
check_all_links() {
	top=$(cd "$1" && pwd -P)
	find "$top/sys" -type l -lname '/*' >"$T/abs"
	[ ! -s "$T/abs" ] || { echo "absolute links:" >&2; head -5 "$T/abs" >&2; return 1; }
	find "$top/sys" -xtype l >"$T/dangling"
	[ ! -s "$T/dangling" ] || { echo "dangling links:" >&2; head -5 "$T/dangling" >&2; return 1; }
	find "$top/sys" -type l -printf '%h %l\n' | awk -v top="$top/sys" '
		{
			dir = substr($1, length(top) + 2); depth = dir == "" ? 0 : split(dir, x, "/")
			ups = 0; t = $2
			while (substr(t, 1, 3) == "../") { ups++; t = substr(t, 4) }
			if (ups > depth) { print "escapes sys/: " $0; bad = 1; exit }
		}
		END { exit bad }' >&2 || return 1
	# a function's iommu_group links to kernel/iommu_groups/N and its driver to
	# bus/pci/drivers/NAME, with as many ../ as the function is deep below sys/
	find "$top/sys/devices" \( -name iommu_group -o -name driver \) -type l \
		-printf '%h %f %l\n' | awk -v top="$top/sys" '
		$1 !~ /\/[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7]$/ { next }
		{
			depth = split(substr($1, length(top) + 2), x, "/"); ups = ""
			for (i = 0; i < depth; i++) ups = ups "../"
			want = ups ($2 == "driver" ? "bus/pci/drivers/" : "kernel/iommu_groups/")
			if (index($3, want) != 1 || $3 ~ /\/$/) { print $1 "/" $2 " -> " $3 ", expected " want "..."; bad = 1; exit }
			n++
		}
		END { if (!bad && n == 0) print "no driver or iommu_group links"; exit bad || n == 0 }' >&2
}

# the truth file, rebuilt from the tree: drivers from bus/pci/drivers/NAME/ADDR, groups from
# kernel/iommu_groups/N/devices/ADDR, physfn from the VF's link, values from the attribute files
tree_truth() {
	s=$1/sys
	find "$s/bus/pci/drivers" -mindepth 2 -maxdepth 2 -type l -name '[0-9a-f]*:*' \
		-printf '%f %h\n' | sed 's|/[^ ]*/||' | sort >"$T/drv"
	find "$s/kernel/iommu_groups" -mindepth 3 -maxdepth 3 -type l -printf '%f %h\n' |
		sed 's|^\([^ ]*\) .*/iommu_groups/\([0-9]*\)/devices$|\1 \2|' | sort >"$T/grp"
	find "$s/devices" -name physfn -type l -printf '%h %l\n' |
		sed 's|^.*/\([^/]*\) \.\./\(.*\)$|\1 \2|' | sort >"$T/pf"
	# one awk reading the attribute files (a shell loop of reads takes ~10 s on "large")
	ls "$s/bus/pci/devices" | awk -v s="$s/bus/pci/devices" '
		function attr(d, name,   f, v) {
			f = d "/" name; v = "-"
			if ((getline v < f) <= 0) v = "-"
			close(f)
			return v
		}
		{
			d = s "/" $1
			print $1, attr(d, "vendor"), attr(d, "device"), attr(d, "subsystem_vendor"),
				attr(d, "subsystem_device"), attr(d, "class"), attr(d, "numa_node")
		}' >"$T/attrs"
	awk -v drv="$T/drv" -v grp="$T/grp" -v pf="$T/pf" '
		BEGIN {
			while ((getline l < drv) > 0) { split(l, f, " "); D[f[1]] = f[2] }
			while ((getline l < grp) > 0) { split(l, f, " "); G[f[1]] = f[2] }
			while ((getline l < pf) > 0) { split(l, f, " "); P[f[1]] = f[2] }
		}
		{
			a = $1
			printf "%s vendor=%s device=%s subsystem_vendor=%s subsystem_device=%s class=%s driver=%s group=%s numa=%s physfn=%s\n",
				a, $2, $3, $4, $5, $6, (a in D) ? D[a] : "-", (a in G) ? G[a] : "-", $7,
				(a in P) ? P[a] : "-"
		}' "$T/attrs"
	sort -k2,2n -k1,1 "$T/grp" | awk '
		NR == 1 || $2 != g { if (NR > 1) printf "\n"; g = $2; printf "group %s:", g }
		{ printf " %s", $1 }
		END { if (NR) printf "\n" }'
}

check_truth() {
	tree_truth "$1" >"$T/truth.tree" &&
	diff -u "$1/truth" "$T/truth.tree" >&2
}

# values look like the kernel's
check_formats() {
	s=$1/sys
	for d in "$s"/bus/pci/devices/*; do
		cat "$d/vendor" "$d/device" "$d/subsystem_vendor" "$d/subsystem_device"
	done | grep -v -x '0x[0-9a-f]\{4\}' >"$T/bad" && { head -3 "$T/bad" >&2; return 1; }
	cat "$s"/bus/pci/devices/*/class | grep -v -x '0x[0-9a-f]\{6\}' >"$T/bad" &&
		{ head -3 "$T/bad" >&2; return 1; }
	cat "$s"/bus/pci/devices/*/driver_override | grep -v -x '(null)\|[a-z0-9_-]*' >"$T/bad" &&
		{ head -3 "$T/bad" >&2; return 1; }
	cat "$s"/bus/pci/devices/*/modalias |
		grep -v -x 'pci:v[0-9A-F]\{8\}d[0-9A-F]\{8\}sv[0-9A-F]\{8\}sd[0-9A-F]\{8\}bc[0-9A-F]\{2\}sc[0-9A-F]\{2\}i[0-9A-F]\{2\}' \
		>"$T/bad" && { head -3 "$T/bad" >&2; return 1; }
	cat "$s"/bus/pci/devices/*/numa_node | grep -v -x -- '-\{0,1\}[0-9]*' >"$T/bad" &&
		{ head -3 "$T/bad" >&2; return 1; }
	# bind/unbind/new_id/remove_id are write-only
	find "$s/bus/pci/drivers" -mindepth 2 \( -name bind -o -name unbind -o -name new_id \
		-o -name remove_id \) ! -perm 0200 >"$T/bad"
	[ ! -s "$T/bad" ] || { head -3 "$T/bad" >&2; return 1; }
	# vfio-pci exists unless the profile says vfio is not loaded (host vfio=absent|missing)
	{ grep -Eq '^host .*vfio=(absent|missing)' "$PROFILES/$p.profile" ||
		[ -d "$s/bus/pci/drivers/vfio-pci" ]; } && [ -d "$s/bus/pci/drivers/pcieport" ] &&
		[ -f "$s/bus/pci/drivers_probe" ] && [ -d "$1/dev/vfio" ] ||
		{ echo "vfio-pci, pcieport, drivers_probe or dev/vfio missing" >&2; return 1; }
	# the vendor and device IDs are in config at offset 0 (VFs read 0xffff there)
	for d in "$s"/bus/pci/devices/*; do
		[ -L "$d/physfn" ] && continue
		read -r v <"$d/vendor"
		read -r i <"$d/device"
		c=$(od -A n -t x2 -N 4 "$d/config" | tr -d ' \n')
		want="${v#0x}${i#0x}"
		[ "$c" = "$want" ] || { echo "${d##*/}: config starts $c, not $want" >&2; return 1; }
		break
	done
}

for f in "$PROFILES"/*.profile; do
	p=${f##*/}
	p=${p%.profile}
	out="$T/$p"
	if "$SIMGEN" -q "$PROFILES/$p.profile" "$out" >"$T/stdout" 2>"$T/err" &&
		[ ! -s "$T/stdout" ] && [ ! -s "$T/err" ]; then
		ok "$p: generated silently"
	else
		not_ok "$p: generated silently"
		continue
	fi
	check "$p: bus/pci/devices links resolve into devices/" check_bus_links "$out"
	check "$p: every link is relative, resolves, and has the right depth" check_all_links "$out"
	check "$p: the truth file matches the tree" check_truth "$out"
	check "$p: attribute values are in the kernel's format" check_formats "$out"
	eval "T_$(echo $p | tr - _)=\$out"
done

# --- per-profile facts -----------------------------------------------------------------------

bench_group16() {
	b=$T/bench-group16/sys
	g=$(readlink "$b/bus/pci/devices/0000:02:01.0/iommu_group") && g=${g##*/} &&
	[ "$(ls "$b/kernel/iommu_groups/$g/devices" | wc -l)" -eq 17 ] &&
	[ -e "$b/kernel/iommu_groups/$g/devices/0000:01:00.0" ] &&
	[ "$(grep -c "group=$g " "$T/bench-group16/truth")" -eq 17 ]
}
check "bench-group16: one group of the PCIe-to-PCI bridge and its 16 endpoints" bench_group16

s=$T/desktop/sys
group_of() { g=$(readlink "$s/bus/pci/devices/$1/iommu_group") && echo "${g##*/}"; }
desktop_gpu_group() {
	g=$(group_of 0000:01:00.0) && [ "$g" = "$(group_of 0000:01:00.1)" ] &&
	[ "$(ls "$s/kernel/iommu_groups/$g/devices")" = "$(printf '0000:01:00.0\n0000:01:00.1')" ] &&
	read -r c0 <"$s/bus/pci/devices/0000:01:00.0/class" && [ "$c0" = 0x030000 ] &&
	read -r c1 <"$s/bus/pci/devices/0000:01:00.1/class" && [ "$c1" = 0x040300 ]
}
check "desktop: GPU and HDMI audio share one group, alone" desktop_gpu_group
desktop_vga() {
	read -r a <"$s/bus/pci/devices/0000:00:02.0/boot_vga" && [ "$a" = 1 ] &&
	read -r b <"$s/bus/pci/devices/0000:01:00.0/boot_vga" && [ "$b" = 0 ] &&
	[ ! -e "$s/bus/pci/devices/0000:01:00.1/boot_vga" ] &&
	[ ! -e "$s/bus/pci/devices/0000:01:00.0/reset_method" ] &&
	read -r r <"$s/bus/pci/devices/0000:02:00.0/reset_method" && [ "$r" = "flr bus" ]
}
check "desktop: iGPU is the boot VGA; boot_vga and reset_method only where the kernel shows them" \
	desktop_vga
desktop_depth() {
	d=$s/bus/pci/devices/0000:08:00.0
	[ "$(readlink "$d")" = ../../../devices/pci0000:00/0000:00:1c.4/0000:04:00.0/0000:05:05.0/0000:08:00.0 ] &&
	[ "$(readlink "$d/driver")" = ../../../../../../bus/pci/drivers/iwlwifi ] &&
	[ "$(readlink "$d/iommu_group")" = ../../../../../../kernel/iommu_groups/12 ] &&
	[ "$(readlink "$s/bus/pci/drivers/iwlwifi/0000:08:00.0")" = ../../../../devices/pci0000:00/0000:00:1c.4/0000:04:00.0/0000:05:05.0/0000:08:00.0 ] &&
	[ "$(readlink "$s/bus/pci/devices/0000:00:02.0/driver")" = ../../../bus/pci/drivers/i915 ]
}
check "desktop: links are spelled as sysfs spells them at every depth" desktop_depth
desktop_critical() {
	p=$T/desktop/proc
	read -r root_dev <"$s/bus/pci/devices/0000:02:00.0/nvme/nvme0/nvme0n1/dev" &&
	[ "$root_dev" = 259:0 ] &&
	awk '$5 == "/" { print $3 }' "$p/self/mountinfo" >"$T/rootdev" &&
	[ "$(cat "$T/rootdev")" = 259:2 ] &&
	blk=$(cd -P "$s/dev/block/259:2" && pwd) &&
	case $blk in */0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p2) ;; *) false ;; esac &&
	[ -f "$s/bus/pci/devices/0000:00:1f.6/net/eno1/ifindex" ] &&
	awk 'NR > 1 && $2 == "00000000" { print $1 }' "$p/net/route" | grep -qx eno1 &&
	grep -q '^flags.* vmx ' "$p/cpuinfo" &&
	grep -q 'intel_iommu=on' "$p/cmdline" &&
	grep -q '^/dev/nvme0n1p3 ' "$p/swaps" &&
	read -r sda <"$s/bus/pci/devices/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/dev" &&
	[ "$sda" = 8:0 ]
}
check "desktop: boot disk, swap, default route and SATA disk are findable from /proc" \
	desktop_critical
desktop_modes() {
	d=$s/bus/pci/devices/0000:01:00.0
	[ "$(stat -c %a "$d/remove")" = 220 ] && [ "$(stat -c %a "$d/rescan")" = 200 ] &&
	[ "$(stat -c %a "$d/driver_override")" = 644 ] && [ "$(stat -c %a "$d/vendor")" = 444 ] &&
	[ "$(stat -c %s "$d/config")" = 4096 ] &&
	[ "$(stat -c %a "$s/bus/pci/drivers_probe")" = 200 ]
}
check "desktop: file modes and sizes are the kernel's" desktop_modes

s=$T/gpu-server/sys
gpu_server() {
	cat "$s"/bus/pci/devices/*/numa_node | sort -u | tr '\n' ' ' >"$T/numa" &&
	[ "$(cat "$T/numa")" = "0 1 " ] &&
	[ "$(grep -l -x 0x030200 "$s"/bus/pci/devices/*/class | wc -l)" -eq 8 ] &&
	[ "$(grep -l -x 1 "$s"/bus/pci/devices/*/boot_vga | wc -l)" -eq 1 ] &&
	[ -d "$s/devices/pci0000:80" ] &&
	for d in "$s"/bus/pci/devices/*; do
		grep -q -x 0x030200 "$d/class" || continue
		g=$(readlink "$d/iommu_group") &&
		[ "$(ls "$s/kernel/iommu_groups/${g##*/}/devices" | wc -l)" -eq 1 ] || return 1
	done
}
check "gpu-server: two NUMA nodes, 8 GPUs each alone in its group, one boot VGA" gpu_server

s=$T/sriov-host/sys
sriov_host() {
	find "$s/devices" -name physfn -type l >"$T/vfs" &&
	[ "$(wc -l <"$T/vfs")" -eq 128 ] &&
	while read -r l; do
		vf=$(dirname "$l") &&
		[ -f "$l/sriov_totalvfs" ] &&
		g=$(readlink "$vf/iommu_group") &&
		[ "$(ls "$s/kernel/iommu_groups/${g##*/}/devices")" = "${vf##*/}" ] || return 1
	done <"$T/vfs" &&
	for pf in "$s"/bus/pci/devices/*; do
		[ -f "$pf/sriov_numvfs" ] || continue
		read -r want <"$pf/sriov_numvfs"
		have=$(find "$pf/" -maxdepth 1 -name 'virtfn*' | wc -l)
		[ "$want" -eq "$have" ] || { echo "${pf##*/}: $have virtfn links, numvfs $want" >&2; return 1; }
	done &&
	[ "$(readlink "$s/bus/pci/devices/0000:4b:08.7/physfn")" = ../0000:4b:00.0 ] &&
	[ "$(readlink "$s/bus/pci/devices/0000:4b:00.0/virtfn63")" = ../0000:4b:08.7 ] &&
	[ ! -e "$s/bus/pci/devices/0000:4b:08.7/remove" ]
}
check "sriov-host: 128 VFs with physfn links, each alone in its group, virtfnN on the PFs" \
	sriov_host

s=$T/large/sys
large() {
	[ "$(ls "$s/bus/pci/devices" | wc -l)" -eq 4096 ] &&
	[ "$(grep -c '^0000:' "$T/large/truth")" -eq 4096 ] &&
	[ "$(ls "$s/devices/system/node" | grep -c '^node')" -eq 4 ]
}
check "large: exactly 4096 functions on 4 NUMA nodes" large
check "large: large.profile is what mklarge.sh prints" \
	sh -c 'sh "$1/mklarge.sh" | cmp - "$1/large.profile"' sh "$PROFILES"

s=$T/no-iommu/sys
no_iommu() {
	[ -d "$s/kernel/iommu_groups" ] && [ -z "$(ls "$s/kernel/iommu_groups")" ] &&
	[ -z "$(find "$s/devices" -name iommu_group)" ] &&
	! grep -q 'intel_iommu=on' "$T/no-iommu/proc/cmdline" &&
	! grep -q ' group [0-9]' "$T/no-iommu/truth" && ! grep -q '^group' "$T/no-iommu/truth"
}
check "no-iommu: no groups, no iommu_group links, no intel_iommu=on" no_iommu

# the host preflight's facts (docs/preflight.md), read here with plain shell
pf_common() { # DIR: eight statuses, equal to --preflight; the ACPI tables are root-only
	[ "$(wc -l <"$1/preflight.truth")" -eq 8 ] &&
	"$SIMGEN" --preflight "$PROFILES/${1##*/}.profile" | cmp - "$1/preflight.truth" &&
	[ "$(stat -c %a "$1/sys/firmware/acpi/tables/APIC")" = 400 ]
}
pf_desktop() {
	pd=$T/desktop && pf_common "$pd" &&
	[ "$(stat -c %a "$pd/sys/firmware/acpi/tables/DMAR")" = 400 ] &&
	ecap=$(cat "$pd/sys/class/iommu/dmar0/intel-iommu/ecap") && [ $((0x$ecap & 8)) -eq 8 ] &&
	[ "$(readlink "$pd/sys/class/iommu/dmar0")" = ../../devices/virtual/iommu/dmar0 ] &&
	grep -q '^vfio_pci [0-9]* 0 - Live ' "$pd/proc/modules" &&
	grep -qx live "$pd/sys/module/vfio_pci/initstate" &&
	grep -qx N "$pd/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts" &&
	[ -e "$pd/dev/vfio/vfio" ] &&
	grep -q '^Linux version 6.1.0-13-amd64 ' "$pd/proc/version" &&
	grep -q '^kernel/drivers/vfio/pci/vfio-pci.ko.xz:' "$pd/lib/modules/6.1.0-13-amd64/modules.dep" &&
	! grep -q ' fail$\| warn$' "$pd/preflight.truth"
}
pf_bios() {
	pd=$T/bios-vtd-off && pf_common "$pd" &&
	[ ! -e "$pd/sys/firmware/acpi/tables/DMAR" ] && [ -z "$(ls "$pd/sys/class/iommu")" ] &&
	grep -qx 'preflight firmware_dmar fail' "$pd/preflight.truth"
}
pf_intremap() {
	pd=$T/no-intremap && pf_common "$pd" &&
	ecap=$(cat "$pd/sys/class/iommu/dmar0/intel-iommu/ecap") && [ $((0x$ecap & 8)) -eq 0 ] &&
	grep -qx Y "$pd/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts" &&
	grep -qx 'preflight interrupt_remapping warn' "$pd/preflight.truth" &&
	grep -qx 'preflight acs_override warn' "$pd/preflight.truth"
}
pf_amd() {
	pd=$T/amd-ok && pf_common "$pd" &&
	[ -e "$pd/sys/firmware/acpi/tables/IVRS" ] && [ ! -e "$pd/sys/firmware/acpi/tables/DMAR" ] &&
	[ -d "$pd/sys/class/iommu/ivhd0/amd-iommu" ] && grep -q ' svm ' "$pd/proc/cpuinfo" &&
	! grep -q '^vfio' "$pd/proc/modules" && [ -d "$pd/sys/module/vfio_pci/parameters" ] &&
	[ ! -e "$pd/sys/module/vfio_pci/initstate" ] && [ -d "$pd/sys/bus/pci/drivers/vfio-pci" ] &&
	grep -qx 'kernel/drivers/vfio/pci/vfio-pci.ko' "$pd/lib/modules/6.5.0-35-generic/modules.builtin"
}
pf_novfio() {
	pd=$T/no-vfio && pf_common "$pd" &&
	[ ! -e "$pd/sys/bus/pci/drivers/vfio-pci" ] && [ ! -e "$pd/sys/module/vfio" ] &&
	[ ! -e "$pd/dev/vfio/vfio" ] && ! grep -q vfio "$pd/proc/modules" &&
	! grep -q vfio "$pd/lib/modules/6.1.0-custom/modules.dep" &&
	! grep -q ' vmx ' "$pd/proc/cpuinfo" && grep -q ' vmx\| vme ' "$T/desktop/proc/cpuinfo"
}
check "preflight: desktop has DMAR, a VT-d unit with IR, vfio loaded, /dev/vfio/vfio" pf_desktop
check "preflight: bios-vtd-off has no DMAR table and no IOMMU unit" pf_bios
check "preflight: no-intremap clears ecap's IR bit and allows unsafe interrupts" pf_intremap
check "preflight: amd-ok has IVRS, ivhd0, svm and vfio built in" pf_amd
check "preflight: no-vfio has no vfio anywhere and no vmx" pf_novfio

multipath() {
	printf '%s\n' 'host nvme_multipath=on' 'root 0000:00' \
		'dev 0000:00:00.0 id=8086:3e30 class=0x060000 group=0' \
		'dev 0000:00:1b.0 id=8086:a340 class=0x060400 driver=pcieport group=1 secondary=02' \
		'dev 0000:02:00.0 id=144d:a808 class=0x010802 driver=nvme group=2 nvme=nvme0' \
		'mount nvme0n1p2 / ext4' >"$T/mp.profile" &&
	"$SIMGEN" -q "$T/mp.profile" "$T/mp" &&
	s=$T/mp/sys &&
	blk=$(cd -P "$s/dev/block/259:2" && pwd) &&
	case $blk in */devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1/nvme0n1p2) ;; *) false ;; esac &&
	ctrl=$(cd -P "$s/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0" && pwd) &&
	case $ctrl in */0000:02:00.0/nvme/nvme0) ;; *) false ;; esac &&
	[ -d "$ctrl/nvme0c0n1" ] && [ ! -e "$ctrl/nvme0c0n1/dev" ] && [ ! -e "$ctrl/nvme0n1" ]
}
check "nvme_multipath=on: the namespace hangs off nvme-subsys0, which links the controller" \
	multipath

# the mirrors of the VM tier's topologies: the generator's truth equals the real kernel's
# (tests/fixtures/real/*.truth, taken in the guest); the live test t99*-vm-sim-vs-kernel compares
# their behaviour
# Beyond the truth, every attribute a profile can express must read as in the real copy
# (fixtures/real/NAME.tar.xz). Not compared: `enable`, a counter the profile cannot give (2 on the
# root port above the xHCI, 0 on the LPC bridge, whose driver never enables it).
mirror_attrs() { # GENERATED-TREE FIXTURE
	mkdir -p "$T/fx-$2" && tar -C "$T/fx-$2" -xJf "$top_srcdir/tests/fixtures/real/$2.tar.xz" &&
	real=$T/fx-$2/sys/bus/pci/devices && sim=$1/sys/bus/pci/devices &&
	[ "$(ls "$real")" = "$(ls "$sim")" ] || { echo "not the same functions" >&2; return 1; }
	bad=0
	for d in "$real"/*; do
		a=${d##*/}
		for f in vendor device subsystem_vendor subsystem_device class revision irq numa_node \
			local_cpulist modalias driver_override reset_method reset remove \
			secondary_bus_number subordinate_bus_number sriov_totalvfs sriov_numvfs \
			sriov_offset sriov_stride sriov_vf_device sriov_drivers_autoprobe; do
			r=absent; [ -e "$d/$f" ] && { r=; read -r r <"$d/$f"; }
			s=absent; [ -e "$sim/$a/$f" ] && { s=; read -r s <"$sim/$a/$f"; }
			[ "$r" = "$s" ] || { echo "$a/$f: kernel '$r', passd-simgen '$s'" >&2; bad=1; }
		done
		for l in driver iommu_group physfn; do
			r=$(readlink "$d/$l" 2>/dev/null) ; s=$(readlink "$sim/$a/$l" 2>/dev/null)
			[ "$r" = "$s" ] || { echo "$a/$l: kernel -> '$r', passd-simgen -> '$s'" >&2; bad=1; }
		done
		# the header type (multi-function bit)
		r=$(od -A n -t x1 -j 14 -N 1 "$d/config") s=$(od -A n -t x1 -j 14 -N 1 "$sim/$a/config")
		[ "$r" = "$s" ] || { echo "$a header type: kernel $r, passd-simgen $s" >&2; bad=1; }
	done
	[ "$bad" -eq 0 ]
}
for m in q35-mixed:q35-vtd q35-mixed-noiommu:q35-noiommu q35-sriov:q35-sriov; do
	check "${m%%:*}: its truth is the real kernel's (fixtures/real/${m#*:}.truth)" \
		sh -c '"$1" --truth "$2" | diff -u "$3" - >&2' sh "$SIMGEN" "$PROFILES/${m%%:*}.profile" \
		"$top_srcdir/tests/fixtures/real/${m#*:}.truth"
	check "${m%%:*}: every attribute it can express reads as in fixtures/real/${m#*:}" \
		mirror_attrs "$T/${m%%:*}" "${m#*:}"
done

# --- bad profiles ----------------------------------------------------------------------------

# refused PROFILE-TEXT LINE PATTERN: the generator exits 1, names FILE:LINE and matches PATTERN,
# and writes nothing
refused() {
	printf '%s\n' "$1" >"$T/bad.profile"
	rm -rf "$T/bad"
	"$SIMGEN" "$T/bad.profile" "$T/bad" 2>"$T/msg"
	rc=$?
	[ "$rc" -eq 1 ] || { echo "exit status $rc, expected 1" >&2; cat "$T/msg" >&2; return 1; }
	grep -q "bad.profile:$2: .*$3" "$T/msg" ||
		{ echo "expected 'bad.profile:$2: ...$3', got:" >&2; cat "$T/msg" >&2; return 1; }
	[ ! -e "$T/bad" ] || { echo "output written for a bad profile" >&2; return 1; }
}
head='host iommu=on
root 0000:00'
good="$head
dev 0000:00:00.0 id=8086:3e30 class=0x060000 group=0"
accepted() {
	printf '%s\n' "$1" >"$T/good.profile" && rm -rf "$T/good" &&
	"$SIMGEN" -q "$T/good.profile" "$T/good" && [ -d "$T/good/sys/bus/pci/devices/0000:00:00.0" ]
}
check "a good minimal profile is accepted" accepted "$good"
check "unknown key is refused with its line" refused "$good
dev 0000:00:01.0 id=8086:3e30 class=0x060000 group=1 colour=red" 4 "unknown dev key 'colour'"
check "bad address is refused with its line" refused "$good

dev 0000:00:20.0 id=8086:3e30 class=0x060000 group=1" 5 "bad PCI address"
check "uppercase hex is refused" refused "$good
dev 0000:00:1F.0 id=8086:3e30 class=0x060000 group=1" 4 "bad PCI address"
check "duplicate address is refused at its second line" refused "$good
# comment
dev 0000:00:00.0 id=8086:3e30 class=0x060000 group=1" 5 "duplicate address 0000:00:00.0 (also at line 3)"
check "VF count above TotalVFs is refused" refused "$good
dev 0000:00:02.0 id=8086:1593 class=0x020000 group=1 \\
	sriov=8 numvfs=9" 4 "numvfs 9 > sriov"
check "VFs colliding with a function are refused" refused "$good
dev 0000:00:02.0 id=8086:1593 class=0x020000 group=1 sriov=8 numvfs=2
dev 0000:00:02.1 id=8086:1593 class=0x020000 group=2" 4 "collides"
check "a bus nothing leads to is refused" refused "$good
dev 0000:05:00.0 id=8086:1593 class=0x020000 group=1" 4 "no root complex or bridge leads to bus 0000:05"
check "a missing group is refused when iommu=on" refused "$good
dev 0000:00:02.0 id=8086:1593 class=0x020000" 4 "no group="
check "a group is refused when iommu=off" refused "host iommu=off
root 0000:00
dev 0000:00:00.0 id=8086:3e30 class=0x060000 group=0" 3 "iommu=off"
check "firmware_table=off with the IOMMU on is refused" refused "host iommu=on firmware_table=off
root 0000:00
dev 0000:00:00.0 id=8086:3e30 class=0x060000 group=0" 1 "firmware_table=off needs iommu=off"
check "a device on vfio-pci is refused with vfio=absent" refused "host vfio=absent
root 0000:00
dev 0000:00:00.0 id=8086:3e30 class=0x060000 group=0 driver=vfio-pci" 3 "uses vfio-pci"
check "unsafe_interrupts=on is refused without vfio" refused "host vfio=missing unsafe_interrupts=on
root 0000:00
dev 0000:00:00.0 id=8086:3e30 class=0x060000 group=0" 1 "needs vfio=loaded or builtin"
check "a bad vfio= value is refused" refused "host vfio=maybe
root 0000:00
dev 0000:00:00.0 id=8086:3e30 class=0x060000 group=0" 1 "vfio must be"
check "a kernel release with a slash is refused" refused "host kernel=../x
root 0000:00
dev 0000:00:00.0 id=8086:3e30 class=0x060000 group=0" 1 "bad kernel release"
check "an unknown directive is refused" refused "$head
frobnicate yes" 3 "unknown directive 'frobnicate'"
check "boot_vga on a non-VGA class is refused" refused "$good
dev 0000:00:02.0 id=10de:20b0 class=0x030200 group=1 boot_vga=1" 4 "boot_vga"
check "a function without function 0 in its slot is refused" refused "$good
dev 0000:00:02.1 id=10de:20b0 class=0x030200 group=1" 4 "no function 0"
check "a mount of an unknown block device is refused" refused "$good
mount nvme9n1p1 / ext4" 4 "not a block device"
usage() { "$SIMGEN" >/dev/null 2>&1; [ $? -eq 2 ]; }
check "missing arguments are a usage error (exit 2)" usage
nonempty() {
	"$SIMGEN" -q "$PROFILES/desktop.profile" "$T/again" &&
	! "$SIMGEN" -q "$PROFILES/desktop.profile" "$T/again" 2>"$T/msg" &&
	grep -q 'already holds a tree' "$T/msg"
}
check "an OUTDIR that already holds a tree is refused" nonempty

echo "1..$n"
[ "$failed" -eq 0 ]
