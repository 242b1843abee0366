# q35-mixed: the VM tier's `mixed` topology (tests/vm/topologies/mixed.args) as the real guest
# kernel shows it (Debian 6.1, QEMU 7.2 q35, emulated Intel VT-d, modalias coldplug). Mirrored
# from tests/fixtures/real/q35-vtd.{truth,tar.xz}: addresses, IDs, revisions, classes, drivers,
# groups, bus numbers, irqs, reset methods and interface names are the real kernel's: `passd-simgen
# --truth q35-mixed` equals q35-vtd.truth, and every attribute a profile can express reads as in
# the copy (tests/sim/t-simgen.sh). Not expressible: `enable` is a counter (2 on 00:15.0, 0 on
# 00:1f.0 under lpc_ich; the tree says 1 for both). It is the simulator side of
# tests/vm/t9900-vm-sim-vs-kernel.sh, which runs the same sysfs script on both.
#
#   group 11  e1000e 01:00.0 alone (native driver)
#   group 12  edu 02:00.0 alone (no driver)
#   group 13  nvme 03:00.0 (a 64 MiB null namespace, no partitions)
#   group 14  multifunction endpoint without ACS: e1000e 04:00.0 + edu 04:00.1
#   group 15  pcie-pci-bridge 05:00.0 (no driver) + e1000 06:01.0 + edu 06:02.0
#   00:02.0 and 00:03.0 are the guest's 9p shares (its root filesystem): never write to them.
host name=q35-mixed cpu=intel cpus=1 iommu=on virt=on
cpu_model QEMU TCG CPU version 2.5+
cmdline console=ttyS0 panic=1 rdinit=/init passdvm.root=overlay passdvm=1 intel_iommu=on

root 0000:00

dev 0000:00:00.0 id=8086:29c0 sub=1af4:1100 class=0x060000 rev=0x00 irq=0 group=0
dev 0000:00:02.0 id=1af4:1009 sub=1af4:0009 class=0x000200 rev=0x00 irq=22 driver=virtio-pci \
	group=1
dev 0000:00:03.0 id=1af4:1009 sub=1af4:0009 class=0x000200 rev=0x00 irq=23 driver=virtio-pci \
	group=2
dev 0000:00:10.0 id=1b36:000c sub=1b36:0000 class=0x060400 rev=0x00 irq=20 driver=pcieport \
	group=3 \
	secondary=01
dev 0000:00:11.0 id=1b36:000c sub=1b36:0000 class=0x060400 rev=0x00 irq=21 driver=pcieport \
	group=4 \
	secondary=02
dev 0000:00:12.0 id=1b36:000c sub=1b36:0000 class=0x060400 rev=0x00 irq=22 driver=pcieport \
	group=5 \
	secondary=03
dev 0000:00:13.0 id=1b36:000c sub=1b36:0000 class=0x060400 rev=0x00 irq=23 driver=pcieport \
	group=6 \
	secondary=04
dev 0000:00:14.0 id=1b36:000c sub=1b36:0000 class=0x060400 rev=0x00 irq=20 driver=pcieport \
	group=7 \
	secondary=05
dev 0000:00:15.0 id=1b36:000c sub=1b36:0000 class=0x060400 rev=0x00 irq=21 driver=pcieport \
	group=8 \
	secondary=07
dev 0000:00:1b.0 id=8086:293e sub=1af4:1100 class=0x040300 rev=0x03 irq=35 driver=snd_hda_intel \
	group=9
dev 0000:00:1f.0 id=8086:2918 sub=1af4:1100 class=0x060100 rev=0x02 irq=0 driver=lpc_ich group=10
dev 0000:00:1f.2 id=8086:2922 sub=1af4:1100 class=0x010601 rev=0x02 irq=36 driver=ahci group=10
dev 0000:00:1f.3 id=8086:2930 sub=1af4:1100 class=0x0c0500 rev=0x02 irq=16 driver=i801_smbus \
	group=10

# A) e1000e alone
dev 0000:01:00.0 id=8086:10d3 sub=8086:0000 class=0x020000 rev=0x00 irq=20 driver=e1000e group=11 \
	reset=pm,bus net=eth0 mac=52:54:00:00:00:01
# B) edu alone, no native driver
dev 0000:02:00.0 id=1234:11e8 sub=1af4:1100 class=0x00ff00 rev=0x10 irq=10 group=12 reset=bus
# C) nvme
dev 0000:03:00.0 id=1b36:0010 sub=1af4:1100 class=0x010802 rev=0x02 irq=22 driver=nvme group=13 \
	reset=flr,bus nvme=nvme0 parts=0
# D) multifunction endpoint without ACS; the edu function has no reset method at all (no FLR,
# no PM reset, and a bus reset would hit function 0 too), and its header lacks the
# multi-function bit (QEMU sets it only on devices given multifunction=on): after remove +
# rescan the kernel puts it in a new group of its own
dev 0000:04:00.0 id=8086:10d3 sub=8086:0000 class=0x020000 rev=0x00 irq=23 driver=e1000e group=14 \
	reset=pm,bus net=eth1 mac=52:54:00:00:00:04
dev 0000:04:00.1 id=1234:11e8 sub=1af4:1100 class=0x00ff00 rev=0x10 irq=11 group=14 multifunction=0
# E) PCIe-to-PCI bridge (no driver: pcieport binds PCIe ports only) and conventional PCI below
dev 0000:05:00.0 id=1b36:000e sub=0000:0000 class=0x060400 rev=0x00 irq=20 group=15 secondary=06 \
	port=pci-bridge reset=pm,bus
dev 0000:06:01.0 id=8086:100e sub=1af4:1100 class=0x020000 rev=0x03 irq=21 driver=e1000 group=15 \
	reset=bus net=eth2 mac=52:54:00:00:00:05
dev 0000:06:02.0 id=1234:11e8 sub=1af4:1100 class=0x00ff00 rev=0x10 irq=11 group=15
# G) xHCI
dev 0000:07:00.0 id=1b36:000d sub=1af4:1100 class=0x0c0330 rev=0x01 irq=21 driver=xhci_hcd \
	group=16 \
	reset=bus
