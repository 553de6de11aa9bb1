"""The browser half of test_logged_work_browser.py, in its own process (see browser_check.py for why).
Usage: python -m tests.team.worklog_browser_check BASE_URL SHOTS_DIR (exit 0 when every check passed)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from tests.team.browser_check import CHROMIUM, _log_in
from tests.team.conftest import EMP_A, EMP_A2, EMPLOYEE_A, MANAGER
from tests.team.worklog_data import SCRIPT_LABEL, SCRIPT_PROJECT

RANGE = "?from=2026-11-01&to=2026-11-30"


def check(browser: Any, base: str, shots_dir: Path) -> None:
    shots_dir.mkdir(parents=True, exist_ok=True)
    manager = _log_in(browser, base, MANAGER)
    manager.goto(f"{base}/teams/1")
    manager.click("text=Logged work")
    manager.wait_for_load_state()
    assert manager.url.startswith(f"{base}/teams/1/logged-work")
    manager.goto(f"{base}/teams/1/logged-work{RANGE}")
    rows = manager.locator("#logged-work tbody tr")
    assert rows.count() == 2, rows.all_inner_texts()
    mine = manager.locator(f"#logged-work tbody tr[data-emp-id='{EMP_A}']")
    assert mine.locator("td.week-label").inner_text() == SCRIPT_LABEL  # shown as text, never run
    assert SCRIPT_PROJECT in mine.locator("td.projects").inner_text()
    figures = {cell: mine.locator(f"td.{cell}").inner_text() for cell in ("logged", "monitored", "tasks", "limit")}
    assert figures == {"logged": "2h 00m", "monitored": "1h 10m", "tasks": "4", "limit": "2 of 3 (67 %)"}, figures
    assert mine.locator("td.bonus").inner_text() == "10.00 for 1h 00m"
    assert manager.evaluate("window.__pwned") is None and manager.dialogs == []
    manager.screenshot(path=str(shots_dir / "web-logged-work.png"), full_page=True)

    employee = _log_in(browser, base, EMPLOYEE_A)
    employee.goto(f"{base}/employees/{EMP_A}/logged-work{RANGE}")
    assert employee.locator("#logged-work tbody tr").count() == 1
    assert employee.locator("td.logged").inner_text() == "2h 00m"  # what the manager sees
    assert employee.evaluate("window.__pwned") is None and employee.dialogs == []
    for forbidden in (f"/employees/{EMP_A2}/logged-work", "/teams/1/logged-work"):
        assert employee.goto(base + forbidden).status == 403, forbidden


def main() -> None:
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            check(browser, sys.argv[1], Path(sys.argv[2]))
        finally:
            browser.close()
    print("logged work browser checks passed")


if __name__ == "__main__":
    main()
