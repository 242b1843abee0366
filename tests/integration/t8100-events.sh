#!/bin/sh
test_description='GET /v1/events: binds, unbinds and VF changes arrive in order; a stalled client stalls nobody'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require
command -v python3 >/dev/null || skip_all "python3 is missing (the stalled client)"

GPU=0000:01:00.0 # desktop: nvidia, with its audio function 0000:01:00.1 in group 10
ICE=0000:4b:00.0 # sriov-host: ice, 64 of 128 VFs enabled

# wait_for FILE PATTERN: until grep finds PATTERN in FILE, 10 s at most.
wait_for() {
	_i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -gt 200 ] && { echo "no '$2' in $1 after 10 s:" >&2; cat "$1" >&2; return 1; }
		sleep 0.05
	done
}

test_expect_success 'setup: desktop on the live simulator, two followers' '
	sim_live_start desktop && passd_start --rescan-interval 0 &&
	{ passctl events --json >json.out 2>json.err & echo $! >json.pid; } &&
	{ passctl events >human.out 2>human.err & echo $! >human.pid; } &&
	wait_for json.out "^" 2>/dev/null; sleep 0.3 &&
	kill -0 "$(cat json.pid)" && kill -0 "$(cat human.pid)"
'

test_expect_success 'the stream is text/event-stream and starts at once' '
	curl -sS -D head -o first --max-time 1 "$PASSD_URL/v1/events"; rc=$? &&
	test $rc = 28 &&
	grep -qi "^content-type: text/event-stream" head &&
	grep -qi "^cache-control: no-cache" head &&
	grep -q "^: passd events" first
'

test_expect_success 'a reader token may follow the stream; no token may not' '
	curl -q -sS -o /dev/null -w "%{http_code}" --max-time 1 \
		-H "Authorization: Bearer $PASSD_TOKEN_READER" "$PASSD_URL/v1/events" >code; \
	test "$(cat code)" = 200 &&
	curl -q -sS -o /dev/null -w "%{http_code}" --max-time 2 "$PASSD_URL/v1/events" >code &&
	test "$(cat code)" = 401
'

test_expect_success 'bind then unbind: device_bound then device_unbound, in order' '
	api_expect 200 "/v1/devices/$GPU/bind" -X POST &&
	api_expect 200 "/v1/devices/$GPU/unbind" -X POST &&
	wait_for json.out device_unbound &&
	jq -s -e "map(select(.type | test(\"^device_(un)?bound$\"))) | map(.type) == [\"device_bound\", \"device_unbound\"]" json.out &&
	jq -s -e "map(.id) | . == (sort) and (. | unique | length) == length" json.out &&
	jq -s -e ".[0].data.devices | map(.address) == [\"0000:01:00.0\", \"0000:01:00.1\"]" json.out &&
	jq -s -e ".[0].data.devices | map(.driver) == [\"vfio-pci\", \"vfio-pci\"]" json.out &&
	jq -s -e ".[1].data.devices | map(.driver) == [\"nvidia\", \"snd_hda_intel\"]" json.out
'

test_expect_success 'passctl events prints one line per event for people' '
	wait_for human.out device_unbound &&
	grep -E "^[0-9:]{8} device_bound 0000:01:00.0 .*devices=0000:01:00.0,0000:01:00.1" human.out &&
	grep -E "^[0-9:]{8} device_unbound 0000:01:00.0 " human.out &&
	test "$(wc -l <human.out)" = 2
'

test_expect_success 'a dry run and an unchanged bind publish nothing' '
	n=$(wc -l <json.out) &&
	api_expect 200 "/v1/devices/$GPU/bind?dry_run=true" -X POST &&
	api_expect 200 "/v1/devices/$GPU/unbind" -X POST &&
	sleep 0.3 &&
	test "$(wc -l <json.out)" = "$n"
'

test_expect_success 'Last-Event-ID replays what a client missed' '
	curl -sS -o replay --max-time 1 -H "Last-Event-ID: 1" "$PASSD_URL/v1/events"; \
	grep "^id: 2$" replay && ! grep "^id: 1$" replay && grep "^event: device_unbound" replay
'

test_expect_success 'stopping passd ends every stream, and passd exits 0' '
	passd_stop &&
	wait "$(cat json.pid)"; wait "$(cat human.pid)"; true
'

test_expect_success 'setup: sriov-host, a follower and a client that never reads' '
	sim_live_start sriov-host && passd_start --rescan-interval 0 &&
	{ passctl events --json >vf.out 2>vf.err & echo $! >vf.pid; } &&
	cat >stalled.py <<-\EOF &&
	import os, socket, sys, time
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
	host, port = sys.argv[1].split("//")[1].split(":")
	s.connect((host, int(port)))
	s.sendall(("GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % os.environ["PASSD_TOKEN_READER"]).encode())
	open("stalled.ready", "w").close()
	while not os.path.exists("stalled.go"):
	    time.sleep(0.05)
	s.settimeout(1.0)
	out = open("stalled.out", "wb")
	try:
	    while True:
	        b = s.recv(65536)
	        if not b:
	            break
	        out.write(b)
	except socket.timeout:
	    pass
	EOF
	{ python3 stalled.py "$PASSD_URL" & echo $! >stalled.pid; } &&
	wait_for stalled.ready "" 2>/dev/null; test -e stalled.ready && sleep 0.3
'

test_expect_success 'VF changes (over a ring of events) reach the follower while one client stalls' '
	for n in 0 128 0 128 0 128 0 128 0 64; do
		api_expect 200 "/v1/devices/$ICE/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": $n}" || return 1
	done &&
	wait_for vf.out "\"num_vfs\":64" &&
	test "$(jq -s "map(select(.type == \"sriov_changed\")) | length" vf.out)" = 10 &&
	test "$(jq -s "map(select(.type == \"device_added\")) | length" vf.out)" = 576 &&
	test "$(jq -s "map(select(.type == \"device_removed\")) | length" vf.out)" = 576 &&
	jq -s -e "map(.id) | . == (sort) and (. | unique | length) == length" vf.out &&
	! grep resync vf.out
'

# Kernel buffers on loopback may hold the whole burst, so the client sees either every event
# or, when it fell a ring behind, a resync; never a cut or reordered stream.
test_expect_success 'the stalled client, once it reads, gets whole events in order, or a resync' '
	touch stalled.go && wait "$(cat stalled.pid)" &&
	sed -n "s/^id: //p" stalled.out >ids &&
	sort -n ids >ids.sorted && test_cmp ids.sorted ids &&
	if grep -aq "^event: resync" stalled.out; then
		say "the stalled client was told to resync after $(wc -l <ids) events"
	else
		test "$(wc -l <ids)" = "$(jq -s length vf.out)"
	fi &&
	api_expect 200 "/v1/devices/$ICE/sriov" -X POST -H "Content-Type: application/json" -d "{\"num_vfs\": 0}" &&
	wait_for vf.out "\"num_vfs\":0}" &&
	passd_stop
'

test_done
