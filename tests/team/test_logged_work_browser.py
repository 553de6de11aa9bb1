"""Logged work in a real browser (Debian's chromium via Playwright) against ``wfh-ingest serve``: the
figures shown equal the weeks, tasks and spans ingested over HTTP, a ``<script>`` week label and project
name show as text and never run, the employee sees their own page only. The page is photographed (into
docs/screenshots with WFH_UPDATE_SCREENSHOTS=1, else into the test's temporary folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.server import ServerProcess, create_key, start_server
from tests.team.browser_check import CHROMIUM
from tests.team.conftest import EMP_A, EMP_A2, People
from tests.team.worklog_data import SCRIPT_LABEL, SCRIPT_PROJECT, load_known_week

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt install chromium)")


class _Http:
    """``client.post(path, ...)`` over real HTTP, so the test data helpers work against a real server."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.base + path, timeout=30, **kwargs)


@pytest.fixture
def server(people: People, tmp_path: Path) -> Iterator[ServerProcess]:
    process = start_server(people.url, tmp_path / "shots", WFH_INGEST_RATE_PER_MINUTE="600000",
                           WFH_INGEST_RATE_BURST="100000")
    http: Any = _Http(process.url)
    load_known_week(http, people.keys[EMP_A], create_key(people.url, EMP_A, "DESKTOP-2"), SCRIPT_LABEL,
                    project=SCRIPT_PROJECT)
    load_known_week(http, people.keys[EMP_A2], create_key(people.url, EMP_A2, "DESKTOP-3"), "2026-W48")
    yield process
    process.stop()


def test_logged_work_in_a_real_browser(server: ServerProcess, tmp_path: Path) -> None:
    shots = (Path(__file__).resolve().parents[2] / "docs" / "screenshots"
             if os.environ.get("WFH_UPDATE_SCREENSHOTS") == "1" else tmp_path / "screenshots")
    result = subprocess.run([sys.executable, "-m", "tests.team.worklog_browser_check", server.url, str(shots)],
                            capture_output=True, text=True, timeout=240, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "logged work browser checks passed" in result.stdout
    assert (shots / "web-logged-work.png").is_file()
