/*
 * domains-priv.h - what the domain service's files share: domains.c owns the connection,
 * domains-info.c reads domains, domains-ops.c changes them.
 */
#pragma once

#include "pd-error.h"

struct domsvc;
struct virt_conn;
struct virt_domain;
struct virt_error;

/* A reference on the connection in *ret, or -ENOTCONN and libvirt_unavailable in @err. */
int domsvc_get_conn(struct domsvc *ds, struct virt_conn **ret, struct pd_error *err);
/*
 * A failed libvirt call of @what on domain @name, as the service's error in @err; a lost
 * connection is handed to the connector. Returns @r or the errno that goes with @err.
 */
int domsvc_call_failed(struct domsvc *ds, struct virt_conn *c, const char *what, const char *name,
		       int r, const struct virt_error *verr, struct pd_error *err);
/* 0 for a valid domain name, else -EINVAL and bad_request in @err. */
int domsvc_check_name(const char *name, struct pd_error *err);
/*
 * The start of every call on one domain: check @name, take the connection (*ret_c) and read
 * the domain (*ret_v, for virt_domain_done()). Errors as the service's, in @err.
 */
int domsvc_open(struct domsvc *ds, const char *name, struct virt_conn **ret_c,
		struct virt_domain *ret_v, struct pd_error *err);
