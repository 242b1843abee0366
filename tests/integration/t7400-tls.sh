#!/bin/sh
test_description='beyond loopback only with TLS and tokens; TLS works; anonymous loopback reading is opt-in'
. "$top_srcdir/tests/lib/test-lib.sh"

command -v openssl >/dev/null || skip_all 'openssl is missing (to make a test certificate)'

test_expect_success 'setup: a host and a self-signed certificate' '
	sim_new desktop &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
		-subj "/CN=127.0.0.1" >/dev/null 2>&1 &&
	test -s cert.pem && test -s key.pem
'

test_expect_success 'tcp:0.0.0.0 is refused without TLS, or without tokens' '
	test_must_fail "$PASSD" --config /dev/null --sysfs-root "$TRASH/host/sys" --db "$TRASH/x.db" \
		--libvirt-uri none --listen tcp:0.0.0.0:0 --token-file "$TRASH/tokens" 2>err &&
	grep -q "beyond loopback, TCP needs TLS" err &&
	test_must_fail "$PASSD" --config /dev/null --sysfs-root "$TRASH/host/sys" --db "$TRASH/x.db" \
		--libvirt-uri none --listen tcp:0.0.0.0:0 --tls-cert cert.pem --tls-key key.pem 2>err &&
	grep -q "beyond loopback, TCP needs TLS" err &&
	test_must_fail "$PASSD" --config /dev/null --sysfs-root "$TRASH/host/sys" --db "$TRASH/x.db" \
		--libvirt-uri none --listen tcp:127.0.0.1:0 --tls-cert cert.pem 2>err &&
	grep -q "needs both tls-cert and tls-key" err
'

test_expect_success 'with TLS and tokens, tcp:0.0.0.0 serves HTTPS, and only HTTPS' '
	passd_start --listen tcp:0.0.0.0:0 --tls-cert "$TRASH/cert.pem" --tls-key "$TRASH/key.pem" &&
	port=$(sed -n "s/.*Listening on tcp:0\.0\.0\.0:\([0-9]*\) (TLS).*/\1/p" passd.log) &&
	test -n "$port" &&
	code=$(curl -sS --cacert cert.pem -o body -w "%{http_code}" "https://127.0.0.1:$port/v1/health") &&
	test "$code" = 200 &&
	code=$(curl -q -sS --cacert cert.pem -o body -w "%{http_code}" "https://127.0.0.1:$port/v1/health") &&
	test "$code" = 401 && api_error_is unauthorized &&
	test_must_fail curl -sS -m 5 -o /dev/null "http://127.0.0.1:$port/v1/health" &&
	# every tcp: listener speaks TLS then, the loopback one too
	lport=${PASSD_URL##*:} &&
	code=$(curl -sS --cacert cert.pem -o body -w "%{http_code}" "https://127.0.0.1:$lport/v1/health") &&
	test "$code" = 200 &&
	passd_stop
'

test_expect_success 'a token file anyone can write is refused; a bad line names itself' '
	cp tokens open-tokens && chmod o+w open-tokens &&
	test_must_fail "$PASSD" --config /dev/null --sysfs-root "$TRASH/host/sys" --db "$TRASH/x.db" \
		--libvirt-uri none --listen tcp:127.0.0.1:0 --token-file "$TRASH/open-tokens" 2>err &&
	grep -q "anyone can write it" err &&
	echo "x nobody 00" >bad-tokens &&
	test_must_fail "$PASSD" --config /dev/null --sysfs-root "$TRASH/host/sys" --db "$TRASH/x.db" \
		--libvirt-uri none --listen tcp:127.0.0.1:0 --token-file "$TRASH/bad-tokens" 2>err &&
	grep -q "line 1: role must be reader, operator or admin" err
'

test_expect_success 'allow-anonymous-loopback reader: tokenless loopback reads, never writes' '
	passd_start --allow-anonymous-loopback reader &&
	code=$(curl -q -sS -o body -w "%{http_code}" "$PASSD_URL/v1/devices") && test "$code" = 200 &&
	addr=$(jq -r ".devices[0].address" body) &&
	code=$(curl -q -sS -o body -w "%{http_code}" -X POST "$PASSD_URL/v1/devices/$addr/bind") &&
	test "$code" = 403 && api_error_is forbidden &&
	code=$(curl -q -sS -o body -w "%{http_code}" "$PASSD_URL/v1/audit") && test "$code" = 403 &&
	test_must_fail "$PASSD" --config /dev/null --sysfs-root "$TRASH/host/sys" --db "$TRASH/x.db" \
		--libvirt-uri none --listen tcp:127.0.0.1:0 --allow-anonymous-loopback operator 2>err &&
	grep -q "none or reader" err &&
	passd_stop
'
test_done
