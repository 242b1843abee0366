# cli/: passctl speaks HTTP only; links common/ and libcurl, never daemon/ or api/.
bin_PROGRAMS += cli/passctl
cli_passctl_SOURCES = cli/main.c cli/commands.c cli/commands.h cli/call.c cli/call.h \
	cli/http.c cli/http.h cli/output.c cli/output.h \
	cli/util.c cli/util.h cli/domains.c cli/domains.h cli/check.c cli/check.h \
	cli/assign.c cli/assign.h cli/events.c cli/events.h
cli_passctl_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
cli_passctl_LDADD = common/libcommon.a $(CURL_LIBS) $(JANSSON_LIBS)
