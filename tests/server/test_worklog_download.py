"""GET /api/v1/me/weeks and /api/v1/me/tasks (INGESTION_API.md §5.7): paging, cursors, late-resolved tasks,
changes after a cursor, only the key's employee."""

from __future__ import annotations

import uuid

import pytest
from starlette.testclient import TestClient

from ingestion.worklog import cursor
from tests.server.conftest import EMP
from tests.server.worklog_records import fetch, read_all, send, task, week
from tests.support.pg import connect
from tests.support.server import create_key

W = "6f1f4b2a-3c9d-4e8f-a1b2-0c3d4e5f6a01"


def test_paging_returns_every_task_once_in_change_order(client: TestClient, key: str) -> None:
    w = week()
    send(client, key, "weeks", [w])
    ids = sorted(str(uuid.uuid4()) for _ in range(25))
    send(client, key, "tasks", [task(w["client_id"], i) for i in ids])
    pages = []
    since = None
    while True:
        body = fetch(client, key, "tasks", since, 10).json()
        pages.append(len(body["records"]))
        since = body["next_since"]
        if len(body["records"]) < 10:
            break
    assert pages == [10, 10, 5]
    records, last = read_all(client, key, "tasks", limit=10)
    assert [r["client_id"] for r in records] == ids  # one batch is stored in client_id order
    empty = fetch(client, key, "tasks", last, 10).json()
    assert empty == {"records": [], "next_since": last}  # nothing new: the same cursor back


def test_a_change_after_the_cursor_comes_again(client: TestClient, key: str) -> None:
    w = week()
    send(client, key, "weeks", [w])
    a, b = task(w["client_id"], minutes=1), task(w["client_id"], minutes=1)
    send(client, key, "tasks", [a, b])
    _, since = read_all(client, key, "tasks")
    send(client, key, "tasks", [dict(a, feedback="edited", updated_at=task(w["client_id"], minutes=2)["updated_at"])])
    records, _ = read_all(client, key, "tasks", since)
    assert [(r["client_id"], r["feedback"]) for r in records] == [(a["client_id"], "edited")]


def test_task_resolved_late_appears_after_the_cursor(client: TestClient, key: str) -> None:
    w = week()
    early = task(w["client_id"])  # its week is not on the server yet
    other_week = week(label="other")
    send(client, key, "weeks", [other_week])
    send(client, key, "tasks", [early, task(other_week["client_id"])])
    seen, since = read_all(client, key, "tasks")
    assert [r["week_client_id"] for r in seen] == [other_week["client_id"]]
    send(client, key, "weeks", [w])
    later, _ = read_all(client, key, "tasks", since)
    assert [r["client_id"] for r in later] == [early["client_id"]]
    assert later[0]["week_client_id"] == w["client_id"]


def test_task_resolved_through_a_late_alias(client: TestClient, key: str, clean_db: str) -> None:
    key2 = create_key(clean_db, EMP, "TEST-LAPTOP-2")
    a, b = week(label="2026-W01"), week(label="2026-W01")
    send(client, key, "weeks", [a])
    waiting = task(b["client_id"])
    send(client, key2, "tasks", [waiting])
    _, since = read_all(client, key, "tasks")
    _, weeks_since = read_all(client, key, "weeks")
    send(client, key2, "weeks", [b])  # becomes an alias of a
    later, _ = read_all(client, key, "tasks", since)
    assert [(r["client_id"], r["week_client_id"]) for r in later] == [(waiting["client_id"], a["client_id"])]
    changed, _ = read_all(client, key, "weeks", weeks_since)  # the canonical week moved: others learn the alias
    assert [(r["client_id"], r["aliases"]) for r in changed] == [(a["client_id"], [b["client_id"]])]


def test_only_the_keys_employee_is_returned(client: TestClient, key: str, clean_db: str) -> None:
    other = create_key(clean_db, 3003, "OTHER-PC")
    w = week(label="2026-W48")
    send(client, key, "weeks", [w])
    send(client, key, "tasks", [task(w["client_id"])])
    theirs = week(label="2026-W48")  # same label, other employee: no alias across employees
    send(client, other, "weeks", [theirs])
    assert [r["client_id"] for r in read_all(client, other, "weeks")[0]] == [theirs["client_id"]]
    assert read_all(client, other, "tasks")[0] == []
    mine, since = read_all(client, key, "tasks")
    assert len(mine) == 1
    assert fetch(client, other, "tasks", since).status_code == 200  # a cursor grants nothing
    assert fetch(client, other, "tasks", since).json()["records"] == []


@pytest.mark.parametrize("since", ["", "not-a-cursor", "VEAAAAAAAAAA7J3BPQ==", "VEAAAAAAAAAA7J3BPR",
                                   "VEAAAAAAAAAA7J3B", "%%%%%%%%%%%%%%%%%%"])
def test_malformed_cursors_are_400(client: TestClient, key: str, since: str) -> None:
    response = fetch(client, key, "tasks", since)
    assert response.status_code == 400 and response.json()["error"] == "invalid_cursor"


def test_future_and_cross_route_cursors_are_400(client: TestClient, key: str) -> None:
    w = week()
    send(client, key, "weeks", [w])
    _, weeks_cursor = read_all(client, key, "weeks")
    assert weeks_cursor is not None
    assert fetch(client, key, "weeks", weeks_cursor).status_code == 200
    assert fetch(client, key, "tasks", weeks_cursor).json()["error"] == "invalid_cursor"
    position = cursor.decode("weeks", weeks_cursor)
    assert fetch(client, key, "weeks", cursor.encode("weeks", position + 1000)).json()["error"] == "invalid_cursor"


@pytest.mark.parametrize("limit", ["0", "5001", "-1", "abc", "1.5", " 5", "99999999999999999999"])
def test_bad_limits_are_400(client: TestClient, key: str, limit: str) -> None:
    response = client.get("/api/v1/me/weeks", params={"limit": limit}, headers={"X-Api-Key": key})
    assert response.status_code == 400 and response.json()["error"] == "invalid_query"


def test_limit_bounds_and_default(client: TestClient, key: str) -> None:
    send(client, key, "weeks", [week(label=f"W{i}") for i in range(3)])
    assert len(fetch(client, key, "weeks", limit=1).json()["records"]) == 1
    assert len(fetch(client, key, "weeks", limit=5000).json()["records"]) == 3
    assert len(fetch(client, key, "weeks").json()["records"]) == 3


def test_download_needs_a_key_and_counts_against_the_rate_limit(clean_db: str, key: str, client_for: object) -> None:
    assert callable(client_for)
    limited: TestClient = client_for(clean_db, rate_per_minute=1.0, rate_burst=2)
    assert limited.get("/api/v1/me/weeks").status_code == 401
    statuses = [fetch(limited, key, "weeks").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_routes_are_in_openapi(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path in ("/api/v1/me/weeks", "/api/v1/me/tasks"):
        assert "get" in document["paths"][path]
    for path in ("/api/v1/ingest/weeks", "/api/v1/ingest/tasks"):
        assert "post" in document["paths"][path]
    schemas = document["components"]["schemas"]
    for name in ("WeekRecord", "TaskRecord", "StoredWeek", "StoredTask", "WeeksPage", "TasksPage"):
        assert name in schemas
    assert schemas["TaskRecord"]["additionalProperties"] is False


def test_pages_walk_the_index_even_with_stale_statistics(clean_db: str, key: str) -> None:
    """Right after a bulk upload the planner has no statistics; the page query must still read only its
    page through the (emp_id, change_seq) index instead of sorting every later task (issue 18 bench)."""
    from ingestion.worklog.download import _ORDERED_SCAN, _TASKS_SQL

    with connect(clean_db) as conn:
        conn.execute("INSERT INTO worklog_weeks (emp_id, client_id, device_id, week_label, week_start_day,"
                     " week_start_hour, week_end_day, week_end_hour, is_custom_duration, is_bonus_week, bonus_rate,"
                     " bonus_threshold_seconds, notes, created_at, updated_at) VALUES (%s, %s, 1, 'W', 0, 0, 6, 23,"
                     " false, false, 0, 0, '', '', now())", (EMP, W))
        conn.execute("INSERT INTO worklog_tasks (emp_id, client_id, week_client_id, device_id, duration_seconds,"
                     " time_limit_seconds, bonus_paid, created_at, updated_at)"
                     " SELECT %s, gen_random_uuid(), %s, 1, 60, 0, false, '', now() FROM generate_series(1, 20000)",
                     (EMP, W))
        with conn.transaction():
            conn.execute(_ORDERED_SCAN)
            plan = "\n".join(r[0] for r in conn.execute("EXPLAIN (ANALYZE, COSTS OFF) " + _TASKS_SQL,
                                                        (EMP, 0, 5000)).fetchall())
    assert "Index Scan using worklog_tasks_changes_idx" in plan, plan
    assert "rows=5000 loops=1" in plan.split("worklog_tasks_changes_idx")[1].splitlines()[0], plan
