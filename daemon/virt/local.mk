# daemon/virt/: the only libvirt user; libxml2 builds and reads its domain XML.
noinst_LIBRARIES += daemon/virt/libvirtw.a
daemon_virt_libvirtw_a_SOURCES = daemon/virt/virt.h daemon/virt/virt-priv.h \
	daemon/virt/conn.c daemon/virt/domain.c daemon/virt/xml.c daemon/virt/xml.h
daemon_virt_libvirtw_a_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS) $(LIBVIRT_CFLAGS) $(LIBXML_CFLAGS)
VIRT_LIBS = daemon/virt/libvirtw.a $(LIBVIRT_LIBS) $(LIBXML_LIBS)

check_PROGRAMS += tests/unit/test-virt-xml
TESTS += tests/unit/test-virt-xml
tests_unit_test_virt_xml_SOURCES = tests/unit/test-virt-xml.c
tests_unit_test_virt_xml_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBXML_CFLAGS)
tests_unit_test_virt_xml_LDADD = daemon/virt/libvirtw.a common/libcommon.a $(LIBXML_LIBS) \
	$(CMOCKA_LIBS)

# The domain service (core/domains.c) on the real libvirt library, test:///default.
check_PROGRAMS += tests/unit/test-domsvc
TESTS += tests/unit/test-domsvc
tests_unit_test_domsvc_SOURCES = tests/unit/test-domsvc.c daemon/loop.c daemon/loop.h
tests_unit_test_domsvc_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(PTHREAD_CFLAGS)
tests_unit_test_domsvc_LDADD = daemon/core/libcore.a $(VIRT_LIBS) common/libcommon.a \
	$(JANSSON_LIBS) $(CMOCKA_LIBS) $(PTHREAD_LIBS)
