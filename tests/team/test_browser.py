"""A real browser (Debian's chromium driven by Playwright) against ``wfh-ingest serve``: every role
logs in and opens its pages, the figures shown equal the spans ingested through the API, forbidden
URLs are refused, an ingested ``<script>`` title shows as text. Every page is photographed (into
docs/screenshots with WFH_UPDATE_SCREENSHOTS=1, else into the test's temporary folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from ingestion.demo_data import Loader, Person, load_week
from tests.support.server import ServerProcess, start_server
from tests.team.browser_check import CHROMIUM, SCRIPT_TITLE
from tests.team.conftest import EMP_A, EMP_A2, People, span

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt install chromium)")


def _utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 25, hour - 1, minute, tzinfo=UTC)  # local Berlin time -> UTC


def _known_spans() -> list[dict[str, Any]]:
    """Employee 501's Wednesday: 1h45m active, 20m idle, 30m locked."""
    return [span(_utc(8), 3600), span(_utc(9), 1200, "idle"),
            span(_utc(9, 20), 2400, process="firefox", title="Pull request · GitHub", domain="github.com"),
            span(_utc(10), 300, title=SCRIPT_TITLE), span(_utc(12), 1800, "locked", process="LockApp")]


@pytest.fixture
def server(people: People, tmp_path: Path) -> Iterator[ServerProcess]:
    process = start_server(people.url, tmp_path / "shots", WFH_INGEST_RATE_PER_MINUTE="600000",
                           WFH_INGEST_RATE_BURST="100000")
    http = requests.Session()
    response = http.post(f"{process.url}/api/v1/ingest/heartbeats", json={"records": _known_spans()},
                         headers={"X-Api-Key": people.keys[EMP_A]}, timeout=30)
    assert response.status_code == 200 and response.json()["accepted"] == 5, response.text
    colleague = Person(EMP_A2, "Amir Haddad", "amir@example.com", "Europe/Berlin", "developer")
    load_week(Loader(process.url), colleague, people.keys[EMP_A2], datetime.now(UTC))
    yield process
    process.stop()


@pytest.fixture
def shots_dir(tmp_path: Path) -> Path:
    if os.environ.get("WFH_UPDATE_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    return tmp_path / "screenshots"


def test_every_role_in_a_real_browser(server: ServerProcess, shots_dir: Path) -> None:
    """Log in as each role, open each page, compare the figures, try forbidden URLs (browser_check.py)."""
    result = subprocess.run([sys.executable, "-m", "tests.team.browser_check", server.url, str(shots_dir)],
                            capture_output=True, text=True, timeout=240, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "browser checks passed" in result.stdout
    expected = {f"web-{name}.png" for name in ("login", "team-overview", "employee-day", "employee-week",
                                                "my-data", "admin-users", "admin-keys")}
    assert expected <= {p.name for p in shots_dir.glob("web-*.png")}
