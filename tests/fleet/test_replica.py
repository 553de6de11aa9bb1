"""The reports API and dashboard on a streaming replica (pg_basebackup of a throwaway cluster):
the same figures as on the primary once the lag is zero, older ones while replay is paused (so they
really come from the replica), the lag in /metrics and on Admin → Database, writes never on the
replica, and reads falling back to the primary while the replica is down."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from ingestion.accounts import users
from ingestion.api import create_app
from ingestion.config import Settings
from ingestion.db import Database
from ingestion.replica import STATUS_SECONDS
from tests.support.fleet import ReplicatedCluster
from tests.support.pg import connect, create_database, migrate
from tests.support.server import create_key

PASSWORD = "correct horse battery"
EMP = 701
ADMIN, MANAGER = "admin@example.com", "manager@example.com"


@dataclass
class Setup:
    cluster: ReplicatedCluster
    primary_url: str
    replica_url: str
    key: str
    team_id: int


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    cluster = ReplicatedCluster.create()
    try:
        primary_url = create_database(cluster.primary.admin_url, "wfh_replica")
        migrate(primary_url)
        with connect(primary_url) as conn:
            for email, role, emp_id in ((ADMIN, "admin", None), (MANAGER, "manager", None),
                                        ("ed@example.com", "employee", EMP)):
                created = users.create_user(conn, email, role, emp_id, "Replicated" if role != "admin" else None)
                users.set_password(conn, created.user_id, PASSWORD)
            team = conn.execute("SELECT team_id FROM teams WHERE name = 'Replicated'").fetchone()
        assert team is not None
        dbname = primary_url.rsplit("/", 1)[1]
        yield Setup(cluster, primary_url, cluster.url(cluster.replica, dbname),
                    create_key(primary_url, EMP, "LAPTOP-701"), int(team[0]))
    finally:
        cluster.destroy()


def _app(url: str, tmp_path: Path, read_url: str | None = None) -> TestClient:
    settings = Settings(database_url=url, read_database_url=read_url, screenshot_dir=str(tmp_path / "shots"),
                        rate_per_minute=60_000.0, rate_burst=10_000)
    client = TestClient(create_app(settings), raise_server_exceptions=False, base_url="http://testserver")
    client.__enter__()
    return client


@pytest.fixture
def apps(setup: Setup, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    """(an app reading from the primary, an app reading from the replica), both logged in."""
    on_primary = _app(setup.primary_url, tmp_path)
    on_replica = _app(setup.primary_url, tmp_path, setup.replica_url)
    for client in (on_primary, on_replica):
        _login(client, MANAGER)
    yield on_primary, on_replica
    for client in (on_primary, on_replica):
        client.__exit__(None, None, None)


def _login(client: TestClient, email: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    answer = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text


def _ingest(client: TestClient, key: str, count: int, hours_back: float) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours_back)
    records = [{"client_id": str(uuid.uuid4()),
                "started_at": (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ended_at": (start + timedelta(minutes=i, seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "tz": "UTC", "status": "active", "cpu_percent": 5.0, "memory_percent": 30.0,
                "process_name": "Code.exe", "window_title": "main.py",
                "domain": "github.com", "url": "https://github.com/"} for i in range(count)]
    answer = client.post("/api/v1/ingest/heartbeats", json={"records": records}, headers={"X-Api-Key": key})
    assert answer.status_code == 200 and answer.json()["accepted"] == count, answer.text


def _reports(client: TestClient, team_id: int) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    span = f"from={(today - timedelta(days=2)).isoformat()}&to={today.isoformat()}"
    out = {}
    for path in (f"/api/v1/reports/employees/{EMP}/days?{span}", f"/api/v1/reports/employees/{EMP}/apps?{span}",
                 f"/api/v1/reports/teams/{team_id}/employees?{span}"):
        answer = client.get(path)
        assert answer.status_code == 200, answer.text
        out[path] = answer.json()
    return out


def _metrics(client: TestClient) -> dict[str, float]:
    time.sleep(STATUS_SECONDS + 0.1)  # past the cached measurement
    text = client.get("/metrics").text
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(wfh_ingest_read_replica_\w+) (\S+)$", text, re.M)}


def _lag_reaches_zero(client: TestClient, timeout: float = 20.0) -> dict[str, float]:
    """The replica's metrics once they show no lag (background WAL on the primary, such as autovacuum
    after an ingest, can leave a few bytes pending for a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        metrics = _metrics(client)
        if metrics.get("wfh_ingest_read_replica_lag_bytes") == 0 or time.monotonic() > deadline:
            return metrics


def _active(reports: dict[str, Any]) -> int:
    days = next(v for k, v in reports.items() if "/days" in k)["days"]
    return sum(int(d["active_seconds"]) for d in days)


def test_reports_on_the_replica_equal_the_primary_once_caught_up(setup: Setup,
                                                                  apps: tuple[TestClient, TestClient]) -> None:
    on_primary, on_replica = apps
    _ingest(on_primary, setup.key, 30, hours_back=3)
    first = _reports(on_primary, setup.team_id)  # the ingest statements wrote the rollup: nothing to wait for
    setup.cluster.wait_caught_up(setup.primary_url.rsplit("/", 1)[1])
    assert _active(first) >= 30 * 60
    assert _reports(on_replica, setup.team_id) == first
    metrics = _lag_reaches_zero(on_replica)
    assert metrics["wfh_ingest_read_replica_up"] == 1
    assert metrics["wfh_ingest_read_replica_lag_bytes"] == 0 and metrics["wfh_ingest_read_replica_lag_seconds"] == 0

    # Replay paused: the replica keeps the old figures and the lag shows; resumed: equal again.
    with psycopg.connect(setup.replica_url, autocommit=True) as replica:
        replica.execute("SELECT pg_wal_replay_pause()")
        try:
            _ingest(on_primary, setup.key, 20, hours_back=6)
            assert _active(_reports(on_primary, setup.team_id)) == _active(first) + 20 * 60
            assert _reports(on_replica, setup.team_id) == first
            lagging = _metrics(on_replica)
            assert lagging["wfh_ingest_read_replica_lag_bytes"] > 0
            assert lagging["wfh_ingest_read_replica_lag_seconds"] > 0
        finally:
            replica.execute("SELECT pg_wal_replay_resume()")
    latest = _reports(on_primary, setup.team_id)
    setup.cluster.wait_caught_up(setup.primary_url.rsplit("/", 1)[1])
    assert _reports(on_replica, setup.team_id) == latest
    assert _lag_reaches_zero(on_replica)["wfh_ingest_read_replica_lag_bytes"] == 0


def test_admin_page_shows_the_lag(setup: Setup, tmp_path: Path) -> None:
    client = _app(setup.primary_url, tmp_path, setup.replica_url)
    try:
        _login(client, ADMIN)
        assert _lag_reaches_zero(client)["wfh_ingest_read_replica_lag_bytes"] == 0
        page = client.get("/admin/database")  # within the same 2 s measurement as the scrape
        assert page.status_code == 200
        assert "The read replica is up" in page.text and 'id="lag-bytes">0<' in page.text
        _login(client, MANAGER)
        assert client.get("/admin/database").status_code == 403
    finally:
        client.__exit__(None, None, None)


def test_the_read_pool_never_writes(setup: Setup) -> None:
    """Even pointed at a writable server, the read pool's transactions are read-only."""
    async def attempt() -> None:
        db = Database(Settings(database_url=setup.primary_url), setup.primary_url, read_only=True)
        await db.open()
        try:
            async with db.connection() as conn:
                await conn.execute("INSERT INTO teams (name) VALUES ('never')")
        finally:
            await db.close()

    with pytest.raises(pg_errors.ReadOnlySqlTransaction):
        asyncio.run(attempt())
    with connect(setup.primary_url) as conn:
        assert conn.execute("SELECT count(*) FROM teams WHERE name = 'never'").fetchone() == (0,)


def test_replica_down_reads_fall_back_to_the_primary(setup: Setup, apps: tuple[TestClient, TestClient],
                                                      tmp_path: Path) -> None:
    on_primary, on_replica = apps
    setup.cluster.replica.stop()
    try:
        _ingest(on_primary, setup.key, 5, hours_back=9)  # only the primary has these now
        expected = _reports(on_primary, setup.team_id)
        assert _reports(on_replica, setup.team_id) == expected
        metrics = _metrics(on_replica)
        assert metrics["wfh_ingest_read_replica_up"] == 0 and "wfh_ingest_read_replica_lag_bytes" not in metrics
        _login(on_replica, ADMIN)
        page = on_replica.get("/admin/database")
        assert page.status_code == 200 and "The read replica is down" in page.text
        assert "read from the primary" in page.text
    finally:
        setup.cluster.replica.start()
