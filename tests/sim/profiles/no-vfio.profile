# no-vfio: a minimal kernel without vfio at all (no modules, nothing in modules.dep), on a CPU
# whose VT-x the firmware left off and whose VT-d units lack interrupt remapping, with nothing to
# excuse it (no allow_unsafe_interrupts). The IOMMU itself is active. Preflight: cpu_virt,
# interrupt_remapping, vfio_modules and vfio_dev fail.
host name=no-vfio cpu=intel cpus=4 iommu=on virt=off intremap=off vfio=missing \
	kernel=6.1.0-custom
cpu_model Intel(R) Core(TM) i3-8100 CPU @ 3.60GHz
cmdline BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on

root 0000:00

dev 0000:00:00.0 id=8086:3e1f sub=1458:5000 class=0x060000 rev=0x08 group=0
dev 0000:00:02.0 id=8086:3e91 sub=1458:d000 class=0x030000 driver=i915 group=1 boot_vga=1
dev 0000:00:14.0 id=8086:a36d sub=1458:5007 class=0x0c0330 rev=0x10 driver=xhci_hcd group=2
dev 0000:00:17.0 id=8086:a352 sub=1458:b005 class=0x010601 rev=0x10 driver=ahci group=3 \
	sata=sda parts=1
dev 0000:00:1f.0 id=8086:a305 sub=1458:5001 class=0x060100 rev=0x10 group=5
dev 0000:00:1f.6 id=8086:15bc sub=1458:e000 class=0x020000 rev=0x10 driver=e1000e group=5 \
	net=eno1 reset=flr

mount sda1 / ext4
route eno1 192.168.178.1
