-- 0005: assignments of devices to libvirt domains, quarantined devices, idempotency keys, and
-- the history table of 0001 made useful (who did what, with what result) and append-only.

-- One row per assignment: a device, and with it every endpoint of its IOMMU group, given to one
-- libvirt domain. The row is written when the assignment is complete (bound, attached, started
-- when asked); a refused or rolled-back attempt leaves a history row only.
--   active    the hostdevs are in the domain, the group is on vfio-pci
--   detached  a hostdev vanished from the domain (libvirt said so, or the reconcile found it);
--             the group stays on vfio-pci until the assignment is released
--   orphaned  the domain was undefined; the group stays on vfio-pci until released
--   released  DELETE /v1/assignments/{id} ended it
--   failed    a release could not finish (see reason); nothing holds the devices any more
CREATE TABLE assignment (
	id INTEGER PRIMARY KEY,
	device_id INTEGER REFERENCES device (id), -- the device named, as present then
	address TEXT NOT NULL,
	domain TEXT NOT NULL CHECK (domain <> ''),
	iommu_group INTEGER, -- informational, as at the assignment
	devices TEXT NOT NULL CHECK (json_valid(devices) AND json_type(devices) = 'array'),
	companions TEXT NOT NULL CHECK (json_valid(companions) AND json_type(companions) = 'array'),
	started INTEGER NOT NULL DEFAULT 0, -- passd started the domain
	state TEXT NOT NULL
		CHECK (state IN ('active', 'detached', 'orphaned', 'released', 'failed')),
	reason TEXT, -- why detached, orphaned or failed
	created_at INTEGER NOT NULL,
	released_at INTEGER
) STRICT;

-- A device is held by at most one live assignment.
CREATE UNIQUE INDEX assignment_live ON assignment (address)
	WHERE state IN ('active', 'detached', 'orphaned');

-- Devices that failed a reset, or whose reset or unbind hung, on release. They are refused for
-- new assignments until an operator clears them (POST /v1/devices/{address}/clear), which
-- deletes the row; history keeps both events.
CREATE TABLE quarantine (
	address TEXT PRIMARY KEY,
	device_id INTEGER REFERENCES device (id),
	reason TEXT NOT NULL CHECK (reason <> ''),
	since INTEGER NOT NULL
) STRICT;

-- Idempotency-Key of POST /v1/assignments: the first answer that created something, replayed
-- to a retry with the same key and the same request; kept 24 hours.
CREATE TABLE idempotency (
	key TEXT PRIMARY KEY,
	request_hash TEXT NOT NULL,
	status INTEGER NOT NULL,
	body TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX idempotency_created ON idempotency (created_at);

-- history (0001): kind is the action (bind, unbind, sriov, assign, release, clear, quarantine,
-- reconcile), address the target device. New columns say who, how it ended and what moved.
ALTER TABLE history ADD COLUMN actor TEXT NOT NULL DEFAULT 'local';
ALTER TABLE history ADD COLUMN result TEXT NOT NULL DEFAULT 'done'
	CHECK (result IN ('done', 'failed', 'rolled_back', 'partial'));
ALTER TABLE history ADD COLUMN domain TEXT;
ALTER TABLE history ADD COLUMN assignment_id INTEGER;
-- {"0000:01:00.0": "nvidia", ...}; NULL when nothing moved
ALTER TABLE history ADD COLUMN drivers_before TEXT
	CHECK (drivers_before IS NULL OR json_valid(drivers_before));
ALTER TABLE history ADD COLUMN drivers_after TEXT
	CHECK (drivers_after IS NULL OR json_valid(drivers_after));
ALTER TABLE history ADD COLUMN error TEXT;

CREATE TRIGGER history_no_update BEFORE UPDATE ON history
BEGIN
	SELECT RAISE(ABORT, 'history is append-only');
END;

CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN
	SELECT RAISE(ABORT, 'history is append-only');
END;
