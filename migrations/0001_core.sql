-- Core time-tracking schema (seed 002) plus settings, sync_log and agent metrics (seed 003, contract §10.11).
-- Released migrations are never edited: add a new numbered file instead.

CREATE TABLE weeks (
    id INTEGER PRIMARY KEY,
    week_label TEXT NOT NULL UNIQUE,
    week_start_day INTEGER NOT NULL DEFAULT 0,      -- 0 = Monday … 6 = Sunday
    week_start_hour INTEGER NOT NULL DEFAULT 0,     -- 0..23
    week_end_day INTEGER NOT NULL DEFAULT 6,
    week_end_hour INTEGER NOT NULL DEFAULT 23,
    is_custom_duration INTEGER NOT NULL DEFAULT 0,
    is_bonus_week INTEGER NOT NULL DEFAULT 0,
    bonus_rate REAL NOT NULL DEFAULT 0.0,           -- bonus paid per hour beyond the threshold
    bonus_threshold_seconds INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT '',
    legacy_id INTEGER,                              -- id in an imported legacy database
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX idx_weeks_legacy_id ON weeks(legacy_id) WHERE legacy_id IS NOT NULL;

CREATE TABLE tasks_optimized (
    id INTEGER PRIMARY KEY,
    week_id INTEGER NOT NULL,
    attempt_id TEXT,
    duration_seconds INTEGER DEFAULT 0,
    duration_display TEXT DEFAULT '00:00:00',
    project_id TEXT,
    project_name TEXT,
    operation_id TEXT,
    time_limit_seconds INTEGER DEFAULT 0,
    time_limit_display TEXT DEFAULT '00:00:00',
    date_audited DATE,
    score INTEGER DEFAULT 0,
    feedback TEXT,
    locale TEXT,
    bonus_paid INTEGER DEFAULT 0,
    time_begin DATETIME,
    time_end DATETIME,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    legacy_id INTEGER,
    deleted_at DATETIME,                            -- set on delete, so the task_deleted event keeps its task
    FOREIGN KEY (week_id) REFERENCES weeks(id) ON DELETE CASCADE
);
CREATE INDEX idx_tasks_week_id ON tasks_optimized(week_id);
CREATE INDEX idx_tasks_date_audited ON tasks_optimized(date_audited);
CREATE INDEX idx_tasks_project_id ON tasks_optimized(project_id);
CREATE INDEX idx_tasks_created_at ON tasks_optimized(created_at);
CREATE INDEX idx_tasks_duration_seconds ON tasks_optimized(duration_seconds);
-- Covering index: per-week totals, averages and the per-project breakdown read only this index.
CREATE INDEX idx_tasks_week_aggregate
    ON tasks_optimized(week_id, project_name, duration_seconds, score, time_limit_seconds, deleted_at)
    WHERE deleted_at IS NULL;
-- Newest-first paging of one week without a sort step.
CREATE INDEX idx_tasks_week_created ON tasks_optimized(week_id, created_at, id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX idx_tasks_legacy_id ON tasks_optimized(legacy_id) WHERE legacy_id IS NOT NULL;

CREATE TABLE task_events (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL,
    event_type TEXT NOT NULL,      -- task_created, task_updated, task_deleted, timer_start, timer_stop
    timestamp DATETIME DEFAULT CURRENT_TIMESTAMP,
    event_data JSON,
    duration_change INTEGER DEFAULT 0,
    user_action TEXT,              -- manual, timer, import, …
    FOREIGN KEY (task_id) REFERENCES tasks_optimized(id) ON DELETE CASCADE
);
CREATE INDEX idx_events_task_id ON task_events(task_id);
CREATE INDEX idx_events_timestamp ON task_events(timestamp);
CREATE INDEX idx_events_type ON task_events(event_type);

CREATE TABLE week_statistics (
    week_id INTEGER PRIMARY KEY,
    total_tasks INTEGER DEFAULT 0,
    total_duration_seconds INTEGER DEFAULT 0,
    avg_task_duration REAL DEFAULT 0.0,
    avg_score REAL DEFAULT 0.0,
    project_breakdown JSON,
    productivity_score REAL DEFAULT 0.0,
    on_time_tasks INTEGER DEFAULT 0,               -- tasks within their time limit (or without one)
    last_calculated DATETIME DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (week_id) REFERENCES weeks(id) ON DELETE CASCADE
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE sync_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    direction TEXT NOT NULL DEFAULT 'upload',
    stream TEXT NOT NULL,
    record_count INTEGER NOT NULL DEFAULT 0,
    result TEXT NOT NULL,          -- commit, backoff, retry_after, pause_stream, stop_auth, …
    success INTEGER NOT NULL DEFAULT 0,
    http_status INTEGER,
    duration_ms INTEGER,
    error TEXT
);
CREATE INDEX idx_sync_log_created ON sync_log(created_at);

-- Monotonic local counters (contract §10.11): one row per counter.
CREATE TABLE agent_metrics (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Periodic resource samples of the agent itself (seed 003's agent_metrics columns).
CREATE TABLE agent_metric_samples (
    metric_id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ram_used_gb REAL,
    ram_percent REAL,
    cpu_percent REAL,
    cache_hit_rate REAL,
    sync_latency_ms INTEGER
);
CREATE INDEX idx_agent_metric_samples_ts ON agent_metric_samples(timestamp);
