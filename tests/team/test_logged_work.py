"""Logged work (issue 18) in the team view: the figures per employee and week, the authorization matrix
of its pages and report routes, CSV, and the weeks and tasks in My data."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from tests.support.server import create_key
from tests.team.conftest import (
    ADMIN,
    EMP_A,
    EMP_A2,
    EMP_B,
    EMPLOYEE_A,
    EMPLOYEE_B,
    MANAGER,
    MANAGER_B,
    People,
    ingest,
)
from tests.team.worklog_data import EXPECTED, FORMULA_PROJECT, load_known_week, task, week

RANGE = "?from=2026-11-01&to=2026-11-30"
EMPLOYEE_ROUTES = ["/api/v1/reports/employees/{e}/logged-work" + RANGE,
                   "/api/v1/reports/employees/{e}/logged-work.csv" + RANGE, "/employees/{e}/logged-work" + RANGE]
TEAM_ROUTES = ["/api/v1/reports/teams/{t}/logged-work" + RANGE, "/api/v1/reports/teams/{t}/logged-work.csv" + RANGE,
               "/teams/{t}/logged-work" + RANGE]
SEES = {ADMIN: {EMP_A, EMP_A2, EMP_B}, MANAGER: {EMP_A, EMP_A2}, EMPLOYEE_A: {EMP_A}, EMPLOYEE_B: {EMP_B},
        MANAGER_B: {EMP_B}}
TEAMS = {ADMIN: {1, 2}, MANAGER: {1}, EMPLOYEE_A: set(), EMPLOYEE_B: set(), MANAGER_B: {2}}


def marker(emp_id: int) -> str:
    return f"WEEK-OF-{emp_id}"


@pytest.fixture
def world(people: People, app_client: Callable[[], TestClient]) -> None:
    device = app_client()
    for emp_id in (EMP_A, EMP_A2, EMP_B):
        second = create_key(people.url, emp_id, f"DESKTOP-{emp_id}")
        load_known_week(device, people.keys[emp_id], second, marker(emp_id))


def test_figures_of_a_known_week(people: People, world: None, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    people.login_as(client, MANAGER)
    body = client.get(f"/api/v1/reports/employees/{EMP_A}/logged-work{RANGE}").json()
    assert body["tz"] == "Europe/Berlin"
    [row] = body["weeks"]
    assert {k: row[k] for k in EXPECTED} == EXPECTED
    assert row["week_label"] == marker(EMP_A)
    assert row["projects"] == [{"project_name": "Search", "logged_seconds": 6000},
                               {"project_name": FORMULA_PROJECT, "logged_seconds": 1200}]
    team = client.get(f"/api/v1/reports/teams/1/logged-work{RANGE}").json()
    assert sorted(r["emp_id"] for r in team["weeks"]) == [EMP_A, EMP_A2]
    assert all({k: r[k] for k in EXPECTED} == EXPECTED for r in team["weeks"])


def test_weeks_outside_the_range_deleted_or_undated_are_left_out(people: People,
                                                                 app_client: Callable[[], TestClient]) -> None:
    device = app_client()
    key = people.keys[EMP_A]
    ingest(device, key, [week("in range"), week("too early", start="2026-10-26"), week("undated", start=None),
                         week("deleted", deleted_at="2026-11-24T09:00:00.000Z")], "weeks")
    client = app_client()
    people.login_as(client, EMPLOYEE_A)
    rows = client.get(f"/api/v1/reports/employees/{EMP_A}/logged-work{RANGE}").json()["weeks"]
    assert [r["week_label"] for r in rows] == ["in range"]
    assert rows[0]["tasks"] == 0 and rows[0]["avg_score"] is None and rows[0]["within_limit_percent"] is None


def test_a_custom_period_bounds_the_monitored_time(people: People, app_client: Callable[[], TestClient]) -> None:
    from datetime import UTC, datetime

    from tests.team.conftest import span

    device = app_client()
    key = people.keys[EMP_A]
    # Tuesday 10:00 to Thursday 17:59 (Berlin): only the Wednesday span counts
    custom = week("custom", start="2026-11-24", week_start_day=1, week_start_hour=10, week_end_day=3,
                  week_end_hour=17, is_custom_duration=True, is_bonus_week=False)
    ingest(device, key, [custom], "weeks")
    ingest(device, key, [task(custom["client_id"], 100, 0, None)], "tasks")
    ingest(device, key, [span(datetime(2026, 11, 25, 9, tzinfo=UTC), 1800),
                         span(datetime(2026, 11, 24, 8, tzinfo=UTC), 600),  # Tuesday 09:00: before the start
                         span(datetime(2026, 11, 26, 17, tzinfo=UTC), 600)])  # Thursday 18:00: after the end
    client = app_client()
    people.login_as(client, ADMIN)
    [row] = client.get(f"/api/v1/reports/employees/{EMP_A}/logged-work{RANGE}").json()["weeks"]
    assert row["monitored_active_seconds"] == 1800
    assert row["bonus_amount"] == 0.0 and row["is_bonus_week"] is False


@pytest.mark.parametrize("email", list(SEES))
def test_every_logged_work_route_for_every_role(email: str, people: People, world: None,
                                                app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    assert people.login_as(client, email).status_code == 303
    for emp_id in (EMP_A, EMP_A2, EMP_B):
        for template in EMPLOYEE_ROUTES:
            url = template.format(e=emp_id)
            response = client.get(url, follow_redirects=False)
            if emp_id in SEES[email]:
                assert response.status_code == 200, (email, url)
                assert marker(emp_id) in response.text, (email, url)
            else:
                assert response.status_code == 403, (email, url, response.status_code)
                assert not any(marker(e) in response.text for e in (EMP_A, EMP_A2, EMP_B)), (email, url)
    for team_id in (1, 2):
        for template in TEAM_ROUTES:
            url = template.format(t=team_id)
            response = client.get(url, follow_redirects=False)
            assert response.status_code == (200 if team_id in TEAMS[email] else 403), (email, url)
            members = {1: (EMP_A, EMP_A2), 2: (EMP_B,)}[team_id]
            if team_id in TEAMS[email]:
                assert all(marker(e) in response.text for e in members), (email, url)
            else:
                assert not any(marker(e) in response.text for e in (EMP_A, EMP_A2, EMP_B)), (email, url)


def test_without_a_session_nothing_is_shown(people: People, world: None, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    for template in EMPLOYEE_ROUTES + TEAM_ROUTES:
        url = template.format(e=EMP_A, t=1)
        response = client.get(url, follow_redirects=False)
        assert response.status_code == (401 if url.startswith("/api/") else 303), url
        assert marker(EMP_A) not in response.text


def test_csv_neutralises_formulas_and_bad_ranges_are_422(people: People, world: None,
                                                         app_client: Callable[[], TestClient]) -> None:
    device = app_client()
    key = people.keys[EMP_A]
    ingest(device, key, [week("=cmd|' /C calc'!A0")], "weeks")
    client = app_client()
    people.login_as(client, ADMIN)
    text = client.get(f"/api/v1/reports/teams/1/logged-work.csv{RANGE}").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert "'=cmd|' /C calc'!A0" in [r["week_label"] for r in rows]
    assert not any(r["week_label"].startswith("=") for r in rows)
    assert client.get(f"/api/v1/reports/employees/{EMP_A}/logged-work?from=2026-11-30&to=2026-11-01").status_code == 422
    assert client.get("/teams/1/logged-work?from=2025-01-01&to=2026-11-30").status_code == 422


def test_pages_link_to_logged_work(people: People, world: None, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    people.login_as(client, MANAGER)
    assert 'href="/teams/1/logged-work"' in client.get("/teams/1").text
    assert f'href="/employees/{EMP_A}/logged-work"' in client.get(f"/employees/{EMP_A}").text
    page = client.get(f"/teams/1/logged-work{RANGE}").text
    assert "2h 00m" in page and "1h 10m" in page and "10.00 for 1h 00m" in page and "2 of 3 (67 %)" in page


def test_my_data_holds_the_weeks_and_tasks(people: People, world: None, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    people.login_as(client, EMPLOYEE_A)
    summary = client.get("/me").text
    assert "worklog_tasks" in summary and "worklog_history" in summary
    export = json.loads(client.get("/me/export.json").content)
    assert [w["week_label"] for w in export["worklog_weeks"]] == [marker(EMP_A)]
    assert len(export["worklog_week_aliases"]) == 1
    assert len(export["worklog_tasks"]) == 5  # the deleted one too: everything stored about the employee
    assert FORMULA_PROJECT in {t["project_name"] for t in export["worklog_tasks"]}
    assert len(export["worklog_history"]) == 7
    assert all(r["emp_id"] == EMP_A for table in ("worklog_weeks", "worklog_tasks", "worklog_history")
               for r in export[table])
