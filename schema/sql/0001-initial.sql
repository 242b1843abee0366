-- 0001-initial.sql: the device inventory, the scans that feed it, and the history log.
--
-- Conventions for every passd table:
-- - STRICT tables, so a value of the wrong type is an error rather than a silent conversion.
-- - Timestamps are INTEGER microseconds since the Unix epoch (UTC).
-- - A device is identified by its PCI address AND what sits there (vendor, device, subsystem
--   ids). The identity columns are NOT NULL and '' when unknown, so the key always works.
--   Other unknown values are NULL.
-- - IOMMU group numbers are stored for information only and are never part of a key: the
--   kernel numbers groups in probe order, which can change from one boot to the next.
-- - Later tables (bindings, assignments, intents) reference a device either by device(id) or
--   by its identity, device(address, vendor_id, device_id, subsystem_vendor_id,
--   subsystem_device_id), which is UNIQUE for that purpose.

-- "pasd": lets passd (and file(1)) tell its database from another program's SQLite file.
PRAGMA application_id = 1885434724;

-- One row per discovery scan. A scan is one transaction, so finished_at is NULL only while
-- the scan is still running and is never seen NULL by another connection.
CREATE TABLE scan (
	id INTEGER PRIMARY KEY,
	started_at INTEGER NOT NULL,
	finished_at INTEGER,
	devices INTEGER NOT NULL DEFAULT 0, -- PCI functions seen by this scan
	gone INTEGER NOT NULL DEFAULT 0 -- devices this scan newly marked gone
) STRICT;

-- Every PCI function passd has ever seen, one row per (address, identity). A card swapped
-- for another in the same slot is a new row; the old row is marked gone.
CREATE TABLE device (
	id INTEGER PRIMARY KEY,
	address TEXT NOT NULL CHECK (address <> ''), -- "0000:65:00.0"
	vendor_id TEXT NOT NULL DEFAULT '', -- "0x10de"
	device_id TEXT NOT NULL DEFAULT '',
	subsystem_vendor_id TEXT NOT NULL DEFAULT '',
	subsystem_device_id TEXT NOT NULL DEFAULT '',
	class TEXT, -- "0x030000", NULL when unknown
	driver TEXT, -- bound driver at the last sighting, NULL when unbound
	original_driver TEXT, -- first host driver seen (never vfio-pci); never overwritten
	iommu_group INTEGER, -- at the last sighting; informational only
	numa_node INTEGER, -- at the last sighting, NULL when unknown
	first_seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	gone_at INTEGER, -- when a scan first missed it; NULL while present
	-- The last scan that saw it (scan.id). Deliberately not a foreign key: the check costs
	-- about a fifth of a 4096-device scan, passd writes both rows in one transaction, and
	-- old scan rows stay free to be pruned.
	scan_id INTEGER NOT NULL,
	UNIQUE (address, vendor_id, device_id, subsystem_vendor_id, subsystem_device_id)
) STRICT;

-- Binding and assignment events, newest read first, paged by (at, id).
CREATE TABLE history (
	id INTEGER PRIMARY KEY,
	at INTEGER NOT NULL,
	kind TEXT NOT NULL CHECK (kind <> ''), -- "bind", "unbind", "assign", "release", ...
	address TEXT, -- the device concerned, NULL when the event is not about one device
	detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail) AND json_type(detail) = 'object')
) STRICT;

-- Keyset paging: ORDER BY at DESC, id DESC with WHERE (at, id) < (:at, :id).
CREATE INDEX history_at ON history (at, id);
-- The same, for one device.
CREATE INDEX history_address_at ON history (address, at, id);
