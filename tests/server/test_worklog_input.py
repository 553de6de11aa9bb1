"""Bad worklog input (INGESTION_API.md §6.9-§6.10, §4.4): each bad record rejected alone with its field, the
rest stored; 403 for a foreign employee with nothing stored; the age limit not applied; counted in /metrics
and ingest_log; a record PostgreSQL still refuses is rejected alone."""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.server.conftest import EMP, count_rows
from tests.server.records import headers
from tests.server.worklog_records import read_all, send, task, week
from tests.support.pg import connect
from tests.support.server import create_key

W = "6f1f4b2a-3c9d-4e8f-a1b2-0c3d4e5f6a01"

BAD_WEEKS: list[tuple[str, dict[str, Any]]] = [
    ("week_label", {"week_label": ""}),
    ("week_label", {"week_label": "x" * 101}),
    ("week_label", {"week_label": "tab\there"}),
    ("week_label", {"week_label": "del\x7f"}),
    ("week_label", {"week_label": "nul\x00"}),
    ("week_label", {"week_label": "bad \ud800 surrogate"}),
    ("start_date", {"start_date": "2026-02-30"}),
    ("start_date", {"start_date": "23.11.2026"}),
    ("week_end_hour", {"week_end_hour": 24}),
    ("week_start_day", {"week_start_day": 1.0}),
    ("is_bonus_week", {"is_bonus_week": 0}),
    ("bonus_rate", {"bonus_rate": -0.5}),
    ("bonus_rate", {"bonus_rate": 10 ** 400}),
    ("bonus_rate", {"bonus_rate": "12.5"}),
    ("bonus_threshold_seconds", {"bonus_threshold_seconds": 2 ** 31}),
    ("notes", {"notes": "n" * 10_001}),
    ("notes", {"notes": None}),
    ("created_at", {"created_at": "c" * 41}),
    ("updated_at", {"updated_at": "2026-11-24T09:00:00.000+00:00"}),
    ("updated_at", {"updated_at": "2026-11-24T09:00:00.0Z"}),
    ("updated_at", {"updated_at": "2026-13-24T09:00:00.000Z"}),
    ("updated_at", {"updated_at": "2999-01-01T00:00:00.000Z"}),
    ("deleted_at", {"deleted_at": "2999-01-01T00:00:00.000Z"}),
    ("client_id", {"client_id": "00000000-0000-0000-0000-000000000000"}),
    ("extra", {"extra": 1}),
]


@pytest.mark.parametrize(("field", "change"), BAD_WEEKS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_WEEKS)])
def test_bad_week_field_is_rejected_alone(client: TestClient, key: str, clean_db: str, field: str,
                                          change: dict[str, Any]) -> None:
    good, bad = week(label="good"), dict(week(label="bad"), **change)
    body = client.post("/api/v1/ingest/weeks", content=json.dumps({"records": [good, bad]}), headers=headers(key))
    assert body.status_code == 200
    result = body.json()
    assert result["accepted"] == 1 and len(result["rejected"]) == 1
    assert result["rejected"][0]["index"] == 1 and result["rejected"][0]["error"].startswith(f"{field}: ")
    assert count_rows(clean_db, "worklog_weeks") == 1 and count_rows(clean_db, "worklog_history") == 1


BAD_TASKS: list[tuple[str, dict[str, Any]]] = [
    ("week_client_id", {"week_client_id": None}),
    ("week_client_id", {"week_client_id": "not-a-uuid"}),
    ("project_name", {"project_name": "p" * 10_001}),
    ("feedback", {"feedback": "a\x00b"}),
    ("duration_seconds", {"duration_seconds": 12.0}),
    ("duration_seconds", {"duration_seconds": -1}),
    ("time_limit_seconds", {"time_limit_seconds": 2 ** 31}),
    ("date_audited", {"date_audited": "d" * 41}),
    ("score", {"score": 2 ** 31}),
    ("score", {"score": 3.5}),
    ("score", {"score": True}),
    ("bonus_paid", {"bonus_paid": None}),
    ("time_end", {"time_end": 20261124}),
    ("updated_at", {"updated_at": None}),
    ("emp", {"emp": 1001}),
]


@pytest.mark.parametrize(("field", "change"), BAD_TASKS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_TASKS)])
def test_bad_task_field_is_rejected_alone(client: TestClient, key: str, clean_db: str, field: str,
                                          change: dict[str, Any]) -> None:
    good, bad = task(W), dict(task(W), **change)
    result = send(client, key, "tasks", [bad, good])
    assert result["accepted"] == 1 and [r["index"] for r in result["rejected"]] == [0]
    assert result["rejected"][0]["error"].startswith(f"{field}: ")
    assert result["rejected"][0]["client_id"] == bad["client_id"]
    assert count_rows(clean_db, "worklog_tasks") == 1


def test_extremes_that_are_valid_are_stored_exactly(client: TestClient, key: str) -> None:
    w = week(label="L" * 100, notes="<script>alert(1)</script>" + "n" * 9_975, bonus_rate=1e308,
             bonus_threshold_seconds=2 ** 31 - 1, start_date=None, created_at="")
    send(client, key, "weeks", [w])
    t = task(w["client_id"], score=-(2 ** 31), project_name="p" * 10_000, attempt_id=None, time_begin=None,
             duration_seconds=2 ** 31 - 1, feedback="emoji \U0001f600 ok")
    send(client, key, "tasks", [t])
    [stored_week] = read_all(client, key, "weeks")[0]
    [stored_task] = read_all(client, key, "tasks")[0]
    assert {k: stored_week[k] for k in w} == w
    assert {k: stored_task[k] for k in t} == t


def test_age_limit_does_not_apply(client: TestClient, key: str) -> None:
    w = week(label="2019-W10", start_date="2019-03-04", updated_at="2019-03-08T17:00:00.000Z")
    assert send(client, key, "weeks", [w])["accepted"] == 1
    old = task(w["client_id"], date_audited="2019-03-05", updated_at="2001-01-01T00:00:00.000Z")
    assert send(client, key, "tasks", [old])["accepted"] == 1


def test_foreign_emp_id_is_403_and_nothing_is_stored(client: TestClient, key: str, clean_db: str) -> None:
    for stream, records in (("weeks", [week(), dict(week(), emp_id=2002)]),
                            ("tasks", [task(W), dict(task(W), emp_id="1001")])):
        response = client.post(f"/api/v1/ingest/{stream}", json={"records": records}, headers=headers(key))
        assert response.status_code == 403 and response.json()["error"] == "forbidden"
    for table in ("worklog_weeks", "worklog_tasks", "worklog_history"):
        assert count_rows(clean_db, table) == 0
    assert send(client, key, "tasks", [dict(task(W), emp_id=EMP)])["accepted"] == 1


def test_envelope_and_body_errors_as_for_every_stream(client: TestClient, key: str) -> None:
    post = client.post
    assert post("/api/v1/ingest/tasks", content=b'{"records": [NaN]}', headers=headers(key)).status_code == 400
    assert post("/api/v1/ingest/weeks", json={"records": {}}, headers=headers(key)).status_code == 422
    assert post("/api/v1/ingest/tasks", json={"records": [{}] * 1001}, headers=headers(key)).status_code == 413
    zipped = gzip.compress(json.dumps({"records": [task(W)]}).encode())
    response = post("/api/v1/ingest/tasks", content=zipped, headers=headers(key, **{"Content-Encoding": "gzip"}))
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert post("/api/v1/ingest/weeks", json={"records": []}).status_code == 401


def test_counted_in_metrics_and_ingest_log(client: TestClient, key: str, clean_db: str) -> None:
    def metric(stream: str, outcome: str) -> float:
        text = client.get("/metrics").text
        line = f'wfh_ingest_records_total{{outcome="{outcome}",stream="{stream}"}}'
        return next((float(row.split()[-1]) for row in text.splitlines() if row.startswith(line)), 0.0)

    before = {(s, o): metric(s, o) for s in ("weeks", "tasks") for o in ("accepted", "duplicate", "rejected")}
    w = week()
    send(client, key, "weeks", [w, dict(week(), week_label="")])
    send(client, key, "tasks", [task(w["client_id"]), task(w["client_id"], notes=1)])
    send(client, key, "weeks", [w])
    assert metric("weeks", "accepted") - before["weeks", "accepted"] == 1
    assert metric("weeks", "duplicate") - before["weeks", "duplicate"] == 1
    assert metric("weeks", "rejected") - before["weeks", "rejected"] == 1
    assert metric("tasks", "accepted") - before["tasks", "accepted"] == 1
    assert metric("tasks", "rejected") - before["tasks", "rejected"] == 1
    with connect(clean_db) as conn:
        rows = conn.execute("SELECT endpoint, accepted, duplicates, rejected FROM ingest_log"
                            " ORDER BY ingest_id").fetchall()
    assert rows == [("weeks", 1, 0, 1), ("tasks", 1, 0, 1), ("weeks", 0, 1, 0)]


def test_a_record_postgresql_refuses_is_rejected_alone(client: TestClient, key: str, clean_db: str) -> None:
    with connect(clean_db) as conn:  # a constraint validation does not know: stands for a server bug
        conn.execute("ALTER TABLE worklog_tasks ADD CONSTRAINT test_refuse CHECK (project_name <> 'refuse me')")
    try:
        records = [task(W), task(W, project_name="refuse me"), task(W)]
        result = send(client, key, "tasks", records)
        assert result["accepted"] == 2
        assert [(r["index"], r["error"]) for r in result["rejected"]] == [
            (1, "record: not storable (CheckViolation)")]
        assert count_rows(clean_db, "worklog_tasks") == 2
    finally:
        with connect(clean_db) as conn:
            conn.execute("ALTER TABLE worklog_tasks DROP CONSTRAINT test_refuse")


def test_concurrent_batches_of_two_devices_neither_deadlock_nor_lose(clean_db: str, key: str,
                                                                   client_for: Any) -> None:
    """Two devices (two app instances, two pools) send overlapping task sets at once, each in reverse order
    of the other: every batch answers 200 and the final state is the winner of every task."""
    key2 = create_key(clean_db, EMP, "TEST-LAPTOP-2")
    w = week()
    first = client_for(clean_db, rate_per_minute=60_000.0, rate_burst=10_000)
    second = client_for(clean_db, rate_per_minute=60_000.0, rate_burst=10_000)
    send(first, key, "weeks", [w])
    ids = [str(uuid.uuid4()) for _ in range(200)]
    errors: list[str] = []

    def run(client: TestClient, k: str, minutes: int, order: list[str]) -> None:
        for start in range(0, len(order), 50):
            chunk = [task(w["client_id"], i, minutes, feedback=f"m{minutes}") for i in order[start:start + 50]]
            response = client.post("/api/v1/ingest/tasks", json={"records": chunk}, headers=headers(k))
            if response.status_code != 200:
                errors.append(response.text)

    threads = [threading.Thread(target=run, args=(first, key, 5, ids)),
               threading.Thread(target=run, args=(second, key2, 6, ids[::-1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    records, _ = read_all(first, key, "tasks")
    assert len(records) == 200 and {r["feedback"] for r in records} == {"m6"}
    with connect(clean_db) as conn:
        row = conn.execute("SELECT count(*) FROM worklog_history WHERE kind = 'task'").fetchone()
    assert row is not None and row[0] == 400  # both devices' versions of every task
