"""The server runs with exactly the rights docs/DEPLOY.md grants its role (contract §12.1): every
write the team view makes (logins that clear a throttle, compaction of the reports' rollup, category
rules, passwords) is covered, so a deployment that follows the guide does not fail with "permission
denied" where the tests, run as a superuser, cannot see it."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from starlette.testclient import TestClient

from ingestion.accounts import users
from ingestion.api import create_app
from ingestion.config import Settings
from ingestion.reports import rollups
from ingestion.reports.rule_commands import replace_rules
from tests.support.pg import SCHEMA, connect
from tests.team.conftest import EMP_A, MANAGER, PASSWORD, People, ingest, span

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "DEPLOY.md"


def _server_grants(role: str) -> str:
    """The SQL block of docs/DEPLOY.md that grants the server role its rights, for ``role``."""
    text = DEPLOY.read_text(encoding="utf-8")
    block = re.search(r"grant the server role what contract §12\.1 lists.*?```sql\n(.*?)```", text, re.S)
    assert block, "docs/DEPLOY.md no longer shows the server role's grants"
    return block.group(1).replace("wfh_ingest", role)


@pytest.fixture
def server_role(people: People) -> Iterator[str]:
    """A login role with the guide's grants only; its connection string."""
    role = f"wfh_ingest_{uuid.uuid4().hex[:8]}"
    with connect(people.url) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(_server_grants(role))
    try:
        yield make_conninfo(people.url, user=role)
    finally:
        with connect(people.url) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


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
