/*
 * call.h - one call to passd as passctl's commands make it: send, check the status, parse the
 * JSON, and say why when it goes wrong, with the contract's exit codes (util.h). Also the
 * usage errors the commands and the option parser share.
 */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "http.h"
#include "macro.h"
#include "pci-addr.h"

struct ctx;

/* A usage error: the message, a pointer to help, and exit code 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) _printf_(2, 3);
/* Check @s as a PCI address and write its canonical form to @buf; exit code on error. */
int cli_parse_address(const char *cmd, const char *s, char buf[static PCI_ADDR_LEN + 1]);

/* Print the server's refusal: its {"error":{"code","message"}}, or what we can say without it. */
void cli_print_refusal(const struct http_reply *r);
/*
 * One exchange. Returns 0 with *ret filled for any complete answer, whatever its status;
 * otherwise prints why and returns the exit code (3 when passd could not be reached).
 */
int cli_exchange(struct ctx *ctx, const struct http_request *req, struct http_reply *ret);
/* The body of @r as JSON (null when empty), or NULL after saying why it is unusable. */
json_t *cli_parse_body(const struct http_reply *r);
bool cli_status_ok(long status);
/*
 * Send one request. On a 2xx answer returns 0, with the parsed body in *ret_json (JSON null for
 * an empty body) and the raw answer in *ret_raw when asked for. Otherwise prints why and returns
 * the exit code.
 */
int cli_call(struct ctx *ctx, const char *method, const char *path, const char *body,
	     json_t **ret_json, struct http_reply *ret_raw);
/* --json: the server's body as it came, so no field is lost on the way. */
void cli_print_raw(const struct http_reply *r);
/* "unexpected answer from passd: @what"; exit code 1. */
int cli_unexpected(const char *what);
/* GET @path and print it with --json; the parsed body in *ret_json for tables otherwise. */
int cli_get(struct ctx *ctx, const char *path, json_t **ret_json);
/* A mutating request: prints the answer verbatim with --json, or @done / the answer for people. */
int cli_mutate(struct ctx *ctx, const char *method, const char *path, const char *body,
	       const char *done);
