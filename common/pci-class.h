/*
 * pci-class.h - PCI class codes decoded to names (PCI Code and ID Assignment Specification).
 */
#pragma once

/*
 * Name of a 24-bit class code (class, subclass, prog-if): the most specific entry known, e.g.
 * 0x010802 "NVM Express", 0x0c0330 "XHCI", 0x030000 "VGA compatible controller" (prog-if 00 only
 * qualifies its subclass), 0x0108ff "Non-Volatile memory controller", 0x01ffff "Mass storage
 * controller". Returns a static string, or NULL when even the base class is unknown (or the
 * code does not fit in 24 bits). Thread-safe, no allocation.
 */
const char *pci_class_name(unsigned long class_code);
