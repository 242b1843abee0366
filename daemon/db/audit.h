/*
 * audit.h - the audit table (schema/sql/0006-audit.sql): append-only rows, one per request
 * that changes state. Its own prepared statements, in a struct db_audit that must be freed
 * before its struct db. Never logs; errors as a negative errno and a sentence in @err.
 */
#pragma once

#include <stdint.h>

#include "db.h"

struct db_audit;

struct db_audit_row {
	int64_t id;
	int64_t started_at, finished_at; /* usec since the epoch; finished_at 0 while running */
	char identity[80];
	char role[16];
	char method[16];
	char action[96];
	char target[256];
	int status; /* -1 while running */
	char result[24];
};

int db_audit_new(struct db *db, struct db_audit **ret, struct pd_error *err);
void db_audit_free(struct db_audit *a);
DEFINE_FREEP(struct db_audit, db_audit_free)

/* A new running row (status NULL); its id in *ret_id. @row's id, status and times are ignored. */
int db_audit_begin(struct db_audit *a, const struct db_audit_row *row, int64_t *ret_id,
		   struct pd_error *err);
/*
 * A finished row in one commit, for a request that ends before it runs (a refusal): what
 * db_audit_begin() and db_audit_finish() would leave, at half the fsyncs.
 */
int db_audit_record(struct db_audit *a, const struct db_audit_row *row, int status,
		    const char *result, struct pd_error *err);
/* Finish a running row once; finishing it again is -EALREADY. */
int db_audit_finish(struct db_audit *a, int64_t id, int status, const char *result,
		    struct pd_error *err);
/* Finish every running row as 'interrupted' (status 0); their number in *ret_n. */
int db_audit_interrupt_running(struct db_audit *a, unsigned *ret_n, struct pd_error *err);
/*
 * Rows with id < @before (0: from the newest), newest first, at most @limit. The caller
 * frees *ret with free().
 */
int db_audit_list(struct db_audit *a, int64_t before, unsigned limit, struct db_audit_row **ret,
		  size_t *ret_n, struct pd_error *err);
