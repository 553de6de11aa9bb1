"""Nothing the server never received is lost to quarantine or retention: a proxy's 413 pauses the stream
instead of quarantining the whole queue one record at a time; a single record the server's own 413 still
refuses pauses too; local retention keeps a quarantined row while its dead letter exists; a retry of a
letter whose row is gone says so; an unforeseen error ends the cycle with a backoff, not a crash."""

from __future__ import annotations

from typing import Any

from app.storage import retention
from app.sync import outbox
from tests.sync.replay import JSON, seed_heartbeats

PROXY_413 = (413, {"Content-Type": "text/html"}, b"<html><body><h1>413 Request Entity Too Large</h1></body></html>")


def _quarantined(conn: Any) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM sync_quarantine").fetchone()[0])


def test_a_proxy_s_413_pauses_the_stream_and_quarantines_nothing(sync_env: Any) -> None:
    seed_heartbeats(sync_env.conn, 40)
    sync_env.server.script = [lambda seen: PROXY_413] * 100
    result = sync_env.engine().run_cycle(force_other=True)
    posts = [s for s in sync_env.server.seen if s.path.endswith("/heartbeats")]
    assert len(posts) == 1  # no halving down to single records (it was 45 requests, all 40 quarantined)
    assert _quarantined(sync_env.conn) == 0 and outbox.pending_counts(sync_env.conn, ["heartbeats"]) == {
        "heartbeats": 40}
    assert result.state == "error" and "heartbeats paused" in result.detail


def test_a_single_record_the_server_s_413_refuses_waits_in_the_queue(sync_env: Any) -> None:
    seed_heartbeats(sync_env.conn, 3)
    too_large = (413, JSON, b'{"error":"payload_too_large","detail":"body over 1 KiB"}')
    sync_env.server.script = [lambda seen: too_large] * 20
    result = sync_env.engine().run_cycle(force_other=True)
    assert _quarantined(sync_env.conn) == 0
    assert outbox.pending_counts(sync_env.conn, ["heartbeats"]) == {"heartbeats": 3}
    assert "server configuration error: HTTP 413 for one record" in result.detail


def test_retention_keeps_quarantined_rows_while_their_letter_exists(profile: Any) -> None:
    conn = profile.db.get()
    seed_heartbeats(conn, 5, minutes_ago=400 * 24 * 60)  # older than any retention setting
    rows = outbox.fetch_batch(conn, "heartbeats", 10)
    outbox.quarantine_rows(conn, "heartbeats", rows[:3], 422, "ended_at: before started_at")
    conn.execute("UPDATE heartbeats SET synced_at = '2026-01-01T00:00:00.000Z' WHERE synced_at IS NULL")
    counts = retention.run_cleanup(conn, profile.settings, profile.paths.data_dir)
    assert counts["heartbeats"] == 2  # only the two that reached the server
    assert conn.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0] == 3
    letter = conn.execute("SELECT id FROM sync_quarantine ORDER BY id LIMIT 1").fetchone()[0]
    assert outbox.discard_quarantined(conn, letter)
    assert retention.run_cleanup(conn, profile.settings, profile.paths.data_dir)["heartbeats"] == 1


def test_a_retry_whose_local_row_is_gone_keeps_the_letter(profile: Any) -> None:
    conn = profile.db.get()
    seed_heartbeats(conn, 1)
    outbox.quarantine_rows(conn, "heartbeats", outbox.fetch_batch(conn, "heartbeats", 1), 422, "bad")
    letter = conn.execute("SELECT id, client_id FROM sync_quarantine").fetchone()
    conn.execute("DELETE FROM heartbeats WHERE client_id = ?", (letter[1],))
    assert outbox.retry_quarantined(conn, letter[0]) is False
    assert _quarantined(conn) == 1  # the letter still holds the record


def test_an_unforeseen_error_ends_the_cycle_with_a_backoff(sync_env: Any, monkeypatch: Any) -> None:
    seed_heartbeats(sync_env.conn, 2)
    engine = sync_env.engine()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OverflowError("int too large to convert to float")

    monkeypatch.setattr(outbox, "serialize", broken)
    result = engine.run_cycle(force_other=True)
    assert result.state == "error" and "OverflowError" in result.detail
    assert engine.next_attempt_at > sync_env.clock.now and engine.failures == 1
    assert outbox.pending_counts(sync_env.conn, ["heartbeats"]) == {"heartbeats": 2}
