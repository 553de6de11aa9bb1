"""Every contract vector: (a) the serializer builds exactly the valid vectors' records; (b) a replay
server answers with each vector's response and the client reacts as its ``client`` block says."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.sync import outbox
from app.sync.client import ApiClient, check_connection
from app.sync.engine import KEY_REJECTED
from app.sync.status import SyncReason
from tests.sync.replay import (
    CONTRACT_DIR,
    STREAM_PATH,
    VALID_KEY,
    Seen,
    load,
    ok_responder,
    seed_heartbeats,
    seed_screenshot,
    seed_vector_records,
    vector_files,
    vector_response,
    vector_screenshot,
)

VALID = ["heartbeats_valid", "timeline_valid", "website_usage_valid", "productivity_valid", "wellness_valid",
         "weeks_valid", "tasks_valid"]
ALL = [p.stem for p in vector_files()]


def test_every_vector_file_is_loaded() -> None:
    assert len(ALL) >= 50
    for name in ALL:
        assert load(CONTRACT_DIR / f"{name}.json")["name"] == name


def vec(name: str) -> dict[str, Any]:
    return load(CONTRACT_DIR / f"{name}.json")


@pytest.mark.parametrize("name", VALID)
def test_serializer_matches_valid_vector(sync_env: Any, name: str) -> None:
    vector = vec(name)
    stream = STREAM_PATH.match(vector["request"]["path"]).group(1)
    records = vector["request"]["body"]["records"]
    seed_vector_records(sync_env.conn, stream, records)
    batch = outbox.fetch_batch(sync_env.conn, stream, 200)
    body = json.loads(outbox.serialize([r.record for r in batch]))
    assert body == {"records": records}
    assert all("emp_id" not in r for r in body["records"])
    client = ApiClient(sync_env.server.url, VALID_KEY)
    data, headers = client.build_ingest(outbox.serialize([r.record for r in batch]))
    assert headers["Content-Type"] == "application/json"
    client.post_records(stream, data, len(batch))
    seen = sync_env.server.seen[-1]
    assert seen.headers["X-Api-Key"] == VALID_KEY
    assert seen.headers["User-Agent"].startswith("WFH-Agent/")


def test_serializer_matches_screenshot_meta(sync_env: Any) -> None:
    vector = vec("screenshots_new")
    meta, content = vector_screenshot(vector)
    seed_screenshot(sync_env.conn, sync_env.profile.paths.data_dir, meta, content)
    [row] = outbox.fetch_batch(sync_env.conn, "screenshots", 10)
    assert row.record == vector["request"]["multipart"]["meta"]


def _stream_of(vector: dict[str, Any]) -> str:
    path = vector["request"]["path"]
    if path == "/api/v1/screenshots":
        return "screenshots"
    match = STREAM_PATH.match(path)
    if match and match.group(1) in outbox.FIELDS:
        return match.group(1)
    return "heartbeats"


def _seed(sync_env: Any, vector: dict[str, Any], stream: str) -> list[str]:
    conn = sync_env.conn
    if stream == "screenshots":
        meta, content = vector_screenshot(vector)
        seed_screenshot(conn, sync_env.profile.paths.data_dir, meta, content)
        return [meta["client_id"]]
    body = vector["request"].get("body")
    if isinstance(body, dict) and isinstance(body.get("records"), list) and stream == _stream_of(vector) \
            and vector["request"]["path"].endswith(stream) and body["records"] \
            and all(isinstance(r, dict) for r in body["records"]):
        return seed_vector_records(conn, stream, body["records"])
    if "body_note" in vector["request"]:
        return seed_heartbeats(conn, 8)
    return seed_heartbeats(conn, 2)


def _synced(conn: Any, stream: str, client_id: str) -> str | None:
    row = conn.execute(f"SELECT synced_at FROM {outbox.table(stream)} WHERE client_id = ?", (client_id,)).fetchone()
    if row is None and stream in outbox.WORKLOG:
        return "sent"  # a sent version of a week or task leaves its outbox
    return row[0]


REACTION = [n for n in ALL if (vec(n)["request"]["method"] == "POST" or vec(n)["request"]["path"] == "/api/v1/me")]


@pytest.mark.parametrize("name", REACTION)
def test_reaction(sync_env: Any, name: str) -> None:
    vector = vec(name)
    action = vector["client"]["action"]
    if action == "show_identity":
        return _identity(sync_env, vector)
    sync_env.profile.settings.set("ingestion.batch_size", 8)
    stream = _stream_of(vector)
    ids = _seed(sync_env, vector, stream)
    if action == "pause_stream" and stream != "screenshots":  # another stream must keep going
        other = "timeline" if stream != "timeline" else "heartbeats"
        seed_vector_records(sync_env.conn, other, vec(f"{other}_valid")["request"]["body"]["records"])
    server, conn, clock = sync_env.server, sync_env.conn, sync_env.clock
    status, headers, body = vector_response(vector)
    server.script = [lambda seen: (status, headers, body)]
    engine = sync_env.engine()
    before_q = outbox.counter(conn, f"quarantined_{stream}")
    result = engine.run_cycle(force_other=True)
    first = [s for s in server.seen if s.path != "/health"]
    if name == "ingest_empty_records":  # the client never sends an empty batch: nothing pending, nothing sent
        return
    assert first, "no request sent"
    if action == "commit":
        for i in vector["client"]["synced"]:
            assert _synced(conn, stream, ids[i]) not in (None, outbox.QUARANTINED)
        qids = [ids[i] for i in vector["client"]["quarantined"]]
        expected = {r["index"]: r["error"]["$prefix"] for r in vector["response"]["body"]["rejected"]}
        for i in vector["client"]["quarantined"]:
            cid = ids[i]
            assert _synced(conn, stream, cid) == outbox.QUARANTINED
            row = conn.execute("SELECT error, http_status FROM sync_quarantine WHERE client_id = ?", (cid,)).fetchone()
            assert row["error"].split(":")[0] + ":" == expected[i]
        assert outbox.counter(conn, f"quarantined_{stream}") - before_q == len(qids)
        assert result.state == "synced"
    elif action == "mark_synced":
        assert _synced(conn, "screenshots", ids[0]) not in (None, outbox.QUARANTINED)
    elif action == "quarantine_item":
        assert _synced(conn, "screenshots", ids[0]) == outbox.QUARANTINED
        assert conn.execute("SELECT COUNT(*) FROM sync_quarantine WHERE client_id = ?", (ids[0],)).fetchone()[0] == 1
        n = len(server.seen)
        engine.run_cycle(force_other=True)
        assert len(server.seen) == n  # not sent again
    elif action == "halve_batch":
        assert len(first) >= 2 and len(first[1].records) == len(first[0].records) // 2
        _assert_nothing_marked_from(first[0], conn, exclude=first[1:])
    elif action == "retry_after":
        _assert_unmarked(conn, stream, ids)
        r = max(1, min(3600, int(headers["Retry-After"])))
        assert r <= engine.next_attempt_at - clock.now <= 2 * r
        n = len(server.seen)
        clock.advance(r - 0.001)
        if engine.next_attempt_at > clock.now:
            engine.run_cycle(force_other=True)
            assert len(server.seen) == n  # not earlier than R
        clock.now = engine.next_attempt_at
        engine.run_cycle(force_other=True)
        assert server.seen[n].records == first[0].records  # the same batch again
    elif action == "backoff":
        _assert_unmarked(conn, stream, ids)
        assert 0 <= engine.next_attempt_at - clock.now <= 2
        assert result.state == "unreachable"
    elif action == "pause_stream":
        _assert_unmarked(conn, stream, ids)
        assert conn.execute("SELECT COUNT(*) FROM sync_quarantine").fetchone()[0] == 0
        assert first[0].path.endswith(stream)
        if stream != "screenshots":
            assert any(not s.path.endswith(stream) for s in first[1:])  # other streams continue
        n = len(server.seen)
        clock.advance(3599)
        engine.run_cycle(force_other=True)
        assert not [s for s in server.seen[n:] if s.path.endswith(stream)]
        assert result.state == "error"
    elif action == "stop_auth":
        _assert_unmarked(conn, stream, ids)
        assert result.state == "auth_error"
        n = len(server.seen)
        clock.advance(7200)
        assert engine.run_cycle(force_other=True).state == "auth_error"
        assert len(server.seen) == n
        engine.settings_changed()
        engine.run_cycle(force_other=True)
        assert len(server.seen) > n
    else:  # pragma: no cover
        pytest.fail(f"unhandled action {action}")


def _assert_unmarked(conn: Any, stream: str, ids: list[str]) -> None:
    for cid in ids:
        assert _synced(conn, stream, cid) is None


def _assert_nothing_marked_from(seen: Seen, conn: Any, exclude: list[Seen]) -> None:
    later = {r["client_id"] for s in exclude for r in s.records}
    for record in seen.records:
        if record["client_id"] not in later:
            assert _synced(conn, "heartbeats", record["client_id"]) is None


def _identity(sync_env: Any, vector: dict[str, Any]) -> None:
    status, headers, body = vector_response(vector)
    sync_env.server.script = [lambda seen: (200, {"Content-Type": "application/json", "X-Wfh-Api-Version": "1"},
                                            b'{"status":"healthy"}'),
                              lambda seen: (status, headers, body)]
    engine = sync_env.engine()
    engine.auth_error = (SyncReason.KEY_REJECTED, KEY_REJECTED)
    client = ApiClient(sync_env.server.url, VALID_KEY)
    report = check_connection(client, now=sync_env.clock.now)
    if vector["client"]["action"] == "show_identity":
        assert report["ok"], report
        assert report["identity"]["emp_id"] == vector["response"]["body"]["emp_id"]
        assert "TESTPREF" in report["message"]
        engine.identity_confirmed()
        assert engine.auth_error is None


@pytest.mark.parametrize("name", ["health_ok", "health_db_unavailable"])
def test_health_vectors_change_nothing(sync_env: Any, name: str) -> None:
    vector = vec(name)
    ids = seed_heartbeats(sync_env.conn, 2)
    status, headers, body = vector_response(vector)
    sync_env.server.script = [lambda seen: (status, headers, body)]
    report = check_connection(ApiClient(sync_env.server.url, VALID_KEY))
    assert report["problem"] is None or report["ok"] or report["problem"]
    _assert_unmarked(sync_env.conn, "heartbeats", ids)
    if name == "health_db_unavailable":
        assert any("database" in w for w in report["warnings"])


def test_rate_limited_me_reported(sync_env: Any) -> None:
    vector = vec("rate_limit_burst")
    status, headers, body = vector_response(vector)
    sync_env.server.script = [lambda seen: (200, {"Content-Type": "application/json", "X-Wfh-Api-Version": "1"},
                                            b"{}"), lambda seen: (status, headers, body)]
    report = check_connection(ApiClient(sync_env.server.url, VALID_KEY))
    assert report["problem"] == "rate_limited"


DOWNLOAD = [n for n in ALL
            if vec(n)["request"]["method"] == "GET" and vec(n)["request"]["path"].startswith("/api/v1/me/")]


@pytest.mark.parametrize("name", DOWNLOAD)
def test_download_reaction(sync_env: Any, name: str) -> None:
    """v1.2 §9: the client's reaction to each answer of GET /api/v1/me/weeks|tasks."""
    from app.storage import kv

    vector = vec(name)
    action = vector["client"]["action"]
    stream = "weeks" if vector["request"]["path"].startswith("/api/v1/me/weeks") else "tasks"
    conn, server = sync_env.conn, sync_env.server
    kv.put(conn, {"sync.cursor.weeks": "CW", "sync.cursor.tasks": "CT"})
    status, headers, body = vector_response(vector)

    def answer(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        if seen.method == "GET" and seen.path.startswith(f"/api/v1/me/{stream}"):
            return status, headers, body
        return ok_responder(seen)

    server.fallback = answer
    engine = sync_env.engine()
    result = engine.run_cycle(force_other=True)
    assert [s for s in server.seen if s.path.startswith(f"/api/v1/me/{stream}")], "no download request"
    other = "tasks" if stream == "weeks" else "weeks"
    assert kv.get(conn, f"sync.cursor.{other}") == ("CT" if other == "tasks" else "CW")
    if action == "apply_records":
        assert kv.get(conn, f"sync.cursor.{stream}") == ("CW" if stream == "weeks" else "CT"), "empty: cursor kept"
        assert result.state == "synced"
    elif action == "reset_cursor":
        assert kv.get(conn, f"sync.cursor.{stream}") is None
        assert conn.execute("SELECT COUNT(*) FROM weeks").fetchone()[0] == 0, "nothing local changes now"
        assert result.state == "synced"
        server.fallback = ok_responder
        n = len(server.seen)
        engine.run_cycle(force_other=True)
        again = [s for s in server.seen[n:] if s.path.startswith(f"/api/v1/me/{stream}")]
        assert again and "since=" not in again[0].path, "the next sync reads it from the beginning"
    elif action == "pause_stream":
        assert result.state == "error"
        n = len(server.seen)
        sync_env.clock.advance(3599)
        engine.run_cycle(force_other=True)
        assert not [s for s in server.seen[n:] if s.path.startswith("/api/v1/me/")], "the download is paused"
    else:  # pragma: no cover
        pytest.fail(f"unhandled action {action}")
