/*
 * pci-class.h - PCI class codes decoded to names (PCI Code and ID Assignment Specification).
 */
#pragma once

/*
 * Name of a 24-bit class code (class, subclass, prog-if): the most specific entry known, e.g.
 * 0x030000 "VGA compatible controller", 0x010802 "Non-Volatile memory controller". Returns a
 * static string, or NULL when even the base class is unknown.
 */
const char *pci_class_name(unsigned long class_code);
