/*
 * assign.h - assignments, quarantined devices, idempotency keys and the history log in SQLite
 * (schema 0005). Part of daemon/db: never logs above debug, returns a negative errno with a
 * sentence in @err. Every statement is prepared once per connection and takes bound values only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci-addr.h"
#include "pd-error.h"

struct db;

#define DB_DOMAIN_MAX 64	  /* the domain service's DOMAIN_NAME_MAX */
#define DB_ASSIGN_MAX_DEVICES 32  /* endpoints of one group passd assigns together */
#define DB_HISTORY_DRIVERS_MAX 2048 /* {"address": "driver", ...} of one group, as JSON text */

struct db_assignment {
	int64_t id;
	char address[PCI_ADDR_LEN + 1]; /* the device named */
	char domain[DB_DOMAIN_MAX + 1];
	int group; /* -1 when none */
	size_t n_devices; /* every endpoint given to the domain, @address first */
	char devices[DB_ASSIGN_MAX_DEVICES][PCI_ADDR_LEN + 1];
	bool started;
	char state[16]; /* active, detached, orphaned, released, failed */
	char reason[256];
	int64_t created_at, released_at; /* usec since the epoch; released_at 0 while live */
};

/* Store a new assignment (state @a->state); its id in *ret_id. -EEXIST when the device is live. */
int db_assignment_insert(struct db *db, const struct db_assignment *a, int64_t *ret_id,
			 struct pd_error *err);
/* Move assignment @id to @state with @reason (may be NULL); released sets released_at = now. */
int db_assignment_set_state(struct db *db, int64_t id, const char *state, const char *reason,
			    struct pd_error *err);
/* Every assignment, oldest first; the caller frees *ret with free(). */
int db_assignment_list(struct db *db, struct db_assignment **ret, size_t *ret_n,
		       struct pd_error *err);

struct db_quarantine {
	char address[PCI_ADDR_LEN + 1];
	char reason[256];
	int64_t since;
};

/* Quarantine @address with @reason (replaces an older reason). */
int db_quarantine_put(struct db *db, const char *address, const char *reason,
		      struct pd_error *err);
/* Lift it; -ENOENT when the device is not quarantined. */
int db_quarantine_delete(struct db *db, const char *address, struct pd_error *err);
/* Every quarantined device; the caller frees *ret with free(). */
int db_quarantine_list(struct db *db, struct db_quarantine **ret, size_t *ret_n,
		       struct pd_error *err);

struct db_history {
	int64_t id;
	int64_t at;
	char actor[96];
	char action[16]; /* bind, unbind, sriov, assign, release, clear, quarantine, reconcile */
	char target[PCI_ADDR_LEN + 1]; /* "" when not about one device */
	char domain[DB_DOMAIN_MAX + 1]; /* "" when none */
	int64_t assignment_id;		/* 0 when none */
	char result[16];		/* done, failed, rolled_back, partial */
	char drivers_before[DB_HISTORY_DRIVERS_MAX]; /* JSON object text, "" for none */
	char drivers_after[DB_HISTORY_DRIVERS_MAX];
	char error[512];
	char detail[1024]; /* JSON object text, "" for {} */
};

/* Append @h (its id and at are ignored: the database assigns them). */
int db_history_add(struct db *db, const struct db_history *h, struct pd_error *err);
/*
 * Up to @limit entries, newest first, with ids below @before_id (0: from the newest). The
 * caller frees *ret with free().
 */
int db_history_list(struct db *db, int64_t before_id, unsigned limit, struct db_history **ret,
		    size_t *ret_n, struct pd_error *err);

/*
 * The stored answer of Idempotency-Key @key if younger than @max_age_usec: 0 with the request
 * hash, status and body (owned by the caller) filled, -ENOENT when there is none.
 */
int db_idempotency_get(struct db *db, const char *key, int64_t max_age_usec,
		       char ret_hash[static 65], int *ret_status, char **ret_body,
		       struct pd_error *err);
/* Store an answer; drops every key older than @max_age_usec in the same transaction. */
int db_idempotency_put(struct db *db, const char *key, const char *hash, int status,
		       const char *body, int64_t max_age_usec, struct pd_error *err);
