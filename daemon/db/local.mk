# daemon/db/: the only code that includes sqlite3.h. Migrations are compiled in from schema/sql.
noinst_LIBRARIES += daemon/db/libdb.a
daemon_db_libdb_a_SOURCES = daemon/db/db.c daemon/db/db.h daemon/db/migrations.c \
	daemon/db/intent.c daemon/db/db-priv.h daemon/db/scan.c \
	daemon/db/migrations.h daemon/db/assign.c daemon/db/assign.h \
	daemon/db/audit.c daemon/db/audit.h
nodist_daemon_db_libdb_a_SOURCES = daemon/db/schema-sql.h
daemon_db_libdb_a_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
daemon_db_libdb_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/daemon/db
BUILT_SOURCES = daemon/db/schema-sql.h
CLEANFILES += daemon/db/schema-sql.h
SCHEMA_SQL = $(sort $(wildcard $(top_srcdir)/schema/sql/*.sql))
EXTRA_DIST += schema/sql scripts/sql-to-c.sh
# BUILT_SOURCES only runs for "make all" and "make check"; this covers "make tests/unit/test-db".
daemon/db/libdb_a-migrations.$(OBJEXT): daemon/db/schema-sql.h
daemon/db/schema-sql.h: $(SCHEMA_SQL) $(top_srcdir)/scripts/sql-to-c.sh
	$(AM_V_GEN)$(MKDIR_P) daemon/db && $(SHELL) $(top_srcdir)/scripts/sql-to-c.sh $(SCHEMA_SQL) > $@.tmp && mv $@.tmp $@

check_PROGRAMS += tests/unit/test-db
TESTS += tests/unit/test-db
tests_unit_test_db_SOURCES = tests/unit/test-db.c
tests_unit_test_db_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_db_LDADD = daemon/db/libdb.a common/libcommon.a $(SQLITE_LIBS) $(CMOCKA_LIBS)
