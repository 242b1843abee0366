# no-intremap: an older Xeon workstation whose VT-d units lack interrupt remapping (the ecap IR
# bit is clear), made to work anyway with vfio_iommu_type1 allow_unsafe_interrupts=Y, and with
# the ACS override patch splitting its groups (pcie_acs_override=downstream,multifunction).
# Everything works, with two warnings: interrupt_remapping and acs_override.
host name=no-intremap cpu=intel cpus=8 iommu=on intremap=off unsafe_interrupts=on
cpu_model Intel(R) Xeon(R) CPU E3-1245 v2 @ 3.40GHz
cmdline BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro intel_iommu=on iommu=pt \
	pcie_acs_override=downstream,multifunction

root 0000:00

dev 0000:00:00.0 id=8086:0158 sub=1028:052c class=0x060000 rev=0x09 group=0
dev 0000:00:01.0 id=8086:0151 class=0x060400 rev=0x09 driver=pcieport group=1 secondary=01
dev 0000:00:02.0 id=8086:016a sub=1028:052c class=0x030000 rev=0x09 driver=i915 group=2 \
	boot_vga=1
dev 0000:00:19.0 id=8086:1502 sub=1028:052c class=0x020000 rev=0x04 driver=e1000e group=3 \
	net=eno1 reset=flr
dev 0000:00:1f.0 id=8086:1c54 sub=1028:052c class=0x060100 rev=0x05 group=4
dev 0000:00:1f.2 id=8086:1c02 sub=1028:052c class=0x010601 rev=0x05 driver=ahci group=4 \
	sata=sda parts=2
# split from the root port's group by the override
dev 0000:01:00.0 id=10de:1c82 sub=1043:85d1 class=0x030000 rev=0xa1 driver=nouveau group=5
dev 0000:01:00.1 id=10de:0fb9 sub=1043:85d1 class=0x040300 rev=0xa1 driver=snd_hda_intel group=6

mount sda2 / ext4
route eno1 10.0.0.1
