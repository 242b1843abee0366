-- 0003: what passd was asked to keep on vfio-pci.
--
-- A finished bind records each device it moved, by its device row (address and identity);
-- a finished unbind removes them. At start passd compares these wishes with sysfs: a kernel
-- that forgot driver_override (a reboot, a remove and rescan) gets them re-applied, and a
-- different card in the same slot is reported, never bound.

CREATE TABLE binding (
	device_id INTEGER PRIMARY KEY REFERENCES device (id) ON DELETE CASCADE,
	wanted TEXT NOT NULL CHECK (wanted IN ('vfio-pci')),
	intent_id INTEGER REFERENCES intent (id),
	since INTEGER NOT NULL
) STRICT;
