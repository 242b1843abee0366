#include <config.h>

#include <string.h>

#include "handlers.h"
#include "routes.h"

struct route {
	const char *method;
	const char *pattern; /* segments; "*" matches one segment and is passed as a param */
	api_handler_fn fn;
};

static const struct route routes[] = {
	{ "GET", "/v1/health", api_health_get },
	{ "GET", "/v1/devices", api_devices_list },
	{ "GET", "/v1/devices/*", api_devices_get },
	{ "POST", "/v1/devices/*/bind", api_devices_bind },
	{ "POST", "/v1/devices/*/unbind", api_devices_unbind },
	{ "POST", "/v1/devices/*/sriov", api_devices_sriov },
	{ "POST", "/v1/devices/*/clear", api_not_implemented },
	{ "GET", "/v1/groups", api_groups_list },
	{ "GET", "/v1/groups/*", api_groups_get },
	{ "GET", "/v1/host", api_host_get },
	{ "GET", "/v1/assignments", api_not_implemented },
	{ "POST", "/v1/assignments", api_not_implemented },
	{ "GET", "/v1/assignments/*", api_not_implemented },
	{ "DELETE", "/v1/assignments/*", api_not_implemented },
	{ "GET", "/v1/domains", api_not_implemented },
	{ "POST", "/v1/domains/*/start", api_not_implemented },
	{ "POST", "/v1/domains/*/stop", api_not_implemented },
	{ "GET", "/v1/history", api_not_implemented },
	{ "GET", "/v1/audit", api_not_implemented },
	{ "GET", "/v1/events", api_not_implemented },
	{ "GET", "/", api_web_get },
	{ "GET", "/index.html", api_web_get },
	{ "GET", "/app.js", api_web_get },
	{ "GET", "/style.css", api_web_get },
};

/* Match @path against @pattern segment by segment; params point into @buf. */
static bool match(const char *pattern, const char *path, char *buf, size_t bufsize,
		  const char *params[API_MAX_PARAMS])
{
	size_t np = 0, used = 0;
	const char *p = pattern, *s = path;

	if (streq(pattern, "/"))
		return streq(path, "/");
	while (*p && *s) {
		const char *pe, *se;
		size_t plen, slen;

		if (*p != '/' || *s != '/')
			return false;
		p++, s++;
		pe = strchrnul(p, '/');
		se = strchrnul(s, '/');
		plen = (size_t)(pe - p);
		slen = (size_t)(se - s);
		if (plen == 1 && *p == '*') {
			if (slen == 0 || np >= API_MAX_PARAMS || used + slen + 1 > bufsize)
				return false;
			memcpy(buf + used, s, slen);
			buf[used + slen] = '\0';
			params[np++] = buf + used;
			used += slen + 1;
		} else if (plen != slen || memcmp(p, s, plen) != 0) {
			return false;
		}
		p = pe;
		s = se;
	}
	return *p == '\0' && *s == '\0';
}

void api_route(struct api_request *req, struct api_response *resp)
{
	const char *method = streq(req->method, "HEAD") ? "GET" : req->method;
	char allow[128] = "";
	char buf[512];
	static char allow_hdr[128];

	for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
		const char *params[API_MAX_PARAMS + 1] = { NULL };

		if (!match(routes[i].pattern, req->path, buf, sizeof(buf), params))
			continue;
		if (streq(routes[i].method, method)) {
			routes[i].fn(req, resp, params);
			return;
		}
		if (!strstr(allow, routes[i].method)) {
			if (allow[0])
				strcat(allow, ", ");
			strcat(allow, routes[i].method);
			if (streq(routes[i].method, "GET"))
				strcat(allow, ", HEAD");
		}
	}

	if (allow[0]) {
		api_respond_errorf(resp, PD_ERR_METHOD_NOT_ALLOWED, "%s is not allowed on %s (allowed: %s)",
				   req->method, req->path, allow);
		/* The loop is single-threaded; the header is copied before the next request. */
		memcpy(allow_hdr, allow, sizeof(allow_hdr));
		resp->allow = allow_hdr;
		return;
	}
	api_respond_errorf(resp, PD_ERR_NOT_FOUND, "no such resource: %s", req->path);
}
