/*
 * migrations.h - the schema migrations compiled in from schema/sql (internal to daemon/db).
 *
 * scripts/sql-to-c.sh turns schema/sql/NNNN-name.sql into daemon/db/schema-sql.h, an array of
 * these in file name order. Versions must run 1, 2, 3, ... without gaps: migration N takes a
 * database from user_version N-1 to N.
 */
#pragma once

#include <stddef.h>

struct migration {
	int version;	  /* the file name's leading number */
	const char *name; /* "0001-initial.sql" */
	const char *sql;  /* one or more statements, run in one transaction */
};

/* The compiled-in migrations in order; *ret_n is their count. The array is static. */
const struct migration *db_migrations_get(size_t *ret_n);
