# sriov-host: a two-socket Ice Lake Xeon (Gold 6338) host with two Intel E810 100G NICs, each
# with 64 of its 128 VFs enabled and bound to iavf. Every VF is in its own IOMMU group; VF
# groups are numbered after the boot-time devices, as the kernel does when VFs are enabled late.
#
#   E810 #1: PF 0000:4b:00.0 (node 0), VFs 0000:4b:01.0 .. 0000:4b:08.7 (First VF Offset 8)
#   E810 #2: PF 0000:b1:00.0 (node 1), VFs 0000:b1:01.0 .. 0000:b1:08.7
#   management NIC: Intel i350 eno1/eno2 (SR-IOV capable, no VFs), default route via eno1
#   boot disk: Intel P5510 NVMe nvme0 (node 0)
host name=sriov-host cpu=intel cpus=64 nodes=2 iommu=on
cpu_model Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz
cmdline BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p2 ro intel_iommu=on iommu=pt

root 0000:00 numa=0
root 0000:17 numa=0
root 0000:4a numa=0
root 0000:b0 numa=1

# ---- socket 0, 0000:00: chipset (C621A), management NIC
dev 0000:00:00.0 id=8086:09a2 sub=8086:0000 class=0x088000 rev=0x04 group=0
dev 0000:00:1c.0 id=8086:a190 class=0x060400 rev=0x09 driver=pcieport group=1 secondary=01
dev 0000:00:1f.0 id=8086:a1cb sub=15d9:1c48 class=0x060100 rev=0x09 group=2
dev 0000:00:1f.4 id=8086:a1a3 sub=15d9:1c48 class=0x0c0500 rev=0x09 driver=i801_smbus group=2
dev 0000:00:1f.5 id=8086:a1a4 sub=15d9:1c48 class=0x0c8000 rev=0x09 driver=intel-spi group=2
dev 0000:01:00.0 id=8086:1521 sub=15d9:1521 class=0x020000 rev=0x01 driver=igb group=3 \
	net=eno1 reset=flr sriov=7 numvfs=0 vf_device=1520 vf_offset=128 vf_stride=4
dev 0000:01:00.1 id=8086:1521 sub=15d9:1521 class=0x020000 rev=0x01 driver=igb group=4 \
	net=eno2 reset=flr sriov=7 numvfs=0 vf_device=1520 vf_offset=128 vf_stride=4

# ---- socket 0, 0000:17: boot disk
dev 0000:17:00.0 id=8086:09a2 sub=8086:0000 class=0x088000 rev=0x04 group=5
dev 0000:17:02.0 id=8086:347a class=0x060400 rev=0x04 driver=pcieport group=6 secondary=18
dev 0000:18:00.0 id=8086:0b60 sub=8086:8008 class=0x010802 rev=0x00 driver=nvme group=7 \
	nvme=nvme0 parts=3 reset=flr,bus

# ---- socket 0, 0000:4a: E810 #1
dev 0000:4a:00.0 id=8086:09a2 sub=8086:0000 class=0x088000 rev=0x04 group=8
dev 0000:4a:02.0 id=8086:347a class=0x060400 rev=0x04 driver=pcieport group=9 secondary=4b
dev 0000:4b:00.0 id=8086:1593 sub=8086:0002 class=0x020000 rev=0x02 driver=ice group=10 \
	net=ens1f0 reset=flr,bus \
	sriov=128 numvfs=64 vf_offset=8 vf_stride=1 vf_device=1889 vf_driver=iavf

# ---- socket 1, 0000:b0: E810 #2
dev 0000:b0:00.0 id=8086:09a2 sub=8086:0000 class=0x088000 rev=0x04 group=11
dev 0000:b0:02.0 id=8086:347a class=0x060400 rev=0x04 driver=pcieport group=12 secondary=b1
dev 0000:b1:00.0 id=8086:1593 sub=8086:0002 class=0x020000 rev=0x02 driver=ice group=13 \
	net=ens2f0 reset=flr,bus \
	sriov=128 numvfs=64 vf_offset=8 vf_stride=1 vf_device=1889 vf_driver=iavf

mount nvme0n1p2 / ext4
mount nvme0n1p1 /boot/efi vfat
swap nvme0n1p3
route eno1 10.20.0.1
