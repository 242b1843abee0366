# daemon/core/: the services. Uses sysfs/ udev/ db/ through their headers, never the OS directly.
noinst_LIBRARIES += daemon/core/libcore.a
daemon_core_libcore_a_SOURCES = daemon/core/inventory.c daemon/core/inventory.h \
	daemon/core/bind.c daemon/core/bind.h daemon/core/bind-start.c daemon/core/bind-async.c daemon/core/bind-priv.h \
	daemon/core/sriov.c daemon/core/sriov.h \
	daemon/core/groups.c daemon/core/groups.h \
	daemon/core/critical.c daemon/core/critical.h \
	daemon/core/preflight.c daemon/core/preflight.h \
	daemon/core/audit.c daemon/core/audit.h \
	daemon/core/domains.c daemon/core/domains.h daemon/core/domains-priv.h \
	daemon/core/domains-info.c daemon/core/domains-ops.c \
	daemon/core/workq.c daemon/core/workq.h \
	daemon/core/assign.c daemon/core/assign.h daemon/core/assign-job.c \
	daemon/core/assign-job.h daemon/core/assign-plan.c daemon/core/assign-priv.h \
	daemon/core/events.c daemon/core/events.h daemon/core/metrics.c daemon/core/metrics.h \
	daemon/core/hotplug.c daemon/core/hotplug.h
daemon_core_libcore_a_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS)
CORE_LIBS = daemon/core/libcore.a daemon/sysfs/libsysfs.a daemon/procfs/libprocfs.a \
	daemon/kmod/libkmodw.a \
	daemon/udev/libudevw.a $(VIRT_LIBS) \
	daemon/db/libdb.a common/libcommon.a $(UDEV_LIBS) $(SQLITE_LIBS) $(PTHREAD_LIBS)

check_PROGRAMS += tests/unit/test-groups
TESTS += tests/unit/test-groups
tests_unit_test_groups_SOURCES = tests/unit/test-groups.c
tests_unit_test_groups_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_groups_LDADD = daemon/core/libcore.a common/libcommon.a $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-critical
TESTS += tests/unit/test-critical
tests_unit_test_critical_SOURCES = tests/unit/test-critical.c
tests_unit_test_critical_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_critical_LDADD = daemon/core/libcore.a daemon/sysfs/libsysfs.a \
	daemon/procfs/libprocfs.a common/libcommon.a $(CMOCKA_LIBS) $(PTHREAD_LIBS)

check_PROGRAMS += tests/unit/test-preflight
TESTS += tests/unit/test-preflight
tests_unit_test_preflight_SOURCES = tests/unit/test-preflight.c
tests_unit_test_preflight_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_preflight_LDADD = daemon/core/libcore.a daemon/sysfs/libsysfs.a \
	daemon/procfs/libprocfs.a daemon/kmod/libkmodw.a common/libcommon.a $(CMOCKA_LIBS) \
	$(PTHREAD_LIBS)

check_PROGRAMS += tests/unit/test-assign
TESTS += tests/unit/test-assign
tests_unit_test_assign_SOURCES = tests/unit/test-assign.c
tests_unit_test_assign_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_assign_LDADD = daemon/core/libcore.a common/libcommon.a $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test-events
TESTS += tests/unit/test-events
tests_unit_test_events_SOURCES = tests/unit/test-events.c
tests_unit_test_events_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_events_LDADD = daemon/core/libcore.a common/libcommon.a $(JANSSON_LIBS) $(CMOCKA_LIBS)
