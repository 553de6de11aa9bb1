"""A server whose `next_since` goes round in circles (A, B, A, B … with full pages) or never ends: one pull reads a
bounded number of pages, names the loop and applies nothing of it, and the sync cycle (heartbeats behind it)
returns; a cycle stopped at the page cap reads on from its saved cursor next time. A restore keeps its larger cap."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.storage import kv
from app.storage.worklog_apply import cursor_key
from app.sync import worklog
from app.sync.client import Outcome
from tests.sync.replay import Seen, ok_responder
from tests.sync.test_worklog_pull import HEADERS, ScriptedServer, week_record


def _cycling(limit: int, records: list[dict[str, Any]] | None = None) -> Any:
    """Full pages (records of the wrong shape unless given) whose next_since alternates A, B, A, B …"""
    calls: list[str | None] = []

    def fetch(stream: str, since: str | None, got: int) -> Outcome:
        calls.append(since)
        if len(calls) > 200:
            raise AssertionError("the pull did not stop")
        page = records if records is not None else [{} for _ in range(limit)]
        return Outcome(200, dict(HEADERS), {"records": page, "next_since": "B" if since == "A" else "A"})

    fetch.calls = calls  # type: ignore[attr-defined]
    return fetch


def test_a_repeated_cursor_stops_the_pull_and_applies_nothing_of_it(profile: Any) -> None:
    conn = profile.db.get()
    kv.put(conn, {cursor_key("weeks"): "A", cursor_key("tasks"): "A"})  # a profile that pulled before
    weeks = [week_record(f"Loop {n}", "2026-11-24T09:15:02.117Z") for n in range(3)]
    fetch = _cycling(3, weeks)
    result = worklog.pull(conn, fetch, limit=3)
    assert fetch.calls == ["A", "B", "A", "B"], "two pages per stream, then the loop is seen"
    loops = [line for line in result.invalid if "repeats an earlier cursor" in line]
    assert [line.split(":")[0] for line in loops] == ["weeks page 2", "tasks page 2"], result.invalid
    assert kv.get(conn, cursor_key("weeks")) == "B", "the page that closed the loop did not move the cursor"
    assert conn.execute("SELECT COUNT(*) FROM weeks").fetchone()[0] == 3


def test_a_pull_from_the_start_stops_at_a_loop_too(profile: Any) -> None:
    conn = profile.db.get()
    fetch = _cycling(5)
    result = worklog.pull(conn, fetch, limit=5, from_start=True)
    assert fetch.calls == [None, "A", "B", None, "A", "B"]
    assert len([line for line in result.invalid if "repeats an earlier cursor" in line]) == 2


def test_a_sync_pull_reads_at_most_its_page_cap_and_reads_on_next_time(profile: Any) -> None:
    conn = profile.db.get()
    server = ScriptedServer()
    server.records["weeks"] = [week_record(f"W{n}", "2026-11-24T09:15:02.117Z") for n in range(30)]
    result = worklog.pull(conn, server, limit=1, from_start=True)
    assert [c[1] for c in server.calls if c[0] == "weeks"][-1] == "c19"
    assert result.received["weeks"] == worklog.SYNC_PAGES == 20 and result.unfinished == ["weeks"]
    assert not result.invalid and kv.get(conn, cursor_key("weeks")) == "c20"
    result = worklog.pull(conn, server, limit=1)
    assert result.received["weeks"] == 10 and result.unfinished == []
    assert conn.execute("SELECT COUNT(*) FROM weeks").fetchone()[0] == 30


def test_a_restore_reads_past_the_sync_cap(profile: Any) -> None:
    conn = profile.db.get()
    server = ScriptedServer()
    server.records["weeks"] = [week_record(f"W{n}", "2026-11-24T09:15:02.117Z") for n in range(60)]
    original = worklog.RESTORE_LIMIT
    worklog.RESTORE_LIMIT = 2  # 30 pages of 2, as 150,000 tasks are 30 pages of 5,000
    try:
        result = worklog.restore(conn, server, merge=False)
    finally:
        worklog.RESTORE_LIMIT = original
    assert result.received["weeks"] == 60 and not result.invalid
    assert conn.execute("SELECT COUNT(*) FROM weeks").fetchone()[0] == 60


def test_the_sync_cycle_returns_against_a_looping_server(sync_env: Any) -> None:
    """The reviewer's reproduction: the cycle ran for ever (the sync thread never came back to the heartbeats)."""
    kv.put(sync_env.conn, {cursor_key("weeks"): "A"})
    page = [{} for _ in range(worklog.PULL_LIMIT)]

    def looping(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        if seen.method == "GET" and seen.path.startswith("/api/v1/me/weeks"):
            since = parse_qs(urlsplit(seen.path).query).get("since", [None])[0]
            body = {"records": page, "next_since": "B" if since == "A" else "A"}
            return 200, dict(HEADERS), json.dumps(body).encode()
        return ok_responder(seen)

    sync_env.server.fallback = looping
    engine = sync_env.engine()
    thread = threading.Thread(target=engine.run_cycle, daemon=True)
    thread.start()
    thread.join(20)
    if thread.is_alive():
        engine.stop()
        thread.join(5)
    gets = [s for s in sync_env.server.seen if s.method == "GET" and s.path.startswith("/api/v1/me/weeks")]
    assert not thread.is_alive() and len(gets) == 2, f"{len(gets)} page requests"
