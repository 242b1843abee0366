/*
 * pci-addr.h - the one parser of PCI addresses.
 *
 * The contract's form is DDDD:BB:DD.F in lowercase hex (domain 4 digits, bus 2, slot 2 with
 * slot <= 0x1f, function 0-7). Anything else is rejected, so no path into sysfs is ever built
 * from raw input: callers format the parsed value back with pci_addr_format().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define PCI_ADDR_LEN 12 /* strlen("0000:65:00.0") */

struct pci_addr {
	uint16_t domain;
	uint8_t bus;
	uint8_t slot;
	uint8_t function;
};

/* Parse exactly @len bytes of @s. Returns 0, or -EINVAL (ret untouched). */
int pci_addr_parse_n(const char *s, size_t len, struct pci_addr *ret);
/* Parse a NUL-terminated string. Returns 0, or -EINVAL (ret untouched). */
int pci_addr_parse(const char *s, struct pci_addr *ret);
/* Write the canonical form into @buf (at least PCI_ADDR_LEN + 1 bytes). */
void pci_addr_format(const struct pci_addr *a, char buf[static PCI_ADDR_LEN + 1]);
/* True when @s is already a canonical address. */
bool pci_addr_is_valid(const char *s);
/* Total order matching the canonical string order. */
int pci_addr_compare(const struct pci_addr *a, const struct pci_addr *b);
