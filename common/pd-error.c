#include <config.h>

#include <stdarg.h>
#include <stdio.h>

#include "pd-error.h"

static const char *const code_names[_PD_ERR_MAX] = {
	[PD_ERR_NONE] = "none",
	[PD_ERR_BAD_REQUEST] = "bad_request",
	[PD_ERR_UNAUTHORIZED] = "unauthorized",
	[PD_ERR_FORBIDDEN] = "forbidden",
	[PD_ERR_HOST_CRITICAL] = "host_critical",
	[PD_ERR_NOT_FOUND] = "not_found",
	[PD_ERR_METHOD_NOT_ALLOWED] = "method_not_allowed",
	[PD_ERR_CONFLICT] = "conflict",
	[PD_ERR_NOT_VIABLE] = "not_viable",
	[PD_ERR_TOO_LARGE] = "too_large",
	[PD_ERR_LIBVIRT_UNAVAILABLE] = "libvirt_unavailable",
	[PD_ERR_UNAVAILABLE] = "unavailable",
	[PD_ERR_NOT_IMPLEMENTED] = "not_implemented",
	[PD_ERR_INTERNAL] = "internal",
	[PD_ERR_LENGTH_REQUIRED] = "length_required",
	[PD_ERR_URI_TOO_LONG] = "uri_too_long",
	[PD_ERR_UNSUPPORTED_MEDIA_TYPE] = "unsupported_media_type",
	[PD_ERR_TOO_MANY_REQUESTS] = "too_many_requests",
	[PD_ERR_HEADERS_TOO_LARGE] = "headers_too_large",
};

int pd_error_set(struct pd_error *err, enum pd_errcode code, int r, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code != PD_ERR_NONE)
		return r;
	err->code = code;
	err->error = r;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return r;
}

int pd_error_is_set(const struct pd_error *err)
{
	return err && err->code != PD_ERR_NONE;
}

const char *pd_errcode_to_string(enum pd_errcode code)
{
	if ((unsigned)code >= _PD_ERR_MAX)
		return "internal";
	return code_names[code];
}
