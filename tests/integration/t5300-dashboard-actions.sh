#!/bin/sh
test_description='the dashboard acts: bind and assign from the page with the dry-run plan, a bind through the API shows within a poll, a reader sees no actions, passd away and back'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/web/web-lib.sh"

web_require
sim_live_require

. "$top_srcdir/tests/lib/libvirt-test.sh"

# The page's control requests (actions.test.js --control): passd comes back on its port, with libvirt.
web_daemon_start() {
	web_port=${PASSD_URL##*:}
	passd_start --listen "tcp:127.0.0.1:$web_port" --libvirt-uri "test://$TRASH/node.xml"
}

SHOT=${PASSD_SCREENSHOT:-$top_builddir/tests/web/t5300-actions.png}

test_expect_success 'setup: the desktop host live, passd with the libvirt test driver' '
	sim_live_start desktop &&
	test_driver_node gpu-vm >"$TRASH/node.xml" &&
	test_driver_passd &&
	jq -e ".caller.role == \"admin\"" health.json
'

test_expect_success 'chromium drives the actions' '
	mkdir -p "$(dirname "$SHOT")" "$TRASH/ctl" &&
	{ node "$WEBTEST_DIR/actions.test.js" "$PASSD_URL/" --control "$TRASH/ctl" --screenshot "$SHOT" \
		>web.tap 2>web.tap.err & } &&
	node_pid=$! &&
	seq=1 &&
	while kill -0 $node_pid 2>/dev/null; do
		for verb in stop start; do
			[ -e "$TRASH/ctl/$seq.$verb" ] || continue
			rc=0 && "web_daemon_$verb" >>web.tap.err 2>&1 || rc=$?
			echo $rc >"$TRASH/ctl/$seq.tmp" && mv "$TRASH/ctl/$seq.tmp" "$TRASH/ctl/$seq.done"
			seq=$((seq + 1))
		done
		sleep 0.1
	done
	wait $node_pid
	web_tap_complete web.tap $?
'
web_report web.tap actions

test_expect_success 'the history holds the page'"'"'s bind and assignment' '
	api_expect 200 "/v1/history?limit=50" &&
	jq -e "[.history[] | .action] | (index(\"bind\") != null) and (index(\"assign\") != null)" body
'

test_expect_success 'passd stops cleanly' 'passd_stop'
test_done
