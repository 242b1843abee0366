# q35-mixed-noiommu: the VM tier's `mixed` topology booted without the vIOMMU (vmrun.sh -I: no
# intel-iommu device, no intel_iommu=on), mirrored from tests/fixtures/real/q35-noiommu.truth.
# Same devices, drivers and bus numbers as q35-mixed, but no IOMMU groups at all: vfio-pci's
# probe fails with -EINVAL on every device (Debian's kernels have no CONFIG_VFIO_NOIOMMU), which
# drivers_probe hides (the write succeeds, the device stays unbound) and bind reports.
# `passd-simgen --truth q35-mixed-noiommu` equals q35-noiommu.truth (tests/sim/t-simgen.sh).
host name=q35-mixed-noiommu cpu=intel cpus=1 iommu=off virt=on
cpu_model QEMU TCG CPU version 2.5+
cmdline console=ttyS0 panic=1 rdinit=/init passdvm.root=overlay passdvm=1

root 0000:00

dev 0000:00:00.0 id=8086:29c0 sub=1af4:1100 class=0x060000 rev=0x00 irq=0
dev 0000:00:02.0 id=1af4:1009 sub=1af4:0009 class=0x000200 rev=0x00 irq=22 driver=virtio-pci
dev 0000:00:03.0 id=1af4:1009 sub=1af4:0009 class=0x000200 rev=0x00 irq=23 driver=virtio-pci
dev 0000:00:10.0 id=1b36:000c sub=1b36:0000 class=0x060400 rev=0x00 irq=20 driver=pcieport \
	secondary=01
dev 0000:00:11.0 id=1b36:000c sub=1b36:0000 class=0x060400 rev=0x00 irq=21 driver=pcieport \
	secondary=02
dev 0000:00:12.0 id=1b36:000c sub=1b36:0000 class=0x060400 rev=0x00 irq=22 driver=pcieport \
	secondary=03
dev 0000:00:13.0 id=1b36:000c sub=1b36:0000 class=0x060400 rev=0x00 irq=23 driver=pcieport \
	secondary=04
dev 0000:00:14.0 id=1b36:000c sub=1b36:0000 class=0x060400 rev=0x00 irq=20 driver=pcieport \
	secondary=05
dev 0000:00:15.0 id=1b36:000c sub=1b36:0000 class=0x060400 rev=0x00 irq=21 driver=pcieport \
	secondary=07
dev 0000:00:1b.0 id=8086:293e sub=1af4:1100 class=0x040300 rev=0x03 irq=34 driver=snd_hda_intel
dev 0000:00:1f.0 id=8086:2918 sub=1af4:1100 class=0x060100 rev=0x02 irq=0 driver=lpc_ich
dev 0000:00:1f.2 id=8086:2922 sub=1af4:1100 class=0x010601 rev=0x02 irq=35 driver=ahci
dev 0000:00:1f.3 id=8086:2930 sub=1af4:1100 class=0x0c0500 rev=0x02 irq=16 driver=i801_smbus

dev 0000:01:00.0 id=8086:10d3 sub=8086:0000 class=0x020000 rev=0x00 irq=20 driver=e1000e \
	reset=pm,bus net=eth0 mac=52:54:00:00:00:01
dev 0000:02:00.0 id=1234:11e8 sub=1af4:1100 class=0x00ff00 rev=0x10 irq=10 reset=bus
dev 0000:03:00.0 id=1b36:0010 sub=1af4:1100 class=0x010802 rev=0x02 irq=22 driver=nvme \
	reset=flr,bus nvme=nvme0 parts=0
dev 0000:04:00.0 id=8086:10d3 sub=8086:0000 class=0x020000 rev=0x00 irq=23 driver=e1000e \
	reset=pm,bus net=eth1 mac=52:54:00:00:00:04
dev 0000:04:00.1 id=1234:11e8 sub=1af4:1100 class=0x00ff00 rev=0x10 irq=11 multifunction=0
dev 0000:05:00.0 id=1b36:000e sub=0000:0000 class=0x060400 rev=0x00 irq=20 secondary=06 \
	port=pci-bridge reset=pm,bus
dev 0000:06:01.0 id=8086:100e sub=1af4:1100 class=0x020000 rev=0x03 irq=21 driver=e1000 \
	reset=bus net=eth2 mac=52:54:00:00:00:05
dev 0000:06:02.0 id=1234:11e8 sub=1af4:1100 class=0x00ff00 rev=0x10 irq=11
dev 0000:07:00.0 id=1b36:000d sub=1af4:1100 class=0x0c0330 rev=0x01 irq=21 driver=xhci_hcd \
	reset=bus
