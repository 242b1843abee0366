#!/bin/sh
test_description='the dashboard acts: bind and assign from the page with the dry-run plan, a bind through the API shows within a poll, a reader sees no actions, passd away and back'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/web/web-lib.sh"

web_require
sim_live_require

# libvirt's test driver: a fake host with one domain to assign to (as in t6200-assign.sh).
cat >"$TRASH/node.xml" <<-\EOF
<node>
  <cpu><mhz>2000</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>
  <memory>8388608</memory>
  <domain type='test'>
    <name>gpu-vm</name><memory>524288</memory><vcpu>1</vcpu><os><type>hvm</type></os>
    <test:runstate xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>5</test:runstate>
  </domain>
</node>
EOF

# The page's control requests (actions.test.js --control): passd comes back on its port, with libvirt.
web_daemon_start() {
	web_port=${PASSD_URL##*:}
	passd_start --listen "tcp:127.0.0.1:$web_port" --libvirt-uri "test://$TRASH/node.xml"
}

SHOT=${PASSD_SCREENSHOT:-$top_builddir/tests/web/t5300-actions.png}

test_expect_success 'setup: the desktop host live, passd with the libvirt test driver' '
	sim_live_start desktop &&
	passd_start --libvirt-uri "test://$TRASH/node.xml" &&
	i=0 && until curl -sSf -o h.json "$PASSD_URL/v1/health" && jq -e ".libvirt.connected" h.json >/dev/null; do
		i=$((i + 1)) && test $i -lt 100 && sleep 0.05 || return 1; done &&
	jq -e ".caller.role == \"admin\"" h.json
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
