#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pci-addr.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* uppercase is rejected on purpose: one spelling per device */
}

static int parse_hex(const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		int d = hexval(s[i]);
		if (d < 0)
			return -EINVAL;
		v = v << 4 | (unsigned)d;
	}
	*ret = v;
	return 0;
}

int pci_addr_parse_n(const char *s, size_t len, struct pci_addr *ret)
{
	unsigned dom, bus, slot, fn;

	if (!s || len != PCI_ADDR_LEN)
		return -EINVAL;
	if (s[4] != ':' || s[7] != ':' || s[10] != '.')
		return -EINVAL;
	if (parse_hex(s, 4, &dom) < 0 || parse_hex(s + 5, 2, &bus) < 0 ||
	    parse_hex(s + 8, 2, &slot) < 0)
		return -EINVAL;
	if (s[11] < '0' || s[11] > '7')
		return -EINVAL;
	fn = (unsigned)(s[11] - '0');
	if (slot > 0x1f)
		return -EINVAL;

	ret->domain = (uint16_t)dom;
	ret->bus = (uint8_t)bus;
	ret->slot = (uint8_t)slot;
	ret->function = (uint8_t)fn;
	return 0;
}

int pci_addr_parse(const char *s, struct pci_addr *ret)
{
	if (!s)
		return -EINVAL;
	return pci_addr_parse_n(s, strnlen(s, PCI_ADDR_LEN + 1), ret);
}

void pci_addr_format(const struct pci_addr *a, char buf[static PCI_ADDR_LEN + 1])
{
	/* Masks keep every field to its width, so the output is always PCI_ADDR_LEN long. */
	snprintf(buf, PCI_ADDR_LEN + 1, "%04x:%02x:%02x.%c", a->domain, a->bus, a->slot & 0x1fu,
		 '0' + (a->function & 7));
}

bool pci_addr_is_valid(const char *s)
{
	struct pci_addr a;

	return pci_addr_parse(s, &a) == 0;
}

int pci_addr_compare(const struct pci_addr *a, const struct pci_addr *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	if (a->function != b->function)
		return a->function < b->function ? -1 : 1;
	return 0;
}
