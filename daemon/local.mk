# daemon/: the composition root.
sbin_PROGRAMS += daemon/passd
daemon_passd_SOURCES = daemon/main.c daemon/loop.c daemon/loop.h daemon/config.c daemon/config.h
daemon_passd_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS)
daemon_passd_LDADD = api/libapi.a $(CORE_LIBS) $(MHD_LIBS) $(JANSSON_LIBS) $(NETTLE_LIBS)
