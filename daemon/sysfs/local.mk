# daemon/sysfs/: the only code that touches sysfs. Depends on common/ only.
noinst_LIBRARIES += daemon/sysfs/libsysfs.a
daemon_sysfs_libsysfs_a_SOURCES = daemon/sysfs/sysfs.c daemon/sysfs/sysfs.h \
	daemon/sysfs/sysfs-priv.h daemon/sysfs/pci.c daemon/sysfs/iommu.c daemon/sysfs/write.c
daemon_sysfs_libsysfs_a_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS)
daemon_sysfs_libsysfs_a_SOURCES += daemon/sysfs/children.c daemon/sysfs/children.h \
	daemon/sysfs/host.c

check_PROGRAMS += tests/unit/test-sysfs
TESTS += tests/unit/test-sysfs
tests_unit_test_sysfs_SOURCES = tests/unit/test-sysfs.c
tests_unit_test_sysfs_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sysfs_LDADD = daemon/sysfs/libsysfs.a common/libcommon.a $(CMOCKA_LIBS) $(PTHREAD_LIBS)
