"""Retention removes old synced rows (and their screenshot files) and never unsynced data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.storage import retention
from app.storage.db import write_transaction
from app.ui import daily_jobs

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _seed(profile) -> dict[str, Path]:
    conn = profile.db.get()
    old, new = _iso(NOW - timedelta(days=200)), _iso(NOW - timedelta(days=1))
    synced = _iso(NOW - timedelta(days=199))
    files: dict[str, Path] = {}
    with write_transaction(conn):
        for label, started, synced_at in (("old-synced", old, synced), ("old-unsynced", old, None),
                                          ("new-synced", new, synced)):
            conn.execute(
                "INSERT INTO heartbeats (client_id, started_at, ended_at, tz, status, window_title, synced_at) "
                "VALUES (?, ?, ?, 'UTC', 'active', ?, ?)", (str(uuid.uuid4()), started, started, label, synced_at))
            rel = f"screenshots/{label}.png"
            path = profile.paths.data_dir / rel
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(b"png")
            files[label] = path
            conn.execute(
                "INSERT INTO screenshots (client_id, captured_at, file_path, sha256, size_bytes, width, height, "
                "format, synced_at) VALUES (?, ?, ?, 'x', 3, 1, 1, 'png', ?)",
                (label, started, rel, synced_at))
        for stamp in (old, new):
            conn.execute("INSERT INTO sync_log (created_at, stream, result) VALUES (?, 'heartbeats', 'commit')",
                         (stamp,))
            conn.execute("INSERT INTO agent_metric_samples (timestamp, cpu_percent) VALUES (?, 1)", (stamp,))
    return files


def test_cleanup_keeps_unsynced_and_recent_rows(profile) -> None:
    files = _seed(profile)
    counts = retention.run_cleanup(profile.db.get(), profile.settings, profile.paths.data_dir, now=NOW)
    assert counts == {"heartbeats": 1, "screenshots": 1, "sync_log": 1, "agent_metric_samples": 1}
    conn = profile.db.get()
    assert sorted(r[0] for r in conn.execute("SELECT window_title FROM heartbeats")) == ["new-synced", "old-unsynced"]
    assert sorted(r[0] for r in conn.execute("SELECT client_id FROM screenshots")) == ["new-synced", "old-unsynced"]
    assert not files["old-synced"].exists()
    assert files["old-unsynced"].exists() and files["new-synced"].exists()
    assert conn.execute("SELECT COUNT(*) FROM sync_log").fetchone()[0] == 1
    assert retention.last_run(conn) == NOW
    assert not retention.is_cleanup_due(retention.last_run(conn), NOW + timedelta(hours=5))
    # A second run finds nothing more to delete.
    assert sum(retention.run_cleanup(conn, profile.settings, profile.paths.data_dir, now=NOW).values()) == 0


def test_zero_days_switches_a_rule_off(profile) -> None:
    _seed(profile)
    profile.settings.set("retention.heartbeats_days", 0)
    profile.settings.set("retention.sync_log_days", "soon")
    counts = retention.run_cleanup(profile.db.get(), profile.settings, profile.paths.data_dir, now=NOW)
    assert "heartbeats" not in counts and "sync_log" not in counts
    assert profile.db.get().execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0] == 3


def test_batches_cover_every_candidate(profile, monkeypatch) -> None:
    monkeypatch.setattr(retention, "BATCH", 7)
    conn = profile.db.get()
    old = _iso(NOW - timedelta(days=200))
    with write_transaction(conn):
        for i in range(40):
            conn.execute(
                "INSERT INTO heartbeats (client_id, started_at, ended_at, tz, status, synced_at) "
                "VALUES (?, ?, ?, 'UTC', 'idle', ?)", (str(uuid.uuid4()), old, old, None if i % 4 == 0 else old))
    assert retention.run_cleanup(conn, profile.settings, profile.paths.data_dir, now=NOW)["heartbeats"] == 30
    assert conn.execute("SELECT COUNT(*) FROM heartbeats WHERE synced_at IS NULL").fetchone()[0] == 10


def test_select_expired_is_the_gate() -> None:
    rule = retention.RULES[0]
    cutoff = retention.cutoff_iso(NOW, 90)
    assert cutoff == "2026-08-28T12:00:00.000Z"
    rows = [
        {"id": 1, "ended_at": "2026-01-01T00:00:00.000Z", "synced_at": "2026-01-02T00:00:00.000Z"},
        {"id": 2, "ended_at": "2026-01-01T00:00:00.000Z", "synced_at": None},
        {"id": 3, "ended_at": "2026-11-20T00:00:00.000Z", "synced_at": "2026-11-20T00:00:00.000Z"},
        {"id": 4, "ended_at": "", "synced_at": "2026-11-20T00:00:00.000Z"},
    ]
    assert retention.select_expired(rows, rule, cutoff) == [1]
    log_rule = retention.RULES[2]
    assert retention.select_expired([{"id": 9, "created_at": "2026-01-01T00:00:00Z"}], log_rule, cutoff) == [9]
    assert retention.cutoff_iso(NOW, 0) is None and retention.cutoff_iso(NOW, None) is None


def test_retention_scheduler_runs_on_a_worker(qtbot, profile) -> None:
    _seed(profile)
    job = daily_jobs.retention_scheduler(profile.db, profile.settings, profile.paths.data_dir)
    with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
        assert job.check_now()
    assert "heartbeats" in blocker.args[0]
    job.stop()
    assert not job.check_now()
