"""Known weeks and tasks for the Logged work tests, sent through the real ingest API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.testclient import TestClient

from tests.team.conftest import ingest, span

SCRIPT_LABEL = "<script>window.__pwned = 1; alert('w')</script> W48"
FORMULA_PROJECT = "=HYPERLINK(\"http://evil\")"
SCRIPT_PROJECT = "<img src=x onerror=\"window.__pwned=2\"><script>window.__pwned = 3</script>"


def week(label: str, start: str = "2026-11-23", **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "client_id": str(uuid.uuid4()), "week_label": label, "start_date": start, "week_start_day": 0,
        "week_start_hour": 0, "week_end_day": 6, "week_end_hour": 23, "is_custom_duration": False,
        "is_bonus_week": True, "bonus_rate": 10.0, "bonus_threshold_seconds": 3600, "notes": "",
        "created_at": "2026-11-23 08:00:00", "updated_at": "2026-11-24T09:00:00.000Z", "deleted_at": None}
    record.update(changes)
    return record


def task(week_id: str, duration: int, limit: int, score: int | None, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "client_id": str(uuid.uuid4()), "week_client_id": week_id, "attempt_id": None, "duration_seconds": duration,
        "project_id": None, "project_name": "Search", "operation_id": None, "time_limit_seconds": limit,
        "date_audited": "2026-11-24", "score": score, "feedback": None, "locale": None, "bonus_paid": False,
        "time_begin": None, "time_end": None, "created_at": "2026-11-24 09:00:00",
        "updated_at": "2026-11-24T10:00:00.000Z", "deleted_at": None}
    record.update(changes)
    return record


def load_known_week(client: TestClient, key: str, second_key: str, label: str,
                    project: str = "Search") -> dict[str, Any]:
    """Employee's week 2026-11-23 (Berlin): 4 live tasks (one sent by a second laptop under its own week
    UUID, merged as an alias), one deleted; heartbeats inside and outside the week. Returns the week."""
    main = week(label)
    other = week(label.lower(), updated_at="2026-11-24T08:00:00.000Z")  # older: main's fields stay
    ingest(client, key, [main], "weeks")
    ingest(client, second_key, [other], "weeks")
    ingest(client, key, [task(main["client_id"], 1800, 2400, 4, project_name=project),
                         task(main["client_id"], 3600, 3000, None, project_name=project),
                         task(main["client_id"], 1200, 0, 5, project_name=FORMULA_PROJECT),
                         task(main["client_id"], 9999, 0, 1, deleted_at="2026-11-24T10:00:00.000Z")], "tasks")
    ingest(client, second_key, [task(other["client_id"], 600, 600, 3, project_name=project)], "tasks")
    ingest(client, key, [
        span(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), 3600),
        span(datetime(2026, 11, 22, 23, 30, tzinfo=UTC), 600),  # Monday 00:30 in Berlin: inside
        span(datetime(2026, 11, 30, 10, 0, tzinfo=UTC), 900),  # the next week: outside
        span(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), 1200, "idle"),  # not active
    ])
    return main


EXPECTED = {"logged_seconds": 7200, "tasks": 4, "avg_score": 4.0, "scored_tasks": 3, "is_bonus_week": True,
            "bonus_eligible_seconds": 3600, "bonus_amount": 10.0, "limited_tasks": 3, "within_limit_tasks": 2,
            "within_limit_percent": 66.7, "monitored_active_seconds": 4200, "start_date": "2026-11-23"}
