-- Initial schema of the ingestion server (INGESTION_API.md §12.3). Runs with search_path set to the
-- target schema (employee_monitor by default), so object names are unqualified.

CREATE TABLE employees (
    emp_id       integer PRIMARY KEY CHECK (emp_id BETWEEN 1 AND 2147483647),
    display_name text,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devices (
    device_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    emp_id     integer NOT NULL REFERENCES employees (emp_id),
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 128),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (emp_id, name),
    UNIQUE (device_id, emp_id)
);

CREATE TABLE api_keys (
    key_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    prefix       text NOT NULL UNIQUE CHECK (prefix ~ '^[A-Za-z0-9]{8}$'),
    key_hash     bytea NOT NULL CHECK (octet_length(key_hash) = 32),
    device_id    bigint NOT NULL,
    emp_id       integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    FOREIGN KEY (device_id, emp_id) REFERENCES devices (device_id, emp_id)
);
CREATE INDEX api_keys_device_id_idx ON api_keys (device_id);

CREATE TABLE heartbeats (
    device_id       bigint NOT NULL REFERENCES devices (device_id),
    client_id       uuid NOT NULL,
    emp_id          integer NOT NULL,
    started_at      timestamptz NOT NULL,
    ended_at        timestamptz NOT NULL,
    tz              text NOT NULL,
    status          text NOT NULL CHECK (status IN ('active', 'idle', 'locked', 'offline')),
    cpu_percent     real NOT NULL,
    memory_percent  real NOT NULL,
    process_name    text NOT NULL,
    window_title    text NOT NULL,
    domain          text,
    url             text,
    battery_level   real,
    battery_plugged boolean,
    geo_lat         double precision,
    geo_lon         double precision,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, client_id),
    CHECK (ended_at >= started_at),
    CHECK ((geo_lat IS NULL) = (geo_lon IS NULL))
);
CREATE INDEX heartbeats_device_started_idx ON heartbeats (device_id, started_at);
CREATE INDEX heartbeats_started_brin ON heartbeats USING brin (started_at) WITH (pages_per_range = 32);

CREATE TABLE timeline (
    device_id   bigint NOT NULL REFERENCES devices (device_id),
    client_id   uuid NOT NULL,
    emp_id      integer NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL,
    tz          text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('app', 'web', 'idle', 'task')),
    label       text NOT NULL,
    task_id     text,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, client_id),
    CHECK (ended_at >= started_at)
);
CREATE INDEX timeline_device_started_idx ON timeline (device_id, started_at);
CREATE INDEX timeline_started_brin ON timeline USING brin (started_at) WITH (pages_per_range = 32);

CREATE TABLE website_usage (
    device_id        bigint NOT NULL REFERENCES devices (device_id),
    date             date NOT NULL,
    domain           text NOT NULL CHECK (domain = lower(domain)),
    client_id        uuid NOT NULL,
    emp_id           integer NOT NULL,
    duration_seconds integer NOT NULL CHECK (duration_seconds BETWEEN 0 AND 86400),
    tag              text NOT NULL CHECK (tag IN ('productive', 'unproductive', 'neutral')),
    updated_at       timestamptz NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, date, domain)
);
CREATE INDEX website_usage_emp_date_idx ON website_usage (emp_id, date);

CREATE TABLE productivity (
    device_id            bigint NOT NULL REFERENCES devices (device_id),
    date                 date NOT NULL,
    client_id            uuid NOT NULL,
    emp_id               integer NOT NULL,
    productive_seconds   integer NOT NULL CHECK (productive_seconds BETWEEN 0 AND 86400),
    unproductive_seconds integer NOT NULL CHECK (unproductive_seconds BETWEEN 0 AND 86400),
    neutral_seconds      integer NOT NULL CHECK (neutral_seconds BETWEEN 0 AND 86400),
    idle_seconds         integer NOT NULL CHECK (idle_seconds BETWEEN 0 AND 86400),
    score                real NOT NULL CHECK (score BETWEEN 0 AND 100),
    updated_at           timestamptz NOT NULL,
    received_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, date)
);
CREATE INDEX productivity_emp_date_idx ON productivity (emp_id, date);

CREATE TABLE wellness (
    device_id              bigint NOT NULL REFERENCES devices (device_id),
    date                   date NOT NULL,
    client_id              uuid NOT NULL,
    emp_id                 integer NOT NULL,
    active_seconds         integer NOT NULL CHECK (active_seconds BETWEEN 0 AND 86400),
    break_count            integer NOT NULL CHECK (break_count BETWEEN 0 AND 1440),
    longest_streak_seconds integer NOT NULL CHECK (longest_streak_seconds BETWEEN 0 AND 86400),
    overtime_seconds       integer NOT NULL CHECK (overtime_seconds BETWEEN 0 AND 86400),
    updated_at             timestamptz NOT NULL,
    received_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, date)
);
CREATE INDEX wellness_emp_date_idx ON wellness (emp_id, date);

CREATE TABLE screenshots (
    device_id    bigint NOT NULL REFERENCES devices (device_id),
    client_id    uuid NOT NULL,
    emp_id       integer NOT NULL,
    captured_at  timestamptz NOT NULL,
    sha256       bytea NOT NULL CHECK (octet_length(sha256) = 32),
    width        integer NOT NULL CHECK (width BETWEEN 1 AND 16384),
    height       integer NOT NULL CHECK (height BETWEEN 1 AND 16384),
    format       text NOT NULL CHECK (format IN ('png', 'jpeg', 'webp')),
    blurred      boolean NOT NULL,
    size_bytes   integer NOT NULL,
    storage_path text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, client_id)
);
CREATE INDEX screenshots_device_captured_idx ON screenshots (device_id, captured_at);
CREATE INDEX screenshots_sha256_idx ON screenshots (sha256);

CREATE TABLE ingest_log (
    device_id    bigint NOT NULL,
    ingest_id    bigint GENERATED ALWAYS AS IDENTITY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    key_id       bigint NOT NULL,
    endpoint     text NOT NULL,
    http_status  smallint NOT NULL,
    record_count integer NOT NULL,
    accepted     integer NOT NULL,
    duplicates   integer NOT NULL,
    rejected     integer NOT NULL,
    body_bytes   integer NOT NULL,
    duration_ms  integer NOT NULL,
    request_id   text NOT NULL,
    user_agent   text CHECK (char_length(user_agent) <= 256),
    PRIMARY KEY (device_id, ingest_id)
);
CREATE INDEX ingest_log_received_brin ON ingest_log USING brin (received_at);
