#!/bin/sh
test_description='the catalogue of bad inputs, while a dashboard-like poller must see no error'
. "$top_srcdir/tests/lib/test-lib.sh"

FLOOD="$top_builddir/tests/net/passd-flood"

# poller_start: GET /v1/devices as the dashboard does (reader token, If-None-Match) every
# 100 ms; each answer's status goes to poll.log. poller_check: it ran, and saw only 200/304.
poller_start() {
	: >poll.log
	(
		etag=
		while [ ! -e poll.stop ]; do
			code=$(curl -q -sS -m 5 -o poll.body -D poll.head -w "%{http_code}" \
				-H "Authorization: Bearer $PASSD_TOKEN_READER" \
				${etag:+-H "If-None-Match: $etag"} "$PASSD_URL/v1/devices" 2>>poll.err) || code=000
			echo "$code" >>poll.log
			e=$(sed -n "s/^[Ee][Tt][Aa][Gg]: *\([^\r]*\).*/\1/p" poll.head)
			[ -n "$e" ] && etag=$e
			sleep "${POLL_SLEEP:-0.1}"
		done
	) &
	POLLER=$!
}
poller_check() {
	touch poll.stop &&
	{ wait "$POLLER" 2>/dev/null || :; } && # its status says nothing: the log does
	n=$(wc -l <poll.log) && bad=$(grep -cv "^\(200\|304\)$" poll.log || :) &&
	echo "poller: $n polls, $bad failed ($(grep -c "^304$" poll.log) were 304)" &&
	test "$n" -ge "${1:-20}" && test "$bad" -eq 0
}

# expect STATUS CODE [-q] CURL-ARGS...: as admin (-q: with no token at all); a JSON error body.
expect() {
	_st=$1 _code=$2 _q=
	shift 2
	[ "$1" = -q ] && _q=-q && shift
	_got=$(curl $_q -sS -o body -w "%{http_code}" "$@") || return 1
	if [ "$_got" != "$_st" ]; then
		echo "expected $_st for $*, got $_got:" >&2
		head -c 300 body >&2
		return 1
	fi
	api_error_is "$_code"
}
J="Content-Type: application/json"

test_expect_success 'setup: passd (header timeout 3 s), and the poller' '
	sim_new desktop &&
	passd_start --header-timeout 3 --rate-limit 1000 --rate-burst 1000 &&
	api_expect 200 /v1/devices &&
	jq -r "[.devices[] | select(.host_critical.critical | not)][0].address" body >addr &&
	poller_start
'

A=
# A test body runs inside test_expect_success: loops run in a subshell and exit 1, since a
# return would leave test_expect_success itself without a result line.
test_expect_success 'PCI addresses: traversal, NUL, overlong, case, missing parts, ranges, spaces' '
	(
		for a in .. "..%2f..%2fetc" "%2e%2e" "0000:00:1f.7%2f..%2f.." "0000:00:1f.0%00" \
			"00000:00:1f.0" "$(head -c 10000 /dev/zero | tr "\0" 0)" "0000:00:1F.0" "65:00.0" \
			"0000:00:1f.8" "0000:00:20.0" "+000:00:1f.0" "%200000:00:1f.0" "0000:00:1f.0%20" \
			"0000:00:1f.0%0a"; do
			st=400 code=bad_request
			[ ${#a} -gt 8000 ] && st=414 code=uri_too_long
			expect $st $code --path-as-is "$PASSD_URL/v1/devices/$a" || exit 1
			expect $st $code --path-as-is -X POST "$PASSD_URL/v1/devices/$a/bind?dry_run=true" || exit 1
		done
	) &&
	# ../.. spans segments: no route has that shape
	expect 404 not_found --path-as-is "$PASSD_URL/v1/devices/../.." &&
	expect 404 not_found --path-as-is -X POST "$PASSD_URL/v1/devices/../../bind" &&
	expect 404 not_found --path-as-is "$PASSD_URL/v1/devices/0000:00:1f.7/../../../etc/passwd"
'

test_expect_success 'domain names: quotes, markup, CDATA end, newline, 10 kB, invalid UTF-8' '
	(
		for d in "a%27b" "a%22b" "a%3Cb" "a%26b" "a%5D%5D%3Eb" "a%0Ab" "a%FF%FEb" "a%C3%28b"; do
			expect 400 bad_request -X POST "$PASSD_URL/v1/domains/$d/start" || exit 1
		done
	) &&
	expect 414 uri_too_long -X POST "$PASSD_URL/v1/domains/$(head -c 10000 /dev/zero | tr "\0" a)/start" &&
	addr=$(cat addr) &&
	(
		for d in "a'"'"'b" "a\"b" "a<b" "a&b" "a]]>b" "a\\nb" "$(head -c 10240 /dev/zero | tr "\0" a)"; do
			printf "{\"device\": \"%s\", \"domain\": \"%s\"}" "$addr" "$d" >dom.json &&
			expect 400 bad_request -X POST -H "$J" --data-binary @dom.json "$PASSD_URL/v1/assignments?dry_run=true" || exit 1
		done
	) &&
	printf "{\"device\": \"%s\", \"domain\": \"a\377b\"}" "$addr" >dom.json &&
	expect 400 bad_request -X POST -H "$J" --data-binary @dom.json "$PASSD_URL/v1/assignments?dry_run=true"
'

test_expect_success 'JSON: duplicate keys, unknown fields, wrong types, overflow, depth, truncation' '
	u="$PASSD_URL/v1/devices/$(cat addr)" &&
	expect 400 bad_request -X POST -H "$J" -d "{\"force\": false, \"force\": true}" "$u/bind?dry_run=true" &&
	expect 400 bad_request -X POST -H "$J" -d "{\"forse\": true}" "$u/bind?dry_run=true" &&
	expect 400 bad_request -X POST -H "$J" -d "{\"force\": \"yes\"}" "$u/bind?dry_run=true" &&
	expect 400 bad_request -X POST -H "$J" -d "[]" "$u/bind?dry_run=true" &&
	expect 400 bad_request -X POST -H "$J" -d "{\"num_vfs\": \"4\"}" "$u/sriov?dry_run=true" &&
	expect 400 bad_request -X POST -H "$J" -d "{\"num_vfs\": 99999999999999999999999}" "$u/sriov?dry_run=true" &&
	expect 400 bad_request -X POST -H "$J" -d "{\"num_vfs\": 1e400}" "$u/sriov?dry_run=true" &&
	expect 400 bad_request -X POST -H "$J" -d "{\"num_vfs\": -1}" "$u/sriov?dry_run=true" &&
	awk "BEGIN { for (i = 0; i < 10000; i++) printf \"[\"; for (i = 0; i < 10000; i++) printf \"]\" }" >deep.json &&
	expect 400 bad_request -X POST -H "$J" --data-binary @deep.json "$u/bind?dry_run=true" &&
	grep -q "deeper than" body &&
	expect 400 bad_request -X POST -H "$J" -d "{\"force\": tr" "$u/bind?dry_run=true" &&
	expect 400 bad_request -X POST -H "$J" -d "{\"device\": \"x\", \"domain\": \"vm\", \"colour\": 1}" "$PASSD_URL/v1/assignments?dry_run=true"
'

test_expect_success 'bodies: 64 MiB and 1 MiB + 1 are 413 unread; chunked 411; wrong type 415' '
	u="$PASSD_URL/v1/devices/$(cat addr)/bind?dry_run=true" &&
	head -c 67108864 /dev/zero >big &&
	expect 413 too_large -X POST -H "$J" --data-binary @big "$u" &&
	head -c 1048577 /dev/zero >big &&
	expect 413 too_large -X POST -H "$J" --data-binary @big "$u" &&
	rm -f big &&
	expect 411 length_required -X POST -H "$J" -H "Transfer-Encoding: chunked" -d "{}" "$u" &&
	expect 415 unsupported_media_type -X POST -H "Content-Type: text/plain" -d "{}" "$u" &&
	expect 415 unsupported_media_type -X POST -d "force=true" "$u" &&
	expect 400 bad_request -H "$J" -X GET -d "{}" "$PASSD_URL/v1/health"
'

test_expect_success 'HTTP: 100 KiB header is 431, 16 KiB URI is 414, wrong method 405, unknown path 404' '
	expect 431 headers_too_large -H "X-Big: $(head -c 102400 /dev/zero | tr "\0" a)" "$PASSD_URL/v1/health" &&
	expect 414 uri_too_long "$PASSD_URL/v1/devices?class=$(head -c 16384 /dev/zero | tr "\0" a)" &&
	expect 405 method_not_allowed -X DELETE "$PASSD_URL/v1/devices" &&
	expect 405 method_not_allowed -X PUT "$PASSD_URL/v1/devices/$(cat addr)/bind" &&
	expect 404 not_found "$PASSD_URL/v1/nothing/here" &&
	expect 404 not_found "$PASSD_URL/etc/passwd"
'

test_expect_success 'query filters are validated' '
	(
		for q in "class=VGA" "group=-1" "group=1e3" "state=busy" "driver=a/b" "colour=red" "class=" "group=99999999999"; do
			expect 400 bad_request "$PASSD_URL/v1/devices?$q" || exit 1
		done
	) &&
	expect 400 bad_request "$PASSD_URL/v1/audit?limit=0" &&
	expect 400 bad_request "$PASSD_URL/v1/audit?limit=100000" &&
	expect 400 bad_request "$PASSD_URL/v1/audit?before=-1" &&
	expect 400 bad_request "$PASSD_URL/v1/audit?page=2"
'

test_expect_success 'Transfer-Encoding with Content-Length is refused; pipelined garbage does not stop passd' '
	port=${PASSD_URL##*:} &&
	printf "POST /v1/devices/%s/bind?dry_run=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n" \
		"$(cat addr)" "$PASSD_TOKEN_ADMIN" >tecl.req &&
	"$FLOOD" raw 127.0.0.1 "$port" tecl.req >tecl.out &&
	head -n 1 tecl.out | grep -q "^HTTP/1.1 400 " &&
	sed -n "/^\r*$/,\$p" tecl.out | tail -n 1 >body && api_error_is bad_request &&
	printf "GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n\001\002GARBAGE \377\376 /../..\r\n\r\nGET / HTTP/1.1\r\n\r\n" \
		"$PASSD_TOKEN_ADMIN" >pipe.req &&
	"$FLOOD" raw 127.0.0.1 "$port" pipe.req >pipe.out &&
	grep -a "^HTTP/1.1 " pipe.out >statuses &&
	cat statuses &&
	head -n 1 statuses | grep -q " 200 " &&
	{ test "$(wc -l <statuses)" -eq 1 || sed -n 2p statuses | grep -q " 4[0-9][0-9] "; } &&
	test "$(wc -l <statuses)" -le 2 &&
	api_expect 200 /v1/health
'

test_expect_success 'tokens: missing, malformed, unknown, wrong role' '
	expect 401 unauthorized -q "$PASSD_URL/v1/devices" &&
	expect 401 unauthorized -q -H "Authorization: Bearer" "$PASSD_URL/v1/devices" &&
	expect 401 unauthorized -q -H "Authorization: Basic YTpi" "$PASSD_URL/v1/devices" &&
	expect 401 unauthorized -q -H "Authorization: Bearer a b" "$PASSD_URL/v1/devices" &&
	expect 401 unauthorized -q -H "Authorization: Bearer ${PASSD_TOKEN_ADMIN}x" "$PASSD_URL/v1/devices" &&
	expect 401 unauthorized -q -H "Authorization: Bearer $(head -c 4000 /dev/zero | tr "\0" a)" "$PASSD_URL/v1/devices" &&
	expect 403 forbidden -q -H "Authorization: Bearer $PASSD_TOKEN_READER" -X POST "$PASSD_URL/v1/devices/$(cat addr)/bind" &&
	expect 403 forbidden -q -H "Authorization: Bearer $PASSD_TOKEN_OPERATOR" "$PASSD_URL/v1/audit"
'

test_expect_success 'a slowloris client is dropped at the header timeout' '
	"$FLOOD" slowloris 127.0.0.1 "${PASSD_URL##*:}" 10 >slow.out &&
	cat slow.out &&
	ms=$(sed -n "s/^closed_after_ms //p" slow.out) &&
	test -n "$ms" && test "$ms" -ge 2500 && test "$ms" -le 6000
'

test_expect_success '10,000 idle connections: all dropped, nobody else stalls' '
	"$FLOOD" idle 127.0.0.1 "${PASSD_URL##*:}" 10000 5 >idle.out &&
	cat idle.out &&
	grep -q "^opened 10000 closed_by_server 10000$" idle.out &&
	api_expect 200 /v1/health
'

test_expect_success 'the rate limit: 429 with Retry-After for one identity, not for others' '
	poller_check && passd_stop && rm -f poll.stop &&
	passd_start --rate-limit 5 --rate-burst 5 &&
	POLL_SLEEP=0.4 && poller_start &&
	seq 30 | xargs -P 30 -I{} curl -q -sS -o "rl.body.{}" -D "rl.head.{}" -w "%{http_code}\n" \
		-H "Authorization: Bearer $PASSD_TOKEN_OPERATOR" "$PASSD_URL/v1/health" >codes &&
	limited=$(grep -c "^429$" codes || :) &&
	echo "$limited of 30 limited" && test "$limited" -ge 10 &&
	f=$(grep -l "^HTTP/1.1 429" rl.head.* | head -n 1) &&
	grep -qi "^Retry-After: [1-9]" "$f" &&
	cp "rl.body.${f#rl.head.}" body && api_error_is too_many_requests &&
	sleep 1 && api_expect 200 /v1/health
'

test_expect_success 'the poller (a reader, at 2.5/s) saw no error, and passd stops cleanly' '
	poller_check 3 &&
	passd_stop
'
test_done
