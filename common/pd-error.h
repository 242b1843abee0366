/*
 * pd-error.h - why an operation failed, in words fit for an API client.
 *
 * A struct pd_error accompanies a negative errno return; it never replaces it. The first error
 * recorded wins, so a rollback that fails later does not hide the cause (STYLE 2.3). api/ maps
 * the code to an HTTP status in one table.
 */
#pragma once

#include "macro.h"

enum pd_errcode {
	PD_ERR_NONE = 0,
	PD_ERR_BAD_REQUEST,
	PD_ERR_UNAUTHORIZED,
	PD_ERR_FORBIDDEN,
	PD_ERR_HOST_CRITICAL,
	PD_ERR_NOT_FOUND,
	PD_ERR_METHOD_NOT_ALLOWED,
	PD_ERR_CONFLICT,
	PD_ERR_NOT_VIABLE,
	PD_ERR_TOO_LARGE,
	PD_ERR_LIBVIRT_UNAVAILABLE,
	PD_ERR_UNAVAILABLE,
	PD_ERR_NOT_IMPLEMENTED,
	PD_ERR_INTERNAL,
	PD_ERR_LENGTH_REQUIRED,	     /* 411: a body without Content-Length */
	PD_ERR_URI_TOO_LONG,	     /* 414 */
	PD_ERR_UNSUPPORTED_MEDIA_TYPE, /* 415: a body that is not application/json */
	PD_ERR_TOO_MANY_REQUESTS,      /* 429: over the rate of the caller's identity */
	PD_ERR_HEADERS_TOO_LARGE,      /* 431 */
	_PD_ERR_MAX,
};

struct pd_error {
	enum pd_errcode code;
	int error; /* the negative errno that came with it */
	char message[512];
};

#define PD_ERROR_INIT { .code = PD_ERR_NONE }

/* Record @code and a message unless an error is already recorded; @err may be NULL. Returns @r. */
int pd_error_set(struct pd_error *err, enum pd_errcode code, int r, const char *fmt, ...)
	_printf_(4, 5);
/* True when an error is recorded. */
int pd_error_is_set(const struct pd_error *err);
/* "not_viable", ...: the machine code of the contract. */
const char *pd_errcode_to_string(enum pd_errcode code);
