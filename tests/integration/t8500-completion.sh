#!/bin/sh
test_description='bash completion of passctl: commands, options, and addresses and domains from the daemon'
. "$top_srcdir/tests/lib/test-lib.sh"

command -v bash >/dev/null || skip_all "bash is missing"
COMPLETION="$top_srcdir/completion/passctl.bash"

# complete WORDS...: what bash would offer for the last word (may be empty) of "passctl WORDS",
# the words split as readline splits them with $BREAKS as COMP_WORDBREAKS (default: no ':').
complete_words() {
	PATH="$top_builddir/cli:$PATH" BREAKS="${BREAKS:- }" bash -c '
		. "$1"; shift
		COMP_WORDBREAKS=$BREAKS
		COMP_WORDS=(passctl "$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
		_passctl
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' complete "$COMPLETION" "$@"
}

test_expect_success 'setup: a static desktop host' '
	sim_new desktop && passd_start --rescan-interval 0
'

test_expect_success 'commands, and options for the command at hand' '
	complete_words "" >out && grep -x status out && grep -x events out && grep -x sriov out &&
	complete_words ev >out && test "$(cat out)" = events &&
	complete_words assign 0000:01:00.0 vm --s >out && grep -x -- --start out && grep -x -- --socket out &&
	complete_words devices --state v >out && test "$(cat out)" = vfio
'

test_expect_success 'device addresses come from the daemon over the socket typed' '
	complete_words --socket "$PASSD_SOCK" show 0000:0 >out &&
	curl -sSf "$PASSD_URL/v1/devices" | jq -r ".devices[].address" | grep "^0000:0" | sort >want &&
	sort out >got && test_cmp want got &&
	test -s got
'

test_expect_success 'with a colon in COMP_WORDBREAKS, as bash has by default, only the part after it' '
	BREAKS=" :" complete_words --socket "$PASSD_SOCK" show 0000 : 0 >out &&
	sed -e "s/^0000://" want >want.tail && sort out >got && test_cmp want.tail got
'

test_expect_success 'a daemon that is not there completes nothing, quickly' '
	complete_words --socket "$TRASH/nothing.sock" bind 0000 >out &&
	test ! -s out
'

test_expect_success 'stop' '
	passd_stop
'

test_done
