#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "api.h"

#include "auth.h"
#include "handlers.h"
#include "routes.h"

/*
 * Every route names the least role that may call it (auth.h). A route added without one has
 * API_ROLE_UNSET: it answers 403 to everyone, and t7100 fails until it is given a role.
 */
struct route {
	const char *method;
	const char *pattern; /* segments; "*" matches one segment and is passed as a param */
	api_handler_fn fn;
	enum api_role role;
};

static const struct route routes[] = {
	{ "GET", "/v1/health", api_health_get, API_ROLE_READER },
	{ "GET", "/v1/devices", api_devices_list, API_ROLE_READER },
	{ "GET", "/v1/devices/*", api_devices_get, API_ROLE_READER },
	{ "POST", "/v1/devices/*/bind", api_devices_bind, API_ROLE_OPERATOR },
	{ "POST", "/v1/devices/*/unbind", api_devices_unbind, API_ROLE_OPERATOR },
	{ "POST", "/v1/devices/*/sriov", api_devices_sriov, API_ROLE_OPERATOR },
	{ "POST", "/v1/devices/*/clear", api_devices_clear, API_ROLE_ADMIN },
	{ "GET", "/v1/groups", api_groups_list, API_ROLE_READER },
	{ "GET", "/v1/groups/*", api_groups_get, API_ROLE_READER },
	{ "GET", "/v1/host", api_host_get, API_ROLE_READER },
	{ "GET", "/v1/assignments", api_assignments_list, API_ROLE_READER },
	{ "POST", "/v1/assignments", api_assignments_create, API_ROLE_OPERATOR },
	{ "GET", "/v1/assignments/*", api_assignments_get, API_ROLE_READER },
	{ "DELETE", "/v1/assignments/*", api_assignments_delete, API_ROLE_OPERATOR },
	{ "GET", "/v1/domains", api_domains_list, API_ROLE_READER },
	{ "POST", "/v1/domains/*/start", api_domains_start, API_ROLE_OPERATOR },
	{ "POST", "/v1/domains/*/stop", api_domains_stop, API_ROLE_OPERATOR },
	{ "GET", "/v1/history", api_history_list, API_ROLE_READER },
	{ "GET", "/v1/audit", api_audit_list, API_ROLE_ADMIN },
	{ "GET", "/v1/events", api_events_get, API_ROLE_READER },
	{ "GET", "/metrics", api_metrics_get, API_ROLE_READER },
	{ "GET", "/", api_web_get, API_ROLE_ANONYMOUS },
	{ "GET", "/index.html", api_web_get, API_ROLE_ANONYMOUS },
	{ "GET", "/app.js", api_web_get, API_ROLE_ANONYMOUS },
	{ "GET", "/style.css", api_web_get, API_ROLE_ANONYMOUS },
	{ "GET", "/actions.js", api_web_get, API_ROLE_ANONYMOUS },
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

int api_route_find(const char *method_in, const char *path, struct api_route_match *m,
		   struct api_response *resp)
{
	const char *method = streq(method_in, "HEAD") ? "GET" : method_in;
	char allow[128] = "";
	static char allow_hdr[128];

	for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
		memset(m->params, 0, sizeof(m->params));
		if (!match(routes[i].pattern, path, m->buf, sizeof(m->buf), m->params))
			continue;
		if (streq(routes[i].method, method)) {
			m->route = &routes[i];
			return 0;
		}
		if (!strstr(allow, routes[i].method)) {
			if (allow[0])
				strcat(allow, ", ");
			strcat(allow, routes[i].method);
			if (streq(routes[i].method, "GET"))
				strcat(allow, ", HEAD");
		}
	}

	m->route = NULL;
	if (allow[0]) {
		api_respond_errorf(resp, PD_ERR_METHOD_NOT_ALLOWED, "%.16s is not allowed on %.200s (allowed: %s)",
				   method_in, path, allow);
		/* The loop is single-threaded; the header is copied before the next request. */
		memcpy(allow_hdr, allow, sizeof(allow_hdr));
		resp->allow = allow_hdr;
		return -EOPNOTSUPP;
	}
	api_respond_errorf(resp, PD_ERR_NOT_FOUND, "no such resource: %.200s", path);
	return -ENOENT;
}

int api_route_authorize(const struct api_route_match *m, const struct api_identity *id,
			struct api_response *resp)
{
	enum api_role need = m->route->role;

	if (need == API_ROLE_UNSET) {
		/* Fail closed: a route nobody classified is nobody's. */
		api_respond_errorf(resp, PD_ERR_FORBIDDEN, "%s %s names no role in the route table",
				   m->route->method, m->route->pattern);
		return -EACCES;
	}
	if (id->role >= need)
		return 0;
	if (id->role <= API_ROLE_ANONYMOUS) {
		api_respond_errorf(resp, PD_ERR_UNAUTHORIZED,
				   "%s %s needs the %s role: send 'Authorization: Bearer TOKEN' or use the unix socket",
				   m->route->method, m->route->pattern, api_role_to_string(need));
		resp->www_authenticate = "Bearer realm=\"passd\"";
		return -EACCES;
	}
	api_respond_errorf(resp, PD_ERR_FORBIDDEN, "%s %s needs the %s role; '%s' is %s",
			   m->route->method, m->route->pattern, api_role_to_string(need), id->name,
			   api_role_to_string(id->role));
	return -EPERM;
}

void api_route_run(struct api_request *req, struct api_response *resp,
		   const struct api_route_match *m)
{
	m->route->fn(req, resp, m->params);
}

bool api_route_changes_state(const struct api_route_match *m)
{
	return !streq(m->route->method, "GET");
}

const char *api_route_pattern(const struct api_route_match *m)
{
	return m->route->pattern;
}

void api_route(struct api_request *req, struct api_response *resp)
{
	struct api_route_match m;

	if (api_route_find(req->method, req->path, &m, resp) < 0 ||
	    api_route_authorize(&m, req->identity, resp) < 0)
		return;
	api_route_run(req, resp, &m);
}

void api_routes_foreach(void (*fn)(const char *method, const char *pattern, enum api_role role,
				   void *userdata),
			void *userdata)
{
	for (size_t i = 0; i < ELEMENTSOF(routes); i++)
		fn(routes[i].method, routes[i].pattern, routes[i].role, userdata);
}

static void print_route(const char *method, const char *pattern, enum api_role role,
			void *userdata)
{
	fprintf(userdata, "%s %s %s\n", method, pattern, api_role_to_string(role));
}

void api_routes_print(FILE *out)
{
	api_routes_foreach(print_route, out);
}

int api_request_require(const struct api_request *req, struct api_response *resp,
			enum api_role need, const char *what)
{
	if (req->identity->role >= need)
		return 0;
	api_respond_errorf(resp, PD_ERR_FORBIDDEN, "%s needs the %s role; '%s' is %s", what,
			   api_role_to_string(need), req->identity->name,
			   api_role_to_string(req->identity->role));
	return -EPERM;
}
