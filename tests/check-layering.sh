#!/bin/sh
# check-layering.sh SRCDIR - enforce the one-way dependencies of STYLE.md 2.1.
# Fails when a layer includes what it must not, or when code outside daemon/sysfs opens
# sysfs paths (or code outside daemon/procfs, procfs paths). Prints every violation, then
# exits 1 if there was any.
set -u
src=${1:-.}
cd "$src" || exit 2
bad=0

violation() {
	echo "layering: $*" >&2
	bad=1
}

check_includes() { # DIR PATTERN WHY [EXCEPT_GLOB]
	for f in $(find "$1" -name '*.[ch]' 2>/dev/null); do
		# shellcheck disable=SC2254 # $4 is a glob on purpose
		[ -n "${4:-}" ] && case "$f" in $4) continue ;; esac
		if grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" "$f" >/dev/null; then
			violation "$f includes $(grep -noE "#[[:space:]]*include[[:space:]]*[<\"]($2)[^>\"]*" "$f" | head -n 1): $3"
		fi
	done
}

# Only one folder per outside system.
for d in api daemon/core daemon/sysfs daemon/db daemon/virt cli common; do
	[ "$d" = daemon/udev ] || check_includes "$d" 'libudev\.h' "libudev belongs to daemon/udev"
done
for d in api daemon/core daemon/sysfs daemon/udev daemon/virt cli common; do
	check_includes "$d" 'sqlite3\.h' "SQLite belongs to daemon/db"
done
for d in api daemon/core daemon/sysfs daemon/udev daemon/db cli common; do
	check_includes "$d" 'libvirt/' "libvirt belongs to daemon/virt"
done
check_includes api 'microhttpd\.h' "only api/server.c and its pieces api/server-*.[ch] may include microhttpd.h" \
	'api/server*.[ch]'
for d in daemon/core daemon/sysfs daemon/udev daemon/db daemon/virt cli common; do
	check_includes "$d" 'microhttpd\.h' "libmicrohttpd belongs to api/server.c"
done

# api/ calls core/ only, never a layer below it.
check_includes api '(sysfs|db|udev|virt)/' "api/ calls daemon/core only"
# The CLI speaks HTTP only.
check_includes cli '(daemon|api|core|sysfs|db|udev|virt)/' "cli/ links common/ only"
check_includes cli '(inventory|groups|server|routes)\.h' "cli/ links common/ only"
# The simulator models the kernel on its own.
check_includes tests/sim '(daemon|api|core|sysfs|db|udev|virt)/' "tests/sim must not share passd's code"
# common/ depends on nothing of ours.
check_includes common '(daemon|api|core|sysfs|db|udev|virt)/' "common/ is the bottom layer"

# No sysfs path is opened outside daemon/sysfs.
for f in $(find api daemon cli common -name '*.c' 2>/dev/null); do
	case "$f" in daemon/sysfs/*) continue ;; esac
	if grep -nE '"/?(sys/bus|sys/devices|bus/pci|kernel/iommu_groups|sys/kernel)' "$f" >/dev/null; then
		violation "$f names a sysfs path: only daemon/sysfs touches sysfs"
	fi
done

# No procfs path is named outside daemon/procfs ("/proc" alone is config.c's default root).
for f in $(find api daemon cli common -name '*.c' 2>/dev/null); do
	case "$f" in daemon/procfs/*) continue ;; esac
	if grep -nE '"(/proc/|self/mountinfo"|net/route"|net/ipv6_route"|swaps"|cmdline"|cpuinfo")' "$f" >/dev/null; then
		violation "$f names a procfs path: only daemon/procfs reads procfs"
	fi
done

# SQL is never built from strings: prepared statements with bound values only.
for f in $(find daemon api -name '*.c' 2>/dev/null); do
	if grep -nE 'sqlite3_v?mprintf|sqlite3_str_' "$f" >/dev/null; then
		violation "$f formats SQL text: bind values to prepared statements instead"
	fi
done

[ "$bad" -eq 0 ] && echo "layering: ok"
exit "$bad"
