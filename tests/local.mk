# tests/: integration tests (TAP shell scripts against the real passd over real sockets).
integration_tests = \
	tests/integration/t0100-health.sh
TESTS += $(integration_tests)
EXTRA_DIST += $(integration_tests) tests/lib/test-lib.sh tests/check-layering.sh

check-local:
	$(AM_V_GEN)$(SHELL) $(top_srcdir)/tests/check-layering.sh $(top_srcdir)
