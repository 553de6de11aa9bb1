-- Time partitions (issue 16): heartbeats and timeline by month on started_at, ingest_log by month on
-- received_at, native range partitioning managed by pg_partman (Debian package postgresql-15-partman;
-- its background worker is not used: `wfh-ingest maintain` and `wfh-ingest prune` run from the timer).
--
-- Keys include the partition column (PostgreSQL requires it):
--   heartbeats, timeline: PRIMARY KEY (device_id, started_at, client_id). It also serves the reports'
--     (device_id, started_at) range scans, so the old (device_id, started_at) btree is dropped. A record
--     never changes, so a client_id always comes with the same started_at (INGESTION_API.md §7.3, §15):
--     a resend lands in the same partition and conflicts there, one index probe per row.
--   ingest_log: PRIMARY KEY (device_id, ingest_id, received_at): the newest row per device is still
--     found by ingest_id.
-- Partitions exist from the start of the month of the oldest stored row, or 400 days back for heartbeats
-- and timeline (the oldest time the API accepts), to 2 months ahead, plus a DEFAULT partition as a
-- safety net.
--
-- Existing rows are copied into the partitioned tables inside this migration's transaction: ingest
-- stops for its duration (ACCESS EXCLUSIVE locks); about 1 minute per million heartbeats measured
-- (docs/SCALING.md "Partitions and retention" states the maintenance window). Safe to re-run: an
-- interrupted run rolls back entirely, and every step below checks what is already done.
-- Needs a superuser (or a role allowed to CREATE EXTENSION pg_partman) the first time in a database.

DO $check$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman') THEN
        RAISE EXCEPTION 'pg_partman is not installed on this PostgreSQL server'
            USING HINT = 'install the Debian package postgresql-15-partman (postgresql-<major>-partman for'
                         ' other versions), then run wfh-ingest migrate again';
    END IF;
END
$check$;

CREATE SCHEMA IF NOT EXISTS partman;
CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;

-- Turns tbl into a table partitioned by col (monthly): keeps columns, defaults, identity, CHECK and
-- FOREIGN KEY constraints, copies the rows, then drops the unpartitioned original.
CREATE FUNCTION pg_temp.wfh_partition(tbl text, col text, key_cols text, step text, back interval) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    sch   text := current_schema();
    old   text := tbl || '_unpartitioned';
    kind  "char";
    item  record;
    first timestamptz;
    ident text;
BEGIN
    SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = to_regclass(format('%I.%I', sch, tbl));
    IF kind = 'r' AND to_regclass(format('%I.%I', sch, old)) IS NULL THEN
        EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', sch, tbl, old);
        -- Free the index names: the primary key is renamed, secondary indexes go with the old table.
        FOR item IN SELECT con.conname FROM pg_constraint con
                    WHERE con.conrelid = format('%I.%I', sch, old)::regclass AND con.contype IN ('p', 'u') LOOP
            EXECUTE format('ALTER TABLE %I.%I RENAME CONSTRAINT %I TO %I', sch, old, item.conname,
                           old || '_' || item.conname);
        END LOOP;
        FOR item IN SELECT i.indexrelid::regclass AS idx FROM pg_index i
                    WHERE i.indrelid = format('%I.%I', sch, old)::regclass
                      AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid) LOOP
            EXECUTE format('DROP INDEX %s', item.idx);
        END LOOP;
    ELSIF kind IS DISTINCT FROM 'p' AND to_regclass(format('%I.%I', sch, old)) IS NULL THEN
        RAISE EXCEPTION 'table %.% is missing', sch, tbl;
    END IF;

    IF to_regclass(format('%I.%I', sch, tbl)) IS NULL THEN
        EXECUTE format('CREATE TABLE %I.%I (LIKE %I.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS'
                       ' INCLUDING IDENTITY) PARTITION BY RANGE (%I)', sch, tbl, sch, old, col);
        EXECUTE format('ALTER TABLE %I.%I ADD PRIMARY KEY (%s)', sch, tbl, key_cols);
        FOR item IN SELECT con.conname, pg_get_constraintdef(con.oid) AS def FROM pg_constraint con
                    WHERE con.conrelid = format('%I.%I', sch, old)::regclass AND con.contype = 'f' LOOP
            EXECUTE format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', sch, tbl, item.conname, item.def);
        END LOOP;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM partman.part_config WHERE parent_table = sch || '.' || tbl) THEN
        first := now() - back;
        IF to_regclass(format('%I.%I', sch, old)) IS NOT NULL THEN
            EXECUTE format('SELECT least(min(%I), $1) FROM %I.%I', col, sch, old) INTO first USING first;
        END IF;
        PERFORM partman.create_parent(
            p_parent_table => sch || '.' || tbl, p_control => col, p_type => 'native', p_interval => step,
            p_premake => 2, p_start_partition => date_trunc('month', first)::text, p_jobmon => false);
        -- Premake even while no new rows arrive, and keep pg_partman's own retention off: `wfh-ingest
        -- prune` passes the retention explicitly.
        UPDATE partman.part_config SET infinite_time_partitions = true, retention = NULL
        WHERE parent_table = sch || '.' || tbl;
    END IF;

    IF to_regclass(format('%I.%I', sch, old)) IS NOT NULL THEN
        EXECUTE format('INSERT INTO %I.%I OVERRIDING SYSTEM VALUE SELECT * FROM %I.%I ON CONFLICT DO NOTHING',
                       sch, tbl, sch, old);
        SELECT a.attname INTO ident FROM pg_attribute a
        WHERE a.attrelid = format('%I.%I', sch, tbl)::regclass AND a.attidentity <> '' AND NOT a.attisdropped;
        IF ident IS NOT NULL THEN  -- the new identity continues after the copied values
            EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), coalesce(max(%I), 0) + 1, false)'
                           ' FROM %I.%I', sch || '.' || tbl, ident, ident, sch, tbl);
        END IF;
        EXECUTE format('DROP TABLE %I.%I', sch, old);
    END IF;
END
$fn$;

SELECT pg_temp.wfh_partition('heartbeats', 'started_at', 'device_id, started_at, client_id', '1 month', '400 days');
SELECT pg_temp.wfh_partition('timeline', 'started_at', 'device_id, started_at, client_id', '1 month', '400 days');
SELECT pg_temp.wfh_partition('ingest_log', 'received_at', 'device_id, ingest_id, received_at', '1 month', '0 days');
DROP FUNCTION pg_temp.wfh_partition(text, text, text, text, interval);

CREATE INDEX IF NOT EXISTS heartbeats_started_brin ON heartbeats USING brin (started_at) WITH (pages_per_range = 32);
CREATE INDEX IF NOT EXISTS timeline_started_brin ON timeline USING brin (started_at) WITH (pages_per_range = 32);
CREATE INDEX IF NOT EXISTS ingest_log_received_brin ON ingest_log USING brin (received_at);
-- The team view's sync-health sums (migration day_rollups made it on the unpartitioned table).
CREATE INDEX IF NOT EXISTS ingest_log_device_received_idx ON ingest_log (device_id, received_at)
    INCLUDE (record_count, rejected);

ANALYZE heartbeats;
ANALYZE timeline;
ANALYZE ingest_log;
