/*
 * xml.h - the domain XML passd reads and writes, with libxml2 (never by pasting strings).
 *
 * Pure functions over XML text: no libvirt connection, so unit tests cover them alone. Every
 * value that enters XML goes through libxml2's tree API, which escapes it; the only values
 * passd puts there are parsed PCI addresses. Return 0 or a negative errno; log nothing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "pci-addr.h"

/* A user alias ("ua-" prefix) survives in libvirt's config and names the device in events. */
#define VIRT_ALIAS_MAX 64

struct virt_hostdev {
	char address[PCI_ADDR_LEN + 1];
	bool managed;
	char alias[VIRT_ALIAS_MAX]; /* "" when the XML has none */
};

/*
 * The hostdev element for @addr: <hostdev mode='subsystem' type='pci' managed='no'><source>
 * <address domain='0x0000' bus='0x65' slot='0x00' function='0x0'/></source>[<alias/>]</hostdev>,
 * with passd's user alias when @with_alias. *ret is owned (free()). -EINVAL for a bad address.
 */
int virt_xml_hostdev_new(const char *addr, bool with_alias, char **ret);

/*
 * The PCI hostdevs (mode='subsystem' type='pci') of a domain's XML, in document order, and
 * its <name> when @ret_name is not NULL (owned). -EINVAL when the XML does not parse or is not
 * a <domain>; hostdevs whose address cannot be read are skipped.
 */
int virt_xml_parse_hostdevs(const char *domain_xml, struct virt_hostdev **ret, size_t *ret_n,
			    char **ret_name);

/*
 * Domain XML with the hostdev of @addr added (under <devices>, created if missing), or with
 * every PCI hostdev of @addr removed. *ret is the new document (owned); unchanged when the
 * hostdev is already there / absent (*ret_changed false).
 */
int virt_xml_add_hostdev(const char *domain_xml, const char *addr, char **ret, bool *ret_changed);
int virt_xml_remove_hostdev(const char *domain_xml, const char *addr, char **ret,
			    bool *ret_changed);

/* passd's alias for @addr ("ua-passd-0000-65-00-0") into @buf; and back (-EINVAL if not ours). */
void virt_alias_from_address(const char *addr, char buf[static VIRT_ALIAS_MAX]);
int virt_alias_to_address(const char *alias, char buf[static PCI_ADDR_LEN + 1]);
