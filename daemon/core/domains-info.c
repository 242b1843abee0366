/*
 * domains-info.c - reading domains: libvirt's names as passd accepts them, the state names, and
 * the lookup and the list of domains with their PCI hostdevs.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domains.h"
#include "domains-priv.h"
#include "log.h"
#include "virt/virt.h"

bool domain_name_is_valid(const char *name)
{
	size_t n;

	if (!name)
		return false;
	n = strlen(name);
	if (n == 0 || n > DOMAIN_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	/* A subset of what libvirt takes: no '/', no control characters, no XML metacharacters. */
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_' || ch == '.' || ch == '+' || ch == ':'))
			return false;
	}
	return true;
}

static enum domain_state state_of(enum virt_state s)
{
	switch (s) {
	case VIRT_STATE_SHUTOFF:
		return DOMAIN_STATE_SHUTOFF;
	case VIRT_STATE_RUNNING:
		return DOMAIN_STATE_RUNNING;
	case VIRT_STATE_PAUSED:
		return DOMAIN_STATE_PAUSED;
	case VIRT_STATE_OTHER:
		return DOMAIN_STATE_OTHER;
	}
	return DOMAIN_STATE_OTHER;
}

const char *domain_state_to_string(enum domain_state s)
{
	switch (s) {
	case DOMAIN_STATE_SHUTOFF:
		return "shutoff";
	case DOMAIN_STATE_RUNNING:
		return "running";
	case DOMAIN_STATE_PAUSED:
		return "paused";
	case DOMAIN_STATE_OTHER:
		return "other";
	}
	return "other";
}

void domain_info_done(struct domain_info *d)
{
	if (!d)
		return;
	free(d->hostdevs);
	free(d->hostdev_managed);
	d->hostdevs = NULL;
	d->hostdev_managed = NULL;
	d->n_hostdevs = 0;
}

void domain_info_free_array(struct domain_info *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		domain_info_done(&a[i]);
	free(a);
}

/* @v into @out; -ERANGE for a name passd does not handle, -ENOMEM. */
static int info_from_virt(const struct virt_domain *v, struct domain_info *out)
{
	struct domain_info d = { 0 };
	size_t n = v->n_hostdevs ? v->n_hostdevs : 1;

	if (v->name_truncated || strlen(v->name) > DOMAIN_NAME_MAX)
		return -ERANGE;
	strcpy(d.name, v->name);
	memcpy(d.uuid, v->uuid, sizeof(d.uuid));
	d.state = state_of(v->state);
	d.persistent = v->persistent;
	d.hostdevs = calloc(n, sizeof(*d.hostdevs));
	d.hostdev_managed = calloc(n, sizeof(*d.hostdev_managed));
	if (!d.hostdevs || !d.hostdev_managed) {
		domain_info_done(&d);
		return -ENOMEM;
	}
	for (size_t i = 0; i < v->n_hostdevs; i++) {
		memcpy(d.hostdevs[i], v->hostdevs[i].address, PCI_ADDR_LEN + 1);
		d.hostdev_managed[i] = v->hostdevs[i].managed;
	}
	d.n_hostdevs = v->n_hostdevs;
	*out = d;
	return 0;
}

int domsvc_check_name(const char *name, struct pd_error *err)
{
	if (!domain_name_is_valid(name))
		return pd_error_set(err, PD_ERR_BAD_REQUEST, -EINVAL,
				    "invalid domain name: 1 to %d characters of A-Z a-z 0-9 . _ + : - not starting with '.' or '-'",
				    DOMAIN_NAME_MAX);
	return 0;
}

int domsvc_open(struct domsvc *ds, const char *name, struct virt_conn **ret_c,
		struct virt_domain *ret_v, struct pd_error *err)
{
	_cleanup_(virt_conn_unrefp) struct virt_conn *c = NULL;
	struct virt_error verr = { 0 };
	int r;

	r = domsvc_check_name(name, err);
	if (r < 0)
		return r;
	r = domsvc_get_conn(ds, &c, err);
	if (r < 0)
		return r;
	r = virt_domain_get(c, name, ret_v, &verr);
	if (r < 0)
		return domsvc_call_failed(ds, c, "the lookup", name, r, &verr, err);
	*ret_c = TAKE_PTR(c);
	return 0;
}

int domsvc_lookup(struct domsvc *ds, const char *name, struct domain_info *ret,
		  struct pd_error *err)
{
	_cleanup_(virt_conn_unrefp) struct virt_conn *c = NULL;
	struct virt_domain v = { 0 };
	int r;

	r = domsvc_open(ds, name, &c, &v, err);
	if (r < 0)
		return r;
	r = info_from_virt(&v, ret);
	virt_domain_done(&v);
	if (r < 0)
		return pd_error_set(err, PD_ERR_INTERNAL, r, "out of memory");
	return 0;
}

static int cmp_info(const void *a, const void *b)
{
	return strcmp(((const struct domain_info *)a)->name, ((const struct domain_info *)b)->name);
}

int domsvc_list(struct domsvc *ds, struct domain_info **ret, size_t *ret_n, struct pd_error *err)
{
	_cleanup_(virt_conn_unrefp) struct virt_conn *c = NULL;
	struct virt_error verr = { 0 };
	struct virt_domain *v = NULL;
	struct domain_info *out;
	size_t nv = 0, n = 0;
	int r;

	r = domsvc_get_conn(ds, &c, err);
	if (r < 0)
		return r;
	r = virt_domain_list(c, &v, &nv, &verr);
	if (r < 0)
		return domsvc_call_failed(ds, c, "the domain list", "*", r, &verr, err);
	out = calloc(nv ? nv : 1, sizeof(*out));
	if (!out) {
		virt_domain_free_array(v, nv);
		return pd_error_set(err, PD_ERR_INTERNAL, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nv; i++) {
		r = info_from_virt(&v[i], &out[n]);
		if (r == -ERANGE) {
			log_debug("Domain '%.64s...' has a name over %d characters, not listed",
				  v[i].name, DOMAIN_NAME_MAX);
			continue;
		}
		if (r < 0) {
			virt_domain_free_array(v, nv);
			domain_info_free_array(out, n);
			return pd_error_set(err, PD_ERR_INTERNAL, r, "out of memory");
		}
		n++;
	}
	virt_domain_free_array(v, nv);
	qsort(out, n, sizeof(*out), cmp_info);
	*ret = out;
	*ret_n = n;
	return 0;
}
