"""Queue caps (§10.9): order of dropping, the keep_days protection, counters, files removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.sync import outbox, shedding
from tests.sync.replay import insert_record, seed_heartbeats, seed_screenshot, vector_screenshot


def _old_heartbeats(conn: Any, n: int, days_ago: int) -> None:
    from tests.sync.replay import heartbeat

    conn.execute("BEGIN")
    for i in range(n):
        rec = heartbeat(i, minutes_ago=days_ago * 1440)
        insert_record(conn, "heartbeats", rec)
    conn.execute("COMMIT")


def test_screenshot_cap_drops_oldest_unsent_files(profile: Any) -> None:
    conn, data_dir = profile.db.get(), profile.paths.data_dir
    files = []
    for i in range(10):
        meta, content = vector_screenshot({"request": {}})
        meta["captured_at"] = (datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        seed_screenshot(conn, data_dir, meta, content)
        conn.execute("UPDATE screenshots SET size_bytes = ? WHERE client_id = ?", (200 * 1024, meta["client_id"]))
        files.append(data_dir / f"screenshots/{meta['client_id']}.png")
    profile.settings.set("ingestion.queue.max_screenshot_mb", 1)  # 10 × 200 KiB = 2000 KiB > 1 MiB
    report = shedding.check(conn, profile.settings, data_dir, disk_free=lambda p: 10**12)
    assert report.dropped["screenshots"] == 6  # oldest first until below 90 % of 1 MiB (4 × 200 KiB left)
    assert outbox.counter(conn, "dropped_screenshots") == 6
    assert [f.exists() for f in files] == [False] * 6 + [True] * 4


def test_total_cap_protects_recent_heartbeats(profile: Any) -> None:
    conn = profile.db.get()
    _old_heartbeats(conn, 300, days_ago=40)
    recent = seed_heartbeats(conn, 300)
    profile.settings.set("ingestion.queue.max_total_mb", 0)  # always over: everything sheddable goes
    report = shedding.check(conn, profile.settings, profile.paths.data_dir, disk_free=lambda p: 10**12)
    assert report.dropped == {"heartbeats": 300}
    assert report.queue_full
    assert sorted(r[0] for r in conn.execute("SELECT client_id FROM heartbeats")) == sorted(recent)
    assert outbox.counter(conn, "dropped_heartbeats") == 300


def test_low_free_disk_sheds_timeline_first(profile: Any) -> None:
    conn = profile.db.get()
    insert_record(conn, "timeline", {"client_id": "22222222-2222-4222-8222-222222222222",
                                     "started_at": "2026-11-20T10:00:00Z", "ended_at": "2026-11-20T10:01:00Z",
                                     "tz": "UTC", "kind": "app", "label": "x", "task_id": None})
    free = iter([0, 10**12, 10**12, 10**12])
    report = shedding.check(conn, profile.settings, profile.paths.data_dir, disk_free=lambda p: next(free))
    assert report.dropped == {"timeline": 1} and not report.queue_full


def test_under_caps_nothing_happens(profile: Any) -> None:
    seed_heartbeats(profile.db.get(), 10)
    report = shedding.check(profile.db.get(), profile.settings, profile.paths.data_dir)
    assert report.dropped == {} and not report.queue_full and report.db_bytes > 0
