-- Weeks and tasks on the server (issue 18, contract v1.2): stable UUIDs, a precise sync clock, tombstones,
-- and one outbox per stream filled by triggers in the same transaction as the write, so every write path
-- (DataService, imports, writes added later) queues its record without knowing about sync.
--
-- * uuid: lowercase UUID made on this device, the record's client_id on the wire; never changed, except
--   that a week adopts the server's canonical UUID when another device's week of the same label wins.
--   Existing rows get a random one (version 4); new rows a time-ordered one (version 7: 48 bits of Unix
--   milliseconds, then random), so the UUID index grows at its end instead of at random pages (bulk imports).
-- * sync_updated_at: the sync clock, RFC 3339 UTC with milliseconds. A local write sets it to now, or to one
--   millisecond after its previous value when the clock has not moved on, so every local version is strictly
--   later than the one before it. Writes that arrive from the server set it themselves (see sync_applying).
-- * origin_device: the device that wrote the version received from the server; NULL for local writes.
-- * weeks_outbox / tasks_outbox: one row per version to upload (unsynced while synced_at IS NULL, as the
--   monitoring outbox; a sent row is deleted, so the table holds only what is still to go and the quarantined
--   rows, and needs no index of its own for the send order: one index fewer to write per queued version). payload is NULL while the live row is the record to send; it holds the record as JSON
--   when the row is gone (a deleted week and its tasks: tombstones) or was overwritten by a newer version
--   from another device before this one went out (so no local version is lost).
-- * sync_applying: holds a row only inside the transaction that applies records received from the server;
--   the triggers skip such writes, so a remote change is never queued for upload again. A crash rolls the
--   row back with the rest of that transaction.

ALTER TABLE weeks ADD COLUMN uuid TEXT;
ALTER TABLE weeks ADD COLUMN sync_updated_at TEXT;
ALTER TABLE weeks ADD COLUMN origin_device TEXT;
ALTER TABLE tasks_optimized ADD COLUMN uuid TEXT;
ALTER TABLE tasks_optimized ADD COLUMN sync_updated_at TEXT;
ALTER TABLE tasks_optimized ADD COLUMN origin_device TEXT;

UPDATE weeks SET
    uuid = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
        || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1)
        || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
    sync_updated_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', updated_at), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

UPDATE tasks_optimized SET
    uuid = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
        || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1)
        || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
    sync_updated_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', updated_at), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

CREATE UNIQUE INDEX idx_weeks_uuid ON weeks(uuid);
CREATE UNIQUE INDEX idx_tasks_uuid ON tasks_optimized(uuid);

CREATE TABLE weeks_outbox (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,           -- weeks.uuid
    row_id INTEGER NOT NULL,           -- weeks.id (the live row while payload is NULL)
    updated_at TEXT NOT NULL,          -- the version (sync clock) this row sends
    payload TEXT,                      -- the record as JSON when the live row is not the version to send
    synced_at TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_weeks_outbox_row ON weeks_outbox(row_id) WHERE synced_at IS NULL;

CREATE TABLE tasks_outbox (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,           -- tasks_optimized.uuid
    row_id INTEGER NOT NULL,           -- tasks_optimized.id
    updated_at TEXT NOT NULL,
    payload TEXT,
    synced_at TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_tasks_outbox_row ON tasks_outbox(row_id) WHERE synced_at IS NULL;

CREATE TABLE sync_applying (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);

-- Existing data is queued once (soft-deleted tasks go as tombstones).
INSERT INTO weeks_outbox (client_id, row_id, updated_at) SELECT uuid, id, sync_updated_at FROM weeks ORDER BY id;
INSERT INTO tasks_outbox (client_id, row_id, updated_at)
SELECT uuid, id, sync_updated_at FROM tasks_optimized ORDER BY id;

-- ---- weeks -----------------------------------------------------------------------------------------------
CREATE TRIGGER weeks_sync_insert AFTER INSERT ON weeks
WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    UPDATE weeks SET
        uuid = COALESCE(NEW.uuid, substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-'
            || substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7'
            || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1)
            || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
        sync_updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
        origin_device = NULL
    WHERE id = NEW.id;
    INSERT INTO weeks_outbox (client_id, row_id, updated_at)
    SELECT uuid, id, sync_updated_at FROM weeks WHERE id = NEW.id;
END;

CREATE TRIGGER weeks_sync_update AFTER UPDATE OF
    week_label, start_date, week_start_day, week_start_hour, week_end_day, week_end_hour, is_custom_duration,
    is_bonus_week, bonus_rate, bonus_threshold_seconds, notes ON weeks
WHEN NOT EXISTS (SELECT 1 FROM sync_applying) AND (
    NEW.week_label IS NOT OLD.week_label OR NEW.start_date IS NOT OLD.start_date
    OR NEW.week_start_day IS NOT OLD.week_start_day OR NEW.week_start_hour IS NOT OLD.week_start_hour
    OR NEW.week_end_day IS NOT OLD.week_end_day OR NEW.week_end_hour IS NOT OLD.week_end_hour
    OR NEW.is_custom_duration IS NOT OLD.is_custom_duration OR NEW.is_bonus_week IS NOT OLD.is_bonus_week
    OR NEW.bonus_rate IS NOT OLD.bonus_rate OR NEW.bonus_threshold_seconds IS NOT OLD.bonus_threshold_seconds
    OR NEW.notes IS NOT OLD.notes)
BEGIN
    UPDATE weeks SET
        sync_updated_at = CASE
            WHEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') > COALESCE(OLD.sync_updated_at, '')
                THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            ELSE strftime('%Y-%m-%dT%H:%M:%fZ', julianday(OLD.sync_updated_at) + 1.0 / 86400000) END,
        origin_device = NULL
    WHERE id = NEW.id;
    UPDATE weeks_outbox SET updated_at = (SELECT sync_updated_at FROM weeks WHERE id = NEW.id)
    WHERE row_id = NEW.id AND synced_at IS NULL AND payload IS NULL;
    INSERT INTO weeks_outbox (client_id, row_id, updated_at)
    SELECT uuid, id, sync_updated_at FROM weeks WHERE id = NEW.id AND NOT EXISTS (
        SELECT 1 FROM weeks_outbox WHERE row_id = NEW.id AND synced_at IS NULL AND payload IS NULL);
END;

-- Weeks are deleted for real (their tasks go by cascade, and during the cascade the week is already gone),
-- so the week's trigger writes the tombstones of the week and of its tasks while both still exist.
-- A version still waiting to go out is kept as a payload first, so it reaches the server's history too.
CREATE TRIGGER weeks_sync_delete BEFORE DELETE ON weeks
WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    UPDATE tasks_outbox SET payload = (
        SELECT json_object(
            'client_id', t.uuid, 'week_client_id', OLD.uuid, 'attempt_id', t.attempt_id,
            'project_id', t.project_id, 'project_name', t.project_name, 'operation_id', t.operation_id,
            'feedback', t.feedback, 'locale', t.locale, 'duration_seconds', t.duration_seconds,
            'time_limit_seconds', t.time_limit_seconds, 'date_audited', t.date_audited,
            'time_begin', t.time_begin, 'time_end', t.time_end, 'score', t.score, 'bonus_paid', t.bonus_paid,
            'created_at', t.created_at, 'updated_at', t.sync_updated_at,
            'deleted_at', CASE WHEN t.deleted_at IS NOT NULL THEN t.sync_updated_at END)
        FROM tasks_optimized t WHERE t.id = tasks_outbox.row_id)
    WHERE synced_at IS NULL AND payload IS NULL
      AND row_id IN (SELECT id FROM tasks_optimized WHERE week_id = OLD.id);
    INSERT INTO tasks_outbox (client_id, row_id, updated_at, payload)
    SELECT t.uuid, t.id, v.stamp, json_object(
            'client_id', t.uuid, 'week_client_id', OLD.uuid, 'attempt_id', t.attempt_id,
            'project_id', t.project_id, 'project_name', t.project_name, 'operation_id', t.operation_id,
            'feedback', t.feedback, 'locale', t.locale, 'duration_seconds', t.duration_seconds,
            'time_limit_seconds', t.time_limit_seconds, 'date_audited', t.date_audited,
            'time_begin', t.time_begin, 'time_end', t.time_end, 'score', t.score, 'bonus_paid', t.bonus_paid,
            'created_at', t.created_at, 'updated_at', v.stamp, 'deleted_at', v.stamp)
    FROM tasks_optimized t, (SELECT CASE
            WHEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') > COALESCE(MAX(sync_updated_at), '')
                THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            ELSE strftime('%Y-%m-%dT%H:%M:%fZ', julianday(MAX(sync_updated_at)) + 1.0 / 86400000) END AS stamp
        FROM tasks_optimized WHERE week_id = OLD.id) v
    WHERE t.week_id = OLD.id AND t.deleted_at IS NULL
    ORDER BY t.id;
    UPDATE weeks_outbox SET payload = json_object(
            'client_id', OLD.uuid, 'week_label', OLD.week_label, 'start_date', OLD.start_date,
            'week_start_day', OLD.week_start_day, 'week_end_day', OLD.week_end_day,
            'week_start_hour', OLD.week_start_hour, 'week_end_hour', OLD.week_end_hour,
            'is_custom_duration', OLD.is_custom_duration, 'is_bonus_week', OLD.is_bonus_week,
            'bonus_rate', OLD.bonus_rate, 'bonus_threshold_seconds', OLD.bonus_threshold_seconds,
            'notes', OLD.notes, 'created_at', OLD.created_at, 'updated_at', OLD.sync_updated_at,
            'deleted_at', NULL)
    WHERE row_id = OLD.id AND synced_at IS NULL AND payload IS NULL;
    INSERT INTO weeks_outbox (client_id, row_id, updated_at, payload)
    SELECT OLD.uuid, OLD.id, v.stamp, json_object(
            'client_id', OLD.uuid, 'week_label', OLD.week_label, 'start_date', OLD.start_date,
            'week_start_day', OLD.week_start_day, 'week_end_day', OLD.week_end_day,
            'week_start_hour', OLD.week_start_hour, 'week_end_hour', OLD.week_end_hour,
            'is_custom_duration', OLD.is_custom_duration, 'is_bonus_week', OLD.is_bonus_week,
            'bonus_rate', OLD.bonus_rate, 'bonus_threshold_seconds', OLD.bonus_threshold_seconds,
            'notes', OLD.notes, 'created_at', OLD.created_at, 'updated_at', v.stamp, 'deleted_at', v.stamp)
    FROM (SELECT CASE
            WHEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') > COALESCE(OLD.sync_updated_at, '')
                THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            ELSE strftime('%Y-%m-%dT%H:%M:%fZ', julianday(OLD.sync_updated_at) + 1.0 / 86400000) END AS stamp) v;
END;

-- ---- tasks -----------------------------------------------------------------------------------------------
CREATE TRIGGER tasks_sync_insert AFTER INSERT ON tasks_optimized
WHEN NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    UPDATE tasks_optimized SET
        uuid = COALESCE(NEW.uuid, substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-'
            || substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7'
            || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1)
            || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
        sync_updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
        origin_device = NULL
    WHERE id = NEW.id;
    INSERT INTO tasks_outbox (client_id, row_id, updated_at)
    SELECT uuid, id, sync_updated_at FROM tasks_optimized WHERE id = NEW.id;
END;

-- Edits, moves (week_id), duration changes and deletes (deleted_at is set: the row stays, a tombstone).
CREATE TRIGGER tasks_sync_update AFTER UPDATE OF
    week_id, attempt_id, duration_seconds, project_id, project_name, operation_id, time_limit_seconds,
    date_audited, score, feedback, locale, bonus_paid, time_begin, time_end, created_at, deleted_at
    ON tasks_optimized
WHEN NOT EXISTS (SELECT 1 FROM sync_applying) AND (
    NEW.week_id IS NOT OLD.week_id OR NEW.attempt_id IS NOT OLD.attempt_id
    OR NEW.duration_seconds IS NOT OLD.duration_seconds OR NEW.project_id IS NOT OLD.project_id
    OR NEW.project_name IS NOT OLD.project_name OR NEW.operation_id IS NOT OLD.operation_id
    OR NEW.time_limit_seconds IS NOT OLD.time_limit_seconds OR NEW.date_audited IS NOT OLD.date_audited
    OR NEW.score IS NOT OLD.score OR NEW.feedback IS NOT OLD.feedback OR NEW.locale IS NOT OLD.locale
    OR NEW.bonus_paid IS NOT OLD.bonus_paid OR NEW.time_begin IS NOT OLD.time_begin
    OR NEW.time_end IS NOT OLD.time_end OR NEW.created_at IS NOT OLD.created_at
    OR NEW.deleted_at IS NOT OLD.deleted_at)
BEGIN
    UPDATE tasks_optimized SET
        sync_updated_at = CASE
            WHEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') > COALESCE(OLD.sync_updated_at, '')
                THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            ELSE strftime('%Y-%m-%dT%H:%M:%fZ', julianday(OLD.sync_updated_at) + 1.0 / 86400000) END,
        origin_device = NULL
    WHERE id = NEW.id;
    UPDATE tasks_outbox SET updated_at = (SELECT sync_updated_at FROM tasks_optimized WHERE id = NEW.id)
    WHERE row_id = NEW.id AND synced_at IS NULL AND payload IS NULL;
    INSERT INTO tasks_outbox (client_id, row_id, updated_at)
    SELECT uuid, id, sync_updated_at FROM tasks_optimized WHERE id = NEW.id AND NOT EXISTS (
        SELECT 1 FROM tasks_outbox WHERE row_id = NEW.id AND synced_at IS NULL AND payload IS NULL);
END;

-- A task row removed for real outside a week's deletion (no code path does that today, but one may): its
-- tombstone, written while its week still exists. During a week's cascade the week is already gone and the
-- week's trigger has written the tombstone.
CREATE TRIGGER tasks_sync_delete BEFORE DELETE ON tasks_optimized
WHEN NOT EXISTS (SELECT 1 FROM sync_applying) AND EXISTS (SELECT 1 FROM weeks WHERE id = OLD.week_id)
BEGIN
    UPDATE tasks_outbox SET payload = json_object(
            'client_id', OLD.uuid, 'week_client_id', (SELECT uuid FROM weeks WHERE id = OLD.week_id),
            'attempt_id', OLD.attempt_id, 'project_id', OLD.project_id, 'project_name', OLD.project_name,
            'operation_id', OLD.operation_id, 'feedback', OLD.feedback, 'locale', OLD.locale,
            'duration_seconds', OLD.duration_seconds, 'time_limit_seconds', OLD.time_limit_seconds,
            'date_audited', OLD.date_audited, 'time_begin', OLD.time_begin, 'time_end', OLD.time_end,
            'score', OLD.score, 'bonus_paid', OLD.bonus_paid, 'created_at', OLD.created_at,
            'updated_at', OLD.sync_updated_at,
            'deleted_at', CASE WHEN OLD.deleted_at IS NOT NULL THEN OLD.sync_updated_at END)
    WHERE row_id = OLD.id AND synced_at IS NULL AND payload IS NULL;
    INSERT INTO tasks_outbox (client_id, row_id, updated_at, payload)
    SELECT OLD.uuid, OLD.id, v.stamp, json_object(
            'client_id', OLD.uuid, 'week_client_id', (SELECT uuid FROM weeks WHERE id = OLD.week_id),
            'attempt_id', OLD.attempt_id, 'project_id', OLD.project_id, 'project_name', OLD.project_name,
            'operation_id', OLD.operation_id, 'feedback', OLD.feedback, 'locale', OLD.locale,
            'duration_seconds', OLD.duration_seconds, 'time_limit_seconds', OLD.time_limit_seconds,
            'date_audited', OLD.date_audited, 'time_begin', OLD.time_begin, 'time_end', OLD.time_end,
            'score', OLD.score, 'bonus_paid', OLD.bonus_paid, 'created_at', OLD.created_at,
            'updated_at', v.stamp, 'deleted_at', v.stamp)
    FROM (SELECT CASE
            WHEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') > COALESCE(OLD.sync_updated_at, '')
                THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            ELSE strftime('%Y-%m-%dT%H:%M:%fZ', julianday(OLD.sync_updated_at) + 1.0 / 86400000) END AS stamp) v
    WHERE OLD.deleted_at IS NULL;
END;
