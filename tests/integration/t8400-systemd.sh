#!/bin/sh
test_description='systemd: the notify protocol (READY, WATCHDOG, STOPPING), and passd --apply-bindings after a reboot'
. "$top_srcdir/tests/lib/test-lib.sh"

command -v python3 >/dev/null || skip_all "python3 is missing (the NOTIFY_SOCKET listener)"

GPU=0000:01:00.0 # desktop: nvidia, with its audio function 0000:01:00.1 in group 10

# notify_listen PATH: a unix datagram socket at PATH (abstract when it starts with @) that
# appends every message to ./notify.log, one per line, until killed.
notify_listen() {
	cat >listen.py <<-\EOF &&
	import socket, sys
	path = sys.argv[1]
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	s.bind("\0" + path[1:] if path.startswith("@") else path)
	open("notify.ready", "w").close()
	with open("notify.log", "a") as out:
	    while True:
	        msg = s.recv(4096).decode()
	        out.write(msg.replace("\n", " ") + "\n")
	        out.flush()
	EOF
	rm -f notify.ready notify.log &&
	case $1 in @*) ;; *) rm -f "$1" ;; esac &&
	{ python3 listen.py "$1" & echo $! >listen.pid; } &&
	i=0 && until test -e notify.ready; do i=$((i + 1)) && test $i -lt 100 && sleep 0.05 || return 1; done
}

notify_stop() {
	kill "$(cat listen.pid)" 2>/dev/null; wait "$(cat listen.pid)" 2>/dev/null; true
}

test_expect_success 'setup: a static desktop host' '
	sim_new desktop
'

test_expect_success 'READY=1 once serving, WATCHDOG=1 every WATCHDOG_USEC/2, STOPPING=1 on SIGTERM' '
	notify_listen "$TRASH/notify.sock" &&
	NOTIFY_SOCKET="$TRASH/notify.sock" WATCHDOG_USEC=200000 passd_start --rescan-interval 0 &&
	curl -sSf -o /dev/null "$PASSD_URL/v1/health" &&
	sleep 0.7 &&
	passd_stop && notify_stop &&
	cat notify.log &&
	test "$(sed -n 1p notify.log)" = READY=1 &&
	test "$(tail -n 1 notify.log)" = STOPPING=1 &&
	n=$(grep -c "^WATCHDOG=1$" notify.log) &&
	test "$n" -ge 4 && test "$n" -le 12
'

test_expect_success 'an abstract NOTIFY_SOCKET works too' '
	notify_listen "@passd-t8400-$$" &&
	NOTIFY_SOCKET="@passd-t8400-$$" passd_start --rescan-interval 0 &&
	passd_stop && notify_stop &&
	grep -x READY=1 notify.log && grep -x STOPPING=1 notify.log &&
	! grep WATCHDOG notify.log
'

test_expect_success 'a WATCHDOG_PID of another process is not ours to ping for' '
	notify_listen "$TRASH/notify.sock" &&
	NOTIFY_SOCKET="$TRASH/notify.sock" WATCHDOG_USEC=100000 WATCHDOG_PID=1 passd_start --rescan-interval 0 &&
	sleep 0.4 && passd_stop && notify_stop &&
	grep -x READY=1 notify.log && ! grep WATCHDOG notify.log
'

test_expect_success 'SIGHUP says RELOADING=1 then READY=1' '
	notify_listen "$TRASH/notify.sock" &&
	NOTIFY_SOCKET="$TRASH/notify.sock" passd_start --rescan-interval 0 &&
	kill -HUP "$PASSD_PID" && sleep 0.3 && passd_stop && notify_stop &&
	test "$(tr "\n" " " <notify.log)" = "READY=1 RELOADING=1 READY=1 STOPPING=1 "
'

test_expect_success 'the units: Type=notify with a watchdog; passd-early before libvirtd and the network' '
	unit="$top_builddir/systemd/passd.service" && early="$top_builddir/systemd/passd-early.service" &&
	grep -x "Type=notify" "$unit" && grep -x "WatchdogSec=30s" "$unit" &&
	grep -x "After=libvirtd.service passd-early.service" "$unit" &&
	grep -x "Before=libvirtd.service network-pre.target passd.service shutdown.target" "$early" &&
	grep -x "Type=oneshot" "$early" &&
	grep -E "^ExecStart=/.*/passd --apply-bindings" "$early" &&
	grep -x "g passd -" "$top_srcdir/systemd/passd.sysusers" &&
	grep -E "^d /run/passd 0750 root passd" "$top_srcdir/systemd/passd.tmpfiles" &&
	grep -E "^d /var/lib/passd " "$top_srcdir/systemd/passd.tmpfiles"
'

test_expect_success 'systemd-analyze verify accepts the units' '
	command -v systemd-analyze >/dev/null || { say "systemd-analyze missing, not verified"; return 0; }
	mkdir -p units && cp "$top_builddir/systemd/passd.service" "$top_builddir/systemd/passd-early.service" units/ &&
	systemd-analyze verify --man=no units/passd-early.service units/passd.service >verify.out 2>&1;
	cat verify.out;
	! grep -E "passd(-early)?\.service:[0-9]+:" verify.out
'

if [ -x "$SIMLIVE" ] && [ -c /dev/fuse ] && [ "$(id -u)" -eq 0 ] &&
	command -v fusermount3 >/dev/null; then
test_expect_success 'setup: bind the GPU on the live simulator, stop' '
	sim_live_start desktop && passd_start --rescan-interval 0 &&
	api_expect 200 "/v1/devices/$GPU/bind" -X POST &&
	passd_stop
'

test_expect_success 'after a reboot, passd --apply-bindings puts the group back on vfio-pci and exits' '
	sim_live_stop && sim_live_start desktop &&
	sim_driver_is $GPU nvidia &&
	"$PASSD" --config "$TRASH/empty.conf" --sysfs-root "$SYSFS_ROOT" --proc-root "$TRASH/live/proc" \
		--dev-root "$TRASH/live/dev" --db "$TRASH/passd.db" --apply-bindings --foreground >apply.log 2>&1 &&
	cat apply.log &&
	sim_driver_is $GPU vfio-pci && sim_driver_is 0000:01:00.1 vfio-pci &&
	grep "Applied bindings: 0 VF count(s) and 1 binding(s) re-applied" apply.log &&
	! test -e "$TRASH/passd.sock"
'

test_expect_success 'run again, it changes nothing; without a database, it has nothing to do' '
	w=$(grep "^writes=" "$TRASH/live/sim/stats") &&
	"$PASSD" --config "$TRASH/empty.conf" --sysfs-root "$SYSFS_ROOT" --proc-root "$TRASH/live/proc" \
		--dev-root "$TRASH/live/dev" --db "$TRASH/passd.db" --apply-bindings >apply2.log 2>&1 &&
	test "$(grep "^writes=" "$TRASH/live/sim/stats")" = "$w" &&
	"$PASSD" --config "$TRASH/empty.conf" --sysfs-root "$SYSFS_ROOT" --db "$TRASH/none.db" \
		--apply-bindings >apply3.log 2>&1 &&
	grep "nothing to apply" apply3.log && ! test -e "$TRASH/none.db" &&
	sim_live_stop
'
else
	test_skip 'apply-bindings after a reboot' 'the live simulator cannot run here (passd-sim, /dev/fuse, root)'
fi

test_done
