/*
 * server.h - private to api/: nothing here; see api.h. (server.c is the only file that
 * includes microhttpd.h.)
 */
#pragma once

#include "api.h"
