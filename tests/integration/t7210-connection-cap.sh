#!/bin/sh
test_description='the cap on open connections per identity: the 33rd gets 429, other identities are served, closing frees the places'
. "$top_srcdir/tests/lib/test-lib.sh"

# docs/security.md: max-connections-per-identity, 32 by default. Over TCP, as a bearer token:
# on the unix socket root's connections count as uid:0 from accept, whatever token they send.
FLOOD="$top_builddir/tests/net/passd-flood"
HOLD_PID=
trap '[ -n "$HOLD_PID" ] && kill "$HOLD_PID" 2>/dev/null; cleanup' EXIT

# hold_start N TOKEN: N keep-alive connections as TOKEN, each with one request answered, held
# idle by passd-flood until hold.stop exists. Returns once they are all open ("opened" line).
hold_start() {
	rm -f "$TRASH/hold.stop" hold.out
	"$FLOOD" keepalive 127.0.0.1 "${PASSD_URL##*:}" "$1" "$2" "$TRASH/hold.stop" >hold.out &
	HOLD_PID=$!
	_i=0
	until grep -q "^opened " hold.out 2>/dev/null; do
		_i=$((_i + 1))
		if [ $_i -gt 200 ] || ! kill -0 "$HOLD_PID" 2>/dev/null; then
			echo "passd-flood did not open its connections" >&2
			return 1
		fi
		sleep 0.05
	done
	cat hold.out
}

# hold_stop: close the held connections; hold.out says how many passd had kept open.
hold_stop() {
	touch "$TRASH/hold.stop" &&
	wait "$HOLD_PID" &&
	HOLD_PID= &&
	cat hold.out
}

# as TOKEN PATH: GET over TCP with that bearer token only (-q: not the admin's .curlrc); the
# body in ./body, the head in ./head, the status on stdout.
as() {
	curl -q -sS -o body -D head -w '%{http_code}' -H "Authorization: Bearer $1" "$PASSD_URL$2"
}

test_expect_success 'setup: passd with the default limits' '
	sim_new desktop &&
	passd_start &&
	api_expect 200 /v1/health
'

test_expect_success '32 idle keep-alive connections of one token, each answered 200' '
	hold_start 32 "$PASSD_TOKEN_OPERATOR" &&
	grep -qx "opened 32 ok 32" hold.out
'

test_expect_success 'the 33rd connection of that token: 429, a JSON error, and closed' '
	test "$(as "$PASSD_TOKEN_OPERATOR" /v1/health)" = 429 &&
	api_error_is too_many_requests &&
	jq -e ".error.message | contains(\"test-operator\") and contains(\"32 connections\")" body &&
	grep -qi "^Retry-After: 1" head &&
	grep -qi "^Connection: close" head
'

test_expect_success 'other identities are served meanwhile; the token is still at its cap' '
	test "$(as "$PASSD_TOKEN_READER" /v1/health)" = 200 &&
	api_expect 200 /v1/devices &&
	test "$(as "$PASSD_TOKEN_OPERATOR" /v1/devices)" = 429 &&
	api_error_is too_many_requests
'

test_expect_success 'closing the 32 frees their places: the token gets 200 again' '
	hold_stop &&
	grep -qx "still_open 32" hold.out &&
	_i=0 &&
	until test "$(as "$PASSD_TOKEN_OPERATOR" /v1/health)" = 200; do
		_i=$((_i + 1)) &&
		test $_i -le 40 &&
		sleep 0.05 || return 1
	done &&
	jq -e ".status" body
'

test_expect_success 'the cap follows max-connections-per-identity: at 33, the 33rd is served' '
	passd_stop &&
	passd_start --max-connections-per-identity 33 &&
	hold_start 32 "$PASSD_TOKEN_OPERATOR" &&
	grep -qx "opened 32 ok 32" hold.out &&
	test "$(as "$PASSD_TOKEN_OPERATOR" /v1/health)" = 200 &&
	hold_stop &&
	grep -qx "still_open 32" hold.out
'

test_expect_success 'passd stops cleanly' '
	passd_stop
'
test_done
