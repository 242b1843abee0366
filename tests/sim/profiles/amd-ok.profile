# amd-ok: a Ryzen desktop ready for passthrough: SVM on, IOMMU enabled in the firmware (IVRS
# table), amd_iommu=on iommu=pt, AMD-Vi units ivhd0 with interrupt remapping, vfio built into
# the kernel (module/vfio*/parameters, modules.builtin, no /proc/modules lines). Every check ok.
host name=amd-ok cpu=amd cpus=16 iommu=on vfio=builtin kernel=6.5.0-35-generic
cpu_model AMD Ryzen 9 7950X 16-Core Processor
cmdline BOOT_IMAGE=/boot/vmlinuz-6.5.0-35-generic root=/dev/nvme0n1p2 ro amd_iommu=on iommu=pt

root 0000:00

dev 0000:00:00.0 id=1022:14d8 sub=1022:14d8 class=0x060000 group=0
dev 0000:00:01.0 id=1022:14da class=0x060000 group=1
dev 0000:00:01.1 id=1022:14db class=0x060400 driver=pcieport group=1 secondary=01
dev 0000:00:02.0 id=1022:14da class=0x060000 group=2
dev 0000:00:02.1 id=1022:14db class=0x060400 driver=pcieport group=2 secondary=02
dev 0000:00:14.0 id=1022:790b sub=1043:8877 class=0x0c0500 rev=0x71 driver=piix4_smbus group=3
dev 0000:00:14.3 id=1022:790e sub=1043:8877 class=0x060100 rev=0x51 group=3
dev 0000:01:00.0 id=1002:744c sub=1da2:e471 class=0x030000 rev=0xc8 driver=amdgpu group=4 \
	boot_vga=1
dev 0000:01:00.1 id=1002:ab30 sub=1002:ab30 class=0x040300 driver=snd_hda_intel group=4
dev 0000:02:00.0 id=144d:a80c sub=144d:a801 class=0x010802 driver=nvme group=5 nvme=nvme0 \
	parts=2 reset=flr
