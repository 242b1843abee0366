#!/bin/sh
# docs-screenshots.sh - regenerate docs/dashboard-desktop.png and docs/dashboard-gpu-server.png:
# a simulated host, passd with libvirt's test driver, one assignment and one bind done through
# the API, the page as an operator sees it. Run like an integration test (not part of `make check`):
#   top_builddir=BUILD top_srcdir=SRC sh tests/web/docs-screenshots.sh
test_description='the screenshots of docs/'
. "$top_srcdir/tests/lib/test-lib.sh"
sim_live_require

. "$top_srcdir/tests/lib/libvirt-test.sh"
test_driver_node gpu-vm ml-train >"$TRASH/node.xml"

# shot PROFILE ASSIGN BIND [DIALOG]: assign ASSIGN to gpu-vm (started), bind BIND, and open
# DIALOG's bind plan in the picture.
shot() {
	sim_live_start "$1" &&
	rm -f "$TRASH"/passd.db* &&
	test_driver_passd &&
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
