/*
 * audit.h - the audit service: who asked for which change, and what came of it.
 *
 * api/ records every request that changes state before it runs (auditsvc_begin) and after
 * (auditsvc_finish); refused attempts are recorded at once (auditsvc_refused). Rows are never
 * edited or deleted (the table's triggers refuse it). Logs a failure once, as a warning.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "db/audit.h"
#include "macro.h"
#include "pd-error.h"

struct db;
struct auditsvc;

struct audit_request {
	const char *identity; /* uid:0, token:NAME, anonymous:ADDR */
	const char *role;
	const char *method;
	const char *action; /* the route's pattern */
	const char *target; /* the path */
};

/* Open the audit table of @db and close rows left running by a passd that died (logged). */
int auditsvc_new(struct db *db, struct auditsvc **ret);
void auditsvc_free(struct auditsvc *a);
DEFINE_FREEP(struct auditsvc, auditsvc_free)

/* Record a request before it runs; 0 and its id, or a negative errno and @err (logged). */
int auditsvc_begin(struct auditsvc *a, const struct audit_request *r, int64_t *ret_id,
		   struct pd_error *err);
/* Record how it ended: its HTTP status (0: no answer) and result word. */
int auditsvc_finish(struct auditsvc *a, int64_t id, unsigned status, const char *result,
		    struct pd_error *err);
/* Record a request refused before it ran (401, 403). */
int auditsvc_refused(struct auditsvc *a, const struct audit_request *r, unsigned status,
		     struct pd_error *err);

#define AUDIT_PAGE_MAX 500

/* A page of the log, newest first, ids below @before (0: the newest). Caller frees *ret. */
int auditsvc_list(struct auditsvc *a, int64_t before, unsigned limit, struct db_audit_row **ret,
		  size_t *ret_n, struct pd_error *err);
