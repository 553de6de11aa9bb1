-- Rollups off the ingest path (issues 13 and 17): a heartbeat batch no longer upserts the rollups in
-- its own statement; it appends the rows it stored to rollup_queue (one narrow row per new heartbeat,
-- no index, no key), and ingestion/reports/rollups.py folds the queue into the rollups: every second
-- in the background, and before every report or page read on the primary, so reads stay exact.
-- A fold is one statement that deletes the rows it folds (DELETE ... RETURNING), so every queued
-- heartbeat is added to the rollups exactly once even with several folds running at the same time.
-- The queue is an ordinary (logged) table: a crash loses neither a heartbeat nor its rollup.

CREATE TABLE rollup_queue (
    device_id    bigint NOT NULL,
    emp_id       integer NOT NULL,
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz NOT NULL,
    status       text NOT NULL,
    process_name text NOT NULL,
    domain       text,
    tz           text NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
        autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 100000);
