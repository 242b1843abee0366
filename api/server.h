/*
 * server.h - private to api/: nothing here; see api.h. (server.c and its pieces
 * server-*.c are the only files that include microhttpd.h; server-priv.h is theirs.)
 */
#pragma once

#include "api.h"
