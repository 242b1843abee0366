/*
 * limits.h - per-identity accounting (private to api/): a token bucket of requests and a count
 * of open connections for each identity ("token:ci", "uid:0", "anonymous:127.0.0.1").
 *
 * The table is bounded: an entry that holds no connection and whose bucket is full carries no
 * information and is dropped when room is needed; if every entry is busy, new identities share
 * one overflow entry, so a flood of names cannot grow memory. Single-threaded; logs nothing.
 */
#pragma once

#include <stdint.h>

#include "macro.h"

struct api_limits;

/* @rate requests per second with bursts of @burst; @conns_max open connections per identity. */
int api_limits_new(unsigned rate, unsigned burst, unsigned conns_max, struct api_limits **ret);
void api_limits_free(struct api_limits *l);
DEFINE_FREEP(struct api_limits, api_limits_free)

/* Take one request from @key's bucket: 0 when allowed, else the seconds to wait (>= 1). */
unsigned api_limits_take(struct api_limits *l, const char *key, uint64_t now_usec);
/* One more connection for @key: 0, or -EMFILE over the limit (then nothing is counted). */
int api_limits_conn_add(struct api_limits *l, const char *key, uint64_t now_usec);
void api_limits_conn_del(struct api_limits *l, const char *key);
/* Identities tracked now (tests). */
unsigned api_limits_size(const struct api_limits *l);
