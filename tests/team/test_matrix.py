"""The authorization matrix: every reports route and page x every role x employees of the viewer's
own and of another team. Allowed answers show the employee's data; refused ones are 403 with none of
it. Without a session: 401 for the API, the login page for pages and screenshots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

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
    png,
    span,
    upload_screenshot,
)

DAY = "2026-08-03"
R = "/api/v1/reports/employees/{e}/"
RANGE = f"?from={DAY}&to={DAY}"
EMPLOYEE_ROUTES = [R + "days" + RANGE, R + "days.csv" + RANGE, R + "hours" + RANGE, R + "hours.csv" + RANGE,
                   R + "apps" + RANGE, R + "apps.csv" + RANGE, R + "domains" + RANGE, R + "domains.csv" + RANGE,
                   R + f"timeline?date={DAY}", R + f"timeline.csv?date={DAY}", R + "screenshots" + RANGE,
                   R + "screenshots.csv" + RANGE, "/employees/{e}?date=" + DAY, "/employees/{e}/week?date=" + DAY,
                   "{shot}", "{shot}?size=thumb"]
SHOWS_TITLE = {R + f"timeline?date={DAY}", R + f"timeline.csv?date={DAY}", "/employees/{e}?date=" + DAY}
TEAM_ROUTES = ["/api/v1/reports/teams/{t}/employees" + RANGE, "/api/v1/reports/teams/{t}/employees.csv" + RANGE,
               "/api/v1/reports/teams/{t}/devices", "/api/v1/reports/teams/{t}/devices.csv", "/teams/{t}"]
ADMIN_ROUTES = ["/admin/users", "/admin/keys"]
# Who sees whom: team A = employees 501, 502 (manager@), team B = employee 601 (bea@).
SEES = {ADMIN: {EMP_A, EMP_A2, EMP_B}, MANAGER: {EMP_A, EMP_A2}, EMPLOYEE_A: {EMP_A}, EMPLOYEE_B: {EMP_B},
        MANAGER_B: {EMP_B}}
TEAMS = {ADMIN: {1, 2}, MANAGER: {1}, EMPLOYEE_A: set(), EMPLOYEE_B: set(), MANAGER_B: {2}}


def marker(emp_id: int) -> str:
    return f"SECRET-TITLE-{emp_id}"


@pytest.fixture
def world(people: People, app_client: Callable[[], TestClient]) -> dict[int, str]:
    """Each employee's marker title ingested on DAY and one screenshot; returns the screenshot URLs."""
    device = app_client()
    shots = {}
    for emp_id in (EMP_A, EMP_A2, EMP_B):
        key = people.keys[emp_id]
        ingest(device, key, [span(datetime(2026, 8, 3, 9, 0, tzinfo=UTC), 1200, title=marker(emp_id))])
        client_id = upload_screenshot(device, key, datetime(2026, 8, 3, 9, 5, tzinfo=UTC), png(seed=emp_id))
        shots[emp_id] = f"/screenshots/{emp_id - 500 if emp_id < 600 else 3}/{client_id}"
    return shots


def _url(template: str, emp_id: int, shots: dict[int, str]) -> str:
    return template.format(e=emp_id, shot=shots[emp_id])


@pytest.mark.parametrize("email", list(SEES))
def test_every_route_for_every_role(email: str, people: People, world: dict[int, str],
                                    app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    assert people.login_as(client, email).status_code == 303
    checked = 0
    for emp_id in (EMP_A, EMP_A2, EMP_B):
        for template in EMPLOYEE_ROUTES:
            url = _url(template, emp_id, world)
            response = client.get(url, follow_redirects=False)
            if emp_id in SEES[email]:
                assert response.status_code == 200, (email, url, response.text[:200])
                if template in SHOWS_TITLE:
                    assert marker(emp_id) in response.text, (email, url)
            else:
                assert response.status_code == 403, (email, url, response.status_code)
                assert marker(emp_id) not in response.text and str(emp_id) not in response.text.replace(
                    url, ""), (email, url)
            checked += 1
    for team_id in (1, 2):
        for template in TEAM_ROUTES:
            url = template.format(t=team_id)
            response = client.get(url, follow_redirects=False)
            expected = 200 if team_id in TEAMS[email] else 403
            assert response.status_code == expected, (email, url, response.status_code)
            if expected == 403:
                assert all(str(e) not in response.text for e in (EMP_A, EMP_A2, EMP_B)), (email, url)
            checked += 1
    for url in ADMIN_ROUTES:
        response = client.get(url)
        assert response.status_code == (200 if email == ADMIN else 403), (email, url)
        checked += 1
    assert checked == 3 * len(EMPLOYEE_ROUTES) + 2 * len(TEAM_ROUTES) + len(ADMIN_ROUTES)


def test_without_a_session_nothing_is_shown(people: People, world: dict[int, str],
                                            app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    for template in EMPLOYEE_ROUTES + TEAM_ROUTES + ADMIN_ROUTES + ["/me", "/me/export.json", "/"]:
        url = _url(template.replace("{t}", "1"), EMP_A, world)
        response = client.get(url, follow_redirects=False)
        if url.startswith("/api/"):
            assert response.status_code == 401, url
        else:
            assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), url
        assert marker(EMP_A) not in response.text


def test_unknown_ids_look_like_forbidden_ones(people: People, app_client: Callable[[], TestClient]) -> None:
    client = app_client()
    people.login_as(client, MANAGER)
    for url in ["/api/v1/reports/employees/999999/days" + RANGE, "/employees/999999",
                "/api/v1/reports/teams/99/devices", "/teams/99",
                "/screenshots/1/6f1c4c3e-6a4d-4f7e-9d36-1f0b8e1e2a11", "/screenshots/1/not-a-uuid"]:
        assert client.get(url).status_code == 403, url
