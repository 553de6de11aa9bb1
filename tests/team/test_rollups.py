"""The rollups, folded in from the queue the ingest statement fills (migration 0008), and the per-day
rollups: exact for travellers and for zones PostgreSQL does not know, never counting a duplicate or a
heartbeat twice, concurrent batches and folds never deadlocking, the queue folded in the background
and before every read, one bad queue row never stopping the rest. Also the server's category rules
(CLI, reports, CSV, day page)."""

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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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
from tests.support.pg import connect, fold_rollups
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
    ingest(client, people.keys[EMP_A], [span(_at("2026-08-20T15:00:00"), 600, tz="America/New_York")])
    assert _active(client, EMP_A, "2026-08-10", "2026-08-11") == ("America/New_York", [1200, 0])
    team = client.get("/api/v1/reports/teams/1/employees?from=2026-08-10&to=2026-08-10").json()["employees"]
    assert {r["emp_id"]: r["active_seconds"] for r in team}[EMP_A] == 1200
    # Days away from the trip read the per-day rows of the current zone.
    assert _active(client, EMP_A, "2026-08-20", "2026-08-20") == ("America/New_York", [600])
    with connect(people.url) as conn:
        zones = conn.execute("SELECT day, tz FROM status_days WHERE emp_id = %s ORDER BY day", (EMP_A,)).fetchall()
    assert [(str(d), z) for d, z in zones] == [("2026-08-11", "Europe/Berlin"), ("2026-08-20", "America/New_York")]


def test_a_zone_postgresql_does_not_know_is_still_stored_and_counted(
        people: People, app_client: Callable[[], TestClient]) -> None:
    client = _logged_in(people, app_client)
    with connect(people.url) as conn:
        conn.execute("DELETE FROM known_zones WHERE name = 'Asia/Kathmandu'")
    try:
        # 18:20 UTC is 00:05 the next day in Kathmandu (+05:45).
        done = ingest(client, people.keys[EMP_A2], [span(_at("2026-09-01T18:20:00"), 900, tz="Asia/Kathmandu")])
        assert done["accepted"] == 1
        assert _active(client, EMP_A2, "2026-09-01", "2026-09-02") == ("Asia/Kathmandu", [0, 900])
        with connect(people.url) as conn:
            stored = conn.execute("SELECT tz FROM status_days WHERE emp_id = %s", (EMP_A2,)).fetchall()
        assert stored == [("UTC",)]
    finally:
        with connect(people.url) as conn:
            conn.execute("INSERT INTO known_zones VALUES ('Asia/Kathmandu') ON CONFLICT DO NOTHING")


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


async def _fold_until(url: str, done: asyncio.Event) -> int:
    """Fold the queue over and over, as the workers' background folds and readers do, until ``done``."""
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await conn.execute("SET search_path TO employee_monitor")
    folded = 0
    try:
        while not done.is_set():
            folded += await rollups.fold(conn)
            await asyncio.sleep(0)
    finally:
        await conn.close()
    return folded


def test_concurrent_batches_and_folds_neither_deadlock_nor_lose_or_double_seconds(
        people: People, caplog: pytest.LogCaptureFixture) -> None:
    with connect(people.url) as conn:
        devices = conn.execute("SELECT device_id, emp_id FROM devices WHERE emp_id = ANY(%s)",
                               ([EMP_A, EMP_A2, EMP_B],)).fetchall()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    clock = Clock.at()
    rng = random.Random(7)
    work = []
    for device, emp in devices:
        # Two senders per device whose batches cover the same quarters (statuses, apps, domains interleaved).
        minutes = list(range(240))
        rng.shuffle(minutes)
        for half in (minutes[:120], minutes[120:]):
            records = [span(start + timedelta(minutes=m), 60, "idle" if m % 5 == 0 else "active",
                            process=("Code.exe", "firefox", "Slack")[m % 3], domain=("github.com", None)[m % 2])
                       for m in half]
            checked = validate_batch(STREAMS["heartbeats"], records, clock)
            assert not checked.rejected
            batches = [checked.rows[i:i + 20] for i in range(0, 120, 20)]
            work.append((device, emp, batches))

    async def all_at_once() -> int:
        done = asyncio.Event()
        folders = [asyncio.create_task(_fold_until(people.url, done)) for _ in range(3)]
        await asyncio.gather(*(_send(people.url, d, e, b) for d, e, b in work))
        done.set()
        return sum(await asyncio.gather(*folders))

    with caplog.at_level(logging.INFO, logger="ingestion"):
        folded_while_sending = asyncio.run(all_at_once())
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]
    fold_rollups(people.url)
    with connect(people.url) as conn:
        assert conn.execute("SELECT count(*) FROM rollup_queue").fetchone() == (0,)
        for device, _ in devices:
            for table in ("status_quarters", "status_days"):
                row = conn.execute(f"SELECT sum(seconds) FROM {table} WHERE device_id = %s", (device,)).fetchone()
                assert row is not None and row[0] == 240 * 60, (table, device)
            row = conn.execute("SELECT sum(seconds) FROM app_quarters WHERE device_id = %s", (device,)).fetchone()
            assert row is not None and row[0] == 192 * 60
    assert folded_while_sending > 0  # the folds really ran beside the batches, not only after them


@contextmanager
def _folding_every(seconds: float, people: People, tmp_path: Path, day: str, active: int) -> Iterator[TestClient]:
    """A client of an app whose workers fold every ``seconds`` (0: never), after one heartbeat of EMP_A."""
    settings = Settings(database_url=people.url, screenshot_dir=str(tmp_path / "shots"), rollup_seconds=seconds)
    with TestClient(create_app(settings)) as client:
        ingest(client, people.keys[EMP_A], [span(_at(f"{day}T09:00:00"), active, tz="UTC")])
        yield client


def test_a_read_waits_for_a_fold_in_progress_and_then_sees_every_queued_heartbeat(people: People) -> None:
    """A worker's fold holds the first rows of the queue in an open transaction; a read's fold then
    waits for it instead of skipping those rows, and folds the rest itself: both together count
    every heartbeat once."""
    client_rows = [span(_at("2026-10-10T09:00:00") + timedelta(minutes=i), 60, tz="UTC") for i in range(30)]
    checked = validate_batch(STREAMS["heartbeats"], client_rows, Clock.at())
    with connect(people.url) as conn:
        device = conn.execute("SELECT device_id FROM devices WHERE emp_id = %s", (EMP_A,)).fetchone()
    assert device is not None
    asyncio.run(_send(people.url, device[0], EMP_A, [checked.rows]))
    worker = connect(people.url)
    try:
        worker.execute("BEGIN")
        assert worker.execute(rollups.FOLD, {"limit": 10}).fetchone() == (10,)  # a worker's fold, still open

        async def read_fold() -> int:
            conn = await psycopg.AsyncConnection.connect(people.url, autocommit=True)
            await conn.execute("SET search_path TO employee_monitor")
            try:
                return await rollups.fold(conn, everything=True)
            finally:
                await conn.close()

        with ThreadPoolExecutor(1) as pool:
            reading = pool.submit(asyncio.run, read_fold())
            time.sleep(0.3)
            assert not reading.done()  # waiting for the worker's row locks, not skipping past them
            worker.execute("COMMIT")
            assert reading.result(timeout=30) == 20
    finally:
        worker.close()
    with connect(people.url) as conn:
        assert conn.execute("SELECT count(*) FROM rollup_queue").fetchone() == (0,)
        total = conn.execute("SELECT sum(seconds) FROM status_days WHERE emp_id = %s", (EMP_A,)).fetchone()
    assert total == (30 * 60,)


def test_the_queue_is_folded_in_the_background_without_any_read(people: People, tmp_path: Path) -> None:
    with _folding_every(0.1, people, tmp_path, "2026-10-07", 600), connect(people.url) as conn:
        for _ in range(100):
            if conn.execute("SELECT count(*) FROM rollup_queue").fetchone() == (0,):
                break
            time.sleep(0.05)
        total = conn.execute("SELECT sum(seconds) FROM status_days WHERE emp_id = %s", (EMP_A,)).fetchone()
    assert total == (600,)


def test_with_background_folds_off_a_read_still_sees_every_stored_heartbeat(people: People, tmp_path: Path) -> None:
    with _folding_every(0, people, tmp_path, "2026-10-08", 900) as client:
        with connect(people.url) as conn:
            assert conn.execute("SELECT count(*) FROM rollup_queue").fetchone() == (1,)  # nothing folded it yet
        assert people.login_as(client, MANAGER).status_code == 303
        assert _active(client, EMP_A, "2026-10-08", "2026-10-08") == ("UTC", [900])


def test_a_read_after_a_backlog_longer_than_one_fold_statement_sees_all_of_it(
        people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rollups, "FOLD_ROWS", 5)  # statements of 5 rows: 23 queued rows take five
    with _folding_every(0, people, tmp_path, "2026-10-11", 60) as client:
        ingest(client, people.keys[EMP_A], [span(_at("2026-10-11T10:00:00") + timedelta(minutes=i), 60, tz="UTC")
                                            for i in range(22)])
        assert people.login_as(client, MANAGER).status_code == 303
        assert _active(client, EMP_A, "2026-10-11", "2026-10-11") == ("UTC", [23 * 60])
    with connect(people.url) as conn:
        assert conn.execute("SELECT count(*) FROM rollup_queue").fetchone() == (0,)


def test_a_queue_row_the_rollups_refuse_does_not_hold_up_the_others(
        people: People, app_client: Callable[[], TestClient], caplog: pytest.LogCaptureFixture) -> None:
    client = _logged_in(people, app_client)
    refused = REGISTRY.get_sample_value("wfh_ingest_rollup_refused_total") or 0.0
    with caplog.at_level(logging.ERROR, logger="ingestion.rollups"):
        with connect(people.url) as conn:
            # A row whose device does not exist: device_state's foreign key refuses it.
            conn.execute("INSERT INTO rollup_queue VALUES (999999, %s, '2026-10-09 09:00Z', '2026-10-09 09:10Z',"
                         " 'active', 'ghost', NULL, 'UTC')", (EMP_A,))
        ingest(client, people.keys[EMP_A], [span(_at("2026-10-09T09:00:00"), 300, tz="UTC")])
        assert _active(client, EMP_A, "2026-10-09", "2026-10-09") == ("UTC", [300])
    assert REGISTRY.get_sample_value("wfh_ingest_rollup_refused_total") == refused + 1
    assert any("ghost" in r.getMessage() for r in caplog.records)
    with connect(people.url) as conn:
        assert conn.execute("SELECT count(*) FROM rollup_queue").fetchone() == (0,)


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
