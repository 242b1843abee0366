#!/bin/sh
test_description='every route, every role: the route table itself is walked (passd --list-routes)'
. "$top_srcdir/tests/lib/test-lib.sh"

# The least role of every route. A route passd serves that is missing here fails the first
# test: give it a role in api/routes.c, then add it here (docs/security.md lists the roles).
cat >"$TRASH/expected.routes" <<'ROUTES'
GET /v1/health reader
GET /v1/devices reader
GET /v1/devices/* reader
POST /v1/devices/*/bind operator
POST /v1/devices/*/unbind operator
POST /v1/devices/*/sriov operator
POST /v1/devices/*/clear admin
GET /v1/groups reader
GET /v1/groups/* reader
GET /v1/host reader
GET /v1/assignments reader
POST /v1/assignments operator
GET /v1/assignments/* reader
DELETE /v1/assignments/* operator
GET /v1/domains reader
POST /v1/domains/*/start operator
POST /v1/domains/*/stop operator
GET /v1/history reader
GET /v1/audit admin
GET /v1/events reader
GET /metrics reader
GET / public
GET /index.html public
GET /app.js public
GET /style.css public
GET /actions.js public
ROUTES

rank() {
	case $1 in
	public) echo 0 ;; reader) echo 1 ;; operator) echo 2 ;; admin) echo 3 ;; *) echo 99 ;;
	esac
}

test_expect_success 'every route has a role, and the one this test expects' '
	"$PASSD" --list-routes >routes &&
	test -s routes &&
	! grep " unset$" routes &&
	sort routes >got && sort expected.routes >want &&
	test_cmp want got
'

test_expect_success 'setup: desktop host, passd with a token per role' '
	sim_new desktop &&
	passd_start &&
	api_expect 200 /v1/devices &&
	jq -r ".devices[0].address" body >addr
'

# call ROLE METHOD PATH: the status of one request as ROLE (anonymous: no token at all).
call() {
	_tok=
	case $1 in
	reader) _tok=$PASSD_TOKEN_READER ;; operator) _tok=$PASSD_TOKEN_OPERATOR ;;
	admin) _tok=$PASSD_TOKEN_ADMIN ;;
	esac
	_url=$PASSD_URL$3
	[ "$2" = GET ] || _url="$_url?dry_run=true"
	_mt= # GET /v1/events streams until the client leaves: its status, then stop
	[ "$3" = /v1/events ] && _mt="--max-time 1"
	if [ -n "$_tok" ]; then
		curl -q -sS -o body -D headers -w "%{http_code}" -X "$2" -H "Authorization: Bearer $_tok" \
			-H "Content-Type: application/json" $_mt ${4:+--data-binary "$4"} "$_url"
	else
		curl -q -sS -o body -D headers -w "%{http_code}" -X "$2" \
			-H "Content-Type: application/json" $_mt ${4:+--data-binary "$4"} "$_url"
	fi 2>curl.err
	_rc=$?
	[ "$_rc" = 28 ] && [ -n "$_mt" ] && return 0
	cat curl.err >&2
	return $_rc
}

test_expect_success 'each route answers each role as its role says' '
	addr=$(cat addr) && (
	# a subshell: exit 1 ends the loop; return would leave test_expect_success unreported
	n=0 &&
	while read -r method pattern need; do
		path=$(echo "$pattern" | sed -e "s|/devices/\*|/devices/$addr|" -e "s|/groups/\*|/groups/0|" \
			-e "s|/assignments/\*|/assignments/1|" -e "s|/domains/\*|/domains/t7100vm|") &&
		body= && [ "$method" = GET ] || body="{}" &&
		for who in anonymous reader operator admin; do
			code=$(call "$who" "$method" "$path" "$body") || exit 1
			have=$(rank "$who") && want=$(rank "$need") &&
			[ "$who" = anonymous ] && have=0
			if [ "$have" -ge "$want" ]; then
				case $code in
				401) echo "$who: $method $path answered 401" >&2; cat body >&2; exit 1 ;;
				403) jq -e ".error.code != \"forbidden\"" body >/dev/null ||
					{ echo "$who: $method $path answered 403 forbidden" >&2; cat body >&2; exit 1; } ;;
				esac
			elif [ "$who" = anonymous ]; then
				[ "$code" = 401 ] && jq -e ".error.code == \"unauthorized\"" body >/dev/null &&
					grep -qi "^WWW-Authenticate: Bearer" headers ||
					{ echo "anonymous: $method $path answered $code, not a 401 with a challenge" >&2; cat body >&2; exit 1; }
			else
				[ "$code" = 403 ] && jq -e ".error.code == \"forbidden\"" body >/dev/null ||
					{ echo "$who: $method $path answered $code, not 403" >&2; cat body >&2; exit 1; }
			fi
			n=$((n + 1))
		done
	done <routes &&
	echo "$n route x role checks" &&
	test "$n" -eq $(( $(wc -l <routes) * 4 ))
	)
'

test_expect_success 'a reader never gets a 200 from a route that changes state' '
	grep -v "^GET " routes >mutating && test -s mutating && (
	while read -r method pattern need; do
		path=$(echo "$pattern" | sed -e "s|\*|x|g") &&
		code=$(call reader "$method" "$path" "{}") &&
		test "$code" = 403 || { echo "$method $path: $code" >&2; exit 1; }
	done <mutating
	)
'

test_expect_success 'refused attempts are in the audit log, with who tried' '
	api_expect 200 "/v1/audit?limit=500" &&
	jq -e "[.entries[] | select(.identity == \"token:test-reader\" and .result == \"refused\" and .status == 403)] | length > 0" body &&
	jq -e "[.entries[] | select(.identity | startswith(\"anonymous:\")) | select(.status == 401)] | length > 0" body &&
	jq -e "[.entries[] | select(.identity == \"token:test-operator\" and .result != \"refused\" and (.target | endswith(\"?dry_run=true\")) and .finished_usec != null)] | length > 0" body
'

test_expect_success 'a bad token is a 401 even on the unix socket of root' '
	code=$(curl -q -sS -o body -w "%{http_code}" --unix-socket "$PASSD_SOCK" \
		-H "Authorization: Bearer not-a-token" http://localhost/v1/health) &&
	test "$code" = 401 && api_error_is unauthorized &&
	code=$(curl -q -sS -o body -w "%{http_code}" --unix-socket "$PASSD_SOCK" http://localhost/v1/audit) &&
	test "$code" = 200 &&
	code=$(curl -q -sS -o body -w "%{http_code}" --unix-socket "$PASSD_SOCK" \
		-H "Authorization: Bearer $PASSD_TOKEN_READER" http://localhost/v1/audit) &&
	test "$code" = 403 && api_error_is forbidden
'

test_expect_success 'force is admin only, even for an operator' '
	code=$(curl -q -sS -o body -w "%{http_code}" -X POST -H "Authorization: Bearer $PASSD_TOKEN_OPERATOR" \
		-H "Content-Type: application/json" -d "{\"force\": true}" \
		"$PASSD_URL/v1/devices/$(cat addr)/bind?dry_run=true") &&
	test "$code" = 403 && api_error_is forbidden && grep -q "force needs the admin role" body
'

test_expect_success 'passd stops cleanly' '
	passd_stop
'
test_done
