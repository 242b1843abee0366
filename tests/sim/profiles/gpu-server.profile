# gpu-server: a two-socket AMD EPYC 7763 host (NPS1: one NUMA node per socket) with eight
# A100 GPUs, four per socket, each behind its own downstream port of a Broadcom PEX switch.
# Four root complexes, two per socket; every port has ACS, so every function has its own group
# except the ASPEED BMC, whose VGA sits behind a PCIe-to-PCI bridge and shares its group.
#
#   GPUs 0-5 on nvidia, GPU 6 already on vfio-pci, GPU 7 unbound
#   boot disk nvme0 (node 0), management NIC eno1 (Intel i350, node 0, default route)
#   two ConnectX-6 Dx 100G NICs, one per socket, SR-IOV capable with no VFs enabled
host name=gpu-server cpu=amd cpus=128 nodes=2 iommu=on
cpu_model AMD EPYC 7763 64-Core Processor

root 0000:00 numa=0
root 0000:40 numa=0
root 0000:80 numa=1
root 0000:c0 numa=1

driver nvidia_vgpu_vfio

# ---- socket 0, root complex 0000:00
dev 0000:00:00.0 id=1022:1480 sub=1022:1480 class=0x060000 rev=0x00 group=0
dev 0000:00:01.0 id=1022:1482 class=0x060000 rev=0x00 group=1
dev 0000:00:01.1 id=1022:1483 class=0x060400 rev=0x00 driver=pcieport group=2 secondary=01
dev 0000:00:03.0 id=1022:1482 class=0x060000 rev=0x00 group=3
dev 0000:00:03.1 id=1022:1483 class=0x060400 rev=0x00 driver=pcieport group=4 secondary=06
dev 0000:00:05.0 id=1022:1482 class=0x060000 rev=0x00 group=5
dev 0000:00:05.1 id=1022:1483 class=0x060400 rev=0x00 driver=pcieport group=6 secondary=07
dev 0000:00:05.2 id=1022:1483 class=0x060400 rev=0x00 driver=pcieport group=7 secondary=09
dev 0000:00:14.0 id=1022:790b sub=15d9:1b02 class=0x0c0500 rev=0x61 driver=piix4_smbus group=8
dev 0000:00:14.3 id=1022:790e sub=15d9:1b02 class=0x060100 rev=0x51 group=8
# PEX switch A: GPU0, GPU1, NIC0
dev 0000:01:00.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=9 \
	secondary=02
dev 0000:02:00.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=10 \
	secondary=03
dev 0000:02:01.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=11 \
	secondary=04
dev 0000:02:02.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=12 \
	secondary=05
dev 0000:03:00.0 id=10de:20b0 sub=10de:134f class=0x030200 rev=0xa1 driver=nvidia group=13 \
	reset=flr,bus
dev 0000:04:00.0 id=10de:20b0 sub=10de:134f class=0x030200 rev=0xa1 driver=nvidia group=14 \
	reset=flr,bus
dev 0000:05:00.0 id=15b3:101d sub=15b3:0040 class=0x020000 rev=0x00 driver=mlx5_core group=15 \
	net=ens1np0 reset=flr,bus sriov=16 numvfs=0 vf_device=101e vf_offset=2 vf_driver=mlx5_core
# boot disk
dev 0000:06:00.0 id=144d:a80a sub=144d:a812 class=0x010802 rev=0x00 driver=nvme group=16 \
	nvme=nvme0 parts=3 reset=flr,bus
# ASPEED AST2600 BMC: PCIe-to-PCI bridge (no driver binds it) and the boot VGA behind it
dev 0000:07:00.0 id=1a03:1150 sub=15d9:1b02 class=0x060400 rev=0x06 group=17 secondary=08 \
	port=pci-bridge
dev 0000:08:00.0 id=1a03:2000 sub=15d9:1b02 class=0x030000 rev=0x52 driver=ast group=17 \
	boot_vga=1
# Intel i350 management NIC; ACS quirk: each function in its own group
dev 0000:09:00.0 id=8086:1521 sub=15d9:1521 class=0x020000 rev=0x01 driver=igb group=18 \
	net=eno1 reset=flr sriov=7 numvfs=0 vf_device=1520 vf_offset=128 vf_stride=4
dev 0000:09:00.1 id=8086:1521 sub=15d9:1521 class=0x020000 rev=0x01 driver=igb group=19 \
	net=eno2 reset=flr sriov=7 numvfs=0 vf_device=1520 vf_offset=128 vf_stride=4

# ---- socket 0, root complex 0000:40
dev 0000:40:00.0 id=1022:1480 sub=1022:1480 class=0x060000 rev=0x00 group=20
dev 0000:40:01.0 id=1022:1482 class=0x060000 rev=0x00 group=21
dev 0000:40:01.1 id=1022:1483 class=0x060400 rev=0x00 driver=pcieport group=22 secondary=41
# PEX switch B: GPU2, GPU3
dev 0000:41:00.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=23 \
	secondary=42
dev 0000:42:00.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=24 \
	secondary=43
dev 0000:42:01.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=25 \
	secondary=44
dev 0000:43:00.0 id=10de:20b0 sub=10de:134f class=0x030200 rev=0xa1 driver=nvidia group=26 \
	reset=flr,bus
dev 0000:44:00.0 id=10de:20b0 sub=10de:134f class=0x030200 rev=0xa1 driver=nvidia group=27 \
	reset=flr,bus

# ---- socket 1, root complex 0000:80
dev 0000:80:00.0 id=1022:1480 sub=1022:1480 class=0x060000 rev=0x00 group=28
dev 0000:80:01.0 id=1022:1482 class=0x060000 rev=0x00 group=29
dev 0000:80:01.1 id=1022:1483 class=0x060400 rev=0x00 driver=pcieport group=30 secondary=81
# PEX switch C: GPU4, GPU5, NIC1
dev 0000:81:00.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=31 \
	secondary=82
dev 0000:82:00.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=32 \
	secondary=83
dev 0000:82:01.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=33 \
	secondary=84
dev 0000:82:02.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=34 \
	secondary=85
dev 0000:83:00.0 id=10de:20b0 sub=10de:134f class=0x030200 rev=0xa1 driver=nvidia group=35 \
	reset=flr,bus
dev 0000:84:00.0 id=10de:20b0 sub=10de:134f class=0x030200 rev=0xa1 driver=nvidia group=36 \
	reset=flr,bus
dev 0000:85:00.0 id=15b3:101d sub=15b3:0040 class=0x020000 rev=0x00 driver=mlx5_core group=37 \
	net=ens5np0 reset=flr,bus sriov=16 numvfs=0 vf_device=101e vf_offset=2 vf_driver=mlx5_core

# ---- socket 1, root complex 0000:c0
dev 0000:c0:00.0 id=1022:1480 sub=1022:1480 class=0x060000 rev=0x00 group=38
dev 0000:c0:01.0 id=1022:1482 class=0x060000 rev=0x00 group=39
dev 0000:c0:01.1 id=1022:1483 class=0x060400 rev=0x00 driver=pcieport group=40 secondary=c1
# PEX switch D: GPU6 (already given to vfio-pci), GPU7 (no driver)
dev 0000:c1:00.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=41 \
	secondary=c2
dev 0000:c2:00.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=42 \
	secondary=c3
dev 0000:c2:01.0 id=1000:c010 sub=1000:a064 class=0x060400 rev=0xb0 driver=pcieport group=43 \
	secondary=c4
dev 0000:c3:00.0 id=10de:20b0 sub=10de:134f class=0x030200 rev=0xa1 driver=vfio-pci group=44 \
	override=vfio-pci reset=flr,bus
dev 0000:c4:00.0 id=10de:20b0 sub=10de:134f class=0x030200 rev=0xa1 group=45 reset=flr,bus

mount nvme0n1p2 / xfs
mount nvme0n1p1 /boot/efi vfat
swap nvme0n1p3
route eno1 10.10.0.1
