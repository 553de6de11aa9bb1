"""The server runs with exactly the rights docs/DEPLOY.md grants its role (contract §12.1): every
write the team view makes (logins that clear a throttle, compaction of the reports' rollup, category
rules, passwords) is covered, so a deployment that follows the guide does not fail with "permission
denied" where the tests, run as a superuser, cannot see it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from starlette.testclient import TestClient

from ingestion.accounts import users
from ingestion.api import create_app
from ingestion.config import Settings
from ingestion.reports import rollups
from ingestion.reports.rule_commands import replace_rules
from tests.support.pg import SCHEMA, guide_role
from tests.team.conftest import EMP_A, MANAGER, PASSWORD, People, ingest, span


@pytest.fixture
def server_role(people: People) -> Iterator[str]:
    """A login role with the guide's server grants only; its connection string."""
    with guide_role(people.url, r"grant the server role what contract §12\.1 lists", "wfh_ingest") as url:
        yield url


def test_the_server_role_of_the_deployment_guide_can_do_everything_the_server_does(
        people: People, server_role: str, tmp_path: Path) -> None:
    settings = Settings(database_url=server_role, screenshot_dir=str(tmp_path / "shots"), rate_per_minute=60_000.0,
                        rate_burst=10_000)
    with TestClient(create_app(settings), raise_server_exceptions=False, base_url="http://testserver") as client:
        assert people.login_as(client, MANAGER, "wrong password").status_code in (200, 401)
        assert people.login_as(client, MANAGER).status_code == 303      # clears the throttle: DELETE
        start = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
        for minute in range(3):                                         # one slot, three rollup rows
            ingest(client, people.keys[EMP_A], [span(start + timedelta(minutes=minute), 60)])
        removed = asyncio.run(_compact(server_role))
        assert removed == 2
        days = client.get(f"/api/v1/reports/employees/{EMP_A}/days?from=2026-10-05&to=2026-10-05")
        assert days.status_code == 200 and days.json()["days"][0]["active_seconds"] == 180
        assert client.get("/").status_code == 200
    with psycopg.connect(server_role, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {SCHEMA}")
        replace_rules(conn, [("app", "Code.exe", "productive", "editor")])
        user_id = conn.execute("SELECT user_id FROM users WHERE email = %s", (MANAGER,)).fetchone()
        assert user_id is not None
        users.set_password(conn, user_id[0], PASSWORD + "!")


async def _compact(url: str) -> int:
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    try:
        await conn.execute(f"SET search_path TO {SCHEMA}")
        return await rollups.compact(conn)
    finally:
        await conn.close()


def _cli(url: str, *args: str, stdin: str = "") -> str:
    env = {**os.environ, "WFH_INGEST_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "ingestion.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def test_the_admin_commands_work_with_the_server_role(people: People, server_role: str) -> None:
    """The commands an administrator runs on the server host use the server's database URL."""
    key = _cli(server_role, "create-key", "--emp-id", str(EMP_A), "--device", "DESK-GRANTS").strip()
    prefix = key.split("_")[1]                       # wfh_<prefix>_<secret>
    assert f"{prefix}\t{EMP_A}\tDESK-GRANTS" in _cli(server_role, "list-keys")
    _cli(server_role, "revoke-key", prefix)
    listed = [line.split("\t") for line in _cli(server_role, "list-keys", "--include-revoked").splitlines()]
    assert next(row for row in listed if row[0] == prefix)[-1] != "-"       # revoked_at set
    link = _cli(server_role, "create-user", "--email", "grants@example.com", "--role", "manager", "--team", "Gamma")
    assert "set-password" in link
    _cli(server_role, "set-password", "--email", "grants@example.com", stdin=PASSWORD + "\n")
    _cli(server_role, "disable-user", "--email", "grants@example.com")
    assert "grants@example.com" in _cli(server_role, "list-users")
    rules = json.dumps([{"app": "Code.exe", "category": "productive", "name": "editor"}])
    _cli(server_role, "category-rules", "--set", "-", stdin=rules)
    assert "Code.exe" in _cli(server_role, "category-rules")
