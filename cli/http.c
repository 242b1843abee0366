#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http.h"
#include "util.h"

struct http_client {
	CURL *curl;
	char *socket_path; /* NULL for TCP */
	char *base;	   /* prefix of every request URL, no trailing '/' */
	char *describe;
	char *auth_header; /* NULL without a token */
	long timeout_ms;
};

struct sink {
	CURL *curl;
	const struct http_request *req;
	char *buf;
	size_t len, cap;
	bool decided;	/* whether streaming was decided, on the first bytes */
	bool streaming; /* a 2xx answer copied to req->stream */
	bool too_large;
	bool write_failed;
	int write_errno;
};

static bool header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Accept http:// and https:// URLs with no query and no fragment. */
static bool url_usable(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *query = NULL, *fragment = NULL;
	bool ok = false;

	if (!u)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		goto out;
	if (!streq(scheme, "http") && !streq(scheme, "https"))
		goto out;
	/* a query or fragment on the base would swallow every path we append */
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0) == CURLUE_OK)
		goto out;
	ok = header_safe(url) && !strpbrk(url, " ");
out:
	curl_free(scheme);
	curl_free(query);
	curl_free(fragment);
	curl_url_cleanup(u);
	return ok;
}

int http_client_new(const struct http_client_config *cfg, struct http_client **ret)
{
	struct http_client *c;
	size_t n;

	if (!!cfg->socket_path == !!cfg->url)
		return -EINVAL;
	if (cfg->url &&
	    (strncasecmp(cfg->url, "http://", 7) != 0 && strncasecmp(cfg->url, "https://", 8) != 0))
		return -EINVAL;
	if (cfg->url && !url_usable(cfg->url))
		return -EINVAL;
	if (cfg->socket_path && (cfg->socket_path[0] == '\0' || !header_safe(cfg->socket_path)))
		return -EINVAL;
	if (cfg->token && !header_safe(cfg->token))
		return -EINVAL;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	c = xcalloc(1, sizeof(*c));
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		curl_global_cleanup();
		return -ENOMEM;
	}
	if (cfg->socket_path) {
		c->socket_path = xstrdup(cfg->socket_path);
		/* the host is only for the Host header: the socket decides where we go */
		c->base = xstrdup("http://localhost");
		c->describe = xasprintf("unix socket %s", cfg->socket_path);
	} else {
		n = strlen(cfg->url);
		while (n > 0 && cfg->url[n - 1] == '/')
			n--;
		c->base = xstrndup(cfg->url, n);
		c->describe = xstrdup(c->base);
	}
	if (cfg->token && cfg->token[0])
		c->auth_header = xasprintf("Authorization: Bearer %s", cfg->token);
	c->timeout_ms = cfg->timeout_ms;
	*ret = c;
	return 0;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	curl_global_cleanup();
	free(c->socket_path);
	free(c->base);
	free(c->describe);
	if (c->auth_header) /* a token should not linger in freed memory */
		explicit_bzero(c->auth_header, strlen(c->auth_header));
	free(c->auth_header);
	free(c);
}

const char *http_client_describe(const struct http_client *c)
{
	return c->describe;
}

void http_reply_clear(struct http_reply *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
	r->status = 0;
}

char *http_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *p;

	if (!e) {
		fputs("passctl: out of memory\n", stderr);
		abort();
	}
	p = xstrdup(e);
	curl_free(e);
	return p;
}

static struct curl_slist *xslist_append(struct curl_slist *list, const char *s)
{
	struct curl_slist *l = curl_slist_append(list, s);

	if (!l) {
		fputs("passctl: out of memory\n", stderr);
		abort();
	}
	return l;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (!s->decided) {
		long code = 0;

		(void)curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
		s->streaming = s->req->stream && code >= 200 && code < 300;
		s->decided = true;
	}
	if (s->streaming) {
		if (fwrite(ptr, 1, n, s->req->stream) != n || fflush(s->req->stream) != 0) {
			s->write_failed = true;
			s->write_errno = errno;
			return 0;
		}
		return n;
	}
	if (n > HTTP_MAX_BODY - s->len) {
		s->too_large = true;
		return 0;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;

		while (cap < s->len + n + 1)
			cap *= 2;
		s->buf = xrealloc(s->buf, cap);
		s->cap = cap;
	}
	memcpy(s->buf + s->len, ptr, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

static int fail_with(struct http_failure *fail, bool unreachable, int r, const char *fmt, ...)
	_printf_(4, 5);

static int fail_with(struct http_failure *fail, bool unreachable, int r, const char *fmt, ...)
{
	va_list ap;

	fail->unreachable = unreachable;
	va_start(ap, fmt);
	vsnprintf(fail->message, sizeof(fail->message), fmt, ap);
	va_end(ap);
	return r;
}

int http_client_do(struct http_client *c, const struct http_request *req, struct http_reply *ret,
		   struct http_failure *fail)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	struct sink s = { .curl = c->curl, .req = req };
	_cleanup_free_ char *url = NULL, *accept = NULL;
	long status = 0, os_errno = 0;
	CURLcode res;
	int r;

	url = xasprintf("%s%s", c->base, req->path);
	accept = xasprintf("Accept: %s", req->accept ? req->accept : "application/json");

	curl_easy_reset(c->curl); /* keeps the connection cache, drops last request's options */
	headers = xslist_append(headers, accept);
	/* without a body, no Content-Type at all: not curl's default form encoding */
	headers = xslist_append(headers,
				req->body ? "Content-Type: application/json" : "Content-Type:");
	if (c->auth_header)
		headers = xslist_append(headers, c->auth_header);
	/* no "Expect: 100-continue" round trip for our small bodies */
	headers = xslist_append(headers, "Expect:");

	(void)curl_easy_setopt(c->curl, CURLOPT_URL, url);
	if (c->socket_path)
		(void)curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
	(void)curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	/* the environment's proxies are no business of ours (STYLE 2.6), and a token must not
	 * travel through one */
	(void)curl_easy_setopt(c->curl, CURLOPT_PROXY, "");
	(void)curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	(void)curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "passctl/" PACKAGE_VERSION);
	(void)curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	(void)curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	(void)curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	if (c->timeout_ms > 0) {
		(void)curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
		if (!req->no_timeout)
			(void)curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	}
	if (streq(req->method, "GET")) {
		(void)curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	} else if (streq(req->method, "POST")) {
		(void)curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		(void)curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				       (curl_off_t)(req->body ? strlen(req->body) : 0));
	} else {
		(void)curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body) {
			(void)curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req->body);
			(void)curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
					       (curl_off_t)strlen(req->body));
		}
	}

	res = curl_easy_perform(c->curl);
	(void)curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	(void)curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
	(void)curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	(void)curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);

	if (res == CURLE_OPERATION_TIMEDOUT && s.streaming)
		res = CURLE_OK; /* --timeout bounds how long a stream is followed */

	switch (res) {
	case CURLE_OK:
		if (status <= 0) {
			r = fail_with(fail, true, -EPROTO, "no HTTP answer from %s", c->describe);
			break;
		}
		ret->status = status;
		ret->body = s.buf ? s.buf : xstrdup("");
		ret->len = s.len;
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		r = fail_with(fail, true, -ETIMEDOUT, "no answer from passd at %s within %g s",
			      c->describe, (double)c->timeout_ms / 1000.0);
		break;
	case CURLE_COULDNT_CONNECT:
		r = fail_with(fail, true, os_errno > 0 ? (int)-os_errno : -ECONNREFUSED,
			      "cannot connect to passd at %s: %s", c->describe,
			      os_errno > 0 ? strerror((int)os_errno) : errbuf);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		r = fail_with(fail, true, -ENXIO, "cannot resolve the host of %s", c->describe);
		break;
	case CURLE_GOT_NOTHING:
		r = fail_with(fail, true, -ECONNRESET,
			      "passd at %s closed the connection without answering", c->describe);
		break;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		r = fail_with(fail, true, -EPROTO,
			      "%s did not answer in HTTP; is passd listening there?", c->describe);
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		if (status <= 0)
			r = fail_with(fail, true, -ECONNRESET,
				      "connection to passd at %s failed: %s", c->describe, errbuf);
		else
			r = fail_with(fail, false, -EIO,
				      "the answer from passd at %s was cut short: %s", c->describe,
				      errbuf);
		break;
	case CURLE_PARTIAL_FILE:
		r = fail_with(fail, false, -EPROTO, "the answer from passd at %s was cut short",
			      c->describe);
		break;
	case CURLE_WRITE_ERROR:
		if (s.too_large)
			r = fail_with(
				fail, false, -EFBIG,
				"the answer from passd at %s is larger than %u MiB, giving up",
				c->describe, HTTP_MAX_BODY / (1024 * 1024));
		else
			r = fail_with(fail, false, -EIO, "cannot write the output: %s",
				      strerror(s.write_errno ? s.write_errno : EIO));
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		r = fail_with(fail, true, -EPROTO, "TLS with %s failed: %s", c->describe, errbuf);
		break;
	default:
		r = fail_with(fail, false, -EIO, "talking to passd at %s failed: %s", c->describe,
			      errbuf[0] ? errbuf : curl_easy_strerror(res));
		break;
	}
	free(s.buf);
	return r;
}
