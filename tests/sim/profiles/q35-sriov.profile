# q35-sriov: the VM tier's `sriov` topology (tests/vm/topologies/sriov.args) as the real guest
# kernel shows it (Debian 6.1, QEMU 7.2 q35, emulated VT-d), mirrored from
# tests/fixtures/real/q35-sriov.{truth,tar.xz}: QEMU's NVMe controller 01:00.0 as an SR-IOV PF
# (TotalVFs 4, offset 1, stride 1, VF device 0x0010) in an nvme-subsystem (so the multipath
# layout), and an edu alone for contrast. The fixture was taken after `echo 0 >
# sriov_drivers_autoprobe; echo 2 > sriov_numvfs`, so VFs 01:00.1 and 01:00.2 are enabled and
# driverless, in groups 8 and 9 (numbered after every boot-time group); `passd-simgen --truth
# q35-sriov` equals q35-sriov.truth. The guest boots with 0 VFs: t9900 starts its SR-IOV part by
# doing those two writes, which are no-ops here.
host name=q35-sriov cpu=intel cpus=1 iommu=on virt=on nvme_multipath=on
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
dev 0000:00:1f.0 id=8086:2918 sub=1af4:1100 class=0x060100 rev=0x02 irq=0 driver=lpc_ich group=5
dev 0000:00:1f.2 id=8086:2922 sub=1af4:1100 class=0x010601 rev=0x02 irq=31 driver=ahci group=5
dev 0000:00:1f.3 id=8086:2930 sub=1af4:1100 class=0x0c0500 rev=0x02 irq=16 driver=i801_smbus \
	group=5

# the PF; its VFs would be probed by nvme (vf_driver) with sriov_drivers_autoprobe=1
dev 0000:01:00.0 id=1b36:0010 sub=1af4:1100 class=0x010802 rev=0x02 irq=20 driver=nvme group=6 \
	reset=flr,bus nvme=nvme0 parts=0 \
	sriov=4 numvfs=2 vf_offset=1 vf_stride=1 vf_device=0010 vf_driver=nvme autoprobe=0 \
	vf_group=8
dev 0000:02:00.0 id=1234:11e8 sub=1af4:1100 class=0x00ff00 rev=0x10 irq=10 group=7 reset=bus
