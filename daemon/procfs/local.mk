# daemon/procfs/: the only code that reads procfs. Depends on common/ only.
noinst_LIBRARIES += daemon/procfs/libprocfs.a
daemon_procfs_libprocfs_a_SOURCES = daemon/procfs/procfs.c daemon/procfs/procfs.h \
	daemon/procfs/procfs-priv.h daemon/procfs/host.c daemon/procfs/watch.c

check_PROGRAMS += tests/unit/test-procfs
TESTS += tests/unit/test-procfs
tests_unit_test_procfs_SOURCES = tests/unit/test-procfs.c
tests_unit_test_procfs_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_procfs_LDADD = daemon/procfs/libprocfs.a common/libcommon.a $(CMOCKA_LIBS)

check_PROGRAMS += tests/fuzz/fuzz-procfs
tests_fuzz_fuzz_procfs_SOURCES = tests/fuzz/fuzz-procfs.c tests/fuzz/fuzz-main.c
tests_fuzz_fuzz_procfs_LDADD = daemon/procfs/libprocfs.a common/libcommon.a
tests_fuzz_fuzz_procfs_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
TESTS += tests/fuzz/t-fuzz-procfs.sh
EXTRA_DIST += tests/fuzz/t-fuzz-procfs.sh

# the host preflight's parsers (procfs/host.c, sysfs/host.c, kmod/) share one fuzz target
check_PROGRAMS += tests/fuzz/fuzz-preflight
tests_fuzz_fuzz_preflight_SOURCES = tests/fuzz/fuzz-preflight.c tests/fuzz/fuzz-main.c
tests_fuzz_fuzz_preflight_LDADD = daemon/procfs/libprocfs.a daemon/sysfs/libsysfs.a \
	daemon/kmod/libkmodw.a common/libcommon.a $(PTHREAD_LIBS)
tests_fuzz_fuzz_preflight_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
TESTS += tests/fuzz/t-fuzz-preflight.sh
EXTRA_DIST += tests/fuzz/t-fuzz-preflight.sh
