#!/bin/sh
test_description='the API refuses bad input with the contract'"'"'s JSON errors, and polling is cheap'
. "$top_srcdir/tests/lib/test-lib.sh"

test_expect_success 'setup' '
	sim_new desktop && passd_start &&
	addr=$(curl -sSf "$PASSD_URL/v1/devices" | jq -r ".devices[0].address") &&
	echo "$addr" >addr
'

# Each of these must be a 400 with a JSON body, never a path into sysfs.
for bad in '0000:00:1F.0' '00:1f.0' '0000:00:1f.8' '0000:00:20.0' '00000:00:1f.0' \
	'0000:00:1f.0%0a' '+000:00:1f.0' '%200000:00:1f.0' '..' '..%2f..%2fetc' '%2e%2e' \
	'0000:00:1f.0%00' 'banana' '0000-00-1f.0' "$(printf '%0300d' 0)"; do
	test_expect_success "bad address '$(printf %.24s "$bad")' is a 400 bad_request" '
		api_expect 400 "/v1/devices/'"$bad"'" --path-as-is && api_error_is bad_request
	'
done

test_expect_success 'a well-formed address with no device is a 404 not_found' '
	api_expect 404 /v1/devices/0000:ff:1f.7 && api_error_is not_found
'

test_expect_success 'an unknown path is a JSON 404' '
	api_expect 404 /v1/nothing && api_error_is not_found &&
	api_expect 404 /v1/devices/0000:00:00.0/nothing && api_error_is not_found
'

test_expect_success 'a wrong method is a JSON 405 with Allow' '
	curl -sS -o body -D headers -X DELETE -w "%{http_code}" "$PASSD_URL/v1/devices" >code &&
	test "$(cat code)" = 405 && api_error_is method_not_allowed &&
	grep -qi "^Allow: GET" headers
'

test_expect_success 'clearing a device that is not quarantined is a 404, a bad address a 400' '
	api_expect 404 "/v1/devices/$(cat addr)/clear" -X POST && api_error_is not_found &&
	api_expect 400 "/v1/devices/0000:00:1F.0/clear" -X POST && api_error_is bad_request
'

test_expect_success 'a body over the limit is a 413 before it is read' '
	head -c 1048577 /dev/zero | tr "\0" a >big &&
	api_expect 413 "/v1/devices/$(cat addr)/bind" -X POST -H "Content-Type: application/json" \
		--data-binary @big && api_error_is too_large
'

test_expect_success 'filters: class, driver, group, state' '
	api_expect 200 "/v1/devices?class=0x0c03" &&
	jq -e ".devices | length > 0 and all(.class | startswith(\"0x0c03\"))" body &&
	drv=$(curl -sSf "$PASSD_URL/v1/devices" | jq -r "[.devices[] | select(.driver != null)][0].driver") &&
	api_expect 200 "/v1/devices?driver=$drv" &&
	jq -e --arg d "$drv" ".devices | length > 0 and all(.driver == \$d)" body &&
	api_expect 200 "/v1/devices?group=0" &&
	jq -e ".devices | all(.iommu_group == 0)" body &&
	api_expect 200 "/v1/devices?state=host" &&
	jq -e ".devices | length > 0 and all(.state == \"host\")" body &&
	api_expect 200 "/v1/devices?driver=none" &&
	jq -e ".devices | all(.driver == null)" body
'

for q in 'class=VGA' 'class=0x3' 'group=-1' 'group=x' 'state=busy' 'driver=a/b' 'colour=red' 'class='; do
	test_expect_success "bad filter '$q' is a 400" '
		api_expect 400 "/v1/devices?'"$q"'" && api_error_is bad_request
	'
done

test_expect_success 'a bad group id is a 400, an unknown one a 404' '
	api_expect 400 /v1/groups/abc && api_error_is bad_request &&
	api_expect 400 /v1/groups/-1 && api_error_is bad_request &&
	api_expect 404 /v1/groups/99999 && api_error_is not_found
'

test_expect_success 'ETag and If-None-Match give a 304 with no body' '
	curl -sS -D h1 -o b1 "$PASSD_URL/v1/groups" &&
	etag=$(sed -n "s/^[Ee][Tt]ag: *\(.*\)\r$/\1/p" h1) &&
	test -n "$etag" &&
	code=$(curl -sS -o b2 -w "%{http_code}" -H "If-None-Match: $etag" "$PASSD_URL/v1/groups") &&
	test "$code" = 304 && test ! -s b2 &&
	code=$(curl -sS -o b3 -w "%{http_code}" -H "If-None-Match: \"other\"" "$PASSD_URL/v1/groups") &&
	test "$code" = 200 && test -s b3
'

test_expect_success 'the unfiltered device list has an ETag and honours it' '
	curl -sS -D h1 -o b1 "$PASSD_URL/v1/devices" &&
	etag=$(sed -n "s/^[Ee][Tt]ag: *\(.*\)\r$/\1/p" h1) &&
	code=$(curl -sS -o /dev/null -w "%{http_code}" -H "If-None-Match: $etag" "$PASSD_URL/v1/devices") &&
	test "$code" = 304
'

test_expect_success 'the dashboard is served at /' '
	curl -sSf -D h "$PASSD_URL/" >index.html &&
	grep -qi "^Content-Type: text/html" h &&
	grep -qi "<html" index.html &&
	curl -sSf "$PASSD_URL/app.js" >/dev/null &&
	curl -sSf "$PASSD_URL/style.css" >/dev/null
'

test_expect_success 'HEAD works where GET does' '
	code=$(curl -sS -I -o /dev/null -w "%{http_code}" "$PASSD_URL/v1/health") &&
	test "$code" = 200
'

test_expect_success 'passd is still healthy after all that' '
	api_expect 200 /v1/health && passd_stop
'

test_done
