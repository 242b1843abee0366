#!/bin/sh
# docs-screenshots.sh - regenerate docs/dashboard-desktop.png and docs/dashboard-gpu-server.png:
# a simulated host, passd with libvirt's test driver, one assignment and one bind done through
# the API, the page as an operator sees it. Run like an integration test (not part of `make check`):
#   top_builddir=BUILD top_srcdir=SRC sh tests/web/docs-screenshots.sh
test_description='the screenshots of docs/'
. "$top_srcdir/tests/lib/test-lib.sh"
sim_live_require

cat >"$TRASH/node.xml" <<-\EOF
<node>
  <cpu><mhz>2000</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>
  <memory>8388608</memory>
  <domain type='test'>
    <name>gpu-vm</name><memory>524288</memory><vcpu>1</vcpu><os><type>hvm</type></os>
    <test:runstate xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>5</test:runstate>
  </domain>
  <domain type='test'>
    <name>ml-train</name><memory>524288</memory><vcpu>1</vcpu><os><type>hvm</type></os>
    <test:runstate xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>5</test:runstate>
  </domain>
</node>
EOF

# shot PROFILE ASSIGN BIND [DIALOG]: assign ASSIGN to gpu-vm (started), bind BIND, and open
# DIALOG's bind plan in the picture.
shot() {
	sim_live_start "$1" &&
	rm -f "$TRASH"/passd.db* &&
	passd_start --libvirt-uri "test://$TRASH/node.xml" &&
	sleep 1 &&
	curl -sSf -o /dev/null -X POST -H "Content-Type: application/json" \
		-d "{\"device\":\"$2\",\"domain\":\"gpu-vm\",\"start\":true}" "$PASSD_URL/v1/assignments" &&
	curl -sSf -o /dev/null -X POST "$PASSD_URL/v1/devices/$3/bind" &&
	node "$top_srcdir/tests/web/screenshot.js" "$PASSD_URL/#token=$PASSD_TOKEN_OPERATOR" \
		"$top_srcdir/docs/dashboard-$1.png" --height 1300 ${4:+--dialog "$4"} &&
	passd_stop && sim_live_stop
}

test_expect_success 'desktop' 'shot desktop 0000:01:00.0 0000:00:16.0'
test_expect_success 'gpu-server' 'shot gpu-server 0000:03:00.0 0000:04:00.0 0000:43:00.0'
test_done
