# libvirt-lib.sh - a private libvirtd with QEMU for the tests that need a real one (t6100,
# t6210). Source it after test-lib.sh; it skips the whole file where it cannot run. It brings
# libvirt-test.sh along (wait_libvirt, domain_hostdevs, db).
#
# A private libvirtd: its own mount namespace puts /run, /etc/libvirt, /var/lib/libvirt and
# /var/log/libvirt in the trash directory, and its sockets in $LV/sock, so it never meets the
# machine's libvirt or another test's. qemu.conf's stdio_handler="file" spares virtlogd. QEMU's
# capabilities (the first probe takes seconds) are cached in the build tree between runs; libvirt
# revalidates the cache against the QEMU and libvirtd binaries itself.
LV=$TRASH/lv
LV_CACHE=${PASSD_LIBVIRT_CACHE:-$top_builddir/tests/.libvirt-cache}
LV_URI="qemu:///system?socket=$LV/sock/libvirt-sock"
LV_PID=

. "$top_srcdir/tests/lib/libvirt-test.sh"

[ "$(id -u)" -eq 0 ] || skip_all "a private libvirtd needs root (mount namespace)"
for c in libvirtd virsh qemu-system-x86_64 unshare; do
	command -v "$c" >/dev/null || skip_all "$c is missing (scripts/install-deps)"
done
unshare -m true 2>/dev/null || skip_all "cannot create a mount namespace here"

lv_setup() {
	mkdir -p "$LV/run" "$LV/etc/qemu" "$LV/lib" "$LV/log" "$LV/sock" "$LV_CACHE" &&
	cat >"$LV/etc/libvirtd.conf" <<-EOF_CONF &&
	unix_sock_dir = "$LV/sock"
	auth_unix_ro = "none"
	auth_unix_rw = "none"
	log_outputs = "3:stderr"
	EOF_CONF
	echo 'stdio_handler = "file"' >"$LV/etc/qemu.conf"
}

# lv_start: libvirtd in its own mount namespace; LV_PID is libvirtd itself (unshare and sh exec).
lv_start() {
	rm -f "$LV/sock/libvirt-sock"
	unshare -m sh -c '
		set -e
		mount --make-rprivate /
		mount --bind "$1/run" /run
		mount --bind "$1/etc" /etc/libvirt
		mount --bind "$2" /var/cache/libvirt
		mount --bind "$1/lib" /var/lib/libvirt
		mount --bind "$1/log" /var/log/libvirt
		exec libvirtd --config "$1/etc/libvirtd.conf" --pid-file "$1/libvirtd.pid"
	' lv "$LV" "$LV_CACHE" >>"$LV/libvirtd.log" 2>&1 &
	LV_PID=$!
	_i=0
	until [ -S "$LV/sock/libvirt-sock" ] && virsh -q -c "$LV_URI" uri >/dev/null 2>&1; do
		_i=$((_i + 1))
		if [ $_i -gt 200 ] || ! kill -0 "$LV_PID" 2>/dev/null; then
			echo "libvirtd did not come up:" >&2
			tail -n 20 "$LV/libvirtd.log" >&2
			return 1
		fi
		sleep 0.05
	done
}

lv_kill() { # lv_kill SIGNAL
	[ -n "$LV_PID" ] || return 0
	kill -CONT "$LV_PID" 2>/dev/null # a test that failed between its STOP and CONT
	kill "-$1" "$LV_PID" 2>/dev/null
	wait "$LV_PID" 2>/dev/null
	LV_PID=
}

# Stop everything the test file started: its domains' QEMUs, libvirtd, passd (test-lib's
# cleanup), and a request loop of the file that waits for stream.stop.
lv_cleanup() {
	[ -e "$TRASH/stream.stop" ] || : >"$TRASH/stream.stop" 2>/dev/null
	if [ -n "$LV_PID" ]; then
		for d in $(virsh -q -c "$LV_URI" list --name 2>/dev/null); do
			virsh -q -c "$LV_URI" destroy "$d" >/dev/null 2>&1
		done
		lv_kill TERM
	fi
	for p in "$LV"/run/libvirt/qemu/*.pid; do
		[ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null
	done
	return 0
}
trap 'lv_cleanup; cleanup' EXIT

vsh() { virsh -q -c "$LV_URI" "$@"; }
