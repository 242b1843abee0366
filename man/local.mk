# man/: the manual pages, written in roff by hand; the version is filled in at build time.
man_MANS = man/passd.8 man/passctl.1 man/passd.conf.5
CLEANFILES += $(man_MANS)
EXTRA_DIST += man/passd.8.in man/passctl.1.in man/passd.conf.5.in
MAN_SUBST = $(AM_V_GEN)$(MKDIR_P) man && sed -e 's|@VERSION[@]|$(PACKAGE_VERSION)|g' $< >$@
man/passd.8: $(top_srcdir)/man/passd.8.in Makefile
	$(MAN_SUBST)
man/passctl.1: $(top_srcdir)/man/passctl.1.in Makefile
	$(MAN_SUBST)
man/passd.conf.5: $(top_srcdir)/man/passd.conf.5.in Makefile
	$(MAN_SUBST)
