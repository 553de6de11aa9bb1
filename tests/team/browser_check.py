"""The browser half of test_browser.py, run in its own process: Playwright's greenlets and a process
that already loaded Qt (the GUI tests) crashed together, so the browser never shares the test process.
Usage: python -m tests.team.browser_check BASE_URL SHOTS_DIR (exit 0 when every check passed)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.team.conftest import ADMIN, EMP_A, EMP_A2, EMP_B, EMPLOYEE_A, MANAGER, PASSWORD

CHROMIUM = "/usr/bin/chromium"
DAY = "2026-11-25"  # a Wednesday; Europe/Berlin is UTC+1 then
SCRIPT_TITLE = "<script>window.__pwned = 1; alert('x')</script> & \"quotes\""


def watch_console(page: Any) -> None:
    """Collect what the browser reports as wrong on a page: script errors, console errors (a missing
    favicon or stylesheet, a CSP refusal), each with the URL it concerns."""
    page.problems = []
    page.on("console", lambda message: page.problems.append((message.location.get("url", ""), message.text))
            if message.type == "error" else None)
    page.on("pageerror", lambda error: page.problems.append((page.url, str(error))))


def unexpected(page: Any, base: str, refused: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The page's problems but the 403s of the forbidden URLs the check opened on purpose."""
    expected = {base + path for path in refused}
    return [(url, text) for url, text in page.problems if not (url in expected and "403" in text)]


def _log_in(browser: Any, base: str, email: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.dialogs = dialogs
    watch_console(page)
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def check(browser: Any, base: str, shots_dir: Path) -> None:
    shots_dir.mkdir(parents=True, exist_ok=True)
    login = browser.new_page(viewport={"width": 1280, "height": 600})
    watch_console(login)
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
    assert apps[0].split("\t") == ["Code.exe", "1h 05m", "productive (Development)"]
    assert apps[1].split("\t") == ["firefox", "40m", "neutral"]
    today = datetime.now(UTC).date()
    workday = today - timedelta(days=max(0, today.weekday() - 4))
    manager.goto(f"{base}/employees/{EMP_A2}?date={workday}")
    manager.screenshot(path=str(shots_dir / "web-employee-day.png"), full_page=True)
    manager.goto(f"{base}/employees/{EMP_A2}/week?date={workday}")
    manager.screenshot(path=str(shots_dir / "web-employee-week.png"), full_page=True)
    manager.goto(f"{base}/employees/{EMP_A}/week?date={DAY}")
    wednesday = manager.locator("#week-days tbody tr").nth(2).all_inner_texts()[0].split("\t")
    assert wednesday[:4] == [DAY, "1h 45m", "20m", "30m"]
    manager_refused = (f"/employees/{EMP_B}", f"/employees/{EMP_B}/week", "/teams/2", "/admin/users")
    for forbidden in manager_refused:
        response = manager.goto(base + forbidden)
        assert response.status == 403, forbidden
        assert "Not allowed" in manager.content()

    employee = _log_in(browser, base, EMPLOYEE_A)
    assert employee.url == f"{base}/me"
    employee.screenshot(path=str(shots_dir / "web-my-data.png"), full_page=True)
    employee.goto(f"{base}/employees/{EMP_A}?date={DAY}")
    assert employee.locator("#day-totals [data-status=active]").inner_text() == "1h 45m"  # what the manager sees
    employee_refused = (f"/employees/{EMP_A2}", "/teams/1", "/admin/keys")
    for forbidden in employee_refused:
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
    for page, refused in ((login, ()), (manager, manager_refused), (employee, employee_refused), (admin, ())):
        assert unexpected(page, base, refused) == [], unexpected(page, base, refused)


def main() -> None:
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"  # never fetch a browser: Debian's chromium is used
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            check(browser, sys.argv[1], Path(sys.argv[2]))
        finally:
            browser.close()
    print("browser checks passed")


if __name__ == "__main__":
    main()
