#!/bin/sh
test_description='a real libvirtd with QEMU (TCG): domains, start and stop, libvirtd killed and restarted'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/lib/libvirt-lib.sh"

# Unique per run: libvirt names cgroups after the domain, and two runs may share the host.
DOM=tiny$$

# stream_start: GET /v1/domains and /v1/health in a loop, "STATUS what" lines in stream.log,
# until stream.stop exists. A function, so that "&" sends this loop alone to the background.
stream_start() {
	rm -f stream.stop
	(
		while [ ! -e stream.stop ]; do
			curl -sS -m 3 -o /dev/null -w "%{http_code} domains\n" "$PASSD_URL/v1/domains"
			curl -sS -m 3 -o /dev/null -w "%{http_code} health\n" "$PASSD_URL/v1/health"
			sleep 0.02
		done
	) >stream.log 2>&1 &
	STREAM_PID=$!
}

now() { date +%s.%N; }
# figure TEXT: a measured figure, printed inside the test and again at the end of the file.
figure() {
	say "$*"
	echo "$*" >>"$TRASH/figures"
}
ms_since() { echo "$1 $(now)" | awk '{ printf "%d", ($2 - $1) * 1000 }'; }

post() {
	_p=$1
	shift
	api "$_p" -X POST "$@"
}

test_expect_success 'setup: a private libvirtd, a tiny TCG domain, passd connected to it' '
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
	t0=$(now) &&
	vsh define dom.xml >/dev/null &&
	figure "define (QEMU capability probe when not cached): $(ms_since $t0) ms" &&
	sim_new desktop &&
	passd_start --libvirt-uri "$LV_URI" &&
	wait_libvirt true 5
'

test_expect_success 'GET /v1/domains shows the domain libvirt has' '
	api_expect 200 /v1/domains &&
	jq -e ".domains | length == 1" body &&
	jq -e ".domains[0] | .name == \"$DOM\" and .state == \"shutoff\" and .persistent == true and .hostdevs == []" body &&
	test "$(jq -r .domains[0].uuid body)" = "$(vsh domuuid $DOM)"
'

test_expect_success 'start through the API runs QEMU' '
	t0=$(now) &&
	test "$(post /v1/domains/$DOM/start)" = 200 &&
	wall=$(ms_since $t0) &&
	jq -e ".result == \"done\" and .domain.state == \"running\"" body &&
	figure "start: $(jq .duration_ms body) ms in libvirt, $wall ms over HTTP" &&
	test "$(vsh domstate $DOM)" = running &&
	test -f "$LV/run/libvirt/qemu/$DOM.pid" &&
	kill -0 "$(cat "$LV/run/libvirt/qemu/$DOM.pid")"
'

test_expect_success 'the loop keeps answering while a start or stop runs on a worker' '
	( curl -sS -o stop.body -w "%{http_code}" -X POST "$PASSD_URL/v1/domains/$DOM/stop" >stop.code ) &
	sleep 0.1 &&
	t0=$(now) &&
	api_expect 200 /v1/health &&
	test "$(ms_since $t0)" -lt 500 &&
	wait $! &&
	test "$(cat stop.code)" = 200 &&
	test "$(vsh domstate $DOM)" = "shut off"
'

test_expect_success 'stop through the API forces it off' '
	test "$(post /v1/domains/$DOM/start)" = 200 &&
	t0=$(now) &&
	test "$(post /v1/domains/$DOM/stop)" = 200 &&
	wall=$(ms_since $t0) &&
	jq -e ".result == \"done\" and .state_before == \"running\" and .domain.state == \"shutoff\"" body &&
	figure "stop: $(jq .duration_ms body) ms in libvirt, $wall ms over HTTP" &&
	test "$(vsh domstate $DOM)" = "shut off"
'

test_expect_success 'a domain with a PCI hostdev fails to start here with libvirt'"'"'s reason' '
	sed -e "s/>$DOM</>hd-$DOM</" -e "s|<memballoon model=\"none\"/>|&<hostdev mode=\"subsystem\" type=\"pci\" managed=\"no\"><source><address domain=\"0x0000\" bus=\"0xfe\" slot=\"0x1f\" function=\"0x7\"/></source></hostdev>|" dom.xml >hd.xml &&
	vsh define hd.xml >/dev/null &&
	api_expect 200 /v1/domains &&
	jq -e ".domains[] | select(.name == \"hd-$DOM\") | .hostdevs == [{\"address\":\"0000:fe:1f.7\",\"managed\":false}]" body &&
	test "$(post /v1/domains/hd-$DOM/start)" = 409 &&
	api_error_is conflict &&
	jq -r .error.message body >msg &&
	grep -q "hd-$DOM" msg &&
	grep -Eq "passthrough|PCI|vfio" msg &&
	test "$(vsh domstate hd-$DOM)" = "shut off" &&
	vsh undefine hd-$DOM >/dev/null
'

test_expect_success 'libvirtd killed and restarted during a stream of requests' '
	test "$(post /v1/domains/$DOM/start)" = 200 &&
	stream_start &&
	sleep 0.5 &&
	t_kill=$(now) &&
	lv_kill KILL &&
	wait_libvirt false 2 &&
	lost_ms=$(ms_since $t_kill) &&
	jq -e ".status == \"degraded\"" health.json &&
	api_expect 503 /v1/domains &&
	api_error_is libvirt_unavailable &&
	api_expect 200 /v1/devices &&
	sleep 1 &&
	t_restart=$(now) &&
	lv_start &&
	up_ms=$(ms_since $t_restart) &&
	t_up=$(now) &&
	wait_libvirt true 5 &&
	back_ms=$(ms_since $t_up) &&
	total_ms=$(ms_since $t_restart) &&
	: >stream.stop && wait $STREAM_PID &&
	figure "degraded $lost_ms ms after the kill; libvirtd answered $up_ms ms after its restart; passd connected $back_ms ms after that ($total_ms ms after the restart)" &&
	jq -e ".status == \"ok\" and .libvirt.retries == 0 and .libvirt.error == null" health.json &&
	kill -0 "$PASSD_PID" &&
	test -s stream.log &&
	figure "stream: $(sort stream.log | uniq -c | tr "\n" ";")" &&
	! grep -v -E "^(200|503) domains$|^200 health$" stream.log &&
	grep -q "^503 domains" stream.log
'

test_expect_success 'after the restart the domain is still there and still running' '
	api_expect 200 /v1/domains &&
	jq -e ".domains[0] | .name == \"$DOM\" and .state == \"running\"" body &&
	test "$(post /v1/domains/$DOM/stop)" = 200 &&
	jq -e ".domain.state == \"shutoff\"" body &&
	grep -q "Lost the libvirt connection" "$TRASH/passd.log" &&
	grep -q "Connected to libvirt at .* again" "$TRASH/passd.log"
'

test_expect_success 'a libvirtd that stops answering (SIGSTOP) is dropped by the keepalive' '
	t_stop=$(now) &&
	kill -STOP "$LV_PID" &&
	t0=$(now) &&
	api_expect 200 /v1/health &&
	test "$(ms_since $t0)" -lt 2000 &&
	wait_libvirt false 10 &&
	figure "a silent libvirtd is noticed after $(ms_since $t_stop) ms (keepalive: 2 s interval, 2 missed)" &&
	t0=$(now) &&
	api_expect 503 /v1/domains &&
	test "$(ms_since $t0)" -lt 2000 &&
	kill -CONT "$LV_PID" &&
	t_cont=$(now) &&
	wait_libvirt true 5 &&
	figure "connected again $(ms_since $t_cont) ms after SIGCONT" &&
	api_expect 200 /v1/domains
'

test_expect_success 'libvirtd stopped for good: passd keeps serving and stops cleanly' '
	lv_kill TERM &&
	wait_libvirt false 2 &&
	api_expect 200 /v1/health &&
	api_expect 503 /v1/domains &&
	passd_stop
'

if [ -f "$TRASH/figures" ]; then
	while read -r line; do say "$line"; done <"$TRASH/figures"
fi
test_done
