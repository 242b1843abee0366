# systemd/: the unit, tmpfiles entry and an example configuration.
systemdsystemunit_DATA = systemd/passd.service
CLEANFILES += systemd/passd.service
EXTRA_DIST += systemd/passd.service.in systemd/passd.conf.example systemd/passd.tmpfiles
systemd/passd.service: $(top_srcdir)/systemd/passd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && sed -e 's|@sbindir[@]|$(sbindir)|g' $< >$@
