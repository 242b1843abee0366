# web-lib.sh - run the dashboard's browser test (tests/web/dashboard.test.js) from an
# integration test, after tests/lib/test-lib.sh:
#
#   . "$top_srcdir/tests/lib/test-lib.sh"
#   . "$top_srcdir/tests/web/web-lib.sh"
#   web_require                          # skip_all without node or chromium
#   test_expect_success 'chromium runs the dashboard test' '
#           sim_new desktop &&
#           web_run_passd web.tap --truth "$TRASH/host/truth" --control
#   '
#   web_report web.tap                   # one TAP test per result of the browser test
#   test_done
#
# Variables here are prefixed web_: test bodies run in the test shell, beside test-lib's own.

WEBTEST_DIR="$top_srcdir/tests/web"
: "${CHROMIUM:=/usr/bin/chromium}"
export CHROMIUM

# web_require: skip the whole file when the browser test cannot run here at all.
web_require() {
	command -v node >/dev/null 2>&1 ||
		skip_all 'node is not installed (scripts/install-deps installs nodejs)'
	web_major=$(node -p 'process.versions.node.split(".")[0]') || web_major=0
	[ "$web_major" -ge 18 ] ||
		skip_all "node $(node --version) is older than 18, which playwright-core 1.61 needs"
	[ -x "$CHROMIUM" ] ||
		skip_all "no chromium at $CHROMIUM (scripts/install-deps installs Debian's chromium)"
	# A release tarball (make distcheck) ships package-lock.json, not node_modules. In a git
	# checkout a missing playwright-core stays a failure, so CI cannot skip in silence.
	[ -d "$WEBTEST_DIR/node_modules/playwright-core" ] || [ -e "$top_srcdir/.git" ] ||
		skip_all "playwright-core is not installed in this source tree (run npm ci in tests/web)"
}

# The browser test's requests to the daemon (dashboard.test.js --control).
web_daemon_stop() {
	passd_stop
}

# The page knows one URL, so passd comes back on the port it had.
web_daemon_start() {
	web_port=${PASSD_URL##*:}
	passd_start --listen "tcp:127.0.0.1:$web_port"
}

web_daemon_pause() {
	kill -STOP "$PASSD_PID"
}

web_daemon_resume() {
	kill -CONT "$PASSD_PID"
}

# web_run_passd TAPFILE [--control] [dashboard.test.js OPTIONS...]: start passd on $TRASH/host
# (with the database it finds in $TRASH), run the browser test against it with its TAP in
# TAPFILE, stop passd. With --control, the test may ask for passd to be stopped, started,
# paused and resumed, and this function does it. Fails when passd cannot start or stop cleanly, or when the browser test did
# not run to its end (its own results are reported by web_report).
web_run_passd() {
	web_tap=$1
	shift
	web_ctl=
	if [ "${1:-}" = --control ]; then
		shift
		web_ctl="$TRASH/web-control"
		rm -rf "$web_ctl" && mkdir "$web_ctl" || return 1
		set -- --control "$web_ctl" "$@"
	fi
	passd_start || return 1
	# The page takes its token from the link's fragment, as a person's bookmark would give it.
	node "$WEBTEST_DIR/dashboard.test.js" "$PASSD_URL/#token=$PASSD_TOKEN_READER" "$@" \
		>"$web_tap" 2>"$web_tap.err" &
	web_node=$!
	web_seq=1
	while kill -0 "$web_node" 2>/dev/null; do
		for web_verb in stop start pause resume; do
			[ -n "$web_ctl" ] && [ -e "$web_ctl/$web_seq.$web_verb" ] || continue
			web_rc=0
			"web_daemon_$web_verb" >>"$web_tap.err" 2>&1 || web_rc=$?
			echo "$web_rc" >"$web_ctl/$web_seq.tmp" && mv "$web_ctl/$web_seq.tmp" "$web_ctl/$web_seq.done"
			web_seq=$((web_seq + 1))
		done
		sleep 0.1
	done
	wait "$web_node"
	web_node_rc=$?
	[ -n "$PASSD_PID" ] && kill -CONT "$PASSD_PID" 2>/dev/null
	passd_stop || return 1
	web_tap_complete "$web_tap" "$web_node_rc"
}

# web_tap_complete TAPFILE RC: the browser test printed a plan and as many results.
web_tap_complete() {
	web_plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$1")
	web_results=$(grep -c -E '^(not )?ok ' "$1")
	if [ -z "$web_plan" ] || { [ "$web_plan" -ne "$web_results" ] && [ "$web_plan" -ne 0 ]; }; then
		echo "dashboard.test.js exited $2 with plan '${web_plan:-none}' and $web_results results:"
		cat "$1"
		echo "its stderr (tail):"
		tail -n 20 "$1.err"
		return 1
	fi
}

# web_report TAPFILE [PREFIX]: one test per result of the browser test, with its diagnostics.
web_report() {
	[ -f "$TRASH/$1" ] || return 0
	while IFS= read -r web_line; do
		case $web_line in
		'1..0 # SKIP'*)
			test_skip "${2:-dashboard}" "${web_line#1..0 # SKIP }"
			;;
		'ok '*' # SKIP '*)
			web_name=${web_line#* - }
			test_skip "${2:-dashboard}: ${web_name%% # SKIP *}" "${web_line##* # SKIP }"
			;;
		'ok '* | 'not ok '*)
			web_ok=${web_line%% *}
			test_expect_success "${2:-dashboard}: ${web_line#* - }" 'test "$web_ok" = ok'
			;;
		'#'*)
			printf '%s\n' "$web_line"
			;;
		esac
	done <"$TRASH/$1"
}
