#!/bin/sh
test_description='no MHD_PostProcessor and no digest or basic auth in passd (the CVE-2023-27371 and CVE-2013-7039 class)'
. "$top_srcdir/tests/lib/test-lib.sh"

command -v nm >/dev/null || skip_all 'nm is missing (binutils)'

test_expect_success 'passd imports none of them' '
	nm -D --undefined-only "$PASSD" >imports &&
	grep -q "MHD_start_daemon" imports &&
	! grep -E "MHD_(create_post_processor|post_process|destroy_post_processor|digest_auth|queue_auth_fail_response|queue_basic_auth_fail_response|basic_auth_get_username)" imports
'

test_expect_success 'nor does any object of api/, nor the source' '
	! grep -rnE "MHD_(create_post_processor|post_process|digest_auth|queue_auth_fail|queue_basic_auth|basic_auth)" \
		"$top_srcdir/api" "$top_srcdir/daemon" &&
	for o in "$top_builddir"/api/*.o; do
		nm --undefined-only "$o" >>objs || return 1
	done &&
	grep -q MHD_queue_response objs &&
	! grep -E "MHD_(create_post_processor|post_process|digest_auth|queue_auth_fail_response|basic_auth)" objs
'
test_done
