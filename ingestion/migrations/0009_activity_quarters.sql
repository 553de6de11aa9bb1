-- One append-only rollup written by the ingest statement itself (issue 17: keep the rollups' cost
-- to the ingest small). Replaces the four upserted rollups of 0004/0005 and the queue of 0008:
-- upserting ~86 rollup rows per 200 heartbeats, in the batch or in a later fold, cost a fifth to a
-- quarter of the ingest's CPU; one plain INSERT of the batch's seconds per 15-minute slot, status,
-- application and site costs under a tenth of it (docs/BENCHMARKS.md).
--
-- activity_quarters: seconds per employee, 15-minute slot (UTC), device, status, application and
-- site. Rows are only ever added, so a key may hold several rows and every read sums them; a
-- reader sees every heartbeat committed before its snapshot, with no fold, on a replica too. Local
-- days and hours are sums of slots in the report's zone (every UTC offset is a multiple of 15 minutes).
-- rollup_spans: each batch's employee and time span, so a background compaction
-- (ingestion/reports/rollups.py) merges the rows of a key that several batches added (many small
-- real-time batches) and reads stay short. Compaction only ever replaces rows by their sum.

CREATE TABLE activity_quarters (
    emp_id       integer NOT NULL,
    bucket       timestamptz NOT NULL,
    device_id    bigint NOT NULL,
    status       text NOT NULL,
    process_name text NOT NULL,
    domain       text,
    seconds      double precision NOT NULL
);
-- status and seconds in the index: a team's days (50 employees x 30 days) are an index-only scan.
CREATE INDEX activity_quarters_emp_bucket_idx ON activity_quarters (emp_id, bucket) INCLUDE (status, seconds);

CREATE TABLE rollup_spans (
    emp_id integer NOT NULL,
    lo     timestamptz NOT NULL,
    hi     timestamptz NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);

-- Every stored heartbeat once (the queued ones are in heartbeats too).
INSERT INTO activity_quarters (emp_id, bucket, device_id, status, process_name, domain, seconds)
SELECT h.emp_id, q, h.device_id, h.status, h.process_name, h.domain,
       sum(extract(epoch FROM least(h.ended_at, q + interval '15 minutes') - greatest(h.started_at, q)))
FROM heartbeats h,
     generate_series(date_bin('15 minutes', h.started_at, 'epoch'), h.ended_at, interval '15 minutes') q
WHERE least(h.ended_at, q + interval '15 minutes') > greatest(h.started_at, q)
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2;  -- an employee's slots on few pages, as ingest writes them

-- device_state (each device's latest heartbeat and zone) was kept by the folds: take in what was
-- still queued, then the ingest statement keeps it again.
INSERT INTO device_state AS s (device_id, emp_id, last_seen_at, tz)
SELECT DISTINCT ON (device_id) device_id, emp_id, ended_at, tz FROM rollup_queue
ORDER BY device_id, ended_at DESC
ON CONFLICT (device_id) DO UPDATE SET emp_id = EXCLUDED.emp_id, last_seen_at = EXCLUDED.last_seen_at,
    tz = EXCLUDED.tz WHERE s.last_seen_at <= EXCLUDED.last_seen_at;

DROP TABLE rollup_queue, status_quarters, app_quarters, domain_quarters, status_days, known_zones;
