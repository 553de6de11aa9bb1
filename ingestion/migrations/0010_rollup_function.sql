-- The reports' rollup of heartbeats stored outside the batch statement, as a function in the schema:
-- the server's record-by-record fallback (a batch PostgreSQL refused) and the desktop agent's legacy
-- direct-PostgreSQL mode (INGESTION_API.md §13), which writes heartbeats without the server, both call
-- it in the transaction that stored the rows, so no path that stores a heartbeat leaves it out of the
-- team's reports. It adds exactly what the ingest statement's CTEs add (ingestion/reports/rollups.py;
-- tests/team/test_rollups.py compares the two): seconds per 15-minute slot, status, application and
-- site to activity_quarters, the device's latest heartbeat to device_state, the span to rollup_spans.
-- The arguments are the stored heartbeats of one device, one array per column, in any order.

CREATE FUNCTION roll_up_heartbeats(p_device bigint, p_emp integer, p_started timestamptz[], p_ended timestamptz[],
                                   p_status text[], p_process text[], p_domain text[], p_tz text[])
RETURNS void LANGUAGE sql SET search_path FROM CURRENT AS $fn$
WITH src AS (
    SELECT p_device AS device_id, p_emp AS emp_id, u.*
    FROM unnest(p_started, p_ended, p_status, p_process, p_domain, p_tz)
         AS u(started_at, ended_at, status, process_name, domain, tz)
), pieces AS (
    -- A heartbeat inside one slot (nearly all of them) is one piece without a generate_series call.
    SELECT n.device_id, n.emp_id, n.status, n.process_name, n.domain,
           date_bin('15 minutes', n.started_at, 'epoch') AS bucket,
           extract(epoch FROM n.ended_at - n.started_at)::float8 AS seconds
    FROM src n
    WHERE n.ended_at > n.started_at
      AND n.ended_at <= date_bin('15 minutes', n.started_at, 'epoch') + interval '15 minutes'
    UNION ALL
    SELECT n.device_id, n.emp_id, n.status, n.process_name, n.domain, q AS bucket,
           extract(epoch FROM least(n.ended_at, q + interval '15 minutes') - greatest(n.started_at, q))::float8
    FROM src n,
         generate_series(date_bin('15 minutes', n.started_at, 'epoch'), n.ended_at, interval '15 minutes') q
    WHERE n.ended_at > date_bin('15 minutes', n.started_at, 'epoch') + interval '15 minutes'
      AND least(n.ended_at, q + interval '15 minutes') > greatest(n.started_at, q)
), quarters AS (
    INSERT INTO activity_quarters (emp_id, bucket, device_id, status, process_name, domain, seconds)
    SELECT emp_id, bucket, device_id, status, process_name, domain, sum(seconds) FROM pieces
    GROUP BY emp_id, bucket, device_id, status, process_name, domain
), latest AS (
    INSERT INTO device_state AS s (device_id, emp_id, last_seen_at, tz)
    (SELECT n.device_id, n.emp_id, n.ended_at, n.tz FROM src n ORDER BY n.ended_at DESC LIMIT 1)
    ON CONFLICT (device_id) DO UPDATE SET emp_id = EXCLUDED.emp_id, last_seen_at = EXCLUDED.last_seen_at,
        tz = EXCLUDED.tz WHERE s.last_seen_at <= EXCLUDED.last_seen_at
)
INSERT INTO rollup_spans (emp_id, lo, hi)
SELECT p_emp, min(started_at), max(ended_at) FROM src HAVING count(*) > 0;
$fn$;
