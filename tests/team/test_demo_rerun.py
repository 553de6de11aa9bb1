"""``wfh-ingest demo`` against an existing database (WFH_INGEST_DATABASE_URL), run more than once: the
second run finds its own records again instead of adding a second team, its screenshots still open, the
stopped laptop's key was "last used" when its uploads stopped, and the messages say the data stays."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingestion import demo
from ingestion.config import Settings
from ingestion.demo_data import TEAM
from tests.support.pg import connect, throwaway_database
from tests.support.server import start_server
from tests.team.test_demo import start_demo

TABLES = ("heartbeats", "website_usage", "productivity", "wellness", "screenshots", "worklog_weeks",
          "worklog_tasks", "api_keys", "devices", "employees", "users", "teams")


@pytest.fixture
def database() -> Iterator[str]:
    with throwaway_database("wfh_demo") as url:
        yield url


@pytest.fixture
def served(database: str, open_tmp: Path) -> Iterator[tuple[str, Settings, Path]]:
    """A server on the database, and the demo's settings for it: (server URL, settings, screenshot folder)."""
    shots = open_tmp / "shots"
    server = start_server(database, shots, WFH_INGEST_RATE_PER_MINUTE="600000", WFH_INGEST_RATE_BURST="100000")
    try:
        settings = Settings(database_url=database, screenshot_dir=str(shots))
        demo._accounts(settings)
        yield server.url, settings, shots
    finally:
        server.stop()


def _counts(url: str) -> dict[str, int]:
    with connect(url) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]


def _missing_files(url: str, root: Path) -> list[str]:
    with connect(url) as conn:
        paths = [row[0] for row in conn.execute("SELECT storage_path FROM screenshots")]
    assert paths
    return [p for p in paths if not (root / p).is_file()]


def test_loading_twice_adds_nothing(database: str, served: tuple[str, Settings, Path]) -> None:
    """The same moment loaded twice: every record of the second load is a duplicate of the first."""
    url, settings, shots = served
    now = datetime.now(UTC)
    first = demo.load_sample(settings, url, now)
    counts = _counts(database)
    assert counts["heartbeats"] == first[0] > 0 and counts["worklog_tasks"] == first[2] > 0
    assert counts["api_keys"] == len(TEAM) and counts["worklog_weeks"] == first[1] >= 2 * len(TEAM)
    demo._accounts(settings)
    assert demo.load_sample(settings, url, now) == first
    assert _counts(database) == counts
    with connect(database) as conn:
        revoked = conn.execute("SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL").fetchone()
    assert revoked == (0,)
    assert _missing_files(database, shots) == []


def test_a_lost_screenshot_file_comes_back_on_the_next_load(database: str, served: tuple[str, Settings, Path]) -> None:
    url, settings, shots = served
    now = datetime.now(UTC)
    demo.load_sample(settings, url, now)
    shutil.rmtree(shots)
    demo.load_sample(settings, url, now + timedelta(minutes=1))
    assert _missing_files(database, shots) == []


def test_the_stopped_laptop_was_last_used_when_it_stopped(database: str, served: tuple[str, Settings, Path]) -> None:
    """Dan's uploads are dated three hours back; his key's "last used" must say the same, not "just now"."""
    url, settings, _ = served
    demo.load_sample(settings, url, datetime.now(UTC))
    demo.load_sample(settings, url, datetime.now(UTC))  # a re-run dates back only its own uploads
    dan = next(p for p in TEAM if p.stops_hours_ago)
    with connect(database) as conn:
        rows: list[Any] = conn.execute(
            "SELECT k.emp_id, k.last_used_at, (SELECT max(l.received_at) FROM ingest_log l WHERE l.key_id = k.key_id),"
            " now() FROM api_keys k ORDER BY k.emp_id").fetchall()
    for emp_id, last_used, last_upload, now in rows:
        assert last_used is not None and last_upload is not None
        if emp_id == dan.emp_id:
            assert last_used == last_upload
            assert timedelta(hours=dan.stops_hours_ago) <= now - last_used < timedelta(hours=dan.stops_hours_ago,
                                                                                      minutes=10)
        else:
            assert now - last_used < timedelta(minutes=10)


def test_running_the_demo_twice_against_one_database(database: str, open_tmp: Path) -> None:
    """Two real runs a few seconds apart: the figures stay (only what those seconds add, at most a span,
    a screenshot, a task and a site per laptop), the screenshots of the first run still open, and the
    messages say that the data stays in the database."""
    env = {"WFH_INGEST_DATABASE_URL": database, "XDG_CACHE_HOME": str(open_tmp / "cache")}
    counts = []
    for _ in range(2):
        run = start_demo(open_tmp, env)
        try:
            text = run.wait_ready()
        finally:
            code = run.stop(signal.SIGINT)
        errors = "".join(run.err)
        assert code == 0, errors
        assert "removed" not in text and "removed" not in errors, text + errors
        assert "the demo data stays in the database" in text and "demo stopped; the demo data stays" in errors
        counts.append(_counts(database))
    first, second = counts
    assert {t: second[t] for t in ("api_keys", "devices", "employees", "users", "teams", "worklog_weeks")} == {
        t: first[t] for t in ("api_keys", "devices", "employees", "users", "teams", "worklog_weeks")}
    for table in ("heartbeats", "screenshots", "worklog_tasks", "website_usage"):
        assert first[table] <= second[table] <= first[table] + len(TEAM), (table, first, second)
    (root,) = (open_tmp / "cache" / "wfh-ingest" / "demo-screenshots").iterdir()
    assert root.name == demo.screenshot_folder(database, "employee_monitor").name
    assert _missing_files(database, root) == []
    assert not list(open_tmp.glob("wfh-demo-*"))


def test_the_screenshot_folder_is_stable_per_database(monkeypatch: pytest.MonkeyPatch, open_tmp: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(open_tmp))
    one = demo.screenshot_folder("postgresql://postgres@127.0.0.1:5432/wfh", "employee_monitor")
    assert one == demo.screenshot_folder("postgresql://postgres@127.0.0.1:5432/wfh", "employee_monitor")
    assert open_tmp in one.parents and one.name.startswith("wfh-employee_monitor-")
    others = {demo.screenshot_folder("postgresql://postgres@127.0.0.1:5432/other", "employee_monitor"),
              demo.screenshot_folder("postgresql://postgres@127.0.0.1:5433/wfh", "employee_monitor"),
              demo.screenshot_folder("postgresql://postgres@127.0.0.1:5432/wfh", "monitor_b")}
    assert one not in others and len(others) == 3
