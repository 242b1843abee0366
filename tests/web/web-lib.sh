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
# test-lib.sh runs each test body in a subshell, so passd is started, driven and stopped by
# web_run_passd inside one body: the subshell that started it is the only one that can wait(1)
# for it.

WEBTEST_DIR="$top_srcdir/tests/web"
: "${CHROMIUM:=/usr/bin/chromium}"
export CHROMIUM

# web_require: skip the whole file when the browser test cannot run here at all.
web_require() {
	command -v node >/dev/null 2>&1 ||
		skip_all 'node is not installed (scripts/install-deps installs nodejs)'
	_major=$(node -p 'process.versions.node.split(".")[0]') || _major=0
	[ "$_major" -ge 20 ] ||
		skip_all "node $(node --version) is older than 20, which playwright-core needs"
	[ -x "$CHROMIUM" ] ||
		skip_all "no chromium at $CHROMIUM (scripts/install-deps installs Debian's chromium)"
}

# The browser test's requests to the daemon (dashboard.test.js --control).
web_daemon_stop() {
	passd_stop
}

# The page knows one URL, so passd comes back on the port it had.
web_daemon_start() {
	_port=${PASSD_URL##*:}
	mv "$TRASH/passd.log" "$TRASH/passd.log.$web_seq" &&
	passd_start --listen "tcp:127.0.0.1:$_port"
}

web_daemon_pause() {
	kill -STOP "$PASSD_PID"
}

web_daemon_resume() {
	kill -CONT "$PASSD_PID"
}

# web_run_passd TAPFILE [--control] [dashboard.test.js OPTIONS...]: start passd on
# $TRASH/host, run the browser test against it with its TAP in TAPFILE, stop passd. With
# --control, the test may ask for passd to be stopped, started, paused and resumed, and this
# function does it. Fails when passd cannot start or stop cleanly, or when the browser test did
# not run to its end (its own results are reported by web_report).
web_run_passd() {
	_tap=$1
	shift
	_ctl=
	if [ "${1:-}" = --control ]; then
		shift
		_ctl="$TRASH/web-control"
		rm -rf "$_ctl" && mkdir "$_ctl" || return 1
		set -- --control "$_ctl" "$@"
	fi
	passd_start || return 1
	node "$WEBTEST_DIR/dashboard.test.js" "$PASSD_URL/" "$@" >"$_tap" 2>"$_tap.err" &
	_node=$!
	web_seq=1
	while kill -0 "$_node" 2>/dev/null; do
		for _verb in stop start pause resume; do
			[ -n "$_ctl" ] && [ -e "$_ctl/$web_seq.$_verb" ] || continue
			_rc=0
			"web_daemon_$_verb" >>"$_tap.err" 2>&1 || _rc=$?
			echo "$_rc" >"$_ctl/$web_seq.tmp" && mv "$_ctl/$web_seq.tmp" "$_ctl/$web_seq.done"
			web_seq=$((web_seq + 1))
		done
		sleep 0.1
	done
	wait "$_node"
	_node_rc=$?
	[ -n "$PASSD_PID" ] && kill -CONT "$PASSD_PID" 2>/dev/null
	passd_stop || return 1
	web_tap_complete "$_tap" "$_node_rc"
}

# web_tap_complete TAPFILE RC: the browser test printed a plan and as many results.
web_tap_complete() {
	_plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$1")
	_results=$(grep -c -E '^(not )?ok ' "$1")
	if [ -z "$_plan" ] || { [ "$_plan" -ne "$_results" ] && [ "$_plan" -ne 0 ]; }; then
		echo "dashboard.test.js exited $2 with plan '${_plan:-none}' and $_results results:"
		cat "$1"
		echo "its stderr (tail):"
		tail -n 20 "$1.err"
		return 1
	fi
}

# web_report TAPFILE [PREFIX]: one test per result of the browser test, with its diagnostics.
web_report() {
	[ -f "$TRASH/$1" ] || return 0
	while IFS= read -r _line; do
		case $_line in
		'1..0 # SKIP'*)
			test_skip "${2:-dashboard}" "${_line#1..0 # SKIP }"
			;;
		'ok '*' # SKIP '*)
			_name=${_line#* - }
			test_skip "${2:-dashboard}: ${_name%% # SKIP *}" "${_line##* # SKIP }"
			;;
		'ok '* | 'not ok '*)
			web_ok=${_line%% *}
			test_expect_success "${2:-dashboard}: ${_line#* - }" 'test "$web_ok" = ok'
			;;
		'#'*)
			printf '%s\n' "$_line"
			;;
		esac
	done <"$TRASH/$1"
}
