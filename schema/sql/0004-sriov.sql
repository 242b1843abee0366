-- 0004: SR-IOV VF counts persist like bindings, and a VF change goes through the intent log.
--
-- A VF change records, before its first sriov_numvfs write, the PF's count before and the
-- count wanted, and as steps the VFs it removes (every change removes all current VFs, directly
-- or through 0) with the driver each was on. progress counts the writes done so far. A passd
-- that finds such an intent pending at start puts the previous count back: the client never
-- heard of the change, so the all-or-nothing answer is "it did not happen".
ALTER TABLE intent ADD COLUMN num_vfs_before INTEGER;
ALTER TABLE intent ADD COLUMN num_vfs_after INTEGER;
ALTER TABLE intent ADD COLUMN progress INTEGER NOT NULL DEFAULT 0;

-- The VF count passd was asked to keep on a PF, by its device row (address and identity). A
-- finished change records it (0 removes the row), in the commit that ends its intent. At start
-- a PF that shows another count (a reboot starts from the firmware's, usually 0) gets it
-- re-applied before the bindings of its VFs are; a different card in the slot is reported.
CREATE TABLE sriov_wanted (
	device_id INTEGER PRIMARY KEY REFERENCES device (id) ON DELETE CASCADE,
	num_vfs INTEGER NOT NULL CHECK (num_vfs > 0),
	intent_id INTEGER REFERENCES intent (id),
	since INTEGER NOT NULL
) STRICT;
