"""E2E 1 and 5: a simulated offline week arrives exactly once; one invalid record is quarantined
while the rest of its batch and all later batches go through."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from app.sync import outbox, state
from tests.e2e.conftest import E2E, write_heartbeats, write_week

STREAMS = ("heartbeats", "timeline", "website_usage", "productivity", "wellness", "screenshots")


def test_offline_week_then_online_exactly_once(e2e: E2E) -> None:
    """10,080 spans, the week's aggregates and 200 screenshots of ~150 KB drain in one cycle in
    under 60 s with the contract's pacing (v1.1: screenshots have their own byte budget)."""
    write_week(e2e.profile, shot_side=224)
    conn = e2e.conn
    assert outbox.pending_counts(conn, ["heartbeats"])["heartbeats"] == 10_080
    state.set_work_offline(conn, True)
    engine = e2e.engine()
    assert engine.run_cycle().state == "offline"
    assert e2e.server_ids("heartbeats") == []
    state.set_work_offline(conn, False)
    started = time.monotonic()
    result = engine.run_cycle(force_other=True)
    elapsed = time.monotonic() - started
    assert result.state == "synced", result.as_dict()
    assert elapsed < 60
    for stream in STREAMS:
        local = e2e.local_ids(stream)
        remote = e2e.server_ids(stream)
        if stream in ("website_usage", "productivity", "wellness", "timeline"):
            assert sorted(remote) == sorted(local), stream
        else:
            assert len(remote) == len(set(remote)), f"duplicates in {stream}"
            assert set(remote) == set(local), stream
    assert len(e2e.server_ids("heartbeats")) == 10_080
    assert len(e2e.server_ids("screenshots")) == 200
    assert outbox.pending_counts(conn, STREAMS) == dict.fromkeys(STREAMS, 0)
    # a second pass sends nothing
    log_rows = len(e2e.ingest_log())
    assert engine.run_cycle(force_other=True).state == "synced"
    assert len(e2e.ingest_log()) == log_rows


def test_one_invalid_record_is_quarantined_rest_goes_through(e2e: E2E) -> None:
    ids = write_heartbeats(e2e.profile, 600)
    bad = ids[57]
    e2e.conn.execute("UPDATE heartbeats SET cpu_percent = 150 WHERE client_id = ?", (bad,))
    result = e2e.engine().run_cycle()
    assert result.state == "synced"
    remote = e2e.server_ids("heartbeats")
    assert set(remote) == set(ids) - {bad} and len(remote) == 599
    row = e2e.conn.execute("SELECT error, http_status FROM sync_quarantine WHERE client_id = ?", (bad,)).fetchone()
    assert row["error"].startswith("cpu_percent:") and row["http_status"] == 200
    assert outbox.counter(e2e.conn, "quarantined_heartbeats") == 1
    counts: Any = Counter(r["record_count"] for r in e2e.ingest_log())
    assert counts == {200: 3}
