/*
 * sim-profile.h - the host profile of the simulator: parser, validation and the derived topology.
 *
 * A profile (format in tests/sim/README.md) describes one host: root complexes, PCI functions,
 * drivers, IOMMU groups, SR-IOV, block devices, network interfaces and /proc facts. simprof_load()
 * parses it and derives what the kernel would: each function's place in the device tree, bridge
 * bus ranges, the enabled VFs (routing ID = PF RID + offset + stride * i), automatic group numbers
 * for VFs, block device numbers and interface indexes.
 *
 * This code models the kernel on its own and never includes anything from daemon/.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

#define SIM_NAME_MAX 32

enum sim_cpu_vendor {
	SIM_CPU_VENDOR_INTEL,
	SIM_CPU_VENDOR_AMD,
};

/* Where vfio, vfio_pci and vfio_iommu_type1 stand (host vfio=). */
enum sim_vfio {
	SIM_VFIO_LOADED,  /* loaded modules: /proc/modules, module/NAME/initstate, /dev/vfio/vfio */
	SIM_VFIO_BUILTIN, /* built in: module/NAME/parameters only, modules.builtin lists them */
	SIM_VFIO_ABSENT,  /* not loaded, but modules.dep lists them (modprobe would work) */
	SIM_VFIO_MISSING, /* not loaded, and this kernel has no such modules */
};

/* What kind of bridge a function is (PCIe r6.0 7.5.3.2, Device/Port Type). */
enum sim_port {
	SIM_PORT_NONE,	     /* not a bridge */
	SIM_PORT_ROOT,	     /* root port */
	SIM_PORT_UPSTREAM,   /* switch upstream port */
	SIM_PORT_DOWNSTREAM, /* switch downstream port */
	SIM_PORT_PCI_BRIDGE, /* PCIe-to-PCI bridge: what sits below it is conventional PCI */
};

/* An address the way the kernel keeps it: domain, bus and devfn (slot << 3 | function). */
struct sim_addr {
	uint16_t domain;
	uint8_t bus;
	uint8_t devfn;
};

struct sim_root {
	uint16_t domain;
	uint8_t bus;
	int numa;  /* -1 when the root complex has no proximity domain */
	int index; /* order of declaration; names the IOMMU unit (dmarN or ivhdN) */
	int line;
	char path[32]; /* "devices/pci0000:00", relative to sys/ */
};

/* A block device (whole disk or partition) created under an NVMe or SATA controller. */
struct sim_blockdev {
	char name[SIM_NAME_MAX + 16]; /* nvme0n1, nvme0n1p2, sda, sda1 */
	unsigned major, minor;
	unsigned partition; /* 0 for the whole disk */
	uint64_t sectors;
	struct sim_dev *dev; /* the PCI function it hangs off */
};

struct sim_dev {
	struct sim_addr addr;
	char name[16]; /* "0000:01:00.0" */
	int line;      /* profile line; for a VF, its PF's line */

	uint16_t vendor, device, sub_vendor, sub_device;
	uint32_t class;
	uint8_t revision;
	char *driver;	/* bound driver, NULL when unbound */
	char *override; /* driver_override, NULL shows "(null)" */
	int group;	/* IOMMU group, -1 when none */
	int numa;
	char *reset;  /* reset_method contents without newline ("flr bus"), NULL when none */
	int boot_vga; /* -1 when the attribute is absent (not VGA class) */
	unsigned irq;
	bool multifunction;

	/* bridges (class 0x0604xx or 0x0609xx) */
	bool bridge;
	enum sim_port port;
	bool conventional; /* below a PCIe-to-PCI bridge: no PCIe capability, 256-byte config */
	int secondary, subordinate;

	/* SR-IOV physical function */
	bool is_pf;
	unsigned total_vfs, num_vfs, vf_offset, vf_stride;
	uint16_t vf_device;
	bool autoprobe;
	char *vf_driver;
	char *vf_reset;
	uint16_t vf_sub_vendor, vf_sub_device;
	bool vf_sub_set;
	int vf_group; /* first VF's group; -1 = automatic */
	struct sim_dev **vfs;

	/* SR-IOV virtual function */
	struct sim_dev *physfn;
	unsigned vf_index;

	/* what the kernel hangs below the function */
	char nvme[SIM_NAME_MAX]; /* "nvme0", or empty */
	char sata[SIM_NAME_MAX]; /* "sda", or empty */
	char net[SIM_NAME_MAX];	 /* "eno1", or empty */
	char mac[18];
	unsigned parts; /* partitions on the nvme or sata disk */
	int ifindex;

	/* derived topology */
	struct sim_root *root;
	struct sim_dev *parent; /* upstream bridge, NULL on a root bus */
	char *path; /* "devices/pci0000:00/0000:00:01.0/0000:01:00.0", relative to sys/ */
};

struct sim_mount {
	char *source; /* block device name */
	char *target;
	char *fstype;
	int line;
};

struct sim_host {
	char *file; /* for messages */
	char *name;
	enum sim_cpu_vendor cpu_vendor;
	unsigned cpus;
	unsigned nodes; /* NUMA nodes (at least 1) */
	bool iommu;
	char *iommu_type;
	bool virt;	     /* vmx/svm in the CPU flags */
	bool nvme_multipath; /* block devices under devices/virtual/nvme-subsystem */
	char *cmdline;
	char *cpu_model;
	char *kernel;		/* the release: /proc/version, lib/modules/RELEASE */
	bool firmware_table;	/* the ACPI DMAR (Intel) or IVRS (AMD) table */
	bool intremap;		/* interrupt remapping: the IR bit of each DMAR unit's ecap */
	bool unsafe_interrupts; /* vfio_iommu_type1 allow_unsafe_interrupts=Y */
	bool hypervisor;	/* the "hypervisor" CPU flag: the host is itself a VM */
	enum sim_vfio vfio;

	struct sim_root *roots;
	size_t n_roots;

	struct sim_dev **devs; /* every function, VFs included, sorted by address */
	size_t n_devs;

	char **drivers; /* every driver that exists, sorted */
	size_t n_drivers;

	struct sim_blockdev *blockdevs;
	size_t n_blockdevs;

	struct sim_mount *mounts;
	size_t n_mounts;

	char *swap;	/* block device name or absolute path, NULL for none */
	char *route_if; /* interface with the default route, NULL for none */
	uint8_t gateway[4];

	int n_groups; /* number of distinct groups */
};

/*
 * Parse and validate @path. On success *ret is a new host (simprof_free()). On failure, prints
 * "FILE:LINE: message" to @errf and returns -EINVAL (or -errno when the file cannot be read).
 */
int simprof_load(const char *path, FILE *errf, struct sim_host **ret);
void simprof_free(struct sim_host *h);
DEFINE_FREEP(struct sim_host, simprof_free)

/* Find a function by address, NULL when absent. */
struct sim_dev *simprof_find(const struct sim_host *h, const struct sim_addr *a);
/* Find a block device by name, NULL when absent. */
const struct sim_blockdev *simprof_find_blockdev(const struct sim_host *h, const char *name);
/* Number of path components in a sys/-relative path ("devices/pci0000:00" is 2). */
unsigned simprof_path_depth(const char *path);

/*
 * A new VF @k of @pf, derived as pci_iov_add_virtfn() does (routing ID = PF RID + offset +
 * stride * k, the VF device ID, bound to vf_driver when autoprobe is on), with no group (-1) and
 * no path yet (build it from the parent's). NULL when out of memory or past bus ff.
 */
struct sim_dev *simprof_vf_new(const struct sim_dev *pf, unsigned k);
/* Free a function that is not part of a host (one from simprof_vf_new()). NULL is a no-op. */
void simprof_dev_free(struct sim_dev *d);
