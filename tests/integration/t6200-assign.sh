#!/bin/sh
test_description='assignments on the live simulator and the libvirt test driver: assign, release, companions, refusals, idempotency, dry run, quarantine'
. "$top_srcdir/tests/lib/test-lib.sh"

sim_live_require
. "$top_srcdir/tests/lib/libvirt-test.sh"

post() { # post PATH [CURL ARGS...]: status to stdout, body to ./body
	_p=$1
	shift
	api "$_p" -X POST -H "Content-Type: application/json" "$@"
}

del() {
	api "$1" -X DELETE
}

# legacy-vm holds 0000:00:14.2 (group 3) as a hostdev that passd did not add.
test_expect_success 'setup: the desktop profile live, and a test-driver host' '
	sim_live_start desktop &&
	test_driver_node gpu-vm other-vm "legacy-vm hostdev=0000:00:14.2" >"$TRASH/node.xml" &&
	test_driver_passd --op-timeout 3
'

test_expect_success 'a dry run answers the plan (GPU and its HDMI audio) and changes nothing' '
	test "$(post "/v1/assignments?dry_run=true" -d "{\"device\":\"0000:01:00.0\",\"domain\":\"gpu-vm\",\"start\":true}")" = 200 &&
	jq -e ".dry_run == true and .id == null and .devices == [\"0000:01:00.0\",\"0000:01:00.1\"] and .companions == [\"0000:01:00.1\"] and .group == 10" body &&
	jq -e "[.bind[] | .driver_after] == [\"vfio-pci\",\"vfio-pci\"]" body &&
	sim_driver_is 0000:01:00.0 nvidia &&
	sim_driver_is 0000:01:00.1 snd_hda_intel &&
	test -z "$(domain_hostdevs gpu-vm)" &&
	passctl assign 0000:01:00.0 gpu-vm --start --dry-run >out &&
	grep -q "0000:01:00.1" out &&
	test "$(db "SELECT count(*) FROM assignment")" = 0
'

test_expect_success 'passctl assign --start: group on vfio-pci, hostdevs in the domain, running' '
	passctl assign 0000:01:00.0 gpu-vm --start >out &&
	cat out &&
	sim_driver_is 0000:01:00.0 vfio-pci &&
	sim_driver_is 0000:01:00.1 vfio-pci &&
	domain_hostdevs gpu-vm >hd &&
	printf "0000:01:00.0\n0000:01:00.1\n" >want &&
	test_cmp want hd &&
	test "$(domain_state gpu-vm)" = running &&
	api_expect 200 /v1/assignments &&
	jq -e ".assignments | length == 1" body &&
	jq -e ".assignments[0] | .device == \"0000:01:00.0\" and .domain == \"gpu-vm\" and .state == \"active\" and .companions == [\"0000:01:00.1\"] and .started == true and (.created | type == \"string\")" body &&
	test "$(db "SELECT address, domain, state, companions FROM assignment")" = "0000:01:00.0|gpu-vm|active|[\"0000:01:00.1\"]"
'

test_expect_success 'the device objects say assigned, with the assignment' '
	id=$(db "SELECT id FROM assignment WHERE state = '\''active'\''") &&
	api_expect 200 /v1/devices/0000:01:00.1 &&
	jq -e --argjson id "$id" ".state == \"assigned\" and .assignment == {\"id\": \$id, \"domain\": \"gpu-vm\"}" body &&
	api_expect 200 "/v1/devices?state=assigned" &&
	jq -e "[.devices[].address] == [\"0000:01:00.0\",\"0000:01:00.1\"]" body
'

test_expect_success 'the device, and its companion, are refused to anyone else (409)' '
	test "$(post /v1/assignments -d "{\"device\":\"0000:01:00.0\",\"domain\":\"other-vm\"}")" = 409 &&
	api_error_is conflict &&
	jq -e ".error.message | test(\"already assigned\")" body &&
	test "$(post /v1/assignments -d "{\"device\":\"0000:01:00.1\",\"domain\":\"other-vm\"}")" = 409 &&
	api_error_is conflict &&
	test "$(post /v1/assignments -d "{\"device\":\"0000:01:00.1\",\"domain\":\"gpu-vm\"}")" = 409 &&
	api_error_is conflict &&
	test_exit_code 1 passctl assign 0000:01:00.0 other-vm 2>err &&
	grep -q "already assigned" err
'

test_expect_success 'bind and unbind of an assigned group are refused (409)' '
	test "$(post /v1/devices/0000:01:00.0/unbind)" = 409 &&
	api_error_is conflict &&
	sim_driver_is 0000:01:00.0 vfio-pci
'

test_expect_success 'a group whose device sits in another domain would be split (409)' '
	test "$(post /v1/assignments -d "{\"device\":\"0000:00:14.0\",\"domain\":\"gpu-vm\"}")" = 409 &&
	api_error_is conflict &&
	jq -e ".error.message | test(\"split\") and test(\"legacy-vm\")" body &&
	sim_driver_is 0000:00:14.0 xhci_hcd
'

test_expect_success 'a domain that does not exist is a 404, and nothing moved' '
	test "$(post /v1/assignments -d "{\"device\":\"0000:06:00.0\",\"domain\":\"no-such-vm\"}")" = 404 &&
	api_error_is not_found &&
	sim_driver_is 0000:06:00.0 xhci_hcd &&
	test_exit_code 1 passctl assign 0000:06:00.0 no-such-vm
'

test_expect_success 'a host-critical device is a 403 unless forced' '
	test "$(post /v1/assignments -d "{\"device\":\"0000:02:00.0\",\"domain\":\"other-vm\"}")" = 403 &&
	api_error_is host_critical &&
	code=$(curl -q -sS -o body -w "%{http_code}" -X POST -H "Authorization: Bearer $PASSD_TOKEN_OPERATOR" \
		-H "Content-Type: application/json" \
		-d "{\"device\":\"0000:02:00.0\",\"domain\":\"other-vm\",\"force\":true}" \
		"$PASSD_URL/v1/assignments") &&
	test "$code" = 403 &&
	api_error_is forbidden &&
	sim_driver_is 0000:02:00.0 nvme
'

test_expect_success 'bad names, XML metacharacters and bad bodies are a 400' '
	for n in "a<b" "a&b" "x'\''y" "a\"b" "a/b" "" ".hidden" "a b" "$(printf "%065d" 0)"; do
		jq -cn --arg n "$n" "{device: \"0000:06:00.0\", domain: \$n}" >req.json &&
		test "$(post /v1/assignments --data-binary @req.json)" = 400 &&
		api_error_is bad_request || { echo "name [$n]" >&2; return 1; }
	done &&
	test "$(post /v1/assignments -d "{\"device\":\"0000:06:00.0\"}")" = 400 &&
	test "$(post /v1/assignments -d "{\"device\":\"06:00.0\",\"domain\":\"gpu-vm\"}")" = 400 &&
	test "$(post /v1/assignments -d "{\"device\":\"0000:06:00.0\",\"domain\":\"gpu-vm\",\"bogus\":1}")" = 400 &&
	test "$(post /v1/assignments -d "{\"device\":\"0000:06:00.0\",\"domain\":\"gpu-vm\",\"start\":\"yes\"}")" = 400 &&
	test "$(post /v1/assignments -d "{\"device\":\"0000:7f:00.0\",\"domain\":\"gpu-vm\"}")" = 404 &&
	test_exit_code 2 passctl assign 0000:06:00.0 &&
	test_exit_code 2 passctl assign nonsense gpu-vm &&
	sim_driver_is 0000:06:00.0 xhci_hcd
'

test_expect_success 'a release libvirt refuses (no live detach in the test driver) changes nothing' '
	test_exit_code 1 passctl release 0000:01:00.0 2>err &&
	grep -q "detach" err &&
	sim_driver_is 0000:01:00.0 vfio-pci &&
	test "$(domain_hostdevs gpu-vm | wc -l)" = 2 &&
	test "$(db "SELECT state FROM assignment")" = active &&
	api_expect 200 "/v1/history?limit=1" &&
	jq -e ".history[0] | .action == \"release\" and .result == \"failed\"" body &&
	jq -e ".history[0].detail | .total_us > 0 and .timing_us.detach > 0 and .timing_us.passd <= .total_us" body
'

test_expect_success 'passctl release ADDR undoes it all: hostdevs gone, drivers back' '
	test "$(post /v1/domains/gpu-vm/stop)" = 200 &&
	passctl release 0000:01:00.1 >out &&
	cat out &&
	test -z "$(domain_hostdevs gpu-vm)" &&
	sim_driver_is 0000:01:00.0 nvidia &&
	sim_driver_is 0000:01:00.1 snd_hda_intel &&
	test "$(db "SELECT state, released_at IS NOT NULL FROM assignment")" = "released|1" &&
	api_expect 200 /v1/devices/0000:01:00.0 &&
	jq -e ".state == \"host\" and .assignment == null" body
'

test_expect_success 'a released assignment cannot be released again (409); unknown ids 404' '
	id=$(db "SELECT id FROM assignment") &&
	test "$(del "/v1/assignments/$id")" = 409 &&
	api_error_is conflict &&
	test "$(del /v1/assignments/999)" = 404 &&
	api_error_is not_found &&
	test "$(del /v1/assignments/abc)" = 400 &&
	api_expect 200 "/v1/assignments/$id" &&
	jq -e ".state == \"released\" and (.released | type == \"string\")" body
'

test_expect_success 'Idempotency-Key: a retry gets the first answer, another body a 409' '
	test "$(post /v1/assignments -H "Idempotency-Key: k-1" -d "{\"device\":\"0000:01:00.0\",\"domain\":\"other-vm\"}")" = 201 &&
	cp body first.json &&
	printf "asg2\ndevice=0000:01:00.0\ndomain=other-vm\nstart=0\nforce=0\ndry_run=0\n" | sha256sum | cut -d" " -f1 >want &&
	db "SELECT request_hash FROM idempotency WHERE key = '\''k-1'\''" >got &&
	test_cmp want got &&
	test "$(post /v1/assignments -H "Idempotency-Key: k-1" -d "{ \"domain\": \"other-vm\", \"device\": \"0000:01:00.0\" }")" = 201 &&
	test_cmp first.json body &&
	test "$(db "SELECT count(*) FROM assignment WHERE state = '\''active'\''")" = 1 &&
	test "$(post /v1/assignments -H "Idempotency-Key: k-1" -d "{\"device\":\"0000:01:00.0\",\"domain\":\"gpu-vm\"}")" = 409 &&
	api_error_is conflict &&
	jq -e ".error.message | test(\"Idempotency-Key\")" body &&
	test "$(post /v1/assignments -H "Idempotency-Key: bad key" -d "{\"device\":\"0000:01:00.0\",\"domain\":\"gpu-vm\"}")" = 400 &&
	id=$(jq -r .id first.json) &&
	test "$(del "/v1/assignments/$id")" = 200 &&
	sim_driver_is 0000:01:00.0 nvidia
'

test_expect_success 'an Idempotency-Key kept by an older passd (FNV-1a, 16 digits) runs the request again' '
	now=$(($(date +%s) * 1000000)) &&
	sqlite3 "$TRASH/passd.db" "INSERT INTO idempotency (key, request_hash, status, body, created_at) VALUES ('\''old-1'\'', '\''0123456789abcdef'\'', 201, '\''{}'\'', $now)" &&
	test "$(post /v1/assignments -H "Idempotency-Key: old-1" -d "{\"device\":\"0000:01:00.0\",\"domain\":\"other-vm\"}")" = 201 &&
	jq -e ".state == \"active\"" body &&
	test "$(db "SELECT length(request_hash) FROM idempotency WHERE key = '\''old-1'\''")" = 64 &&
	test "$(del "/v1/assignments/$(jq -r .id body)")" = 200 &&
	sim_driver_is 0000:01:00.0 nvidia
'

test_expect_success 'history has every step, newest first, paged' '
	api_expect 200 "/v1/history?limit=2" &&
	jq -e ".history | length == 2" body &&
	jq -e ".history[0] | .action == \"release\" and .actor == \"token:test-admin\" and .result == \"done\" and .drivers_before[\"0000:01:00.0\"] == \"vfio-pci\" and .drivers_after[\"0000:01:00.0\"] == \"nvidia\"" body &&
	next=$(jq -r .next_before body) &&
	api_expect 200 "/v1/history?limit=500&before=$next" &&
	jq -e "[.history[].action] | index(\"assign\") != null" body &&
	jq -e ".history[] | select(.action == \"assign\") | .drivers_after[\"0000:01:00.1\"] == \"vfio-pci\"" body &&
	jq -e "[.history[] | select(.action == \"assign\")] | last | .actor == \"token:test-admin\"" body &&
	api_expect 400 "/v1/history?limit=0" &&
	api_expect 400 "/v1/history?page=x" &&
	passctl history --limit 3 >out &&
	grep -q release out &&
	test_must_fail sqlite3 "$TRASH/passd.db" "DELETE FROM history" 2>err &&
	grep -q "append-only" err
'

test_expect_success 'binds and unbinds of the device routes are in the history too' '
	test "$(post /v1/devices/0000:00:16.0/bind)" = 200 &&
	test "$(post /v1/devices/0000:00:16.0/unbind)" = 200 &&
	api_expect 200 "/v1/history?limit=2" &&
	jq -e "[.history[].action] == [\"unbind\", \"bind\"]" body &&
	jq -e ".history[1] | .target == \"0000:00:16.0\" and .result == \"done\" and .drivers_before[\"0000:00:16.0\"] == \"mei_me\" and .drivers_after[\"0000:00:16.0\"] == \"vfio-pci\"" body
'

# timing_ok PHASE...: the answer in ./body has a timing with every PHASE_ms, each group move's four
# waits on sysfs (PHASE_override_ms...), total_ms and passd_ms, all numbers >= 0; a move's waits
# add up to no more than its phase, the phases to no more than the total, and passd's own share
# plus the waits on sysfs to no more than the total too (0.01 ms for rounding).
timing_ok() {
	jq -e --args "
		.timing as \$t | (\$ARGS.positional | map(select(. == \"bind\" or . == \"unbind\"))) as \$moves |
		([\$t[] | type == \"number\" and . >= 0] | all) and
		(\$ARGS.positional + [\"total\", \"passd\"] | all(. as \$p | \$t | has(\$p + \"_ms\"))) and
		([\$moves[] as \$m | [\"override\", \"unbind\", \"probe\", \"check\"][] | \$m + \"_\" + . + \"_ms\"] |
			all(. as \$k | \$t | has(\$k))) and
		(\$moves | all(. as \$m | ([\"override\", \"unbind\", \"probe\", \"check\"] |
			map(\$t[\$m + \"_\" + . + \"_ms\"]) | add) <= \$t[\$m + \"_ms\"] + 0.01)) and
		([\$ARGS.positional[] | \$t[. + \"_ms\"]] | add) <= \$t.total_ms + 0.01 and
		\$t.passd_ms <= \$t.total_ms and
		([\$t | to_entries[] | select(.key | test(\"^(bind|unbind)_(override|unbind|probe|check)_ms\$\")) | .value] |
			add) + \$t.passd_ms <= \$t.total_ms + 0.01
	" "$@" <body
}

test_expect_success 'timing: each step, the group move'\''s waits on sysfs, and passd'\''s own share' '
	test "$(post /v1/assignments -d "{\"device\":\"0000:01:00.0\",\"domain\":\"gpu-vm\",\"start\":true}")" = 201 &&
	timing_ok check bind attach start &&
	jq -e ".timing.bind_override_ms > 0 and .timing.bind_probe_ms > 0 and .timing.passd_ms > 0" body &&
	echo "timing of an assignment (2 devices, test driver, started): $(jq -c .timing body)" >>"$TRASH/figures" &&
	id=$(jq .id body) &&
	api_expect 200 "/v1/history?limit=1" &&
	jq -e --argjson id "$id" ".history[0] | .assignment_id == \$id and (.detail.timing_us | .bind > 0 and .bind_override > 0 and .passd >= 0)" body &&
	jq -e ".history[0].detail | .timing_us.total == .total_us and .timing_us.passd <= .timing_us.total" body &&
	grep -q "Assigned device '\''0000:01:00.0'\'' (group 10, 2 devices) to domain '\''gpu-vm'\'' as $id in [0-9.]* ms: check [0-9.]*, bind [0-9.]* (sysfs: override [0-9.]*, unbind [0-9.]*, probe [0-9.]*, check [0-9.]*), attach [0-9.]*, start [0-9.]*; passd'\''s own [0-9.]*" "$TRASH/passd.log" &&
	test "$(post /v1/domains/gpu-vm/stop)" = 200 &&
	test "$(del "/v1/assignments/$id")" = 200 &&
	timing_ok detach reset unbind &&
	echo "timing of its release: $(jq -c .timing body)" >>"$TRASH/figures" &&
	api_expect 200 "/v1/history?limit=1" &&
	jq -e ".history[0] | .action == \"release\" and (.detail.timing_us | .unbind_probe > 0 and .passd <= .total)" body &&
	sim_driver_is 0000:01:00.0 nvidia
'

test_expect_success 'passctl assign and release print the timing, the sysfs waits beside their step' '
	passctl assign 0000:01:00.0 other-vm >out &&
	grep "^timing: check [0-9.]*, bind [0-9.]* (sysfs: override [0-9.]*, unbind [0-9.]*, probe [0-9.]*, check [0-9.]*), attach [0-9.]*; total [0-9.]* ms, passd'\''s own [0-9.]* ms\$" out &&
	passctl release 0000:01:00.0 >out &&
	grep "^timing: detach [0-9.]*, reset [0-9.]*, unbind [0-9.]* (sysfs: override [0-9.]*, unbind [0-9.]*, probe [0-9.]*, check [0-9.]*); total [0-9.]* ms, passd'\''s own [0-9.]* ms\$" out &&
	cat out >>"$TRASH/figures" &&
	sim_driver_is 0000:01:00.0 nvidia
'

test_expect_success 'passctl assign --paused starts the domain paused; paused alone is a 400' '
	test "$(post /v1/assignments -d "{\"device\":\"0000:01:00.0\",\"domain\":\"gpu-vm\",\"paused\":true}")" = 400 &&
	api_error_is bad_request &&
	passctl assign 0000:01:00.0 gpu-vm --paused >out &&
	grep -q "domain started paused" out &&
	test "$(domain_state gpu-vm)" = paused &&
	test "$(domain_hostdevs gpu-vm | wc -l)" = 2 &&
	test "$(post /v1/domains/gpu-vm/stop)" = 200 &&
	passctl release 0000:01:00.0 >out &&
	! grep -q "started" out &&
	sim_driver_is 0000:01:00.0 nvidia
'

test_expect_success 'a reset that fails on release quarantines the device; the group stays on vfio-pci' '
	passctl assign 0000:06:00.0 other-vm >out &&
	sim_driver_is 0000:07:00.0 vfio-pci &&
	id=$(db "SELECT id FROM assignment WHERE state = '\''active'\''") &&
	sim_fault "reset:0000:06:00.0:EIO" &&
	test "$(del "/v1/assignments/$id")" = 200 &&
	jq -e ".quarantined[0].address == \"0000:06:00.0\" and (.quarantined[0].reason | test(\"reset\")) and .returned_to_host == false" body &&
	jq -e "[.resets[] | select(.address == \"0000:06:00.0\")][0].result == \"failed\"" body &&
	sim_fault clear &&
	sim_driver_is 0000:06:00.0 vfio-pci &&
	test -z "$(domain_hostdevs other-vm)" &&
	api_expect 200 /v1/devices/0000:06:00.0 &&
	jq -e ".state == \"quarantined\"" body &&
	test "$(db "SELECT address FROM quarantine")" = 0000:06:00.0
'

test_expect_success 'a quarantined device is refused (409) until cleared, and the state survives a restart' '
	test "$(post /v1/assignments -d "{\"device\":\"0000:07:00.0\",\"domain\":\"other-vm\"}")" = 409 &&
	api_error_is conflict &&
	jq -e ".error.message | test(\"quarantined\")" body &&
	passd_stop &&
	test_driver_passd --op-timeout 3 &&
	api_expect 200 /v1/devices/0000:06:00.0 &&
	jq -e ".state == \"quarantined\"" body &&
	test "$(post /v1/devices/0000:06:00.0/clear)" = 200 &&
	jq -e ".result == \"cleared\"" body &&
	test "$(post /v1/devices/0000:06:00.0/clear)" = 404 &&
	api_expect 200 /v1/devices/0000:06:00.0 &&
	jq -e ".state == \"vfio\"" body &&
	test "$(db "SELECT count(*) FROM quarantine")" = 0
'

test_expect_success 'a reset that hangs past --op-timeout quarantines the device' '
	passctl assign 0000:07:00.0 other-vm >out &&
	id=$(db "SELECT id FROM assignment WHERE state = '\''active'\''") &&
	sim_fault "reset:0000:07:00.0:hang=4500:count=1" &&
	test "$(del "/v1/assignments/$id")" = 200 &&
	jq -e ".quarantined[0].address == \"0000:07:00.0\" and (.quarantined[0].reason | test(\"hung\"))" body &&
	_i=0 &&
	until api_expect 200 "/v1/assignments/$id" && jq -e ".state == \"released\"" body >/dev/null; do
		_i=$((_i + 1)) && test $_i -lt 100 || return 1
		sleep 0.1
	done &&
	api_expect 200 /v1/devices/0000:07:00.0 &&
	jq -e ".state == \"quarantined\"" body &&
	passctl --json history >h.json &&
	jq -e "[.history[] | select(.action == \"quarantine\")] | length >= 2" h.json &&
	test "$(post /v1/devices/0000:07:00.0/clear)" = 200
'

# wait_reconciled: the reconcile after libvirt's (re)connection has run.
wait_reconciled() {
	_i=0
	while [ $_i -lt 100 ]; do
		curl -sS -o asg.json "$PASSD_URL/v1/assignments" &&
		jq -e ".drift.checked != null" asg.json >/dev/null && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	echo "no reconcile after 5 s" >&2
	return 1
}

test_expect_success 'reconcile at start: a vanished hostdev detaches the assignment, a foreign one is reported' '
	passctl assign 0000:06:00.0 other-vm >out &&
	id=$(db "SELECT id FROM assignment WHERE state = '\''active'\''") &&
	passd_stop &&
	passd_start --libvirt-uri "test://$TRASH/node.xml" --op-timeout 3 &&
	wait_reconciled &&
	jq -e --argjson id "$id" ".assignments[] | select(.id == \$id) | .state == \"detached\" and (.reason | test(\"other-vm\"))" asg.json &&
	jq -e "[.drift.items[] | select(.kind == \"missing_hostdev\") | .address] == [\"0000:06:00.0\",\"0000:07:00.0\",\"0000:08:00.0\"]" asg.json &&
	jq -e "[.drift.items[] | select(.kind == \"unmanaged_hostdev\")] == [{\"kind\":\"unmanaged_hostdev\",\"address\":\"0000:00:14.2\",\"domain\":\"legacy-vm\",\"assignment_id\":null}]" asg.json &&
	sim_driver_is 0000:06:00.0 vfio-pci &&
	test "$(domain_hostdevs legacy-vm)" = 0000:00:14.2
'

test_expect_success 'reconcile at start: a domain gone orphans the assignment; release gives the group back' '
	awk "/<domain /{b=\$0; d=1; next} d{b=b \"\\n\" \$0; if (/<\\/domain>/) {d=0; if (b !~ /other-vm/) print b}; next} {print}" node.xml >node2.xml &&
	grep -q legacy-vm node2.xml &&
	! grep -q other-vm node2.xml &&
	passd_stop &&
	passd_start --libvirt-uri "test://$TRASH/node2.xml" --op-timeout 3 &&
	wait_reconciled &&
	id=$(db "SELECT id FROM assignment WHERE state = '\''orphaned'\''") &&
	test -n "$id" &&
	jq -e "[.drift.items[] | select(.kind == \"missing_domain\")] | length == 1" asg.json &&
	test "$(del "/v1/assignments/$id")" = 200 &&
	jq -e ".returned_to_host == true and ([.resets[].result] == [\"done\",\"done\",\"done\"])" body &&
	sim_driver_is 0000:06:00.0 xhci_hcd &&
	sim_driver_is 0000:07:00.0 r8169 &&
	sim_driver_is 0000:08:00.0 iwlwifi
'

test_expect_success 'without libvirt: 503 libvirt_unavailable, nothing moved, reads work' '
	passd_stop &&
	passd_start --libvirt-uri none &&
	test "$(post /v1/assignments -d "{\"device\":\"0000:01:00.0\",\"domain\":\"gpu-vm\"}")" = 503 &&
	api_error_is libvirt_unavailable &&
	sim_driver_is 0000:01:00.0 nvidia &&
	api_expect 200 /v1/assignments &&
	jq -e "[.assignments[].state] | all(. == \"released\")" body &&
	api_expect 200 /v1/history
'

test_expect_success 'passd stops cleanly' '
	passd_stop
'

[ -f "$TRASH/figures" ] && sed "s/^/# /" "$TRASH/figures"
test_done
