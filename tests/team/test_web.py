"""Pages render device data as text (titles ingested through the API with markup, quotes and
control characters), carry a strict CSP, and screenshots come only through the authorized route."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime

from PIL import Image
from starlette.testclient import TestClient

from tests.support.pg import connect
from tests.team.conftest import EMP_A, EMPLOYEE_A, MANAGER, People, ingest, png, span, upload_screenshot

EVIL_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)> "quoted" \'single\' & \x07bell'
EVIL_PROCESS = "<b>evil.exe</b>"


def test_ingested_markup_shows_as_text_on_every_page(people: People, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    today = datetime.now(UTC).replace(microsecond=0, second=0)
    start = today.replace(hour=0, minute=5) if today.hour >= 1 else today.replace(minute=0)
    ingest(client, people.keys[EMP_A], [span(start, 60, title=EVIL_TITLE, process=EVIL_PROCESS,
                                             domain="evil.example")])
    people.login_as(client, MANAGER)
    day = start.date().isoformat()
    for url in [f"/employees/{EMP_A}?date={day}", "/teams/1", f"/employees/{EMP_A}/week?date={day}"]:
        page = client.get(url)
        assert page.status_code == 200, url
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "<script" not in page.text and "<img src=x" not in page.text and "<b>evil" not in page.text
    html = client.get(f"/employees/{EMP_A}?date={day}").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&#39;single&#39; &amp;" in html
    assert "&lt;b&gt;evil.exe&lt;/b&gt;" in html
    assert "\x07" not in html and "\ufffdbell" in html
    own = app_client()
    people.login_as(own, EMPLOYEE_A)
    export = own.get("/me/export.json")
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/json")
    data = json.loads(export.text)
    assert [h["window_title"] for h in data["heartbeats"]] == [EVIL_TITLE]
    assert "<script" not in own.get("/me").text


def test_my_data_lists_and_exports_everything_stored(people: People, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    key = people.keys[EMP_A]
    ingest(client, key, [span(datetime(2026, 9, 1, 8, tzinfo=UTC), 600)])
    ingest(client, key, [{"client_id": "6f1c4c3e-6a4d-4f7e-9d36-1f0b8e1e2a11", "date": "2026-09-01",
                          "domain": "github.com", "duration_seconds": 600, "tag": "productive",
                          "updated_at": "2026-09-01T10:00:00Z"}], stream="website_usage")
    upload_screenshot(client, key, datetime(2026, 9, 1, 8, 5, tzinfo=UTC), png())
    people.login_as(client, EMPLOYEE_A)
    page = client.get("/me")
    assert page.status_code == 200 and 'href="/me/export.json"' in page.text
    assert re.search(r"<td>heartbeats</td><td class=\"num\">1</td>", page.text)
    # In the employee's zone (the span's Europe/Berlin), minutes only: 08:00 UTC was printed raw
    # ("2026-09-01 08:00:00+00:00"), microseconds and all, unlike every other page.
    assert "Times are in Europe/Berlin" in page.text
    assert "<td>2026-09-01 10:00</td><td>2026-09-01 10:00</td>" in page.text and "+00:00" not in page.text
    data = json.loads(client.get("/me/export.json").text)
    assert data["account"] == {"email": EMPLOYEE_A, "role": "employee", "emp_id": EMP_A}
    assert len(data["heartbeats"]) == 1 and len(data["website_usage"]) == 1 and len(data["screenshots"]) == 1
    assert data["devices"][0]["name"] == f"LAPTOP-{EMP_A}"
    assert "key_hash" not in data["api_keys"][0] and data["api_keys"][0]["prefix"]
    assert {"timeline", "productivity", "wellness"} <= set(data)


def test_screenshots_thumbnails_and_the_managers_blur(people: People, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    original = png(640, 400, seed=3)
    client_id = upload_screenshot(client, people.keys[EMP_A], datetime(2026, 9, 2, 9, tzinfo=UTC), original)
    url = f"/screenshots/1/{client_id}"
    assert client.get(url, follow_redirects=False).status_code == 303  # no session: to the login page
    people.login_as(client, MANAGER)
    full = client.get(url)
    assert full.status_code == 200 and full.content == original
    assert full.headers["cache-control"] == "private, no-store" and full.headers["content-type"] == "image/png"
    thumb = client.get(url + "?size=thumb")
    assert thumb.headers["cache-control"] == "private, no-store"
    assert Image.open(io.BytesIO(thumb.content)).size == (320, 200)
    listed = client.get("/api/v1/reports/employees/501/screenshots?from=2026-09-02&to=2026-09-02").json()
    assert listed["screenshots"][0]["url"] == url
    with connect(people.url) as conn:
        conn.execute("UPDATE teams SET blur_screenshots = true WHERE name = 'Alpha'")
    blurred = client.get(url)
    assert blurred.status_code == 200 and blurred.content != original
    sharp = Image.open(io.BytesIO(original)).convert("L")
    soft = Image.open(io.BytesIO(blurred.content)).convert("L")
    assert soft.size == sharp.size
    edge = sum(abs(sharp.getpixel((x, 10)) - sharp.getpixel((x + 1, 10))) for x in range(300))
    soft_edge = sum(abs(soft.getpixel((x, 10)) - soft.getpixel((x + 1, 10))) for x in range(300))
    assert soft_edge < edge / 4
    own = app_client()
    people.login_as(own, EMPLOYEE_A)
    assert own.get(url).content == original  # the employee sees their own screenshot as taken


def test_the_timeline_s_hour_labels_sit_at_the_hours_they_name() -> None:
    """Labels at the x of their local instant: 09:00 is 9/24 of an ordinary day (spreading 8 labels over the
    width put 21:00 at the right edge), 03:00 is 2/23 of a spring-forward day, 24:00 ends the bar."""
    from zoneinfo import ZoneInfo

    from ingestion.reports.ranges import DayRange
    from ingestion.web.employee import WIDTH, _axis

    berlin = ZoneInfo("Europe/Berlin")
    ordinary = dict((label, x) for x, label in _axis(DayRange(date(2026, 6, 10), date(2026, 6, 10), berlin)))
    assert list(ordinary) == ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "24:00"]
    assert ordinary["00:00"] == 0 and ordinary["09:00"] == WIDTH * 9 / 24 and ordinary["24:00"] == WIDTH
    spring = dict((label, x) for x, label in _axis(DayRange(date(2026, 3, 29), date(2026, 3, 29), berlin)))
    assert spring["03:00"] == round(WIDTH * 2 / 23, 2) and spring["24:00"] == WIDTH
