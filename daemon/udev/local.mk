# daemon/udev/: the only code that includes libudev.h.
noinst_LIBRARIES += daemon/udev/libudevw.a
daemon_udev_libudevw_a_SOURCES = daemon/udev/hwdb.c daemon/udev/hwdb.h \
	daemon/udev/monitor.c daemon/udev/monitor.h
daemon_udev_libudevw_a_CFLAGS = $(AM_CFLAGS) $(UDEV_CFLAGS)

check_PROGRAMS += tests/unit/test-hwdb
TESTS += tests/unit/test-hwdb
tests_unit_test_hwdb_SOURCES = tests/unit/test-hwdb.c
tests_unit_test_hwdb_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_hwdb_LDADD = daemon/udev/libudevw.a common/libcommon.a $(UDEV_LIBS) $(CMOCKA_LIBS)
