# tests/net/: hostile network clients for the limit tests (t7200).
check_PROGRAMS += tests/net/passd-flood
tests_net_passd_flood_SOURCES = tests/net/passd-flood.c
