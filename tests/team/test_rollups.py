"""The reports' rollup that the ingest statement appends to (migration 0009): exact for travellers
and quarter-hour zones, never counting a duplicate or a heartbeat twice, concurrent batches and
compactions never deadlocking, losing or doubling a second, compaction merging a key's rows without
changing any figure. Also the server's category rules (CLI, reports, CSV, day page)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from prometheus_client import REGISTRY
from starlette.testclient import TestClient

from ingestion.api import create_app
from ingestion.config import Settings
from ingestion.ingest import LogEntry, store_batch
from ingestion.reports import rollups
from ingestion.validation import STREAMS, Clock, validate_batch
from tests.support.pg import connect
from tests.team.conftest import EMP_A, EMP_A2, EMP_B, MANAGER, People, ingest, span

BASE = "/api/v1/reports/employees"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _logged_in(people: People, app_client: Callable[[], TestClient]) -> TestClient:
    client = app_client()
    assert people.login_as(client, MANAGER).status_code == 303
    return client


def _active(client: TestClient, emp_id: int, first: str, last: str) -> tuple[str, list[int]]:
    body = client.get(f"{BASE}/{emp_id}/days?from={first}&to={last}").json()
    return body["tz"], [d["active_seconds"] for d in body["days"]]


def test_a_traveller_s_days_follow_the_latest_zone(people: People, app_client: Callable[[], TestClient]) -> None:
    client = _logged_in(people, app_client)
    # 22:30 UTC is 00:30 the next day in Berlin (where it was recorded) but 18:30 the same day in New York.
    ingest(client, people.keys[EMP_A], [span(_at("2026-08-10T22:30:00"), 1200, tz="Europe/Berlin")])
    assert _active(client, EMP_A, "2026-08-10", "2026-08-11") == ("Europe/Berlin", [0, 1200])
    ingest(client, people.keys[EMP_A], [span(_at("2026-08-20T15:00:00"), 600, tz="America/New_York")])
    assert _active(client, EMP_A, "2026-08-10", "2026-08-11") == ("America/New_York", [1200, 0])
    team = client.get("/api/v1/reports/teams/1/employees?from=2026-08-10&to=2026-08-10").json()["employees"]
    assert {r["emp_id"]: r["active_seconds"] for r in team}[EMP_A] == 1200
    assert _active(client, EMP_A, "2026-08-20", "2026-08-20") == ("America/New_York", [600])


def test_a_quarter_hour_zone_splits_its_days_exactly(people: People, app_client: Callable[[], TestClient]) -> None:
    client = _logged_in(people, app_client)
    # 18:10-18:25 UTC is 23:55-00:10 in Kathmandu (+05:45): 5 minutes on one local day, 10 on the next.
    done = ingest(client, people.keys[EMP_A2], [span(_at("2026-09-01T18:10:00"), 900, tz="Asia/Kathmandu")])
    assert done["accepted"] == 1
    assert _active(client, EMP_A2, "2026-09-01", "2026-09-02") == ("Asia/Kathmandu", [300, 600])


def test_a_partly_resent_batch_counts_only_its_new_rows(people: People,
                                                        app_client: Callable[[], TestClient]) -> None:
    client = _logged_in(people, app_client)
    records = [span(_at("2026-10-05T09:00:00") + timedelta(minutes=i), 60, tz="UTC") for i in range(5)]
    assert ingest(client, people.keys[EMP_A], records[:3])["accepted"] == 3
    assert ingest(client, people.keys[EMP_A], records)["accepted"] == 2
    assert _active(client, EMP_A, "2026-10-05", "2026-10-05") == ("UTC", [300])
    hours = client.get(f"{BASE}/{EMP_A}/hours?from=2026-10-05&to=2026-10-05").json()["hours"]
    assert hours[9]["active_seconds"] == 300


async def _send(url: str, device: int, emp: int, batches: list[list[list[object]]]) -> None:
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await conn.execute("SET search_path TO employee_monitor")
    entry = LogEntry(1, "heartbeats", 200, 50, 0, 1000, 1, "test", "test")
    try:
        for rows in batches:
            await store_batch(conn, STREAMS["heartbeats"], device, emp, rows, len(rows), entry)
    finally:
        await conn.close()


async def _compact_until(url: str, done: asyncio.Event) -> int:
    """Compact over and over, as the workers' background rounds do, until ``done``."""
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await conn.execute("SET search_path TO employee_monitor")
    removed = 0
    try:
        while not done.is_set():
            removed += await rollups.compact(conn)
            await asyncio.sleep(0)
    finally:
        await conn.close()
    return removed


def _compact(url: str) -> int:
    async def run() -> int:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
        await conn.execute("SET search_path TO employee_monitor")
        try:
            return await rollups.compact(conn)
        finally:
            await conn.close()
    return asyncio.run(run())


_KEY = "emp_id, bucket, device_id, status, process_name, domain"


def _rows_per_key(url: str, devices: list[int]) -> tuple[int, int]:
    """(rows, distinct keys) of the rollup for ``devices``."""
    with connect(url) as conn:
        row = conn.execute(f"SELECT count(*), count(DISTINCT ({_KEY})) FROM activity_quarters"
                           " WHERE device_id = ANY(%s)", (devices,)).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_concurrent_batches_and_compactions_neither_deadlock_nor_lose_or_double_seconds(
        people: People, caplog: pytest.LogCaptureFixture) -> None:
    with connect(people.url) as conn:
        devices = conn.execute("SELECT device_id, emp_id FROM devices WHERE emp_id = ANY(%s)",
                               ([EMP_A, EMP_A2, EMP_B],)).fetchall()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    clock = Clock.at()
    rng = random.Random(7)
    work = []
    for device, emp in devices:
        # Two senders per device whose small batches cover the same quarters (statuses, apps, domains
        # interleaved), so nearly every key gets rows from several batches.
        minutes = list(range(240))
        rng.shuffle(minutes)
        for half in (minutes[:120], minutes[120:]):
            records = [span(start + timedelta(minutes=m), 60, "idle" if m % 5 == 0 else "active",
                            process=("Code.exe", "firefox", "Slack")[m % 3], domain=("github.com", None)[m % 2])
                       for m in half]
            checked = validate_batch(STREAMS["heartbeats"], records, clock)
            assert not checked.rejected
            batches = [checked.rows[i:i + 10] for i in range(0, 120, 10)]
            work.append((device, emp, batches))

    async def all_at_once() -> int:
        done = asyncio.Event()
        compactors = [asyncio.create_task(_compact_until(people.url, done)) for _ in range(3)]
        await asyncio.gather(*(_send(people.url, d, e, b) for d, e, b in work))
        done.set()
        return sum(await asyncio.gather(*compactors))

    with caplog.at_level(logging.INFO, logger="ingestion"):
        removed_while_sending = asyncio.run(all_at_once())
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]
    ids = [device for device, _ in devices]
    rows_before, keys = _rows_per_key(people.url, ids)
    removed_after = _compact(people.url)
    assert _rows_per_key(people.url, ids) == (keys, keys)  # one row per key once compacted
    assert rows_before - removed_after == keys
    assert removed_while_sending > 0  # the compactions really ran beside the batches, not only after them
    with connect(people.url) as conn:
        assert conn.execute("SELECT count(*) FROM rollup_spans").fetchone() == (0,)
        for device in ids:
            row = conn.execute("SELECT sum(seconds) FROM activity_quarters WHERE device_id = %s", (device,)).fetchone()
            assert row is not None and row[0] == 240 * 60, device
            row = conn.execute("SELECT sum(seconds) FROM activity_quarters WHERE device_id = %s AND status = 'active'",
                               (device,)).fetchone()
            assert row is not None and row[0] == 192 * 60


def test_reads_are_exact_before_and_after_compaction(people: People, app_client: Callable[[], TestClient]) -> None:
    """Small real-time batches add a row per batch to the current slot; compaction merges them into
    one per key and the reports show the same figures throughout."""
    client = _logged_in(people, app_client)
    for i in range(12):  # one heartbeat a batch, as a device online sends them
        ingest(client, people.keys[EMP_A], [span(_at("2026-10-12T09:00:00") + timedelta(minutes=i), 60, tz="UTC",
                                                 domain="github.com")])
    with connect(people.url) as conn:
        device = conn.execute("SELECT device_id FROM devices WHERE emp_id = %s", (EMP_A,)).fetchone()
    assert device is not None

    def figures() -> tuple[object, ...]:
        day = _active(client, EMP_A, "2026-10-12", "2026-10-12")
        hours = client.get(f"{BASE}/{EMP_A}/hours?from=2026-10-12&to=2026-10-12").json()["hours"][9]
        apps = client.get(f"{BASE}/{EMP_A}/apps?from=2026-10-12&to=2026-10-12").json()["apps"]
        sites = client.get(f"{BASE}/{EMP_A}/domains?from=2026-10-12&to=2026-10-12").json()["domains"]
        return day, hours["active_seconds"], [(a["process_name"], a["active_seconds"]) for a in apps], \
            [(d["domain"], d["active_seconds"]) for d in sites]

    before = figures()
    assert before == (("UTC", [720]), 720, [("Code.exe", 720)], [("github.com", 720)])
    assert _rows_per_key(people.url, [device[0]]) == (12, 1)
    assert _compact(people.url) == 11
    assert _rows_per_key(people.url, [device[0]]) == (1, 1)
    assert figures() == before
    assert _compact(people.url) == 0  # nothing noted since: nothing to do


def test_a_compaction_longer_than_one_statement_takes_every_span(
        people: People, app_client: Callable[[], TestClient], monkeypatch: pytest.MonkeyPatch) -> None:
    client = app_client()
    for i in range(12):
        ingest(client, people.keys[EMP_A], [span(_at("2026-10-14T09:00:00") + timedelta(minutes=i), 60, tz="UTC")])
    monkeypatch.setattr(rollups, "SPANS_PER_COMPACTION", 5)  # 12 spans: statements of 5, 5 and 2
    merged = REGISTRY.get_sample_value("wfh_ingest_rollup_compacted_total") or 0.0
    assert _compact(people.url) == 11
    assert REGISTRY.get_sample_value("wfh_ingest_rollup_compacted_total") == merged + 11
    with connect(people.url) as conn:
        assert conn.execute("SELECT count(*) FROM rollup_spans").fetchone() == (0,)
        assert conn.execute("SELECT count(*), sum(seconds) FROM activity_quarters WHERE emp_id = %s",
                            (EMP_A,)).fetchone() == (1, 720)


def test_the_workers_compact_in_the_background(people: People, tmp_path: Path) -> None:
    settings = Settings(database_url=people.url, screenshot_dir=str(tmp_path / "shots"), rollup_seconds=0.1)
    with TestClient(create_app(settings)) as client, connect(people.url) as conn:
        for i in range(5):
            ingest(client, people.keys[EMP_A], [span(_at("2026-10-07T09:00:00") + timedelta(minutes=i), 60, tz="UTC")])
        for _ in range(100):
            if conn.execute("SELECT count(*) FROM rollup_spans").fetchone() == (0,):
                break
            time.sleep(0.05)
        rows = conn.execute("SELECT count(*), sum(seconds) FROM activity_quarters WHERE emp_id = %s", (EMP_A,)
                            ).fetchone()
    assert rows == (1, 300)


def test_one_compaction_at_a_time_and_the_other_leaves_the_spans_for_later(
        people: People, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    for i in range(3):
        ingest(client, people.keys[EMP_A], [span(_at("2026-10-13T09:00:00") + timedelta(minutes=i), 60, tz="UTC")])
    holder = connect(people.url)
    try:
        holder.execute("BEGIN")
        assert holder.execute(rollups._LOCK).fetchone() == (True,)  # another worker's compaction, still open
        assert _compact(people.url) == 0
        with connect(people.url) as conn:
            assert conn.execute("SELECT count(*) FROM rollup_spans").fetchone() == (3,)
        holder.execute("COMMIT")
    finally:
        holder.close()
    assert _compact(people.url) == 2


def _cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"WFH_INGEST_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "ingestion.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60)


def test_category_rules_from_the_cli_reach_the_reports_csv_and_day_page(
        people: People, app_client: Callable[[], TestClient]) -> None:
    shown = _cli(people.url, "category-rules")
    assert shown.returncode == 0, shown.stderr
    defaults = json.loads(shown.stdout)
    assert {"app", "category", "name"} <= set(defaults[0]) and len(defaults) == 8
    try:
        bad = _cli(people.url, "category-rules", "--set", "-", stdin=json.dumps(
            [{"app": "^x$", "category": "productive"}, {"app": "(", "category": "neutral"},
             {"title": "y", "category": "neutral"}, {"domain": "z", "category": "great"}]))
        assert bad.returncode == 1
        assert "rule 2: pattern: invalid regex" in bad.stderr and "rule 3:" in bad.stderr and "rule 4:" in bad.stderr
        assert json.loads(_cli(people.url, "category-rules").stdout) == defaults  # nothing changed
        rules = [{"app": r"^evil<script>\.exe$", "category": "unproductive", "name": "<b>Games</b>"},
                 {"domain": r"(^|\.)example\.org$", "category": "productive", "name": "Intranet"}]
        done = _cli(people.url, "category-rules", "--set", "-", stdin=json.dumps(rules))
        assert done.returncode == 0, done.stderr
        client = _logged_in(people, app_client)
        ingest(client, people.keys[EMP_A], [
            span(_at("2026-11-03T09:00:00"), 600, process="evil<script>.exe", tz="UTC"),
            span(_at("2026-11-03T09:10:00"), 300, process="firefox", domain="wiki.example.org", tz="UTC")])
        apps = client.get(f"{BASE}/{EMP_A}/apps?from=2026-11-03&to=2026-11-03").json()["apps"]
        assert [(a["process_name"], a["category"], a["category_name"]) for a in apps] == [
            ("evil<script>.exe", "unproductive", "<b>Games</b>"), ("firefox", "neutral", None)]
        table = client.get(f"{BASE}/{EMP_A}/domains.csv?from=2026-11-03&to=2026-11-03")
        assert list(csv.DictReader(io.StringIO(table.text))) == [
            {"domain": "wiki.example.org", "active_seconds": "300", "category": "productive",
             "category_name": "Intranet"}]
        page = client.get(f"/employees/{EMP_A}?date=2026-11-03").text
        assert 'data-category="unproductive">unproductive (&lt;b&gt;Games&lt;/b&gt;)' in page
        assert "evil&lt;script&gt;.exe" in page and "<script>" not in page
        assert 'data-category="productive">productive (Intranet)' in page
    finally:
        restored = _cli(people.url, "category-rules", "--set", "-", stdin=json.dumps(defaults))
        assert restored.returncode == 0, restored.stderr


def test_a_device_tag_for_a_domain_comes_before_the_server_rules(
        people: People, app_client: Callable[[], TestClient]) -> None:
    client = _logged_in(people, app_client)
    ingest(client, people.keys[EMP_A], [span(_at("2026-11-04T09:00:00"), 600, process="firefox",
                                             domain="github.com", tz="UTC")])
    ingest(client, people.keys[EMP_A], [{"client_id": str(uuid.uuid4()), "date": "2026-11-04",
                                         "domain": "github.com", "duration_seconds": 600, "tag": "unproductive",
                                         "updated_at": "2026-11-04T18:00:00Z"}], stream="website_usage")
    domains = client.get(f"{BASE}/{EMP_A}/domains?from=2026-11-04&to=2026-11-04").json()["domains"]
    assert [(d["domain"], d["category"]) for d in domains] == [("github.com", "unproductive")]


def test_a_batch_stored_record_by_record_rolls_up_the_kept_rows_once(
        people: People, app_client: Callable[[], TestClient]) -> None:
    client = _logged_in(people, app_client)
    with connect(people.url) as conn:
        conn.execute("ALTER TABLE heartbeats ADD CONSTRAINT test_refused CHECK (window_title <> 'refused')")
    try:
        records = [span(_at("2026-10-06T09:00:00") + timedelta(minutes=i), 60, tz="UTC") for i in range(4)]
        records[1]["window_title"] = "refused"
        response = client.post("/api/v1/ingest/heartbeats", json={"records": records},
                               headers={"X-Api-Key": people.keys[EMP_A]})
        assert response.status_code == 200 and response.json()["accepted"] == 3, response.text
    finally:
        with connect(people.url) as conn:
            conn.execute("ALTER TABLE heartbeats DROP CONSTRAINT test_refused")
    assert _active(client, EMP_A, "2026-10-06", "2026-10-06") == ("UTC", [180])
    hours = client.get(f"{BASE}/{EMP_A}/hours?from=2026-10-06&to=2026-10-06").json()["hours"]
    assert hours[9]["active_seconds"] == 180


def test_the_schema_s_rollup_function_adds_what_the_ingest_statement_adds(
        people: People, app_client: Callable[[], TestClient]) -> None:
    """roll_up_heartbeats (migration 0010: the record-by-record fallback and the agent's legacy direct
    mode) and the batch statement's CTEs give the same rows for the same heartbeats."""
    client = _logged_in(people, app_client)
    t = _at("2026-09-14T09:10:00")
    records = [span(t, 1500, domain="github.com", tz="Asia/Kathmandu"),           # three slots
               span(t + timedelta(seconds=1500), 10_800, status="idle", tz="Asia/Kathmandu"),  # many slots
               span(t + timedelta(hours=4), 30, process="slack"), span(t + timedelta(hours=4, seconds=40), 30,
                                                                          process="slack"),
               span(t + timedelta(hours=5), 0, process="zero")]                 # no seconds, still the latest
    ingest(client, people.keys[EMP_A], records)
    with connect(people.url) as conn:
        device_b = conn.execute("SELECT device_id FROM devices WHERE emp_id = %s", (EMP_B,)).fetchone()[0]
        stored = conn.execute("SELECT started_at, ended_at, status, process_name, domain, tz FROM heartbeats"
                              " WHERE emp_id = %s ORDER BY client_id", (EMP_A,)).fetchall()
        columns = [list(column) for column in zip(*stored, strict=True)]
        conn.execute(rollups.ROLL_UP.replace("%(device)s", "%(d)s").replace("%(emp)s", "%(e)s"),
                     {"d": device_b, "e": EMP_B, **dict(zip(
                         ("start", "end", "status", "process", "domain", "tz"), columns, strict=True))})

        def rolled(emp: int) -> tuple[object, ...]:
            quarters = conn.execute("SELECT bucket, status, process_name, domain, sum(seconds) FROM activity_quarters"
                                    " WHERE emp_id = %s GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4", (emp,)).fetchall()
            state = conn.execute("SELECT last_seen_at, tz FROM device_state WHERE emp_id = %s", (emp,)).fetchall()
            spans = conn.execute("SELECT lo, hi FROM rollup_spans WHERE emp_id = %s", (emp,)).fetchall()
            return quarters, state, spans

        mine, theirs = rolled(EMP_A), rolled(EMP_B)
    assert len(mine[0]) == 3 + 13 + 1 and mine[1] == [(t + timedelta(hours=5), "Europe/Berlin")]
    assert theirs == mine
