"""`wfh-ingest serve` through a real PgBouncer (deploy/pgbouncer.ini, transaction mode): no session
state, no prepared statements, settings from the role; a PgBouncer restart under load loses no
acknowledged record and the API recovers without being restarted."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from ingestion.config import Settings
from ingestion.pooling import check_pool_roles
from tests.fleet.load import Fleet, batch, stored_once
from tests.support.fleet import PGBOUNCER, PgBouncer
from tests.support.pg import connect, throwaway_database
from tests.support.server import create_key, server_env, start_server

pytestmark = pytest.mark.skipif(shutil.which(PGBOUNCER) is None, reason="pgbouncer is not installed")
POOLED = {"WFH_INGEST_DB_POOL_MODE": "transaction", "WFH_INGEST_RATE_PER_MINUTE": "600000",
          "WFH_INGEST_RATE_BURST": "100000"}


@dataclass
class Pooled:
    direct_url: str
    bouncer: PgBouncer

    @property
    def url(self) -> str:
        return self.bouncer.url(self.direct_url.rsplit("/", 1)[1])


def _role_settings(url: str, **settings: str) -> None:
    """What the deploy notes say to run, scoped to this test's database (the server is shared)."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as conn:
        for key, value in settings.items():
            conn.execute(sql.SQL("ALTER ROLE CURRENT_USER IN DATABASE {} SET {} = {}").format(
                sql.Identifier(name), sql.Identifier(key), sql.Literal(value)))


@pytest.fixture
def pooled() -> Iterator[Pooled]:
    with throwaway_database("wfh_pool") as url:
        _role_settings(url, search_path="employee_monitor", statement_timeout="10000ms")
        name = url.rsplit("/", 1)[1]
        port = int(url.rsplit(":", 1)[1].split("/", 1)[0])  # 5432, or a throwaway cluster's when none runs
        bouncer = PgBouncer({name: (port, name)}).start()
        try:
            yield Pooled(url, bouncer)
        finally:
            bouncer.destroy()


def test_serve_refuses_transaction_mode_without_role_settings(tmp_path: Path) -> None:
    with throwaway_database("wfh_pool") as url:
        env = server_env(url, tmp_path / "shots", WFH_INGEST_DB_POOL_MODE="transaction")
        done = subprocess.run([sys.executable, "-m", "ingestion.cli", "serve", "--port", "1"], env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "ALTER ROLE" in done.stderr and "search_path" in done.stderr and "statement_timeout" in done.stderr


def test_read_pool_role_must_be_read_only(pooled: Pooled) -> None:
    settings = Settings(database_url=pooled.url, db_pool_mode="transaction", prepare_threshold=None,
                        read_database_url=pooled.url)
    problems = check_pool_roles(settings)
    assert len(problems) == 1 and problems[0].startswith("WFH_INGEST_READ_DATABASE_URL")
    assert "default_transaction_read_only" in problems[0]
    assert check_pool_roles(Settings(database_url=pooled.url, db_pool_mode="transaction")) == []


def test_prepared_statements_are_off_behind_pgbouncer(pooled: Pooled, tmp_path: Path) -> None:
    """The same statements many times over, through one worker: with psycopg's automatic prepared
    statements (threshold 5) PgBouncer 1.18 would route EXECUTE to a connection that never prepared it."""
    key = create_key(pooled.direct_url, 3001, "POOLED-1")
    server = start_server(pooled.url, tmp_path / "shots", **POOLED)
    with server, httpx.Client(base_url=server.url, timeout=15) as client:
        for n in range(30):
            response = client.post("/api/v1/ingest/heartbeats", json={"records": batch(5, n)},
                                   headers={"X-Api-Key": key})
            assert response.status_code == 200, response.text
    assert "prepared statement" not in server.log_text
    with connect(pooled.direct_url) as conn:
        assert conn.execute("SELECT count(*) FROM heartbeats").fetchone() == (150,)


def test_pgbouncer_restart_under_load(pooled: Pooled, tmp_path: Path) -> None:
    keys = [create_key(pooled.direct_url, 3100 + n, f"POOLED-{n}") for n in range(3)]
    with start_server(pooled.url, tmp_path / "shots", **POOLED) as server:
        pid = server.process.pid
        fleet = Fleet(server.url, keys, size=20).start()
        time.sleep(3)
        before = len(fleet.ack_times)
        pooled.bouncer.stop()  # SIGTERM: PgBouncer drops every client and server connection at once
        time.sleep(1)
        pooled.bouncer.start()  # same port, same configuration
        restarted_at = time.monotonic()
        time.sleep(10)
        fleet.stop()
        after = fleet.acked_since(restarted_at)
        print(f"answers: {dict(fleet.statuses)}; acknowledged before {before}, after the restart {after}")
        assert server.process.poll() is None and server.process.pid == pid  # never restarted
        assert not fleet.fatal, fleet.fatal[:5]
        assert before >= 5 and after >= 10, fleet.statuses
        assert "503" in fleet.statuses  # the outage was seen, as the contract's retryable 503
        health = httpx.get(f"{server.url}/health", timeout=10)
        assert health.status_code == 200
    with connect(pooled.direct_url) as conn:
        acknowledged, once, twice = stored_once(conn, fleet.acked)
        total = conn.execute("SELECT count(*) FROM heartbeats").fetchone()
    assert acknowledged == once and twice == 0
    assert total == (acknowledged,)



def test_logins_and_admin_pages_work_behind_pgbouncer(pooled: Pooled, tmp_path: Path) -> None:
    """The web side too: the session pool and the admin functions' own short connections, through
    PgBouncer in transaction mode, with nothing set per connection."""
    import re
    import warnings

    from ingestion.accounts import users
    from ingestion.api import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    with connect(pooled.direct_url) as conn:
        created = users.create_user(conn, "admin@example.com", "admin")
        users.set_password(conn, created.user_id, "correct horse battery")
    settings = Settings(database_url=pooled.url, db_pool_mode="transaction", prepare_threshold=None,
                        screenshot_dir=str(tmp_path / "shots"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        answer = client.post("/login", data={"email": "admin@example.com", "password": "correct horse battery",
                                             "csrf_token": token.group(1)}, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        for _ in range(8):  # more than psycopg's default prepare threshold
            page = client.get("/admin/users")
            assert page.status_code == 200 and "admin@example.com" in page.text
