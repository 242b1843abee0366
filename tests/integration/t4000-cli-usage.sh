#!/bin/sh
test_description='passctl: usage errors exit 2 before anything is sent, an absent daemon exits 3'
. "$top_srcdir/tests/lib/test-lib.sh"

# Nothing listens here: a command that got as far as connecting would exit 3, not 2.
NOSOCK="$TRASH/no-such-dir/passd.sock"
unset PASSCTL_URL PASSCTL_TOKEN

pc() {
	"$PASSCTL" --socket "$NOSOCK" "$@"
}

# usage_fails CMD...: exit 2, nothing on stdout, a hint to --help on stderr.
usage_fails() {
	test_exit_code 2 "$@" >out 2>err &&
	test ! -s out &&
	grep -q "^passctl: " err &&
	grep -q -- "--help" err
}

test_expect_success 'passctl was built' '
	test -x "$PASSCTL"
'

test_expect_success '--help lists every command, the options and the exit codes' '
	"$PASSCTL" --help >out &&
	for c in status devices groups show bind unbind assign release domains check sriov \
		history events; do
		grep -q "^  $c" out || { echo "missing $c" >&2; return 1; }
	done &&
	grep -q -- "--socket PATH" out &&
	grep -q -- "--url URL" out &&
	grep -q -- "--token TOKEN" out &&
	grep -q -- "--json" out &&
	grep -q -- "--timeout SECS" out &&
	grep -q "PASSCTL_URL" out &&
	grep -q "PASSCTL_TOKEN" out &&
	grep -q "0 done, 1 refused by the server, 2 usage error, 3 cannot reach passd" out
'

test_expect_success '-h and help are --help' '
	"$PASSCTL" --help >want &&
	"$PASSCTL" -h >got1 &&
	"$PASSCTL" help >got2 &&
	test_cmp want got1 &&
	test_cmp want got2
'

test_expect_success '--version prints the package version' '
	"$PASSCTL" --version >out &&
	grep -Eq "^passctl [0-9]+\.[0-9]+\.[0-9]+" out &&
	"$PASSCTL" -V >out2 &&
	test_cmp out out2
'

test_expect_success 'each command has its own help, without contacting passd' '
	pc show --help >out &&
	grep -q "^Usage: passctl \[OPTIONS\] show ADDR" out &&
	grep -q "DDDD:BB:DD.F" out &&
	pc help devices >out &&
	grep -q -- "--class C" out &&
	grep -q -- "--state S" out &&
	pc assign --help >out &&
	grep -q -- "--start" out &&
	pc --help sriov >out &&
	grep -q "sriov PF N" out
'

test_expect_success 'no command is a usage error' '
	usage_fails "$PASSCTL" &&
	grep -q "no command given" err
'

test_expect_success 'an unknown command is a usage error that names it' '
	usage_fails pc frobnicate &&
	grep -q "unknown command '"'"'frobnicate'"'"'" err &&
	usage_fails pc help frobnicate
'

test_expect_success 'an unknown option is a usage error that names it' '
	usage_fails pc --frobnicate status &&
	grep -q "unknown option '"'"'--frobnicate'"'"'" err &&
	usage_fails pc status -x &&
	grep -q "unknown option '"'"'-x'"'"'" err
'

test_expect_success 'an option without its argument is a usage error' '
	usage_fails "$PASSCTL" status --socket &&
	grep -q "option '"'"'--socket'"'"' needs an argument" err &&
	usage_fails pc devices --class &&
	grep -q -- "--class" err
'

test_expect_success 'a command option given to another command is a usage error' '
	usage_fails pc groups --dry-run &&
	grep -q -- "--dry-run" err &&
	grep -q "passctl groups --help" err &&
	usage_fails pc status --start &&
	usage_fails pc show 0000:65:00.0 --class 0x03 &&
	usage_fails pc status --limit 5 &&
	grep -q -- "--limit" err &&
	usage_fails pc groups --force &&
	usage_fails pc release 0000:65:00.0 --paused &&
	grep -q -- "--paused" err &&
	usage_fails pc bind 0000:65:00.0 --state vfio
'

test_expect_success 'missing and extra arguments are usage errors' '
	usage_fails pc show &&
	grep -q "missing arguments for '"'"'show'"'"'" err &&
	grep -q "passctl show --help" err &&
	usage_fails pc show 0000:65:00.0 0000:65:00.1 &&
	grep -q "too many arguments" err &&
	usage_fails pc assign 0000:65:00.0 &&
	usage_fails pc sriov 0000:65:00.0 &&
	usage_fails pc release &&
	usage_fails pc status extra &&
	usage_fails pc devices extra &&
	usage_fails pc bind
'

test_expect_success 'bad PCI addresses are usage errors that give the expected form' '
	for addr in 0000:65:00.0x 0000:65:00 65:00.0 0000:65:00.8 0000:65:20.0 \
		0000:65:1F.0 0000:6G:00.0 00000:65:00.0 0000-65-00.0 "" " 0000:65:00.0"; do
		for cmd in show bind unbind; do
			usage_fails pc $cmd "$addr" &&
			grep -q "invalid PCI address" err &&
			grep -q "expected DDDD:BB:DD.F in lowercase hex" err ||
			{ echo "not refused: $cmd '"'"'$addr'"'"'" >&2; return 1; }
		done &&
		usage_fails pc assign "$addr" win10 &&
		usage_fails pc sriov "$addr" 4 || return 1
	done
'

test_expect_success 'release takes an address or an id, and checks the address' '
	usage_fails pc release 0000:65:00.8 &&
	grep -q "expected DDDD:BB:DD.F" err &&
	usage_fails pc release "a/b" &&
	grep -q "neither a PCI address" err &&
	usage_fails pc release "12?x=1"
'

test_expect_success 'a bad address is never sent: it fails the same with a server address' '
	usage_fails "$PASSCTL" --url http://127.0.0.1:1 show 0000:65:00.8 &&
	grep -q "invalid PCI address" err
'

test_expect_success 'control characters in bad input are not echoed to the terminal' '
	esc=$(printf "\033") &&
	usage_fails pc show "$(printf "0000:\033[31m")" &&
	! grep -q "$esc" err &&
	grep -q "0000:?\[31m" err
'

test_expect_success 'bad numbers are usage errors' '
	usage_fails pc sriov 0000:65:00.0 many &&
	grep -q "number of VFs" err &&
	usage_fails pc sriov 0000:65:00.0 65536 &&
	usage_fails pc sriov 0000:65:00.0 4x &&
	usage_fails pc devices --group seven &&
	grep -q -- "--group" err &&
	usage_fails pc devices --group -1 &&
	usage_fails pc --timeout 0 status &&
	grep -q -- "--timeout" err &&
	usage_fails pc --timeout soon status &&
	usage_fails pc --timeout -5 status
'

test_expect_success 'bad transports are usage errors' '
	usage_fails "$PASSCTL" --socket "$NOSOCK" --url http://127.0.0.1:1 status &&
	grep -q "cannot be used together" err &&
	usage_fails "$PASSCTL" --url ftp://127.0.0.1/ status &&
	grep -q "expected http://HOST:PORT" err &&
	usage_fails "$PASSCTL" --url "http://127.0.0.1:1/?x=1" status &&
	usage_fails "$PASSCTL" --url "not a url" status &&
	usage_fails env PASSCTL_URL=gopher://x "$PASSCTL" status &&
	grep -q "PASSCTL_URL" err &&
	usage_fails "$PASSCTL" --socket "" status
'

test_expect_success 'a token with a line break is refused, never put into a header' '
	usage_fails pc --token "$(printf "a\nX-Evil: 1")" status &&
	grep -q "token" err
'

test_expect_success 'no socket: exit 3, naming the socket, with a hint' '
	test_exit_code 3 pc status >out 2>err &&
	test ! -s out &&
	grep -q "cannot connect to passd at unix socket $NOSOCK" err &&
	grep -q "is passd running" err &&
	grep -q -- "--socket PATH or --url URL" err
'

test_expect_success 'every command that talks to passd exits 3 without it' '
	for args in status devices groups "show 0000:65:00.0" "bind 0000:65:00.0" \
		"unbind 0000:65:00.0 --dry-run" "assign 0000:65:00.0 vm1 --start" \
		"release 0000:65:00.0" "release 12" domains check "sriov 0000:65:00.0 4" \
		history events; do
		test_exit_code 3 pc $args >out 2>err &&
		test ! -s out || { echo "not 3: $args" >&2; return 1; }
	done
'

test_expect_success 'a file that is no socket: exit 3' '
	: >not-a-socket &&
	test_exit_code 3 "$PASSCTL" --socket "$TRASH/not-a-socket" devices 2>err &&
	grep -q "$TRASH/not-a-socket" err
'

test_expect_success 'a closed TCP port: exit 3, naming the URL' '
	test_exit_code 3 "$PASSCTL" --url http://127.0.0.1:1 status 2>err &&
	grep -q "cannot connect to passd at http://127.0.0.1:1" err &&
	grep -q "is passd running" err &&
	test_exit_code 3 "$PASSCTL" --json --url http://127.0.0.1:1/ devices 2>err &&
	grep -q "http://127.0.0.1:1:" err
'

test_expect_success 'PASSCTL_URL is used, and --socket overrides it' '
	test_exit_code 3 env PASSCTL_URL=http://127.0.0.1:1 "$PASSCTL" groups 2>err &&
	grep -q "http://127.0.0.1:1" err &&
	test_exit_code 3 env PASSCTL_URL="unix:$TRASH/env.sock" "$PASSCTL" groups 2>err &&
	grep -q "unix socket $TRASH/env.sock" err &&
	test_exit_code 3 env PASSCTL_URL=http://127.0.0.1:1 "$PASSCTL" --socket "$NOSOCK" groups \
		2>err &&
	grep -q "unix socket $NOSOCK" err &&
	test_exit_code 3 env PASSCTL_URL= "$PASSCTL" --socket "$NOSOCK" groups 2>err
'

test_expect_success 'the default transport is /run/passd/passd.sock' '
	if test -S /run/passd/passd.sock; then
		echo "a passd runs on this host: not poking it" >&2
	else
		test_exit_code 3 "$PASSCTL" status 2>err &&
		grep -q "unix socket /run/passd/passd.sock" err
	fi
'

test_done
