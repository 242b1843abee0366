#!/bin/sh
test_description='schema/openapi.yaml: every route of the route table, with its role, and live answers of every route valid against it'
. "$top_srcdir/tests/lib/test-lib.sh"

command -v node >/dev/null 2>&1 || skip_all 'node is not installed (scripts/install-deps installs nodejs)'
[ -d "$top_srcdir/tests/web/node_modules/ajv" ] && [ -d "$top_srcdir/tests/web/node_modules/js-yaml" ] ||
	skip_all 'ajv and js-yaml are not installed (scripts/install-deps runs npm ci in tests/web)'
sim_live_require
. "$top_srcdir/tests/lib/libvirt-test.sh"

SPEC="$top_srcdir/schema/openapi.yaml"
CHECK="node $top_srcdir/tests/web/openapi-check.js $SPEC"

# A route passd serves that the spec lacks (or the other way round, or with another role) fails
# here: describe it in schema/openapi.yaml.
test_expect_success 'the spec has exactly the routes of passd --list-routes, with their roles' '
	"$PASSD" --list-routes | sort >want &&
	test -s want &&
	$CHECK routes | sort >got &&
	test_cmp want got
'

# hit PATTERN METHOD PATH [CURL ARGS...]: one request as admin (test-lib's .curlrc; -q first
# skips it: anonymous, or another token); its answer is a line of ./cases for openapi-check.js.
n=0
hit() {
	_pat=$1 _m=$2 _path=$3
	shift 3
	n=$((n + 1))
	: >"a$n.body"
	_w=$(curl "$@" -sS -X "$_m" -o "a$n.body" -w "%{http_code} %{content_type}" "$PASSD_URL$_path") || return 1
	_ct=${_w#* }
	echo "$_m $_pat ${_w%% *} ${_ct:--} a$n.body" >>cases
	cp "a$n.body" body
}
json() {
	hit "$@" -H "Content-Type: application/json"
}

test_expect_success 'setup: an SR-IOV host live, passd with the libvirt test driver' '
	sim_live_start sriov-host &&
	test_driver_node gpu-vm >"$TRASH/node.xml" &&
	test_driver_passd &&
	: >cases
'

test_expect_success 'every route answers: reads, 304s, errors' '
	hit /v1/health GET /v1/health &&
	etag=$(curl -sS -D - -o /dev/null "$PASSD_URL/v1/health" | sed -n "s/^[Ee][Tt]ag: *//p" | tr -d "\r") &&
	hit /v1/health GET /v1/health -H "If-None-Match: $etag" &&
	hit /v1/devices GET /v1/devices &&
	pf=$(jq -r "[.devices[] | select(.sriov != null and .sriov.total_vfs > 0)][0].address" body) &&
	hit /v1/devices GET "/v1/devices?class=0x02&state=host" &&
	hit /v1/devices GET "/v1/devices?bogus=1" &&
	hit /v1/devices/* GET /v1/devices/$pf &&
	hit /v1/devices/* GET /v1/devices/0000:99:00.0 &&
	hit /v1/devices/* GET /v1/devices/nonsense &&
	hit /v1/groups GET /v1/groups &&
	etag=$(curl -sS -D - -o /dev/null "$PASSD_URL/v1/groups" | sed -n "s/^[Ee][Tt]ag: *//p" | tr -d "\r") &&
	hit /v1/groups GET /v1/groups -H "If-None-Match: $etag" &&
	hit /v1/groups/* GET /v1/groups/1 &&
	hit /v1/groups/* GET /v1/groups/99999 &&
	hit /v1/host GET /v1/host &&
	hit /v1/host GET "/v1/host?x=1" &&
	hit /v1/domains GET /v1/domains &&
	hit /v1/assignments GET /v1/assignments &&
	hit /v1/assignments GET "/v1/assignments?state=active" &&
	hit /v1/history GET /v1/history &&
	hit /v1/history GET "/v1/history?limit=0" &&
	hit /v1/audit GET /v1/audit &&
	hit /v1/audit GET /v1/audit -q -H "Authorization: Bearer $PASSD_TOKEN_READER" &&
	hit /v1/devices GET /v1/devices -q &&
	hit /v1/devices GET /v1/devices -q -H "Authorization: Bearer wrong" &&
	hit / GET / &&
	hit /index.html GET /index.html &&
	hit /app.js GET /app.js &&
	hit /actions.js GET /actions.js &&
	hit /style.css GET /style.css &&
	echo "$pf" >pf
'

test_expect_success 'every change answers: SR-IOV, bind, unbind, assign, domains, release, clear' '
	pf=$(cat pf) &&
	json /v1/devices/*/sriov POST "/v1/devices/$pf/sriov?dry_run=true" -d "{\"num_vfs\":2}" &&
	json /v1/devices/*/sriov POST "/v1/devices/$pf/sriov" -d "{\"num_vfs\":2}" &&
	json /v1/devices/*/sriov POST "/v1/devices/$pf/sriov" -d "{\"num_vfs\":\"two\"}" &&
	vf=$(jq -r ".vfs[0]" a$((n - 1)).body) &&
	test -n "$vf" && test "$vf" != null &&
	hit /v1/devices/*/bind POST "/v1/devices/$vf/bind?dry_run=true" &&
	hit /v1/devices/*/bind POST "/v1/devices/$vf/bind" &&
	json /v1/devices/*/bind POST "/v1/devices/$vf/bind" -d "{\"forse\":true}" &&
	hit /v1/devices/*/unbind POST "/v1/devices/$vf/unbind?dry_run=true" &&
	hit /v1/devices/*/unbind POST "/v1/devices/$vf/unbind" &&
	json /v1/assignments POST "/v1/assignments?dry_run=true" -d "{\"device\":\"$vf\",\"domain\":\"gpu-vm\"}" &&
	json /v1/assignments POST /v1/assignments -H "Idempotency-Key: t8300" -d "{\"device\":\"$vf\",\"domain\":\"gpu-vm\",\"start\":true}" &&
	id=$(jq -r .id body) &&
	json /v1/assignments POST /v1/assignments -d "{\"device\":\"$vf\",\"domain\":\"gpu-vm\"}" &&
	json /v1/assignments POST /v1/assignments -d "{\"device\":\"$vf\",\"domain\":\"no-such-vm\"}" &&
	hit /v1/assignments/* GET /v1/assignments/$id &&
	hit /v1/assignments/* GET /v1/assignments/9999 &&
	hit /v1/domains/*/stop POST "/v1/domains/gpu-vm/stop?dry_run=true" &&
	hit /v1/domains/*/stop POST /v1/domains/gpu-vm/stop &&
	json /v1/domains/*/start POST /v1/domains/gpu-vm/start -d "{\"paused\":true}" &&
	hit /v1/domains/*/stop POST /v1/domains/gpu-vm/stop &&
	hit /v1/domains/*/start POST /v1/domains/no-such-vm/start &&
	hit /v1/assignments/* DELETE /v1/assignments/$id &&
	hit /v1/assignments/* DELETE /v1/assignments/$id &&
	hit /v1/devices/*/clear POST "/v1/devices/$vf/clear" &&
	hit /v1/devices/*/clear POST "/v1/devices/$vf/clear" -q -H "Authorization: Bearer $PASSD_TOKEN_OPERATOR" &&
	hit /metrics GET /metrics &&
	hit /v1/history GET "/v1/history?limit=2" &&
	hit /v1/audit GET "/v1/audit?limit=5"
'

test_expect_success 'GET /v1/events: a text/event-stream' '
	{ curl -sS --max-time 1 -D events.h -o events.body "$PASSD_URL/v1/events"; test $? = 28; } &&
	st=$(sed -n "1s/^HTTP\/1.1 \([0-9]*\).*/\1/p" events.h) &&
	ct=$(sed -n "s/^[Cc]ontent-[Tt]ype: *//p" events.h | tr -d "\r") &&
	echo "GET /v1/events $st $ct events.body" >>cases
'

test_expect_success 'every route of the table was called' '
	"$PASSD" --list-routes | cut -d" " -f1,2 | sort -u >routes &&
	cut -d" " -f1,2 cases | sort -u >called &&
	comm -23 routes called >missing &&
	test_cmp /dev/null missing
'

test_expect_success 'the checker catches an answer that breaks the spec' '
	sed -n "s/^GET \/v1\/devices\/\* 200 .* \(a[0-9]*\.body\)$/\1/p" cases | head -n 1 >f &&
	jq ".state = \"bogus\" | .numa_node = \"x\"" "$(cat f)" >broken.body &&
	echo "GET /v1/devices/* 200 application/json broken.body" >badcase &&
	test_must_fail $CHECK validate badcase >out &&
	grep -q "must be equal to one of the allowed values" out
'

$CHECK validate "$TRASH/cases" >"$TRASH/check.tap" 2>&1
while IFS= read -r line; do
	case $line in
	'ok '* | 'not ok '*)
		ok=${line%% *}
		test_expect_success "valid: ${line#* - }" 'test "$ok" = ok'
		;;
	'#'*) printf '%s\n' "$line" ;;
	esac
done <"$TRASH/check.tap"

test_expect_success 'passd stops cleanly' 'passd_stop'
test_done
