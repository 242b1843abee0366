/*
 * xml.c - hostdev XML with libxml2's tree API: built node by node, parsed without network or
 * entity expansion. libvirt formats a hostdev's source address as
 * <address domain='0x0000' bus='0x65' slot='0x00' function='0x0'/> (domain_conf.c,
 * virPCIDeviceAddressFormat); base 0 parsing also takes the decimal form it accepts on input.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "xml.h"

#define ALIAS_PREFIX "ua-passd-"
#define PARSE_FLAGS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

static void xml_doc_freep(xmlDocPtr *d)
{
	if (*d)
		xmlFreeDoc(*d);
}

static bool name_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && streq((const char *)n->name, name);
}

static xmlNode *first_child(xmlNode *parent, const char *name)
{
	for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
		if (name_is(c, name))
			return c;
	return NULL;
}

/* Attribute @name as a number no larger than @max; base 0 ("0x65" or "101"). */
static int attr_num(xmlNode *n, const char *name, unsigned long max, unsigned long *ret)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *end;
	unsigned long x;
	int r = -EINVAL;

	if (!v)
		return -EINVAL;
	errno = 0;
	x = strtoul((const char *)v, &end, 0);
	if (errno == 0 && end != (const char *)v && *end == '\0' && x <= max &&
	    ((const char *)v)[0] != '-') {
		*ret = x;
		r = 0;
	}
	xmlFree(v);
	return r;
}

/* The canonical address of a <hostdev mode='subsystem' type='pci'>, or -EINVAL. */
static int hostdev_address(xmlNode *hd, char buf[static PCI_ADDR_LEN + 1])
{
	xmlNode *a = first_child(first_child(hd, "source"), "address");
	unsigned long dom, bus, slot, fn;
	xmlChar *mode, *type;
	bool pci;

	mode = xmlGetProp(hd, (const xmlChar *)"mode");
	type = xmlGetProp(hd, (const xmlChar *)"type");
	pci = mode && type && streq((const char *)mode, "subsystem") &&
	      streq((const char *)type, "pci");
	xmlFree(mode);
	xmlFree(type);
	if (!pci || !a)
		return -EINVAL;
	if (attr_num(a, "domain", 0xffff, &dom) < 0 || attr_num(a, "bus", 0xff, &bus) < 0 ||
	    attr_num(a, "slot", 0x1f, &slot) < 0 || attr_num(a, "function", 7, &fn) < 0)
		return -EINVAL;
	pci_addr_format(&(struct pci_addr){ (uint16_t)dom, (uint8_t)bus, (uint8_t)slot, (uint8_t)fn },
			buf);
	return 0;
}

static int parse_doc(const char *xml, xmlDocPtr *ret_doc, xmlNode **ret_root)
{
	xmlDocPtr doc;
	xmlNode *root;

	if (!xml)
		return -EINVAL;
	doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, PARSE_FLAGS);
	if (!doc)
		return -EINVAL;
	root = xmlDocGetRootElement(doc);
	if (!name_is(root, "domain")) {
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	*ret_doc = doc;
	*ret_root = root;
	return 0;
}

/* Build the hostdev element of @a as a child of @parent (or as @doc's root when NULL). */
static xmlNode *hostdev_node(xmlDocPtr doc, xmlNode *parent, const struct pci_addr *a,
			     bool with_alias)
{
	char dom[8], bus[8], slot[8], fn[8], addr[PCI_ADDR_LEN + 1];
	xmlNode *hd, *src, *ad;

	snprintf(dom, sizeof(dom), "0x%04x", a->domain);
	snprintf(bus, sizeof(bus), "0x%02x", a->bus);
	snprintf(slot, sizeof(slot), "0x%02x", a->slot);
	snprintf(fn, sizeof(fn), "0x%x", a->function);
	hd = xmlNewDocNode(doc, NULL, (const xmlChar *)"hostdev", NULL);
	if (!hd)
		return NULL;
	if (parent)
		xmlAddChild(parent, hd);
	else
		xmlDocSetRootElement(doc, hd);
	if (!xmlNewProp(hd, (const xmlChar *)"mode", (const xmlChar *)"subsystem") ||
	    !xmlNewProp(hd, (const xmlChar *)"type", (const xmlChar *)"pci") ||
	    !xmlNewProp(hd, (const xmlChar *)"managed", (const xmlChar *)"no"))
		return NULL;
	src = xmlNewChild(hd, NULL, (const xmlChar *)"source", NULL);
	ad = src ? xmlNewChild(src, NULL, (const xmlChar *)"address", NULL) : NULL;
	if (!ad || !xmlNewProp(ad, (const xmlChar *)"domain", (const xmlChar *)dom) ||
	    !xmlNewProp(ad, (const xmlChar *)"bus", (const xmlChar *)bus) ||
	    !xmlNewProp(ad, (const xmlChar *)"slot", (const xmlChar *)slot) ||
	    !xmlNewProp(ad, (const xmlChar *)"function", (const xmlChar *)fn))
		return NULL;
	if (with_alias) {
		char alias[VIRT_ALIAS_MAX];
		xmlNode *al;

		pci_addr_format(a, addr);
		virt_alias_from_address(addr, alias);
		al = xmlNewChild(hd, NULL, (const xmlChar *)"alias", NULL);
		if (!al || !xmlNewProp(al, (const xmlChar *)"name", (const xmlChar *)alias))
			return NULL;
	}
	return hd;
}

/* @n (an element) as text, in a malloc()ed string. */
static int node_to_string(xmlDocPtr doc, xmlNode *n, char **ret)
{
	xmlBufferPtr buf = xmlBufferCreate();
	char *s;

	if (!buf)
		return -ENOMEM;
	if (xmlNodeDump(buf, doc, n, 0, 0) < 0) {
		xmlBufferFree(buf);
		return -ENOMEM;
	}
	s = strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int virt_xml_hostdev_new(const char *addr, bool with_alias, char **ret)
{
	_cleanup_(xml_doc_freep) xmlDocPtr doc = NULL;
	struct pci_addr a;
	xmlNode *hd;

	if (pci_addr_parse(addr, &a) < 0)
		return -EINVAL;
	doc = xmlNewDoc((const xmlChar *)"1.0");
	if (!doc)
		return -ENOMEM;
	hd = hostdev_node(doc, NULL, &a, with_alias);
	if (!hd)
		return -ENOMEM;
	return node_to_string(doc, hd, ret);
}

int virt_xml_parse_hostdevs(const char *domain_xml, struct virt_hostdev **ret, size_t *ret_n,
			    char **ret_name)
{
	_cleanup_(xml_doc_freep) xmlDocPtr doc = NULL;
	_cleanup_free_ struct virt_hostdev *hds = NULL;
	_cleanup_free_ char *name = NULL;
	xmlNode *root, *devs;
	size_t n = 0, cap = 0;
	int r;

	r = parse_doc(domain_xml, &doc, &root);
	if (r < 0)
		return r;
	if (ret_name) {
		xmlChar *v = xmlNodeGetContent(first_child(root, "name"));
		name = strdup(v ? (const char *)v : "");
		xmlFree(v);
		if (!name)
			return -ENOMEM;
	}
	devs = first_child(root, "devices");
	for (xmlNode *c = devs ? devs->children : NULL; c; c = c->next) {
		struct virt_hostdev h = { 0 };
		xmlChar *managed, *alias;

		if (!name_is(c, "hostdev") || hostdev_address(c, h.address) < 0)
			continue;
		managed = xmlGetProp(c, (const xmlChar *)"managed");
		h.managed = managed && streq((const char *)managed, "yes");
		xmlFree(managed);
		alias = xmlGetProp(first_child(c, "alias"), (const xmlChar *)"name");
		if (alias && strlen((const char *)alias) < sizeof(h.alias))
			strcpy(h.alias, (const char *)alias);
		xmlFree(alias);
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 4;
			struct virt_hostdev *nh = realloc(hds, nc * sizeof(*nh));
			if (!nh)
				return -ENOMEM;
			hds = nh;
			cap = nc;
		}
		hds[n++] = h;
	}
	*ret = TAKE_PTR(hds);
	*ret_n = n;
	if (ret_name)
		*ret_name = TAKE_PTR(name);
	return 0;
}

static int doc_to_string(xmlDocPtr doc, char **ret)
{
	xmlChar *mem = NULL;
	int len = 0;
	char *s;

	xmlDocDumpMemory(doc, &mem, &len);
	if (!mem)
		return -ENOMEM;
	s = strdup((const char *)mem);
	xmlFree(mem);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int virt_xml_add_hostdev(const char *domain_xml, const char *addr, char **ret, bool *ret_changed)
{
	_cleanup_(xml_doc_freep) xmlDocPtr doc = NULL;
	char want[PCI_ADDR_LEN + 1], have[PCI_ADDR_LEN + 1];
	struct pci_addr a;
	xmlNode *root, *devs;
	int r;

	if (pci_addr_parse(addr, &a) < 0)
		return -EINVAL;
	pci_addr_format(&a, want);
	r = parse_doc(domain_xml, &doc, &root);
	if (r < 0)
		return r;
	devs = first_child(root, "devices");
	for (xmlNode *c = devs ? devs->children : NULL; c; c = c->next)
		if (name_is(c, "hostdev") && hostdev_address(c, have) == 0 && streq(have, want)) {
			*ret_changed = false;
			return doc_to_string(doc, ret);
		}
	if (!devs) {
		devs = xmlNewChild(root, NULL, (const xmlChar *)"devices", NULL);
		if (!devs)
			return -ENOMEM;
	}
	if (!hostdev_node(doc, devs, &a, true))
		return -ENOMEM;
	r = doc_to_string(doc, ret);
	if (r < 0)
		return r;
	*ret_changed = true;
	return 0;
}

int virt_xml_remove_hostdev(const char *domain_xml, const char *addr, char **ret,
			    bool *ret_changed)
{
	_cleanup_(xml_doc_freep) xmlDocPtr doc = NULL;
	char want[PCI_ADDR_LEN + 1], have[PCI_ADDR_LEN + 1];
	struct pci_addr a;
	xmlNode *root, *devs, *next;
	bool changed = false;
	int r;

	if (pci_addr_parse(addr, &a) < 0)
		return -EINVAL;
	pci_addr_format(&a, want);
	r = parse_doc(domain_xml, &doc, &root);
	if (r < 0)
		return r;
	devs = first_child(root, "devices");
	for (xmlNode *c = devs ? devs->children : NULL; c; c = next) {
		next = c->next;
		if (name_is(c, "hostdev") && hostdev_address(c, have) == 0 && streq(have, want)) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
			changed = true;
		}
	}
	r = doc_to_string(doc, ret);
	if (r < 0)
		return r;
	*ret_changed = changed;
	return 0;
}

void virt_alias_from_address(const char *addr, char buf[static VIRT_ALIAS_MAX])
{
	size_t i, k = strlen(ALIAS_PREFIX);

	/* libvirt's user aliases allow [a-zA-Z0-9_-] only: ':' and '.' become '-'. */
	memcpy(buf, ALIAS_PREFIX, k);
	for (i = 0; addr[i] && k + 1 < VIRT_ALIAS_MAX; i++)
		buf[k++] = (addr[i] == ':' || addr[i] == '.') ? '-' : addr[i];
	buf[k] = '\0';
}

int virt_alias_to_address(const char *alias, char buf[static PCI_ADDR_LEN + 1])
{
	size_t k = strlen(ALIAS_PREFIX);
	char s[PCI_ADDR_LEN + 1];

	if (!alias || strncmp(alias, ALIAS_PREFIX, k) != 0 || strlen(alias + k) != PCI_ADDR_LEN)
		return -EINVAL;
	memcpy(s, alias + k, PCI_ADDR_LEN + 1);
	/* "0000-65-00-0" -> "0000:65:00.0" */
	if (s[4] != '-' || s[7] != '-' || s[10] != '-')
		return -EINVAL;
	s[4] = ':';
	s[7] = ':';
	s[10] = '.';
	if (!pci_addr_is_valid(s))
		return -EINVAL;
	memcpy(buf, s, PCI_ADDR_LEN + 1);
	return 0;
}
