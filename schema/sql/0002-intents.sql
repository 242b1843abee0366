-- 0002: the intent log that makes group moves crash-safe.
--
-- Before its first sysfs write, an operation records what every device it will touch looked
-- like (driver and driver_override) in one transaction; when it ends it records how. A passd
-- that finds an intent still pending at start died in the middle and puts every device back
-- as recorded. Two commits per operation, whatever the group's size.

CREATE TABLE intent (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('bind', 'unbind', 'sriov')),
	address TEXT NOT NULL,
	iommu_group INTEGER,
	state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'rolled_back', 'failed', 'recovered')),
	error TEXT,
	created_at INTEGER NOT NULL,
	finished_at INTEGER
) STRICT;

CREATE INDEX intent_pending ON intent (id) WHERE state = 'pending';

CREATE TABLE intent_step (
	intent_id INTEGER NOT NULL REFERENCES intent (id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	address TEXT NOT NULL,
	driver_before TEXT NOT NULL DEFAULT '',
	override_before TEXT NOT NULL DEFAULT '',
	driver_after TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (intent_id, seq)
) STRICT;
