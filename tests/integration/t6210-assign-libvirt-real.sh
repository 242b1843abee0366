#!/bin/sh
test_description='assignments with a real libvirtd and QEMU (TCG): config attach and detach, and a start that fails here rolled back'
. "$top_srcdir/tests/lib/test-lib.sh"

# The private libvirtd of t6100 (same helpers, copied: a test file stands alone).
# A private libvirtd: its own mount namespace puts /run, /etc/libvirt, /var/lib/libvirt and
# /var/log/libvirt in the trash directory, and its sockets in $LV/sock, so it never meets the
# machine's libvirt or another test's. qemu.conf's stdio_handler="file" spares virtlogd. QEMU's
# capabilities (the first probe takes seconds) are cached in the build tree between runs; libvirt
# revalidates the cache against the QEMU and libvirtd binaries itself.
LV=$TRASH/lv
LV_CACHE=${PASSD_LIBVIRT_CACHE:-$top_builddir/tests/.libvirt-cache}
LV_URI="qemu:///system?socket=$LV/sock/libvirt-sock"
LV_PID=
# Unique per run: libvirt names cgroups after the domain, and two runs may share the host.
DOM=asg$$

[ "$(id -u)" -eq 0 ] || skip_all "a private libvirtd needs root (mount namespace)"
for c in libvirtd virsh qemu-system-x86_64 unshare; do
	command -v "$c" >/dev/null || skip_all "$c is missing (scripts/install-deps)"
done
unshare -m true 2>/dev/null || skip_all "cannot create a mount namespace here"

lv_setup() {
	mkdir -p "$LV/run" "$LV/etc/qemu" "$LV/lib" "$LV/log" "$LV/sock" "$LV_CACHE" &&
	cat >"$LV/etc/libvirtd.conf" <<-EOF &&
	unix_sock_dir = "$LV/sock"
	auth_unix_ro = "none"
	auth_unix_rw = "none"
	log_outputs = "3:stderr"
	EOF
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
	kill "-$1" "$LV_PID" 2>/dev/null
	wait "$LV_PID" 2>/dev/null
	LV_PID=
}

# Stop everything this file started: its domains' QEMUs, libvirtd, passd.
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

wait_libvirt() {
	_i=0
	while [ $_i -lt 100 ]; do
		curl -sS -m 2 -o health.json "$PASSD_URL/v1/health" 2>/dev/null &&
		jq -e ".libvirt.connected == true" health.json >/dev/null && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	echo "libvirt not connected after 5 s" >&2
	return 1
}

post() {
	_p=$1
	shift
	api "$_p" -X POST -H "Content-Type: application/json" "$@"
}

# config_hostdevs: the PCI hostdev addresses of the domain's persistent definition, per virsh.
config_hostdevs() {
	vsh dumpxml --inactive "$DOM" >dom-now.xml &&
	sed -n "s/.*<address domain=.0x\([0-9a-f]*\). bus=.0x\([0-9a-f]*\). slot=.0x\([0-9a-f]*\). function=.0x\([0-9a-f]*\).*/\1:\2:\3.\4/p" dom-now.xml |
		grep -v "^0000:00:" | sort
}

db() {
	sqlite3 -readonly "$TRASH/passd.db" "$1"
}

sim_live_require

test_expect_success 'setup: a private libvirtd, a tiny TCG domain, the desktop profile live' '
	lv_setup &&
	lv_start &&
	cat >dom.xml <<-EOF &&
	<domain type="qemu">
	  <name>$DOM</name>
	  <memory unit="MiB">64</memory>
	  <os><type arch="x86_64" machine="pc">hvm</type></os>
	  <devices><memballoon model="none"/></devices>
	</domain>
	EOF
	vsh define dom.xml >/dev/null &&
	sim_live_start desktop &&
	passd_start --libvirt-uri "$LV_URI" &&
	wait_libvirt
'

test_expect_success 'assign (no start): both GPU functions become managed=no hostdevs of the definition' '
	passctl assign 0000:01:00.0 "$DOM" >out &&
	cat out &&
	config_hostdevs >hd &&
	printf "0000:01:00.0\n0000:01:00.1\n" >want &&
	test_cmp want hd &&
	grep -c "managed=.no." dom-now.xml >n &&
	test "$(cat n)" = 2 &&
	sim_driver_is 0000:01:00.0 vfio-pci &&
	sim_driver_is 0000:01:00.1 vfio-pci
'

test_expect_success 'release: the hostdevs leave the definition, the drivers come back' '
	passctl release 0000:01:00.0 >out &&
	cat out &&
	test -z "$(config_hostdevs)" &&
	sim_driver_is 0000:01:00.0 nvidia &&
	sim_driver_is 0000:01:00.1 snd_hda_intel
'

test_expect_success 'assign --start: libvirt refuses the start here; passd says why and undoes it all' '
	test_exit_code 1 passctl assign 0000:01:00.0 "$DOM" --start 2>err &&
	cat err &&
	grep -q "$DOM" err &&
	test -z "$(config_hostdevs)" &&
	test "$(vsh domstate "$DOM")" = "shut off" &&
	sim_driver_is 0000:01:00.0 nvidia &&
	sim_driver_is 0000:01:00.1 snd_hda_intel &&
	test "$(db "SELECT count(*) FROM assignment WHERE state <> '\''released'\''")" = 0 &&
	api_expect 200 "/v1/history?limit=1" &&
	jq -e ".history[0] | .action == \"assign\" and .result == \"rolled_back\" and (.error | length > 0)" body
'

test_expect_success 'the same failure over the API: the error and the rollback in the answer' '
	test "$(post /v1/assignments -d "{\"device\":\"0000:01:00.0\",\"domain\":\"$DOM\",\"start\":true}")" = 409 &&
	api_error_is conflict &&
	jq -e "(.rollback | test(\"detached\") and test(\"host drivers\")) and (.bind | length == 2)" body &&
	echo "libvirt said: $(jq -r .error.message body)" >>"$TRASH/figures" &&
	echo "timing of the failed assignment: $(jq -c .timing body)" >>"$TRASH/figures"
'

test_expect_success 'passd stops cleanly' '
	passd_stop
'

[ -f "$TRASH/figures" ] && sed "s/^/# /" "$TRASH/figures"
test_done
