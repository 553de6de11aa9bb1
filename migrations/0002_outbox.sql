-- Monitoring outbox (contract §6, §10.3): one table per stream, rows unsynced while synced_at IS NULL.
-- client_id is a lowercase UUID v4 created with the row and never changed.
-- Times are RFC 3339 UTC strings ('…Z'); tz is the IANA zone of the device.

CREATE TABLE heartbeats (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    started_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    tz TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'idle', 'locked', 'offline')),
    cpu_percent REAL NOT NULL DEFAULT 0,
    memory_percent REAL NOT NULL DEFAULT 0,
    process_name TEXT NOT NULL DEFAULT '',
    window_title TEXT NOT NULL DEFAULT '',
    domain TEXT,
    url TEXT,
    battery_level REAL,
    battery_plugged INTEGER,
    geo TEXT,                          -- JSON {"lat", "lon"} or NULL
    category TEXT,                     -- productive / unproductive / neutral (local only)
    category_name TEXT,                -- optional rule category (local only)
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    synced_at TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_heartbeats_unsynced ON heartbeats(id) WHERE synced_at IS NULL;
CREATE INDEX idx_heartbeats_started ON heartbeats(started_at);

CREATE TABLE timeline (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    started_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    tz TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('app', 'web', 'idle', 'task')),
    label TEXT NOT NULL DEFAULT '',
    task_id TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    synced_at TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_timeline_unsynced ON timeline(id) WHERE synced_at IS NULL;
CREATE INDEX idx_timeline_started ON timeline(started_at);

CREATE TABLE website_usage (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    date TEXT NOT NULL,
    domain TEXT NOT NULL,
    duration_seconds INTEGER NOT NULL DEFAULT 0,
    tag TEXT NOT NULL DEFAULT 'neutral' CHECK (tag IN ('productive', 'unproductive', 'neutral')),
    updated_at TEXT NOT NULL,
    synced_at TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (date, domain)
);
CREATE INDEX idx_website_usage_unsynced ON website_usage(id) WHERE synced_at IS NULL;

CREATE TABLE productivity (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    date TEXT NOT NULL UNIQUE,
    productive_seconds INTEGER NOT NULL DEFAULT 0,
    unproductive_seconds INTEGER NOT NULL DEFAULT 0,
    neutral_seconds INTEGER NOT NULL DEFAULT 0,
    idle_seconds INTEGER NOT NULL DEFAULT 0,
    score REAL NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    synced_at TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_productivity_unsynced ON productivity(id) WHERE synced_at IS NULL;

CREATE TABLE wellness (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    date TEXT NOT NULL UNIQUE,
    active_seconds INTEGER NOT NULL DEFAULT 0,
    break_count INTEGER NOT NULL DEFAULT 0,
    longest_streak_seconds INTEGER NOT NULL DEFAULT 0,
    overtime_seconds INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    synced_at TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_wellness_unsynced ON wellness(id) WHERE synced_at IS NULL;

CREATE TABLE screenshots (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    captured_at TEXT NOT NULL,
    file_path TEXT NOT NULL,           -- relative to the data dir
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('png', 'jpeg', 'webp')),
    blurred INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    synced_at TEXT,
    retry_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_screenshots_unsynced ON screenshots(id) WHERE synced_at IS NULL;
CREATE INDEX idx_screenshots_captured ON screenshots(captured_at);

-- Dead letters (contract §10.8): records the server rejected; never retried automatically.
CREATE TABLE sync_quarantine (
    id INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    client_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    http_status INTEGER,
    error TEXT NOT NULL,
    quarantined_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_sync_quarantine_stream ON sync_quarantine(stream, quarantined_at);
