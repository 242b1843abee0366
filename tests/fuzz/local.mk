# tests/fuzz/: libFuzzer targets. make check replays each seed corpus through fuzz-main.c;
# scripts/fuzz builds them with clang and libFuzzer (configure --enable-fuzzing) and runs them.
check_PROGRAMS += tests/fuzz/fuzz-pci-addr
tests_fuzz_fuzz_pci_addr_SOURCES = tests/fuzz/fuzz-pci-addr.c tests/fuzz/fuzz-main.c
tests_fuzz_fuzz_pci_addr_LDADD = common/libcommon.a
tests_fuzz_fuzz_pci_addr_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
TESTS += tests/fuzz/t-fuzz-pci-addr.sh
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/t-fuzz-pci-addr.sh

check_PROGRAMS += tests/fuzz/fuzz-json-body tests/fuzz/fuzz-tokens tests/fuzz/fuzz-config \
	tests/fuzz/fuzz-router
tests_fuzz_fuzz_json_body_SOURCES = tests/fuzz/fuzz-json-body.c tests/fuzz/fuzz-main.c
tests_fuzz_fuzz_json_body_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/api
tests_fuzz_fuzz_json_body_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_json_body_LDADD = api/libapi.a common/libcommon.a $(JANSSON_LIBS)
tests_fuzz_fuzz_json_body_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_tokens_SOURCES = tests/fuzz/fuzz-tokens.c tests/fuzz/fuzz-main.c
tests_fuzz_fuzz_tokens_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/api
tests_fuzz_fuzz_tokens_LDADD = api/libapi.a common/libcommon.a $(NETTLE_LIBS)
tests_fuzz_fuzz_tokens_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c tests/fuzz/fuzz-main.c daemon/config.c
tests_fuzz_fuzz_config_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_fuzz_fuzz_config_LDADD = common/libcommon.a
tests_fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_router_SOURCES = tests/fuzz/fuzz-router.c tests/fuzz/fuzz-main.c daemon/loop.c
tests_fuzz_fuzz_router_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(PTHREAD_CFLAGS)
tests_fuzz_fuzz_router_LDADD = api/libapi.a $(CORE_LIBS) $(MHD_LIBS) $(JANSSON_LIBS) $(NETTLE_LIBS)
tests_fuzz_fuzz_router_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
TESTS += tests/fuzz/t-fuzz-json-body.sh tests/fuzz/t-fuzz-tokens.sh tests/fuzz/t-fuzz-config.sh \
	tests/fuzz/t-fuzz-router.sh
EXTRA_DIST += tests/fuzz/t-fuzz-json-body.sh tests/fuzz/t-fuzz-tokens.sh \
	tests/fuzz/t-fuzz-config.sh tests/fuzz/t-fuzz-router.sh
