/*
 * output.h - what passctl prints for people: aligned tables and "key: value" lines, built from
 * the server's JSON.
 *
 * Every reader here is null-safe: a missing field, a null or a value of the wrong type prints as
 * "-", never crashes. Every string from the server is sanitized for the terminal on its way out.
 */
#pragma once

#include <stdio.h>

#include <jansson.h>

#include "macro.h"

struct out_table; /* opaque */

/* A table of @ncols columns with a header row, or none when @headers is NULL. */
struct out_table *out_table_new(size_t ncols, const char *const *headers);
void out_table_free(struct out_table *t);
DEFINE_FREEP(struct out_table, out_table_free)
/* Append the next cell, row by row; NULL prints as "-". The table keeps a sanitized copy. */
void out_table_add(struct out_table *t, const char *cell);
void out_table_addf(struct out_table *t, const char *fmt, ...) _printf_(2, 3);
/* A free line printed after the last complete row, starting under column @col. */
void out_table_add_note(struct out_table *t, size_t col, const char *text);
/* Number of complete rows. */
size_t out_table_rows(const struct out_table *t);
/* Columns are as wide as their widest cell and two spaces apart; lines carry no trailing space. */
void out_table_print(const struct out_table *t, FILE *f);

/* The string member @key of @o (borrowed), or NULL when @o is no object or the member no string. */
const char *out_str(const json_t *o, const char *key);
/*
 * @v for a person, in a new string: strings as they are, integers in decimal, true/false as
 * yes/no, null or NULL as "-", an array of scalars comma-joined, anything else as compact JSON.
 */
char *out_fmt(const json_t *v);

/*
 * The list in an answer (borrowed): @body itself when it is an array, else its member @key or
 * "items" when that is an array, else NULL.
 */
json_t *out_list(json_t *body, const char *key);

/* `passctl devices`: ADDRESS CLASS VENDOR DEVICE DRIVER GROUP NUMA STATE, one row per device. */
void out_devices(FILE *f, const json_t *devices);
/* `passctl groups`: @devices (may be NULL) supplies each member's driver. */
void out_groups(FILE *f, const json_t *groups, const json_t *devices);
/* `passctl show`: one device as "key: value" lines, unknown members last. */
void out_device(FILE *f, const json_t *device);
/* `passctl status`: /v1/health, and counts by state when @devices is not NULL. */
void out_status(FILE *f, const json_t *health, const json_t *devices);
/* `passctl check`: /v1/host's checks with their hints, then its summary. */
void out_checks(FILE *f, const json_t *host);
/*
 * Anything else: an object as "key: value" lines followed by a table per member that is a list
 * of objects; a list of objects as a table (devices as out_devices() does); a scalar as is.
 */
void out_generic(FILE *f, const json_t *v);
