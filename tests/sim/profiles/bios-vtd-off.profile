# bios-vtd-off: a desktop whose firmware setup has VT-d switched off (the default on many
# boards), booted without intel_iommu=on. No ACPI DMAR table, so the kernel brings up no IOMMU:
# no class/iommu units, no groups. VT-x is on; vfio is loaded (modprobe works, it just has
# nothing to take). Preflight: firmware_dmar, iommu_active, kernel_cmdline and
# interrupt_remapping fail, with hints pointing at the firmware setup first.
host name=bios-vtd-off cpu=intel cpus=8 iommu=off firmware_table=off virt=on
cpu_model Intel(R) Core(TM) i5-12600K
cmdline BOOT_IMAGE=/vmlinuz-6.1.0-13-amd64 root=/dev/nvme0n1p2 ro quiet

root 0000:00

dev 0000:00:00.0 id=8086:4650 sub=1462:7d25 class=0x060000 rev=0x02
dev 0000:00:01.0 id=8086:460d class=0x060400 rev=0x02 driver=pcieport secondary=01
dev 0000:00:06.0 id=8086:464d class=0x060400 rev=0x02 driver=pcieport secondary=02
dev 0000:00:14.0 id=8086:7ae0 sub=1462:7d25 class=0x0c0330 rev=0x11 driver=xhci_hcd reset=pm
dev 0000:00:1f.0 id=8086:7a84 sub=1462:7d25 class=0x060100 rev=0x11
dev 0000:00:1f.3 id=8086:7ad0 sub=1462:7d25 class=0x040300 rev=0x11 driver=snd_hda_intel
dev 0000:00:1f.6 id=8086:1a1c sub=1462:7d25 class=0x020000 rev=0x11 driver=e1000e net=eno1 \
	reset=flr
# the GPU its owner wants to pass through
dev 0000:01:00.0 id=10de:2504 sub=1462:397d class=0x030000 rev=0xa1 driver=nouveau boot_vga=1
dev 0000:01:00.1 id=10de:228e sub=1462:397d class=0x040300 rev=0xa1 driver=snd_hda_intel
dev 0000:02:00.0 id=144d:a80a sub=144d:a801 class=0x010802 driver=nvme nvme=nvme0 parts=2 \
	reset=flr,bus

mount nvme0n1p2 / ext4
mount nvme0n1p1 /boot/efi vfat
route eno1 192.168.1.1
