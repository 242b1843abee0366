# bench-group16: one IOMMU group of 16 endpoints, for bench/bind.sh.
#
# A PCIe-to-PCI bridge takes the requester IDs of everything behind it (they alias to the
# bridge), so the kernel puts the bridge and its 16 conventional-PCI NICs in one group, as on
# vmlab's q35 topology (group 15 there). Binding any of them moves all 16.
host name=bench-group16 cpu=intel cpus=4 iommu=on virt=on
cmdline BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p2 ro intel_iommu=on
root 0000:00
dev 0000:00:00.0 id=8086:29c0 class=0x060000 group=0
dev 0000:00:01.0 id=1b36:000c class=0x060400 driver=pcieport group=1 secondary=01
dev 0000:01:00.0 id=1b36:000e class=0x060400 group=2 secondary=02 port=pci-bridge
dev 0000:02:01.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:02.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:03.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:04.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:05.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:06.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:07.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:08.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:09.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:0a.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:0b.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:0c.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:0d.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:0e.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:0f.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:02:10.0 id=8086:100e sub=8086:001e class=0x020000 driver=e1000 group=2
dev 0000:00:03.0 id=1b36:000c class=0x060400 driver=pcieport group=3 secondary=03
dev 0000:03:00.0 id=144d:a808 sub=144d:a801 class=0x010802 driver=nvme group=4 nvme=nvme0 parts=2
mount nvme0n1p2 / ext4
