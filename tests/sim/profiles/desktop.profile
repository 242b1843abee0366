# desktop: a Coffee Lake workstation (Core i7-9700K, Z390 PCH) with a discrete GPU to pass
# through. Single socket, no _PXM, so numa_node is -1 everywhere.
#
#   group 10  GPU 01:00.0 + its HDMI audio 01:00.1, behind CPU root port 00:01.0
#   group 12  a large group: an ASMedia switch without ACS behind PCH port 00:1c.4, with a
#             USB controller, a second NIC and the Wi-Fi card below it
#   group  9  the PCH multifunction device 00:1f.x (LPC, audio, SMBus, SPI, onboard NIC eno1)
#   group 11  the NVMe boot disk, alone
host name=desktop cpu=intel cpus=8 iommu=on virt=on
cpu_model Intel(R) Core(TM) i7-9700K CPU @ 3.60GHz
cmdline BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p2 ro quiet splash intel_iommu=on iommu=pt

root 0000:00

# CPU: host bridge, PEG root port, iGPU (the boot VGA device)
dev 0000:00:00.0 id=8086:3e30 sub=1043:8694 class=0x060000 rev=0x0d driver=skl_uncore group=0
dev 0000:00:01.0 id=8086:1901 class=0x060400 rev=0x0d driver=pcieport group=1 secondary=01
dev 0000:00:02.0 id=8086:3e98 sub=1043:8694 class=0x030000 rev=0x02 driver=i915 group=2 \
	boot_vga=1 reset=flr

# PCH
dev 0000:00:14.0 id=8086:a36d sub=1043:8694 class=0x0c0330 rev=0x10 driver=xhci_hcd group=3 \
	reset=pm
dev 0000:00:14.2 id=8086:a36f sub=1043:8694 class=0x050000 rev=0x10 group=3
dev 0000:00:16.0 id=8086:a360 sub=1043:8694 class=0x078000 rev=0x10 driver=mei_me group=4
dev 0000:00:17.0 id=8086:a352 sub=1043:8694 class=0x010601 rev=0x10 driver=ahci group=5 \
	sata=sda parts=1
dev 0000:00:1b.0 id=8086:a340 class=0x060400 rev=0xf0 driver=pcieport group=6 secondary=02
dev 0000:00:1c.0 id=8086:a338 class=0x060400 rev=0xf0 driver=pcieport group=7 secondary=03
dev 0000:00:1c.4 id=8086:a33c class=0x060400 rev=0xf0 driver=pcieport group=8 secondary=04
dev 0000:00:1f.0 id=8086:a305 sub=1043:8694 class=0x060100 rev=0x10 group=9
dev 0000:00:1f.3 id=8086:a348 sub=1043:8724 class=0x040300 rev=0x10 driver=snd_hda_intel group=9
dev 0000:00:1f.4 id=8086:a323 sub=1043:8694 class=0x0c0500 rev=0x10 driver=i801_smbus group=9
dev 0000:00:1f.5 id=8086:a324 sub=1043:8694 class=0x0c8000 rev=0x10 driver=intel-spi group=9
dev 0000:00:1f.6 id=8086:15bc sub=1043:8672 class=0x020000 rev=0x10 driver=e1000e group=9 \
	net=eno1 mac=04:d9:f5:7a:11:20 reset=flr

# the GPU to pass through; it shares its bus with the audio function, so no bus reset, and
# like most GeForce cards it has neither FLR nor a usable PM reset: no reset_method at all
dev 0000:01:00.0 id=10de:2484 sub=1043:87b8 class=0x030000 rev=0xa1 driver=nvidia group=10 \
	boot_vga=0
dev 0000:01:00.1 id=10de:228b sub=1043:87b8 class=0x040300 rev=0xa1 driver=snd_hda_intel \
	group=10

# NVMe boot disk behind PCH root port 00:1b.0
dev 0000:02:00.0 id=144d:a808 sub=144d:a801 class=0x010802 rev=0x00 driver=nvme group=11 \
	nvme=nvme0 parts=3 reset=flr,bus

# ASMedia ASM1184e switch without ACS: everything below 00:1c.4 is one group
dev 0000:04:00.0 id=1b21:1184 class=0x060400 rev=0x00 driver=pcieport group=12 secondary=05
dev 0000:05:01.0 id=1b21:1184 class=0x060400 rev=0x00 driver=pcieport group=12 secondary=06
dev 0000:05:03.0 id=1b21:1184 class=0x060400 rev=0x00 driver=pcieport group=12 secondary=07
dev 0000:05:05.0 id=1b21:1184 class=0x060400 rev=0x00 driver=pcieport group=12 secondary=08
dev 0000:06:00.0 id=1b21:2142 sub=1043:8756 class=0x0c0330 rev=0x00 driver=xhci_hcd group=12 \
	reset=bus
dev 0000:07:00.0 id=10ec:8125 sub=1043:87d7 class=0x020000 rev=0x05 driver=r8169 group=12 \
	net=enp7s0 reset=bus
dev 0000:08:00.0 id=8086:2723 sub=8086:0084 class=0x028000 rev=0x1a driver=iwlwifi group=12 \
	net=wlp8s0 reset=flr,bus

mount nvme0n1p2 / ext4
mount nvme0n1p1 /boot/efi vfat
mount sda1 /home ext4
swap nvme0n1p3
route eno1 192.168.1.1
