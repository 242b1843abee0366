/*
 * auth.h - who is calling, and what they may do (private to api/).
 *
 * An identity comes from the peer's credentials on the unix socket (SO_PEERCRED) or from a
 * bearer token; it has one role. Roles are ordered: a route needing READER is open to
 * OPERATOR and ADMIN too. docs/security.md describes the token file and the mapping.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

enum api_role {
	API_ROLE_UNSET = 0, /* a route that names no role: refused to everyone, tests fail on it */
	API_ROLE_ANONYMOUS, /* as a route's role: public; as a caller's: no identity */
	API_ROLE_READER,    /* GET only */
	API_ROLE_OPERATOR,  /* bind, unbind, assign, release, start, stop, sriov */
	API_ROLE_ADMIN,	    /* force, clear quarantine, config, audit */
	_API_ROLE_MAX,
};

#define API_IDENTITY_LEN 80

struct api_identity {
	enum api_role role;
	char name[API_IDENTITY_LEN]; /* "uid:0", "token:ci", "anonymous:127.0.0.1" */
};

/* "reader", ...; "public" for ANONYMOUS, "unset" for UNSET. */
const char *api_role_to_string(enum api_role role);
/* reader, operator or admin (the roles a token or a group can have); else -EINVAL. */
int api_role_from_string(const char *s, enum api_role *ret);

struct api_tokens; /* opaque: the token file, hashed */

/*
 * Parse a token file's text: one "NAME ROLE HASH" per line, HASH the SHA-256 of the token in
 * lowercase hex; blank lines and lines starting with '#' are skipped. On failure returns
 * -EINVAL and a sentence naming the line in @errbuf; *ret is untouched. Logs nothing.
 */
int api_tokens_parse(const char *text, size_t len, struct api_tokens **ret, char *errbuf,
		     size_t errsize);
/* Read and parse @path; refuses a file others can write, or that is not a regular file. */
int api_tokens_load(const char *path, struct api_tokens **ret, char *errbuf, size_t errsize);
void api_tokens_free(struct api_tokens *t);
DEFINE_FREEP(struct api_tokens, api_tokens_free)
size_t api_tokens_count(const struct api_tokens *t);

/*
 * Authenticate an Authorization header value ("Bearer TOKEN"). Fills @ret and returns 0 for a
 * known token; -EINVAL for a malformed header, -EACCES for an unknown token. The token's hash
 * is compared with every entry in constant time, whatever matches.
 */
int api_tokens_check(const struct api_tokens *t, const char *authorization,
		     struct api_identity *ret);

/* SHA-256 of @len bytes as 64 lowercase hex digits and a NUL (docs and tests use it). */
void api_sha256_hex(const void *data, size_t len, char out[static 65]);
