/*
 * db-priv.h - what the files of daemon/db share. Not for other layers: they use db.h.
 */
#pragma once

#include <sqlite3.h>

#include "db.h"

struct db_intent_stmts;

sqlite3 *db_get_conn(struct db *db);
/* Where intent.c keeps its prepared statements; db_free() frees them. */
struct db_intent_stmts **db_get_intent_stmts(struct db *db);
void db_intent_stmts_free(struct db_intent_stmts *st);
/* Record an SQLite failure in @err ("database PATH: WHAT: message"); returns a negative errno. */
int db_sqlite_fail(struct db *db, struct pd_error *err, int rc, const char *what);
