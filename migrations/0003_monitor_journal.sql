-- Crash-safe monitoring (issue 14): what the agent holds in memory, persisted each tick.
-- monitor_journal: the spans not yet released to the outbox (held back for idle back-dating),
-- the open span and the open timeline entry. Rewritten in one short transaction per tick, together
-- with the heartbeats it releases, so a span is either here or in heartbeats, never both, never
-- neither. Startup replays it. Local only: never synced.
CREATE TABLE monitor_journal (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('pending', 'open', 'timeline')),
    started_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    tz TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT '',
    cpu_percent REAL NOT NULL DEFAULT 0,
    memory_percent REAL NOT NULL DEFAULT 0,
    process_name TEXT NOT NULL DEFAULT '',
    window_title TEXT NOT NULL DEFAULT '',
    domain TEXT,
    url TEXT,
    battery_level REAL,
    battery_plugged INTEGER,
    label TEXT NOT NULL DEFAULT '',
    written_at TEXT NOT NULL,
    passive INTEGER NOT NULL DEFAULT 0
);

-- Passive time (issue 14): no input, but media was playing (MPRIS). Counted as active; local only
-- (the outbox sends an explicit column list, which does not include it).
ALTER TABLE heartbeats ADD COLUMN passive INTEGER NOT NULL DEFAULT 0;

-- Small persistent monitoring state, e.g. 'paused_until' (RFC 3339 UTC or 'resumed-manually'),
-- so a pause survives quitting and restarting until it expires.
CREATE TABLE monitor_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
