/*
 * call.c - one call to passd from a command: the exchange, the status, the JSON, the refusal.
 */
#include <config.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "call.h"
#include "commands.h"
#include "http.h"
#include "output.h"
#include "pci-addr.h"
#include "util.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("passctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd)
		fprintf(stderr, "Try 'passctl %s --help' for more information.\n", cmd);
	else
		fputs("Try 'passctl --help' for more information.\n", stderr);
	return PASSCTL_EXIT_USAGE;
}

static int bad_address(const char *cmd, const char *s)
{
	_cleanup_free_ char *safe = cli_sanitize(s);

	return cli_usage_error(
		cmd,
		"invalid PCI address '%s': expected DDDD:BB:DD.F in lowercase hex, e.g. 0000:65:00.0",
		safe);
}

/* Check @s as a PCI address and write its canonical form to @buf; exit code on error. */
int cli_parse_address(const char *cmd, const char *s, char buf[static PCI_ADDR_LEN + 1])
{
	struct pci_addr a;

	if (pci_addr_parse(s, &a) < 0)
		return bad_address(cmd, s);
	pci_addr_format(&a, buf);
	return PASSCTL_EXIT_OK;
}

/* Print the server's refusal: its {"error":{"code","message"}}, or what we can say without it. */
void cli_print_refusal(const struct http_reply *r)
{
	json_auto_t *body = json_loadb(r->body, r->len, 0, NULL);
	json_t *error = json_object_get(body, "error");
	const char *message = out_str(error, "message"), *code = out_str(error, "code");
	_cleanup_free_ char *m = cli_sanitize(message), *c = cli_sanitize(code);

	if (message && code)
		cli_error("%s (%s)", m, c);
	else if (message)
		cli_error("%s (HTTP %ld)", m, r->status);
	else
		cli_error("passd answered HTTP %ld without an error message", r->status);
	if (r->status == 401)
		fputs("hint: pass --token TOKEN or set PASSCTL_TOKEN\n", stderr);
}

static void print_unreachable_hint(struct ctx *ctx)
{
	fputs("hint: is passd running? Start it with 'systemctl start passd', or point passctl at it with --socket PATH or --url URL.\n",
	      stderr);
}

/*
 * One exchange. Returns 0 with *ret filled for any complete answer, whatever its status;
 * otherwise prints why and returns the exit code (3 when passd could not be reached).
 */
int cli_exchange(struct ctx *ctx, const struct http_request *req, struct http_reply *ret)
{
	struct http_failure fail = {};

	if (http_client_do(ctx->http, req, ret, &fail) < 0) {
		cli_error("%s", fail.message);
		if (fail.unreachable) {
			print_unreachable_hint(ctx);
			return PASSCTL_EXIT_UNREACHABLE;
		}
		return PASSCTL_EXIT_REFUSED;
	}
	return PASSCTL_EXIT_OK;
}

/* The body of @r as JSON (null when empty), or NULL after saying why it is unusable. */
json_t *cli_parse_body(const struct http_reply *r)
{
	json_error_t jerr;
	json_t *json;

	if (r->len == 0)
		return json_null();
	json = json_loadb(r->body, r->len, JSON_DECODE_ANY, &jerr);
	if (!json)
		cli_error("the answer from passd is not valid JSON: %s (line %d, column %d)",
			  jerr.text, jerr.line, jerr.column);
	return json;
}

bool cli_status_ok(long status)
{
	return status >= 200 && status <= 299;
}

/*
 * Send one request. On a 2xx answer returns 0, with the parsed body in *ret_json (JSON null for
 * an empty body) and the raw answer in *ret_raw when asked for. Otherwise prints why and returns
 * the exit code.
 */
int cli_call(struct ctx *ctx, const char *method, const char *path, const char *body,
		json_t **ret_json, struct http_reply *ret_raw)
{
	const struct http_request req = { .method = method, .path = path, .body = body };
	struct http_reply reply = {};
	json_t *json;
	int r;

	r = cli_exchange(ctx, &req, &reply);
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (!cli_status_ok(reply.status)) {
		cli_print_refusal(&reply);
		http_reply_clear(&reply);
		return PASSCTL_EXIT_REFUSED;
	}
	json = cli_parse_body(&reply);
	if (!json) {
		http_reply_clear(&reply);
		return PASSCTL_EXIT_REFUSED;
	}
	*ret_json = json;
	if (ret_raw)
		*ret_raw = reply;
	else
		http_reply_clear(&reply);
	return PASSCTL_EXIT_OK;
}

/* --json: the server's body as it came, so no field is lost on the way. */
void cli_print_raw(const struct http_reply *r)
{
	if (r->len == 0)
		return;
	fwrite(r->body, 1, r->len, stdout);
	if (r->body[r->len - 1] != '\n')
		fputc('\n', stdout);
}

int cli_unexpected(const char *what)
{
	cli_error("unexpected answer from passd: %s", what);
	return PASSCTL_EXIT_REFUSED;
}

/* GET @path and print it with --json; the parsed body in *ret_json for tables otherwise. */
int cli_get(struct ctx *ctx, const char *path, json_t **ret_json)
{
	struct http_reply raw = {};
	json_t *json = NULL;
	int r;

	r = cli_call(ctx, "GET", path, NULL, &json, &raw);
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (ctx->a->json)
		cli_print_raw(&raw);
	http_reply_clear(&raw);
	*ret_json = json;
	return PASSCTL_EXIT_OK;
}

/* A mutating request: prints the answer verbatim with --json, or for people. */
int cli_mutate(struct ctx *ctx, const char *method, const char *path, const char *body,
		  const char *done)
{
	struct http_reply raw = {};
	json_auto_t *json = NULL;
	int r;

	r = cli_call(ctx, method, path, body, &json, &raw);
	if (r != PASSCTL_EXIT_OK)
		return r;
	if (ctx->a->json) {
		cli_print_raw(&raw);
	} else {
		if (ctx->a->dry_run)
			puts("dry run, nothing was changed:");
		if (json_is_null(json) || (json_is_object(json) && json_object_size(json) == 0))
			puts(done);
		else
			out_generic(stdout, json);
	}
	http_reply_clear(&raw);
	return PASSCTL_EXIT_OK;
}
