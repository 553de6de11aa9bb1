-- Rollups for the reports: seconds per employee, device and 15-minute slot (UTC) by status, by
-- application and by domain, maintained in the ingest transaction (ingestion/reports/rollups.py).
-- 15-minute slots keep local days and hours exact in every time zone (all offsets are multiples of
-- 15 minutes), so range reports never scan raw heartbeats.

CREATE TABLE status_quarters (
    emp_id    integer NOT NULL,
    bucket    timestamptz NOT NULL,
    device_id bigint NOT NULL REFERENCES devices (device_id),
    status    text NOT NULL,
    seconds   double precision NOT NULL,
    PRIMARY KEY (emp_id, bucket, device_id, status)
);

CREATE TABLE app_quarters (
    emp_id       integer NOT NULL,
    bucket       timestamptz NOT NULL,
    device_id    bigint NOT NULL REFERENCES devices (device_id),
    process_name text NOT NULL,
    seconds      double precision NOT NULL,
    PRIMARY KEY (emp_id, bucket, device_id, process_name)
);

CREATE TABLE domain_quarters (
    emp_id    integer NOT NULL,
    bucket    timestamptz NOT NULL,
    device_id bigint NOT NULL REFERENCES devices (device_id),
    domain    text NOT NULL,
    seconds   double precision NOT NULL,
    PRIMARY KEY (emp_id, bucket, device_id, domain)
);

-- Latest heartbeat per device: last seen and the employee's current time zone.
CREATE TABLE device_state (
    device_id    bigint PRIMARY KEY REFERENCES devices (device_id),
    emp_id       integer NOT NULL,
    last_seen_at timestamptz NOT NULL,
    tz           text NOT NULL
);
CREATE INDEX device_state_emp_idx ON device_state (emp_id);

-- Rollups of heartbeats stored before this migration.
INSERT INTO status_quarters (emp_id, bucket, device_id, status, seconds)
SELECT h.emp_id, q, h.device_id, h.status,
       sum(extract(epoch FROM least(h.ended_at, q + interval '15 minutes') - greatest(h.started_at, q)))
FROM heartbeats h,
     generate_series(date_bin('15 minutes', h.started_at, 'epoch'), h.ended_at, interval '15 minutes') q
WHERE least(h.ended_at, q + interval '15 minutes') > greatest(h.started_at, q)
GROUP BY 1, 2, 3, 4;
INSERT INTO app_quarters (emp_id, bucket, device_id, process_name, seconds)
SELECT h.emp_id, q, h.device_id, h.process_name,
       sum(extract(epoch FROM least(h.ended_at, q + interval '15 minutes') - greatest(h.started_at, q)))
FROM heartbeats h,
     generate_series(date_bin('15 minutes', h.started_at, 'epoch'), h.ended_at, interval '15 minutes') q
WHERE h.status = 'active' AND least(h.ended_at, q + interval '15 minutes') > greatest(h.started_at, q)
GROUP BY 1, 2, 3, 4;
INSERT INTO domain_quarters (emp_id, bucket, device_id, domain, seconds)
SELECT h.emp_id, q, h.device_id, h.domain,
       sum(extract(epoch FROM least(h.ended_at, q + interval '15 minutes') - greatest(h.started_at, q)))
FROM heartbeats h,
     generate_series(date_bin('15 minutes', h.started_at, 'epoch'), h.ended_at, interval '15 minutes') q
WHERE h.status = 'active' AND h.domain IS NOT NULL
  AND least(h.ended_at, q + interval '15 minutes') > greatest(h.started_at, q)
GROUP BY 1, 2, 3, 4;
INSERT INTO device_state (device_id, emp_id, last_seen_at, tz)
SELECT DISTINCT ON (device_id) device_id, emp_id, ended_at, tz FROM heartbeats ORDER BY device_id, ended_at DESC;
