/*
 * domain.c - the domain calls of the domain service, one libvirt call (or a few) each.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt-priv.h"

static void domain_freep(virDomainPtr *d)
{
	if (*d)
		virDomainFree(*d);
}

static void xml_freep(char **s)
{
	free(*s); /* libvirt's strings are malloc()ed */
}

void virt_domain_done(struct virt_domain *d)
{
	if (!d)
		return;
	free(d->hostdevs);
	d->hostdevs = NULL;
	d->n_hostdevs = 0;
}

void virt_domain_free_array(struct virt_domain *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		virt_domain_done(&a[i]);
	free(a);
}

static int lookup(struct virt_conn *c, const char *name, virDomainPtr *ret, struct virt_error *err)
{
	virDomainPtr d = virDomainLookupByName(c->vc, name);

	if (!d)
		return virt_error_take(c->vc, err);
	*ret = d;
	return 0;
}

static enum virt_state state_of(int s)
{
	switch (s) {
	case VIR_DOMAIN_SHUTOFF:
		return VIRT_STATE_SHUTOFF;
	case VIR_DOMAIN_RUNNING:
		return VIRT_STATE_RUNNING;
	case VIR_DOMAIN_PAUSED:
		return VIRT_STATE_PAUSED;
	default:
		return VIRT_STATE_OTHER;
	}
}

/* Everything passd shows of @d. */
static int describe(struct virt_conn *c, virDomainPtr d, struct virt_domain *ret,
		    struct virt_error *err)
{
	struct virt_domain out = { 0 };
	_cleanup_(xml_freep) char *xml = NULL;
	const char *name = virDomainGetName(d);
	int state, reason, persistent, r;

	if (!name || virDomainGetUUIDString(d, out.uuid) < 0 ||
	    virDomainGetState(d, &state, &reason, 0) < 0 ||
	    (persistent = virDomainIsPersistent(d)) < 0)
		return virt_error_take(c->vc, err);
	snprintf(out.name, sizeof(out.name), "%s", name);
	out.name_truncated = strlen(name) >= sizeof(out.name);
	out.state = state_of(state);
	out.persistent = persistent == 1;
	xml = virDomainGetXMLDesc(d, 0); /* the live definition when active, else the config */
	if (!xml)
		return virt_error_take(c->vc, err);
	r = virt_xml_parse_hostdevs(xml, &out.hostdevs, &out.n_hostdevs, NULL);
	if (r < 0)
		return virt_error_set(err, r, "libvirt gave domain XML that does not parse");
	*ret = out;
	return 0;
}

int virt_domain_list(struct virt_conn *c, struct virt_domain **ret, size_t *ret_n,
		     struct virt_error *err)
{
	virDomainPtr *doms = NULL;
	struct virt_domain *out;
	size_t n = 0;
	int nd, r = 0;

	nd = virConnectListAllDomains(c->vc, &doms, 0);
	if (nd < 0)
		return virt_error_take(c->vc, err);
	out = calloc(nd > 0 ? (size_t)nd : 1, sizeof(*out));
	if (!out)
		r = virt_error_set(err, -ENOMEM, "out of memory");
	for (int i = 0; i < nd; i++) {
		if (r == 0) {
			r = describe(c, doms[i], &out[n], err);
			if (r == 0)
				n++;
			else if (r == -ENOENT)
				r = 0; /* undefined while we looked: not in the list */
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	if (r < 0) {
		virt_domain_free_array(out, n);
		return r;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

int virt_domain_get(struct virt_conn *c, const char *name, struct virt_domain *ret,
		    struct virt_error *err)
{
	_cleanup_(domain_freep) virDomainPtr d = NULL;
	int r;

	r = lookup(c, name, &d, err);
	if (r < 0)
		return r;
	return describe(c, d, ret, err);
}

static int hostdevs_of(struct virt_conn *c, virDomainPtr d, bool inactive,
		       struct virt_hostdev **ret, size_t *ret_n, struct virt_error *err)
{
	_cleanup_(xml_freep) char *xml = NULL;
	int r;

	xml = virDomainGetXMLDesc(d, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);
	if (!xml)
		return virt_error_take(c->vc, err);
	r = virt_xml_parse_hostdevs(xml, ret, ret_n, NULL);
	if (r < 0)
		return virt_error_set(err, r, "libvirt gave domain XML that does not parse");
	return 0;
}

int virt_domain_get_hostdevs(struct virt_conn *c, const char *name, bool inactive,
			     struct virt_hostdev **ret, size_t *ret_n, struct virt_error *err)
{
	_cleanup_(domain_freep) virDomainPtr d = NULL;
	int r;

	r = lookup(c, name, &d, err);
	if (r < 0)
		return r;
	return hostdevs_of(c, d, inactive, ret, ret_n, err);
}

/*
 * The config change through a redefinition, for drivers without device attach: the inactive
 * XML (with secrets, so nothing is lost) with the hostdev added or removed, defined again.
 */
static int redefine(struct virt_conn *c, virDomainPtr d, const char *addr, bool add,
		    struct virt_error *err)
{
	_cleanup_(xml_freep) char *xml = NULL;
	_cleanup_free_ char *nxml = NULL;
	virDomainPtr nd;
	bool changed = false;
	int r;

	xml = virDomainGetXMLDesc(d, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
	if (!xml)
		return virt_error_take(c->vc, err);
	r = add ? virt_xml_add_hostdev(xml, addr, &nxml, &changed) :
		  virt_xml_remove_hostdev(xml, addr, &nxml, &changed);
	if (r < 0)
		return virt_error_set(err, r, "libvirt gave domain XML that does not parse");
	if (!changed)
		return 0;
	nd = virDomainDefineXML(c->vc, nxml);
	if (!nd)
		return virt_error_take(c->vc, err);
	virDomainFree(nd);
	return 0;
}

static int change_hostdev(struct virt_conn *c, const char *name, const char *addr, bool live,
			  bool add, struct virt_error *err)
{
	_cleanup_(domain_freep) virDomainPtr d = NULL;
	_cleanup_free_ char *xml = NULL;
	unsigned flags = live ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG;
	int r;

	/* Our alias on attach names the device in DEVICE_REMOVED; detach matches the source. */
	r = virt_xml_hostdev_new(addr, add, &xml);
	if (r < 0)
		return virt_error_set(err, r, "bad PCI address for a hostdev");
	r = lookup(c, name, &d, err);
	if (r < 0)
		return r;
	r = add ? virDomainAttachDeviceFlags(d, xml, flags) : virDomainDetachDeviceFlags(d, xml, flags);
	if (r == 0)
		return 0;
	r = virt_error_take(c->vc, err);
	if (r != -EOPNOTSUPP || live)
		return r;
	if (err)
		*err = (struct virt_error){ 0 };
	return redefine(c, d, addr, add, err);
}

int virt_domain_attach_hostdev(struct virt_conn *c, const char *name, const char *addr, bool live,
			       struct virt_error *err)
{
	return change_hostdev(c, name, addr, live, true, err);
}

int virt_domain_detach_hostdev(struct virt_conn *c, const char *name, const char *addr, bool live,
			       struct virt_error *err)
{
	return change_hostdev(c, name, addr, live, false, err);
}

int virt_domain_start(struct virt_conn *c, const char *name, bool paused, struct virt_error *err)
{
	_cleanup_(domain_freep) virDomainPtr d = NULL;
	int r;

	r = lookup(c, name, &d, err);
	if (r < 0)
		return r;
	if (virDomainCreateWithFlags(d, paused ? VIR_DOMAIN_START_PAUSED : 0) == 0)
		return 0;
	r = virt_error_take(c->vc, err);
	if (!paused || r != -EINVAL)
		return r;
	/* "unsupported flags" (the test driver): start, then pause at once. */
	if (err)
		*err = (struct virt_error){ 0 };
	if (virDomainCreate(d) < 0 || virDomainSuspend(d) < 0)
		return virt_error_take(c->vc, err);
	return 0;
}

int virt_domain_destroy(struct virt_conn *c, const char *name, struct virt_error *err)
{
	_cleanup_(domain_freep) virDomainPtr d = NULL;
	int r;

	r = lookup(c, name, &d, err);
	if (r < 0)
		return r;
	if (virDomainDestroy(d) < 0)
		return virt_error_take(c->vc, err);
	return 0;
}
