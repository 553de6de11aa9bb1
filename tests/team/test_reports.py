"""Reports API: the figures equal the spans ingested through the API, in the employee's zone with
DST-correct days and hours; resends never count twice; CSV both ways; date ranges capped with 422."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

from tests.team.conftest import EMP_A, MANAGER, People, ingest, span

BASE = "/api/v1/reports/employees"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _logged_in(people: People, app_client: Callable[[], TestClient]) -> TestClient:
    client = app_client()
    assert people.login_as(client, MANAGER).status_code == 303
    return client


def test_days_and_hours_split_spans_at_local_midnight_across_dst(people: People,
                                                                app_client: Callable[[], TestClient]) -> None:
    key = people.keys[EMP_A]
    client = _logged_in(people, app_client)
    # Berlin switches to summer time on 2026-03-29 at 01:00 UTC (02:00 local becomes 03:00).
    records = [
        span(_at("2026-03-28T22:30:00"), 3600),                      # 23:30-00:30 local: 30 min each day
        span(_at("2026-03-29T00:30:00"), 3600, "idle"),              # 01:30 CET-03:30 CEST: one hour
        span(_at("2026-03-29T08:00:00"), 900, "locked", process="LockApp.exe"),
        span(_at("2026-03-29T09:00:00"), 1200, process="firefox", domain="github.com"),
        span(_at("2026-03-30T21:50:00"), 1200, "offline"),           # 23:50-00:10 CEST
    ]
    ingest(client, key, records)
    again = ingest(client, key, records)  # a resend is a duplicate and counts nothing
    assert again["accepted"] == 0 and again["duplicates"] == len(records)
    days = client.get(f"{BASE}/{EMP_A}/days?from=2026-03-28&to=2026-03-31")
    assert days.status_code == 200
    body = days.json()
    assert body["tz"] == "Europe/Berlin"
    figures = {d["date"]: (d["active_seconds"], d["idle_seconds"], d["locked_seconds"], d["offline_seconds"])
               for d in body["days"]}
    assert figures == {"2026-03-28": (1800, 0, 0, 0), "2026-03-29": (1800 + 1200, 3600, 900, 0),
                       "2026-03-30": (0, 0, 0, 600), "2026-03-31": (0, 0, 0, 600)}
    hours = client.get(f"{BASE}/{EMP_A}/hours?from=2026-03-29&to=2026-03-29").json()["hours"]
    by_hour = {h["hour"]: (h["active_seconds"], h["idle_seconds"], h["locked_seconds"]) for h in hours}
    assert by_hour[0] == (1800, 0, 0)
    assert by_hour[1] == (0, 1800, 0) and by_hour[2] == (0, 0, 0) and by_hour[3] == (0, 1800, 0)
    assert by_hour[10] == (0, 0, 900) and by_hour[11] == (1200, 0, 0)
    apps = client.get(f"{BASE}/{EMP_A}/apps?from=2026-03-29&to=2026-03-29").json()["apps"]
    # Categories come from the server's rules (the desktop app's defaults): no device sends one for apps.
    assert apps == [{"process_name": "Code.exe", "active_seconds": 1800, "category": "productive",
                     "category_name": "Development"},
                    {"process_name": "firefox", "active_seconds": 1200, "category": "neutral", "category_name": None}]
    domains = client.get(f"{BASE}/{EMP_A}/domains?from=2026-03-28&to=2026-03-31").json()["domains"]
    assert domains == [{"domain": "github.com", "active_seconds": 1200, "category": "productive",
                        "category_name": "Work web"}]


def test_the_zone_is_the_latest_heartbeats(people: People, app_client: Callable[[], TestClient]) -> None:
    client = _logged_in(people, app_client)
    assert client.get(f"{BASE}/{EMP_A}/days?from=2026-05-01&to=2026-05-01").json()["tz"] == "UTC"
    ingest(client, people.keys[EMP_A], [span(_at("2026-05-01T03:00:00"), 600, tz="America/New_York")])
    body = client.get(f"{BASE}/{EMP_A}/days?from=2026-04-30&to=2026-05-01").json()
    assert body["tz"] == "America/New_York"
    assert [d["active_seconds"] for d in body["days"]] == [600, 0]  # 23:00 the evening before, in New York


def test_timeline_is_paged_and_csv_comes_both_ways(people: People, app_client: Callable[[], TestClient]) -> None:
    client = _logged_in(people, app_client)
    start = _at("2026-06-10T07:00:00")
    ingest(client, people.keys[EMP_A], [span(start + timedelta(minutes=i), 60, title=f"=cmd|' /C calc'!A{i}")
                                        for i in range(5)])
    first = client.get(f"{BASE}/{EMP_A}/timeline?date=2026-06-10&limit=2").json()
    assert [s["started_at"] for s in first["spans"]] == ["2026-06-10T07:00:00+00:00", "2026-06-10T07:01:00+00:00"]
    assert first["next_offset"] == 2
    last = client.get(f"{BASE}/{EMP_A}/timeline?date=2026-06-10&limit=2&offset=4").json()
    assert len(last["spans"]) == 1 and last["next_offset"] is None
    by_suffix = client.get(f"{BASE}/{EMP_A}/timeline.csv?date=2026-06-10")
    by_accept = client.get(f"{BASE}/{EMP_A}/timeline?date=2026-06-10", headers={"Accept": "text/csv"})
    assert by_suffix.headers["content-type"].startswith("text/csv")
    assert by_suffix.text == by_accept.text
    rows = list(csv.DictReader(io.StringIO(by_suffix.text)))
    assert len(rows) == 5 and rows[0]["window_title"] == "'=cmd|' /C calc'!A0"  # no formula for spreadsheets
    days_csv = client.get(f"{BASE}/{EMP_A}/days.csv?from=2026-06-10&to=2026-06-11").text.splitlines()
    assert days_csv[0].startswith("date,active_seconds,idle_seconds,locked_seconds,offline_seconds")
    assert days_csv[1].startswith("2026-06-10,300,0,0,0")


def test_ranges_are_capped_at_400_days_with_a_clear_422(people: People,
                                                        app_client: Callable[[], TestClient]) -> None:
    client = _logged_in(people, app_client)
    assert client.get(f"{BASE}/{EMP_A}/days?from=2025-01-01&to=2026-02-04").status_code == 200  # 400 days
    for query in ["from=2025-01-01&to=2026-02-05", "from=2026-02-05&to=2026-02-04", "from=2026-13-01&to=2026-13-02",
                  "from=yesterday&to=2026-01-01", "to=2026-01-01", "from=0001-01-01&to=9999-12-31"]:
        for suffix in ("days", "hours", "apps", "domains", "screenshots", "days.csv"):
            response = client.get(f"{BASE}/{EMP_A}/{suffix}?{query}")
            assert response.status_code == 422, (suffix, query, response.text)
            assert response.json()["error"] == "invalid_range" and response.json()["detail"]
        team = client.get(f"/api/v1/reports/teams/1/employees?{query}")
        assert team.status_code == 422, query
    assert "400 days" in client.get(f"{BASE}/{EMP_A}/days?from=2025-01-01&to=2026-12-31").json()["detail"]
    assert client.get(f"{BASE}/{EMP_A}/timeline?date=2026-02-30").status_code == 422
    assert client.get(f"{BASE}/{EMP_A}/timeline?date=2026-02-03&limit=0").status_code == 422
    assert client.get(f"{BASE}/{EMP_A}/timeline?date=2026-02-03&offset=-1").status_code == 422


def test_the_calendar_s_edges_are_a_422_or_a_report_never_a_500(people: People,
                                                                app_client: Callable[[], TestClient]) -> None:
    """The first and last days a report takes work in zones on both sides of UTC (a day after 9999-12-31,
    or a local midnight before year 1, overflowed: 500); beyond them, and the ISO week form, are 422."""
    client = _logged_in(people, app_client)
    routes = ["days?from={d}&to={d}", "hours?from={d}&to={d}", "apps?from={d}&to={d}", "domains?from={d}&to={d}",
              "screenshots?from={d}&to={d}", "timeline?date={d}"]
    pages = ["/employees/{e}?date={d}", "/employees/{e}/week?date={d}"]
    for zone in ("Pacific/Kiritimati", "Pacific/Niue"):  # UTC+14, UTC-11
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
        assert ingest(client, people.keys[EMP_A], [span(start, 60, tz=zone)])["accepted"] == 1
        for day, ok in [("1900-01-01", True), ("9998-12-31", True), ("1899-12-31", False), ("9999-12-31", False),
                        ("0001-01-01", False), ("2026-W32-1", False)]:
            for route in routes:
                answer = client.get(f"{BASE}/{EMP_A}/" + route.format(d=day))
                assert answer.status_code == (200 if ok else 422), (zone, route, day, answer.text[:200])
            answer = client.get(f"/api/v1/reports/teams/1/employees?from={day}&to={day}")
            assert answer.status_code == (200 if ok else 422), (zone, day)
            for page in pages:
                answer = client.get(page.format(e=EMP_A, d=day))
                assert answer.status_code == (200 if ok else 422), (zone, page, day, answer.text[:200])
    assert client.get(f"{BASE}/{EMP_A}/timeline?date=2026-02-03&offset=10000000").status_code == 200
    for offset in ("10000001", "100000000000000000000"):
        answer = client.get(f"{BASE}/{EMP_A}/timeline?date=2026-02-03&offset={offset}")
        assert answer.status_code == 422 and answer.json()["error"] == "invalid_range", offset


def test_team_totals_last_seen_and_sync_health(people: People, app_client: Callable[[], TestClient]) -> None:
    client = _logged_in(people, app_client)
    ingest(client, people.keys[EMP_A], [span(_at("2026-07-01T09:00:00"), 1800)])
    team = client.get("/api/v1/reports/teams/1/employees?from=2026-07-01&to=2026-07-01").json()
    alice = next(e for e in team["employees"] if e["emp_id"] == EMP_A)
    assert alice["active_seconds"] == 1800 and alice["last_seen_at"] == "2026-07-01T09:30:00+00:00"
    devices = client.get("/api/v1/reports/teams/1/devices").json()["devices"]
    mine = next(d for d in devices if d["emp_id"] == EMP_A)
    assert mine["records_24h"] == 1 and mine["rejected_24h"] == 0
    assert mine["agent_version"] == "wfh-agent/0.2.0 (test)" and mine["stale"] is False
    never = next(d for d in devices if d["emp_id"] != EMP_A)
    assert never["last_ingest_at"] is None and never["stale"] is True


def test_reports_are_in_the_openapi_document(people: People, app_client: Callable[[], TestClient]) -> None:
    paths = app_client().get("/openapi.json").json()["paths"]
    for name in ("days", "hours", "apps", "domains", "timeline", "screenshots"):
        assert f"{BASE}/{{emp_id}}/{name}" in paths and f"{BASE}/{{emp_id}}/{name}.csv" in paths
    assert "/api/v1/reports/teams/{team_id}/employees" in paths and "/api/v1/reports/teams/{team_id}/devices" in paths
    assert "/login" not in paths and "/me" not in paths


def test_reports_without_a_session_are_401(people: People, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    response = client.get(f"{BASE}/{EMP_A}/days?from=2026-01-01&to=2026-01-02")
    assert response.status_code == 401 and response.json() == {"error": "unauthorized"}
    keyed = client.get(f"{BASE}/{EMP_A}/days?from=2026-01-01&to=2026-01-02",
                       headers={"X-Api-Key": people.keys[EMP_A]})
    assert keyed.status_code == 401  # a device key is not a person's session


def test_a_batch_mixing_resent_and_new_spans_counts_only_the_new(people: People,
                                                                app_client: Callable[[], TestClient]) -> None:
    client = _logged_in(people, app_client)
    key = people.keys[EMP_A]
    first = [span(_at("2026-10-05T08:00:00"), 600), span(_at("2026-10-05T08:10:00"), 300, "idle")]
    ingest(client, key, first)
    mixed = ingest(client, key, [*first, span(_at("2026-10-05T08:15:00"), 900), first[0]])
    assert mixed["accepted"] == 1 and mixed["duplicates"] == 3
    day = client.get(f"{BASE}/{EMP_A}/days?from=2026-10-05&to=2026-10-05").json()["days"][0]
    assert (day["active_seconds"], day["idle_seconds"]) == (1500, 300)
