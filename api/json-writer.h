/*
 * json-writer.h - a streaming JSON writer for the large answers (device and group lists).
 *
 * Building a jansson tree for 4096 devices and dumping it costs over 100 ms; writing the text
 * straight into the response blob costs a few. Keys are our own literals and are written as
 * they are; string values are escaped, and one that is not valid UTF-8 is written as null
 * (as jansson would refuse it). Allocation failure is sticky: jw_take_blob() then returns NULL.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "request.h"

#define JW_MAX_DEPTH 16

struct jw {
	char *buf; /* starts with room for the struct api_blob header */
	size_t len, cap;
	bool failed;
	unsigned depth;
	bool need_comma[JW_MAX_DEPTH];
};

void jw_init(struct jw *w, size_t size_hint);
void jw_free(struct jw *w);

/* @key is NULL inside arrays and at the top level. */
void jw_obj_open(struct jw *w, const char *key);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);
/* NULL or "" is written as null. */
void jw_str(struct jw *w, const char *key, const char *s);
void jw_strn(struct jw *w, const char *key, const char *s, size_t n);
void jw_int(struct jw *w, const char *key, long long v);
/* Negative values are written as null (the kernel's -1 for "none"). */
void jw_int_or_null(struct jw *w, const char *key, long long v);
void jw_bool(struct jw *w, const char *key, bool b);
void jw_null(struct jw *w, const char *key);

/* The text as a blob (one reference, owned by the caller), or NULL on failure; resets @w. */
struct api_blob *jw_take_blob(struct jw *w);
