"""A real browser (Debian's chromium driven by Playwright) against ``wfh-ingest serve``: every role
logs in and opens its pages, the figures shown equal the spans ingested through the API, forbidden
URLs are refused, an ingested ``<script>`` title shows as text. Every page is photographed (into
docs/screenshots with WFH_UPDATE_SCREENSHOTS=1, else into the test's temporary folder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from ingestion.demo_data import Loader, Person, load_week
from tests.support.server import ServerProcess, start_server
from tests.team.conftest import ADMIN, EMP_A, EMP_A2, EMP_B, EMPLOYEE_A, MANAGER, PASSWORD, People, span

CHROMIUM = "/usr/bin/chromium"
DAY = "2026-11-25"  # a Wednesday; Europe/Berlin is UTC+1 then
SCRIPT_TITLE = "<script>window.__pwned = 1; alert('x')</script> & \"quotes\""
os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"  # never fetch a browser: Debian's chromium is used

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


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


def _log_in(browser: Any, base: str, email: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_every_role_in_a_real_browser(server: ServerProcess, browser: Any, shots_dir: Path) -> None:
    shots_dir.mkdir(parents=True, exist_ok=True)
    base = server.url
    login = browser.new_page(viewport={"width": 1280, "height": 600})
    login.goto(f"{base}/login")
    login.screenshot(path=str(shots_dir / "web-login.png"))

    manager = _log_in(browser, base, MANAGER)
    assert manager.url == f"{base}/teams/1"
    assert manager.locator("#team-overview tbody tr").count() == 2
    manager.screenshot(path=str(shots_dir / "web-team-overview.png"), full_page=True)
    manager.goto(f"{base}/employees/{EMP_A}?date={DAY}")
    totals = {s: manager.locator(f"#day-totals [data-status={s}]").inner_text() for s in ("active", "idle", "locked")}
    assert totals == {"active": "1h 45m", "idle": "20m", "locked": "30m"}
    titles = manager.locator("#spans td.title").all_inner_texts()
    assert SCRIPT_TITLE in titles  # shown as text, never run
    assert manager.evaluate("window.__pwned") is None and manager.dialogs == []
    apps = manager.locator("#top-apps tbody tr").all_inner_texts()
    assert apps[0].split("\t") == ["Code.exe", "1h 05m"] and apps[1].split("\t") == ["firefox", "40m"]
    today = datetime.now(UTC).date()
    workday = today - timedelta(days=max(0, today.weekday() - 4))
    manager.goto(f"{base}/employees/{EMP_A2}?date={workday}")
    manager.screenshot(path=str(shots_dir / "web-employee-day.png"), full_page=True)
    manager.goto(f"{base}/employees/{EMP_A2}/week?date={workday}")
    manager.screenshot(path=str(shots_dir / "web-employee-week.png"), full_page=True)
    manager.goto(f"{base}/employees/{EMP_A}/week?date={DAY}")
    wednesday = manager.locator("#week-days tbody tr").nth(2).all_inner_texts()[0].split("\t")
    assert wednesday[:4] == [DAY, "1h 45m", "20m", "30m"]
    for forbidden in (f"/employees/{EMP_B}", f"/employees/{EMP_B}/week", "/teams/2", "/admin/users"):
        response = manager.goto(base + forbidden)
        assert response.status == 403, forbidden
        assert "Not allowed" in manager.content()

    employee = _log_in(browser, base, EMPLOYEE_A)
    assert employee.url == f"{base}/me"
    employee.screenshot(path=str(shots_dir / "web-my-data.png"), full_page=True)
    employee.goto(f"{base}/employees/{EMP_A}?date={DAY}")
    assert employee.locator("#day-totals [data-status=active]").inner_text() == "1h 45m"  # what the manager sees
    for forbidden in (f"/employees/{EMP_A2}", "/teams/1", "/admin/keys"):
        assert employee.goto(base + forbidden).status == 403, forbidden

    admin = _log_in(browser, base, ADMIN)
    admin.goto(f"{base}/admin/users")
    admin.screenshot(path=str(shots_dir / "web-admin-users.png"), full_page=True)
    admin.goto(f"{base}/admin/keys")
    admin.fill("input[name=emp_id]", str(EMP_B))
    admin.fill("input[name=device]", "NEW-DESKTOP")
    admin.click("text=Create key")
    admin.wait_for_load_state()
    assert admin.locator("#new-key").inner_text().startswith("wfh_")
    admin.screenshot(path=str(shots_dir / "web-admin-keys.png"), full_page=True)
    admin.goto(f"{base}/admin/keys")
    assert admin.locator("#new-key").count() == 0  # shown once
    admin.click("text=Log out")
    admin.wait_for_load_state()
    assert admin.url.startswith(f"{base}/login")
    expected = {f"web-{name}.png" for name in ("login", "team-overview", "employee-day", "employee-week",
                                                "my-data", "admin-users", "admin-keys")}
    assert expected <= {p.name for p in shots_dir.glob("web-*.png")}
