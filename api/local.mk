# api/: MHD glue, routes and handlers. Calls daemon/core only; microhttpd.h only in server*.c.
noinst_LIBRARIES += api/libapi.a
api_libapi_a_SOURCES = api/api.h api/server.c api/server.h api/server-priv.h \
	api/server-request.c api/server-stream.c api/server-conn.c api/routes.c api/routes.h \
	api/request.c api/request.h api/json-device.c api/json-device.h \
	api/json-writer.c api/json-writer.h \
	api/devices.c api/groups.c api/health.c api/web.c api/handlers.h api/bind.c api/sriov.c \
	api/domains.c api/assignments.c api/history.c \
	api/host.c api/auth.c api/auth.h \
	api/limits.c api/limits.h api/body.c api/body.h api/audit.c \
	api/listen.c api/listen.h api/events.c api/file.c api/file.h \
	api/metrics.c api/metrics.h
api_libapi_a_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(JANSSON_CFLAGS) $(NETTLE_CFLAGS)

check_PROGRAMS += tests/unit/test-json-writer
TESTS += tests/unit/test-json-writer
tests_unit_test_json_writer_SOURCES = tests/unit/test-json-writer.c
tests_unit_test_json_writer_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_json_writer_LDADD = api/libapi.a common/libcommon.a $(JANSSON_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-auth
TESTS += tests/unit/test-auth
tests_unit_test_auth_SOURCES = tests/unit/test-auth.c
tests_unit_test_auth_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/api
tests_unit_test_auth_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_auth_LDADD = api/libapi.a common/libcommon.a $(NETTLE_LIBS) $(CMOCKA_LIBS)
