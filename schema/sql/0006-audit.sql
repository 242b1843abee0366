-- 0006: the audit log. Every request that changes state, or tries to, is a row: written
-- before it runs (status NULL), finished after it ran (its HTTP status and result). Refused
-- attempts (401, 403) are written finished. Nothing edits or deletes a row: the triggers
-- refuse it, and the API has no route that would. A row still unfinished when passd starts
-- belonged to a passd that died: it is finished as 'interrupted', status 0.
CREATE TABLE audit (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	started_at INTEGER NOT NULL,	-- microseconds since the epoch
	finished_at INTEGER,
	identity TEXT NOT NULL,		-- uid:0, token:NAME, anonymous:ADDR
	role TEXT NOT NULL,
	method TEXT NOT NULL,
	action TEXT NOT NULL,		-- the route: POST /v1/devices/*/bind
	target TEXT NOT NULL,		-- the path asked for
	status INTEGER,			-- HTTP status; NULL while running, 0 when it never answered
	result TEXT			-- ok, error, refused, interrupted, client_gone
) STRICT;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_finish_once BEFORE UPDATE ON audit
WHEN OLD.status IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.started_at IS NOT OLD.started_at
	OR NEW.identity IS NOT OLD.identity OR NEW.role IS NOT OLD.role
	OR NEW.method IS NOT OLD.method OR NEW.action IS NOT OLD.action
	OR NEW.target IS NOT OLD.target
BEGIN
	SELECT RAISE(ABORT, 'audit rows are final once finished');
END;
