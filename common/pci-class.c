/*
 * pci-class.c - PCI class codes decoded to names.
 *
 * Source: PCI-SIG "PCI Code and ID Assignment Specification" rev 1.15, section 1 (base classes
 * 00h-13h, 40h, FFh) and the class section of pci.ids, whose spelling lspci users know. The table
 * is indexed by base class and searched linearly below that (at most ~15 entries per level),
 * so a lookup costs a few dozen compares and needs no ordering discipline from the editor.
 *
 * The most specific entry wins, so every name must stand on its own: a programming interface
 * that only qualifies its subclass ("Normal decode", "Vendor specific", "Generic") is left out
 * so that the subclass answers, and the others carry the subclass in their name where the
 * interface alone would be cryptic ("Serial controller (16550)", but "XHCI", as lspci says).
 */
#include <config.h>

#include <stddef.h>

#include "macro.h"
#include "pci-class.h"

struct pci_progif {
	unsigned char code;
	const char *name;
};

struct pci_subclass {
	unsigned char code;
	const char *name;
	const struct pci_progif *progifs;
	size_t n_progifs;
};

struct pci_baseclass {
	const char *name;
	const struct pci_subclass *subclasses;
	size_t n_subclasses;
};

#define PROGIFS(a) (a), ELEMENTSOF(a)
#define NO_PROGIFS NULL, 0
#define SUBCLASSES(a) (a), ELEMENTSOF(a)

/* 00h: devices built before class codes were defined */
static const struct pci_subclass sub_00[] = {
	{ 0x00, "Non-VGA unclassified device", NO_PROGIFS },
	{ 0x01, "VGA compatible unclassified device", NO_PROGIFS },
	{ 0x05, "Image coprocessor", NO_PROGIFS },
};

/* 01h: mass storage */
static const struct pci_progif pi_0100[] = {
	{ 0x11, "SCSI storage device (SOP target, PQI)" },
	{ 0x12, "SCSI controller (PQI)" },
	{ 0x13, "SCSI storage device and SCSI controller (PQI)" },
	{ 0x21, "SCSI storage device (SOP target, NVMe)" },
};
static const struct pci_progif pi_0101[] = {
	{ 0x00, "IDE interface (ISA compatibility mode-only)" },
	{ 0x05, "IDE interface (PCI native mode-only)" },
	{ 0x0a, "IDE interface (ISA compatibility mode, switchable to PCI native)" },
	{ 0x0f, "IDE interface (PCI native mode, switchable to ISA compatibility)" },
	{ 0x80, "IDE interface (ISA compatibility mode-only, bus mastering)" },
	{ 0x85, "IDE interface (PCI native mode-only, bus mastering)" },
	{ 0x8a, "IDE interface (ISA compatibility mode, switchable to PCI native, bus mastering)" },
	{ 0x8f, "IDE interface (PCI native mode, switchable to ISA compatibility, bus mastering)" },
};
static const struct pci_progif pi_0105[] = {
	{ 0x20, "ATA controller (ADMA single stepping)" },
	{ 0x30, "ATA controller (ADMA continuous operation)" },
};
static const struct pci_progif pi_0106[] = {
	{ 0x01, "AHCI 1.0" },
	{ 0x02, "Serial Storage Bus" },
};
static const struct pci_progif pi_0107[] = {
	{ 0x01, "Serial Storage Bus" },
};
static const struct pci_progif pi_0108[] = {
	{ 0x01, "NVMHCI" },
	{ 0x02, "NVM Express" },
	{ 0x03, "NVM Express administrative controller" },
};
static const struct pci_progif pi_0109[] = {
	{ 0x01, "UFSHCI" },
};
static const struct pci_subclass sub_01[] = {
	{ 0x00, "SCSI storage controller", PROGIFS(pi_0100) },
	{ 0x01, "IDE interface", PROGIFS(pi_0101) },
	{ 0x02, "Floppy disk controller", NO_PROGIFS },
	{ 0x03, "IPI bus controller", NO_PROGIFS },
	{ 0x04, "RAID bus controller", NO_PROGIFS },
	{ 0x05, "ATA controller", PROGIFS(pi_0105) },
	{ 0x06, "SATA controller", PROGIFS(pi_0106) },
	{ 0x07, "Serial Attached SCSI controller", PROGIFS(pi_0107) },
	{ 0x08, "Non-Volatile memory controller", PROGIFS(pi_0108) },
	{ 0x09, "Universal Flash Storage controller", PROGIFS(pi_0109) },
	{ 0x80, "Mass storage controller", NO_PROGIFS },
};

/* 02h: network */
static const struct pci_subclass sub_02[] = {
	{ 0x00, "Ethernet controller", NO_PROGIFS },
	{ 0x01, "Token ring network controller", NO_PROGIFS },
	{ 0x02, "FDDI network controller", NO_PROGIFS },
	{ 0x03, "ATM network controller", NO_PROGIFS },
	{ 0x04, "ISDN controller", NO_PROGIFS },
	{ 0x05, "WorldFip controller", NO_PROGIFS },
	{ 0x06, "PICMG controller", NO_PROGIFS },
	{ 0x07, "Infiniband controller", NO_PROGIFS },
	{ 0x08, "Fabric controller", NO_PROGIFS },
	{ 0x80, "Network controller", NO_PROGIFS },
};

/* 03h: display */
static const struct pci_progif pi_0300[] = {
	{ 0x01, "8514 controller" },
};
static const struct pci_subclass sub_03[] = {
	{ 0x00, "VGA compatible controller", PROGIFS(pi_0300) },
	{ 0x01, "XGA compatible controller", NO_PROGIFS },
	{ 0x02, "3D controller", NO_PROGIFS },
	{ 0x80, "Display controller", NO_PROGIFS },
};

/* 04h: multimedia */
static const struct pci_subclass sub_04[] = {
	{ 0x00, "Multimedia video controller", NO_PROGIFS },
	{ 0x01, "Multimedia audio controller", NO_PROGIFS },
	{ 0x02, "Computer telephony device", NO_PROGIFS },
	{ 0x03, "Audio device", NO_PROGIFS },
	{ 0x80, "Multimedia controller", NO_PROGIFS },
};

/* 05h: memory */
static const struct pci_progif pi_0502[] = {
	{ 0x00, "CXL memory device (vendor specific interface)" },
	{ 0x10, "CXL memory device" },
};
static const struct pci_subclass sub_05[] = {
	{ 0x00, "RAM memory", NO_PROGIFS },
	{ 0x01, "FLASH memory", NO_PROGIFS },
	{ 0x02, "CXL", PROGIFS(pi_0502) },
	{ 0x80, "Memory controller", NO_PROGIFS },
};

/* 06h: bridges */
static const struct pci_progif pi_0604[] = {
	{ 0x01, "PCI bridge (subtractive decode)" },
};
static const struct pci_progif pi_0609[] = {
	{ 0x40, "Semi-transparent PCI-to-PCI bridge (primary bus towards host CPU)" },
	{ 0x80, "Semi-transparent PCI-to-PCI bridge (secondary bus towards host CPU)" },
};
static const struct pci_progif pi_060b[] = {
	{ 0x01, "ASI-SIG Defined Portal Interface" },
};
static const struct pci_subclass sub_06[] = {
	{ 0x00, "Host bridge", NO_PROGIFS },
	{ 0x01, "ISA bridge", NO_PROGIFS },
	{ 0x02, "EISA bridge", NO_PROGIFS },
	{ 0x03, "MicroChannel bridge", NO_PROGIFS },
	{ 0x04, "PCI bridge", PROGIFS(pi_0604) },
	{ 0x05, "PCMCIA bridge", NO_PROGIFS },
	{ 0x06, "NuBus bridge", NO_PROGIFS },
	{ 0x07, "CardBus bridge", NO_PROGIFS },
	{ 0x08, "RACEway bridge", NO_PROGIFS },
	{ 0x09, "Semi-transparent PCI-to-PCI bridge", PROGIFS(pi_0609) },
	{ 0x0a, "InfiniBand to PCI host bridge", NO_PROGIFS },
	{ 0x0b, "Advanced Switching to PCI host bridge", PROGIFS(pi_060b) },
	{ 0x80, "Bridge", NO_PROGIFS },
};

/* 07h: simple communication */
static const struct pci_progif pi_0700[] = {
	{ 0x00, "Serial controller (8250)" },  { 0x01, "Serial controller (16450)" },
	{ 0x02, "Serial controller (16550)" }, { 0x03, "Serial controller (16650)" },
	{ 0x04, "Serial controller (16750)" }, { 0x05, "Serial controller (16850)" },
	{ 0x06, "Serial controller (16950)" },
};
static const struct pci_progif pi_0701[] = {
	{ 0x00, "Parallel controller (SPP)" }, { 0x01, "Parallel controller (BiDir)" },
	{ 0x02, "Parallel controller (ECP)" }, { 0x03, "Parallel controller (IEEE 1284)" },
	{ 0xfe, "IEEE 1284 target" },
};
static const struct pci_progif pi_0703[] = {
	{ 0x01, "Modem (Hayes/16450)" },
	{ 0x02, "Modem (Hayes/16550)" },
	{ 0x03, "Modem (Hayes/16650)" },
	{ 0x04, "Modem (Hayes/16750)" },
};
static const struct pci_subclass sub_07[] = {
	{ 0x00, "Serial controller", PROGIFS(pi_0700) },
	{ 0x01, "Parallel controller", PROGIFS(pi_0701) },
	{ 0x02, "Multiport serial controller", NO_PROGIFS },
	{ 0x03, "Modem", PROGIFS(pi_0703) },
	{ 0x04, "GPIB controller", NO_PROGIFS },
	{ 0x05, "Smart Card controller", NO_PROGIFS },
	{ 0x80, "Communication controller", NO_PROGIFS },
};

/* 08h: base system peripherals */
static const struct pci_progif pi_0800[] = {
	{ 0x00, "8259 PIC" }, { 0x01, "ISA PIC" },    { 0x02, "EISA PIC" },
	{ 0x10, "IO-APIC" },  { 0x20, "IO(X)-APIC" },
};
static const struct pci_progif pi_0801[] = {
	{ 0x00, "8237 DMA controller" },
	{ 0x01, "ISA DMA controller" },
	{ 0x02, "EISA DMA controller" },
};
static const struct pci_progif pi_0802[] = {
	{ 0x00, "8254 timer" },
	{ 0x01, "ISA timer" },
	{ 0x02, "EISA timers" },
	{ 0x03, "HPET" },
};
static const struct pci_progif pi_0803[] = {
	{ 0x01, "ISA RTC" },
};
static const struct pci_subclass sub_08[] = {
	{ 0x00, "PIC", PROGIFS(pi_0800) },
	{ 0x01, "DMA controller", PROGIFS(pi_0801) },
	{ 0x02, "Timer", PROGIFS(pi_0802) },
	{ 0x03, "RTC", PROGIFS(pi_0803) },
	{ 0x04, "PCI Hot-plug controller", NO_PROGIFS },
	{ 0x05, "SD Host controller", NO_PROGIFS },
	{ 0x06, "IOMMU", NO_PROGIFS },
	{ 0x07, "Root Complex Event Collector", NO_PROGIFS },
	{ 0x80, "System peripheral", NO_PROGIFS },
};

/* 09h: input devices */
static const struct pci_progif pi_0904[] = {
	{ 0x10, "Gameport controller (extended)" },
};
static const struct pci_subclass sub_09[] = {
	{ 0x00, "Keyboard controller", NO_PROGIFS },
	{ 0x01, "Digitizer Pen", NO_PROGIFS },
	{ 0x02, "Mouse controller", NO_PROGIFS },
	{ 0x03, "Scanner controller", NO_PROGIFS },
	{ 0x04, "Gameport controller", PROGIFS(pi_0904) },
	{ 0x80, "Input device controller", NO_PROGIFS },
};

/* 0Ah: docking stations */
static const struct pci_subclass sub_0a[] = {
	{ 0x00, "Generic Docking Station", NO_PROGIFS },
	{ 0x80, "Docking Station", NO_PROGIFS },
};

/* 0Bh: processors */
static const struct pci_subclass sub_0b[] = {
	{ 0x00, "386", NO_PROGIFS },	      { 0x01, "486", NO_PROGIFS },
	{ 0x02, "Pentium", NO_PROGIFS },      { 0x10, "Alpha", NO_PROGIFS },
	{ 0x20, "Power PC", NO_PROGIFS },     { 0x30, "MIPS", NO_PROGIFS },
	{ 0x40, "Co-processor", NO_PROGIFS }, { 0x80, "Processor", NO_PROGIFS },
};

/* 0Ch: serial bus controllers */
static const struct pci_progif pi_0c00[] = {
	{ 0x10, "FireWire (IEEE 1394) OHCI" },
};
static const struct pci_progif pi_0c03[] = {
	{ 0x00, "UHCI" },
	{ 0x10, "OHCI" },
	{ 0x20, "EHCI" },
	{ 0x30, "XHCI" },
	{ 0x40, "USB4 Host Interface" },
	{ 0xfe, "USB Device" },
};
static const struct pci_progif pi_0c07[] = {
	{ 0x00, "IPMI SMIC interface" },
	{ 0x01, "IPMI KCS interface" },
	{ 0x02, "IPMI BT (Block Transfer) interface" },
};
static const struct pci_subclass sub_0c[] = {
	{ 0x00, "FireWire (IEEE 1394)", PROGIFS(pi_0c00) },
	{ 0x01, "ACCESS Bus", NO_PROGIFS },
	{ 0x02, "SSA", NO_PROGIFS },
	{ 0x03, "USB controller", PROGIFS(pi_0c03) },
	{ 0x04, "Fibre Channel", NO_PROGIFS },
	{ 0x05, "SMBus", NO_PROGIFS },
	{ 0x06, "InfiniBand", NO_PROGIFS },
	{ 0x07, "IPMI Interface", PROGIFS(pi_0c07) },
	{ 0x08, "SERCOS interface", NO_PROGIFS },
	{ 0x09, "CANBUS", NO_PROGIFS },
	{ 0x0a, "MIPI I3C", NO_PROGIFS },
	{ 0x80, "Serial bus controller", NO_PROGIFS },
};

/* 0Dh: wireless */
static const struct pci_subclass sub_0d[] = {
	{ 0x00, "IRDA controller", NO_PROGIFS },
	{ 0x01, "Consumer IR controller", NO_PROGIFS },
	{ 0x10, "RF controller", NO_PROGIFS },
	{ 0x11, "Bluetooth", NO_PROGIFS },
	{ 0x12, "Broadband", NO_PROGIFS },
	{ 0x20, "802.1a controller", NO_PROGIFS },
	{ 0x21, "802.1b controller", NO_PROGIFS },
	{ 0x40, "Cellular controller/modem", NO_PROGIFS },
	{ 0x41, "Cellular controller/modem plus Ethernet (802.11)", NO_PROGIFS },
	{ 0x80, "Wireless controller", NO_PROGIFS },
};

/* 0Eh: intelligent I/O */
static const struct pci_subclass sub_0e[] = {
	{ 0x00, "I2O", NO_PROGIFS },
};

/* 0Fh: satellite communication */
static const struct pci_subclass sub_0f[] = {
	{ 0x01, "Satellite TV controller", NO_PROGIFS },
	{ 0x02, "Satellite audio communication controller", NO_PROGIFS },
	{ 0x03, "Satellite voice communication controller", NO_PROGIFS },
	{ 0x04, "Satellite data communication controller", NO_PROGIFS },
};

/* 10h: encryption */
static const struct pci_subclass sub_10[] = {
	{ 0x00, "Network and computing encryption device", NO_PROGIFS },
	{ 0x10, "Entertainment encryption device", NO_PROGIFS },
	{ 0x80, "Encryption controller", NO_PROGIFS },
};

/* 11h: data acquisition and signal processing */
static const struct pci_subclass sub_11[] = {
	{ 0x00, "DPIO module", NO_PROGIFS },
	{ 0x01, "Performance counters", NO_PROGIFS },
	{ 0x10, "Communication synchronizer", NO_PROGIFS },
	{ 0x20, "Signal processing management", NO_PROGIFS },
	{ 0x80, "Signal processing controller", NO_PROGIFS },
};

/* 12h: processing accelerators (the spec has no subclass names but 01h SDXI) */
static const struct pci_subclass sub_12[] = {
	{ 0x00, "Processing accelerators", NO_PROGIFS },
	{ 0x01, "SDXI controller", NO_PROGIFS },
};

static const struct pci_baseclass baseclasses[256] = {
	[0x00] = { "Unclassified device", SUBCLASSES(sub_00) },
	[0x01] = { "Mass storage controller", SUBCLASSES(sub_01) },
	[0x02] = { "Network controller", SUBCLASSES(sub_02) },
	[0x03] = { "Display controller", SUBCLASSES(sub_03) },
	[0x04] = { "Multimedia controller", SUBCLASSES(sub_04) },
	[0x05] = { "Memory controller", SUBCLASSES(sub_05) },
	[0x06] = { "Bridge", SUBCLASSES(sub_06) },
	[0x07] = { "Communication controller", SUBCLASSES(sub_07) },
	[0x08] = { "Generic system peripheral", SUBCLASSES(sub_08) },
	[0x09] = { "Input device controller", SUBCLASSES(sub_09) },
	[0x0a] = { "Docking station", SUBCLASSES(sub_0a) },
	[0x0b] = { "Processor", SUBCLASSES(sub_0b) },
	[0x0c] = { "Serial bus controller", SUBCLASSES(sub_0c) },
	[0x0d] = { "Wireless controller", SUBCLASSES(sub_0d) },
	[0x0e] = { "Intelligent controller", SUBCLASSES(sub_0e) },
	[0x0f] = { "Satellite communications controller", SUBCLASSES(sub_0f) },
	[0x10] = { "Encryption controller", SUBCLASSES(sub_10) },
	[0x11] = { "Signal processing controller", SUBCLASSES(sub_11) },
	[0x12] = { "Processing accelerators", SUBCLASSES(sub_12) },
	[0x13] = { "Non-Essential Instrumentation", NULL, 0 },
	[0x40] = { "Coprocessor", NULL, 0 },
	[0xff] = { "Unassigned class", NULL, 0 },
};

const char *pci_class_name(unsigned long class_code)
{
	const struct pci_baseclass *b;
	unsigned base, sub, progif;

	if (class_code > 0xffffff)
		return NULL;
	base = (unsigned)(class_code >> 16);
	sub = (unsigned)(class_code >> 8) & 0xff;
	progif = (unsigned)class_code & 0xff;

	b = &baseclasses[base];
	if (!b->name)
		return NULL;

	for (size_t i = 0; i < b->n_subclasses; i++) {
		const struct pci_subclass *sc = &b->subclasses[i];

		if (sc->code != sub)
			continue;
		for (size_t j = 0; j < sc->n_progifs; j++)
			if (sc->progifs[j].code == progif)
				return sc->progifs[j].name;
		return sc->name;
	}
	return b->name;
}
