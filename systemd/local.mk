# systemd/: the units, tmpfiles and sysusers entries and an example configuration.
systemdsystemunit_DATA = systemd/passd.service systemd/passd-early.service
CLEANFILES += systemd/passd.service systemd/passd-early.service
EXTRA_DIST += systemd/passd.service.in systemd/passd-early.service.in systemd/passd.conf.example \
	systemd/passd.tmpfiles systemd/passd.sysusers
systemd/passd.service: $(top_srcdir)/systemd/passd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && sed -e 's|@sbindir[@]|$(sbindir)|g' $< >$@
systemd/passd-early.service: $(top_srcdir)/systemd/passd-early.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && sed -e 's|@sbindir[@]|$(sbindir)|g' $< >$@

# Under the prefix (systemd reads /usr/lib and /usr/local/lib is not one of its dirs: a
# packager passes tmpfilesdir=/usr/lib/tmpfiles.d, as for the unit dir).
tmpfilesdir = $(prefix)/lib/tmpfiles.d
sysusersdir = $(prefix)/lib/sysusers.d
passdconfdir = $(docdir)/examples
passdconf_DATA = systemd/passd.conf.example

install-data-local: install-systemd-extras
uninstall-local: uninstall-systemd-extras
install-systemd-extras:
	$(MKDIR_P) '$(DESTDIR)$(tmpfilesdir)' '$(DESTDIR)$(sysusersdir)'
	$(INSTALL_DATA) $(top_srcdir)/systemd/passd.tmpfiles '$(DESTDIR)$(tmpfilesdir)/passd.conf'
	$(INSTALL_DATA) $(top_srcdir)/systemd/passd.sysusers '$(DESTDIR)$(sysusersdir)/passd.conf'
uninstall-systemd-extras:
	rm -f '$(DESTDIR)$(tmpfilesdir)/passd.conf' '$(DESTDIR)$(sysusersdir)/passd.conf'
.PHONY: install-systemd-extras uninstall-systemd-extras
