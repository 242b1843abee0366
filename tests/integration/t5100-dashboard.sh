#!/bin/sh
test_description='the dashboard in a real browser: every group of the desktop host, 304 polls, daemon away and back'
. "$top_srcdir/tests/lib/test-lib.sh"
. "$top_srcdir/tests/web/web-lib.sh"

web_require

# The screenshot outlives the trash directory, for people and CI artifacts to look at.
SHOT=${PASSD_SCREENSHOT:-$top_builddir/tests/web/t5100-desktop.png}

test_expect_success 'passd serves the dashboard at /' '
	sim_new desktop &&
	passd_start &&
	api_expect 200 / &&
	grep -q "<script src=\"app.js\"" body &&
	api_expect 200 /app.js &&
	api_expect 200 /style.css &&
	passd_stop
'

test_expect_success 'chromium runs the dashboard test on the desktop host' '
	mkdir -p "$(dirname "$SHOT")" &&
	web_run_passd web.tap --control --truth "$TRASH/host/truth" --screenshot "$SHOT"
'

web_report web.tap desktop
test_done
