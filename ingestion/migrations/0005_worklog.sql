-- Worklog backup (issue 18, INGESTION_API.md §5.6-§5.7, §7.4): the weeks and tasks users type, per employee
-- (all of an employee's devices share one set), the current winning version of each, week aliases merged by
-- case-insensitive label, and every distinct version ever received. A row takes the next change position
-- (worklog_change_seq) whenever its current state changes; the download cursors hold such a position.

CREATE SEQUENCE worklog_change_seq AS bigint;

CREATE TABLE worklog_weeks (
    emp_id                  integer NOT NULL REFERENCES employees (emp_id),
    client_id               uuid NOT NULL,
    device_id               bigint NOT NULL REFERENCES devices (device_id),  -- sender of the winning version
    week_label              text NOT NULL,
    label_key               text GENERATED ALWAYS AS (lower(week_label)) STORED,
    start_date              date,
    week_start_day          integer NOT NULL CHECK (week_start_day BETWEEN 0 AND 6),
    week_start_hour         integer NOT NULL CHECK (week_start_hour BETWEEN 0 AND 23),
    week_end_day            integer NOT NULL CHECK (week_end_day BETWEEN 0 AND 6),
    week_end_hour           integer NOT NULL CHECK (week_end_hour BETWEEN 0 AND 23),
    is_custom_duration      boolean NOT NULL,
    is_bonus_week           boolean NOT NULL,
    bonus_rate              double precision NOT NULL CHECK (bonus_rate >= 0),
    bonus_threshold_seconds integer NOT NULL CHECK (bonus_threshold_seconds >= 0),
    notes                   text NOT NULL,
    created_at              text NOT NULL,  -- as stored by the app
    updated_at              timestamptz NOT NULL,  -- the sync clock
    deleted_at              timestamptz,
    change_seq              bigint NOT NULL DEFAULT nextval('worklog_change_seq'),
    first_seen_at           timestamptz NOT NULL DEFAULT now(),
    received_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (emp_id, client_id)
);
CREATE INDEX worklog_weeks_changes_idx ON worklog_weeks (emp_id, change_seq);
CREATE INDEX worklog_weeks_label_idx ON worklog_weeks (emp_id, label_key);
CREATE INDEX worklog_weeks_start_idx ON worklog_weeks (emp_id, start_date);

-- Another device's UUID for a week already known under another one (same label, any case).
CREATE TABLE worklog_week_aliases (
    emp_id       integer NOT NULL,
    alias_id     uuid NOT NULL,
    canonical_id uuid NOT NULL,
    device_id    bigint NOT NULL REFERENCES devices (device_id),  -- first sender of the alias
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (emp_id, alias_id),
    FOREIGN KEY (emp_id, canonical_id) REFERENCES worklog_weeks (emp_id, client_id)
);
CREATE INDEX worklog_week_aliases_canonical_idx ON worklog_week_aliases (emp_id, canonical_id);

CREATE TABLE worklog_tasks (
    emp_id             integer NOT NULL REFERENCES employees (emp_id),
    client_id          uuid NOT NULL,
    week_client_id     uuid NOT NULL,  -- as sent: a canonical week, an alias, or not known yet
    device_id          bigint NOT NULL REFERENCES devices (device_id),
    attempt_id         text,
    duration_seconds   integer NOT NULL CHECK (duration_seconds >= 0),
    project_id         text,
    project_name       text,
    operation_id       text,
    time_limit_seconds integer NOT NULL CHECK (time_limit_seconds >= 0),
    date_audited       text,
    score              integer,
    feedback           text,
    locale             text,
    bonus_paid         boolean NOT NULL,
    time_begin         text,
    time_end           text,
    created_at         text NOT NULL,
    updated_at         timestamptz NOT NULL,
    deleted_at         timestamptz,
    change_seq         bigint NOT NULL DEFAULT nextval('worklog_change_seq'),
    received_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (emp_id, client_id)
);
CREATE INDEX worklog_tasks_changes_idx ON worklog_tasks (emp_id, change_seq);
CREATE INDEX worklog_tasks_week_idx ON worklog_tasks (emp_id, week_client_id);

-- Every distinct version received (winners and losers): no edit is ever lost.
CREATE TABLE worklog_history (
    emp_id      integer NOT NULL REFERENCES employees (emp_id),
    kind        text NOT NULL CHECK (kind IN ('week', 'task')),
    client_id   uuid NOT NULL,  -- as sent (an alias stays an alias here)
    digest      bytea NOT NULL CHECK (octet_length(digest) = 32),  -- SHA-256 of device and record
    device_id   bigint NOT NULL REFERENCES devices (device_id),
    key_id      bigint NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz,
    record      jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (emp_id, kind, client_id, digest)
);
