# common/: libc and jansson only, no daemon state.
noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_SOURCES = common/macro.h common/log.c common/log.h \
	common/pd-error.c common/pd-error.h common/pci-addr.c common/pci-addr.h \
	common/pd-device.c common/pd-device.h common/pci-class.c common/pci-class.h
common_libcommon_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)

check_PROGRAMS += tests/unit/test-pci-addr tests/unit/test-pci-class
TESTS += tests/unit/test-pci-addr tests/unit/test-pci-class
tests_unit_test_pci_addr_SOURCES = tests/unit/test-pci-addr.c
tests_unit_test_pci_addr_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_pci_addr_LDADD = common/libcommon.a $(CMOCKA_LIBS)
tests_unit_test_pci_class_SOURCES = tests/unit/test-pci-class.c
tests_unit_test_pci_class_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_pci_class_LDADD = common/libcommon.a $(CMOCKA_LIBS)
