# no-iommu: a small Comet Lake desktop booted without intel_iommu=on. The kernel creates no
# IOMMU groups at all: kernel/iommu_groups/ is empty and no function has an iommu_group link,
# so nothing can be passed through (VT-x is still there: vmx is in the CPU flags).
host name=no-iommu cpu=intel cpus=4 iommu=off virt=on
cpu_model Intel(R) Core(TM) i3-10100 CPU @ 3.60GHz
cmdline BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p2 ro quiet splash

root 0000:00

dev 0000:00:00.0 id=8086:9b63 sub=1458:5000 class=0x060000 rev=0x03
dev 0000:00:01.0 id=8086:1901 class=0x060400 rev=0x03 driver=pcieport secondary=01
dev 0000:00:02.0 id=8086:9bc8 sub=1458:d000 class=0x030000 rev=0x03 driver=i915 boot_vga=1 \
	reset=flr
dev 0000:00:14.0 id=8086:a3af sub=1458:5007 class=0x0c0330 driver=xhci_hcd reset=pm
dev 0000:00:17.0 id=8086:a3d2 sub=1458:b005 class=0x010601 driver=ahci
dev 0000:00:1d.0 id=8086:a3b0 class=0x060400 rev=0xf0 driver=pcieport secondary=02
dev 0000:00:1f.0 id=8086:a3c8 sub=1458:5001 class=0x060100
dev 0000:00:1f.4 id=8086:a3a3 sub=1458:5001 class=0x0c0500 driver=i801_smbus
dev 0000:00:1f.6 id=8086:0d55 sub=1458:e000 class=0x020000 driver=e1000e net=eno1 reset=flr
# an AMD GPU and its audio function: present, but not assignable without an IOMMU
dev 0000:01:00.0 id=1002:73bf sub=1002:0e3a class=0x030000 rev=0xc1 driver=amdgpu boot_vga=0
dev 0000:01:00.1 id=1002:ab28 sub=1002:ab28 class=0x040300 driver=snd_hda_intel
dev 0000:02:00.0 id=15b7:5009 sub=15b7:5009 class=0x010802 driver=nvme nvme=nvme0 parts=2 \
	reset=flr,bus

mount nvme0n1p2 / ext4
mount nvme0n1p1 /boot/efi vfat
swap /swapfile
route eno1 192.168.0.1
