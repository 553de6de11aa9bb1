-- A local write's sync clock may never come out NULL. Its "one millisecond after the previous version" step is
-- NULL when the stored sync_updated_at is not a time julianday() reads ('2999-13-45T99:99:99.999Z', which a server
-- could send) or its next millisecond is past year 9999 ('9999-12-31T23:59:59.999Z'); the outbox's NOT NULL then
-- refused the write itself: a timer's stop lost its hour, a week could not be deleted. The four triggers of 0007
-- that take that step are replaced, identical but for the fallback to now. The pull refuses such stamps now
-- (app.sync.worklog); this covers any value stored before or written another way.

DROP TRIGGER weeks_sync_update;
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
            ELSE COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', julianday(OLD.sync_updated_at) + 1.0 / 86400000),
                          strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) END,
        origin_device = NULL
    WHERE id = NEW.id;
    UPDATE weeks_outbox SET updated_at = (SELECT sync_updated_at FROM weeks WHERE id = NEW.id)
    WHERE row_id = NEW.id AND synced_at IS NULL AND payload IS NULL;
    INSERT INTO weeks_outbox (client_id, row_id, updated_at)
    SELECT uuid, id, sync_updated_at FROM weeks WHERE id = NEW.id AND NOT EXISTS (
        SELECT 1 FROM weeks_outbox WHERE row_id = NEW.id AND synced_at IS NULL AND payload IS NULL);
END;

DROP TRIGGER weeks_sync_delete;
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
            ELSE COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', julianday(MAX(sync_updated_at)) + 1.0 / 86400000),
                          strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) END AS stamp
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
            ELSE COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', julianday(OLD.sync_updated_at) + 1.0 / 86400000),
                          strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) END AS stamp) v;
END;

DROP TRIGGER tasks_sync_update;
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
            ELSE COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', julianday(OLD.sync_updated_at) + 1.0 / 86400000),
                          strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) END,
        origin_device = NULL
    WHERE id = NEW.id;
    UPDATE tasks_outbox SET updated_at = (SELECT sync_updated_at FROM tasks_optimized WHERE id = NEW.id)
    WHERE row_id = NEW.id AND synced_at IS NULL AND payload IS NULL;
    INSERT INTO tasks_outbox (client_id, row_id, updated_at)
    SELECT uuid, id, sync_updated_at FROM tasks_optimized WHERE id = NEW.id AND NOT EXISTS (
        SELECT 1 FROM tasks_outbox WHERE row_id = NEW.id AND synced_at IS NULL AND payload IS NULL);
END;

DROP TRIGGER tasks_sync_delete;
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
            ELSE COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', julianday(OLD.sync_updated_at) + 1.0 / 86400000),
                          strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) END AS stamp) v
    WHERE OLD.deleted_at IS NULL;
END;
