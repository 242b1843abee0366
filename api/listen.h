/*
 * listen.h - the sockets passd listens on, and the TLS files (private to api/). No
 * libmicrohttpd here: server.c hands the descriptors to it. Nothing logs.
 */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>

/*
 * A listening unix socket at @path, 0660 and of group @gid (-1: the process's). A socket left
 * by a passd that died is replaced; a live one is -EADDRINUSE, anything else there -EEXIST.
 */
int api_listen_unix(const char *path, long gid, int *ret_fd);
/*
 * A listening TCP socket on "HOST:PORT" or "[V6]:PORT" (numeric; port 0 picks one). Beyond
 * loopback only when @secured (TLS and tokens), else -EPERM. *ret_desc gets "tcp:HOST:PORT"
 * as bound (owned).
 */
int api_listen_tcp(const char *hostport, bool secured, int *ret_fd, char **ret_desc);
/* 127.0.0.0/8 or ::1. */
bool api_sockaddr_is_loopback(const struct sockaddr *sa);
/* A PEM file's text (at most 1 MiB), NUL-terminated, owned by the caller. */
int api_read_pem(const char *path, char **ret);
