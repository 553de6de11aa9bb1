"""Fixtures of the team view's tests: a migrated throwaway PostgreSQL, an app, people accounts with
known passwords, device keys, and helpers to ingest spans through the real ingest API."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from ingestion.accounts import users
from ingestion.api import create_app
from ingestion.config import Settings
from tests.support.pg import connect, throwaway_database
from tests.support.server import create_key

PASSWORD = "correct horse battery"
TEAM_A, TEAM_B = "Alpha", "Bravo"
EMP_A, EMP_A2, EMP_B = 501, 502, 601
_DATA = ("activity_quarters", "rollup_spans", "device_state",
         "heartbeats", "timeline", "website_usage", "productivity", "wellness", "screenshots", "ingest_log", "api_keys",
         "devices", "web_sessions", "password_tokens", "login_throttle", "team_managers", "users", "employees", "teams")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.postgres)


_RULES = "position, field, pattern, category, name"


@pytest.fixture(scope="session")
def team_db() -> Iterator[str]:
    with throwaway_database("wfh_team") as url:
        with connect(url) as conn:
            defaults = conn.execute(f"SELECT {_RULES} FROM category_rules ORDER BY position").fetchall()
        _DEFAULT_RULES[url] = defaults
        yield url


# The category rules the migrations install, put back before every test (a test may replace them).
_DEFAULT_RULES: dict[str, list[tuple[Any, ...]]] = {}


@dataclass
class People:
    """Accounts of the standard cast: an admin, a manager of team A, employees of teams A and B."""

    url: str
    keys: dict[int, str]

    def login_as(self, client: TestClient, email: str, password: str = PASSWORD) -> Any:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        return client.post("/login", data={"email": email, "password": password, "csrf_token": token.group(1)},
                           follow_redirects=False)


ADMIN, MANAGER, EMPLOYEE_A, EMPLOYEE_A2, EMPLOYEE_B, MANAGER_B = (
    "admin@example.com", "manager@example.com", "alice@example.com", "amir@example.com", "bob@example.com",
    "bea@example.com")


@pytest.fixture
def people(team_db: str) -> People:
    with connect(team_db) as conn:
        conn.execute("TRUNCATE " + ", ".join(_DATA) + " RESTART IDENTITY CASCADE")
        conn.execute("DELETE FROM category_rules")
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO category_rules ({_RULES}) VALUES (%s, %s, %s, %s, %s)",
                            _DEFAULT_RULES[team_db])
        cast = [(ADMIN, "admin", None, None), (MANAGER, "manager", None, TEAM_A),
                (EMPLOYEE_A, "employee", EMP_A, TEAM_A), (EMPLOYEE_A2, "employee", EMP_A2, TEAM_A),
                (EMPLOYEE_B, "employee", EMP_B, TEAM_B), (MANAGER_B, "manager", None, TEAM_B)]
        for email, role, emp_id, team in cast:
            created = users.create_user(conn, email, role, emp_id, team)
            users.set_password(conn, created.user_id, PASSWORD)
    keys = {emp: create_key(team_db, emp, f"LAPTOP-{emp}") for emp in (EMP_A, EMP_A2, EMP_B)}
    return People(team_db, keys)


@pytest.fixture
def app_client(team_db: str, tmp_path: Path) -> Iterator[Callable[[], TestClient]]:
    """Fresh clients (own cookie jars) on one app over the team database."""
    settings = Settings(database_url=team_db, screenshot_dir=str(tmp_path / "shots"), rate_per_minute=60_000.0,
                        rate_burst=10_000)
    app = create_app(settings)
    clients: list[TestClient] = []

    def new() -> TestClient:
        client = TestClient(app, raise_server_exceptions=False, base_url="http://testserver")
        client.__enter__()
        clients.append(client)
        return client

    yield new
    for client in clients:
        client.__exit__(None, None, None)


def span(start: datetime, seconds: int, status: str = "active", process: str = "Code.exe",
         title: str = "main.py - Visual Studio Code", domain: str | None = None, tz: str = "Europe/Berlin",
         ) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "started_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ended_at": (start + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ"), "tz": tz,
            "status": status, "cpu_percent": 10.0, "memory_percent": 40.0, "process_name": process,
            "window_title": title, "domain": domain, "url": f"https://{domain}/" if domain else None}


def ingest(client: TestClient, key: str, records: list[dict[str, Any]], stream: str = "heartbeats") -> Any:
    response = client.post(f"/api/v1/ingest/{stream}", json={"records": records},
                           headers={"X-Api-Key": key, "User-Agent": "wfh-agent/0.2.0 (test)"})
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == [], response.text
    return response.json()


def hours_ago(hours: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours)


def png(width: int = 64, height: int = 40, seed: int = 0) -> bytes:
    """A PNG with sharp stripes, so a blurred copy is measurably different."""
    from PIL import Image

    image = Image.new("RGB", (width, height), "white")
    for x in range(0, width, 4):
        for y in range(height):
            image.putpixel((x, y), ((seed * 40) % 256, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def upload_screenshot(client: TestClient, key: str, captured_at: datetime, data: bytes) -> str:
    client_id = str(uuid.uuid4())
    meta = {"client_id": client_id, "captured_at": captured_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sha256": hashlib.sha256(data).hexdigest(), "width": 64, "height": 40, "format": "png",
            "blurred": False}
    response = client.post("/api/v1/screenshots", headers={"X-Api-Key": key}, data={"meta": json.dumps(meta)},
                           files={"file": ("s.png", data, "image/png")})
    assert response.status_code == 201, response.text
    return client_id


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temporary folder the postgres user can enter (initdb runs as postgres when we are root)."""
    folder = Path(tempfile.mkdtemp(prefix="wfh-demo-test-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
