"""Property: every worklog record that passes validation is stored, and read back exactly (issue 13's
rule, applied to the worklog streams of §6.9-§6.10).

Hypothesis builds weeks and tasks from the edges of each field's range (year 1 and year 9999 dates, sync
times from year 1 up to now, subnormal and huge rates, int4's limits, astral, combining and control
characters); any that validation accepts must be ``accepted`` (never "not storable", never a 5xx) and
come back from ``/api/v1/me/weeks`` and ``/api/v1/me/tasks`` with the same value in every field.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from ingestion.worklog.validation import INT4_MAX, INT4_MIN, TASKS, WEEKS
from tests.server.records import headers, passes
from tests.server.worklog_records import read_all

any_text = st.characters(codec="utf-8")


def _text(hi: int) -> st.SearchStrategy[str]:
    """Short text, or text of exactly the longest allowed length (a drawn piece repeated: cheap to draw)."""
    return st.text(any_text, max_size=min(hi, 60)) | st.text(any_text, min_size=1, max_size=4).map(
        lambda piece: (piece * hi)[:hi])


@st.composite
def sync_time(draw: st.DrawFn) -> str:
    moment = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime.now(UTC).replace(tzinfo=None)))
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _date() -> st.SearchStrategy[str]:
    return st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}")


count = st.integers(0, INT4_MAX)
rate = (st.floats(min_value=0, allow_nan=False, allow_infinity=False, allow_subnormal=True)
        | st.integers(0, 10 ** 300))
long_text = st.none() | _text(10_000)
app_time = st.none() | _text(40)


def _unique_label(drawn: str) -> str:
    """The drawn text with a unique ending, still 1-100 characters: weeks of one label are one week (§6.9
    merges them), and each drawn week must come back as itself."""
    return drawn[:91] + " " + uuid.uuid4().hex[:8]


@st.composite
def week(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()), "week_label": _unique_label(draw(_text(100))),
        "start_date": draw(st.none() | _date()), "week_start_day": draw(st.integers(0, 6)),
        "week_start_hour": draw(st.integers(0, 23)), "week_end_day": draw(st.integers(0, 6)),
        "week_end_hour": draw(st.integers(0, 23)), "is_custom_duration": draw(st.booleans()),
        "is_bonus_week": draw(st.booleans()), "bonus_rate": draw(rate), "bonus_threshold_seconds": draw(count),
        "notes": draw(_text(10_000)), "created_at": draw(_text(40)), "updated_at": draw(sync_time()),
        "deleted_at": draw(st.none() | sync_time()),
    }


@st.composite
def task(draw: st.DrawFn, week_ids: list[str]) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()), "week_client_id": draw(st.sampled_from(week_ids)),
        "attempt_id": draw(long_text), "duration_seconds": draw(count), "project_id": draw(long_text),
        "project_name": draw(long_text), "operation_id": draw(long_text), "time_limit_seconds": draw(count),
        "date_audited": draw(app_time), "score": draw(st.none() | st.integers(INT4_MIN, INT4_MAX)),
        "feedback": draw(long_text), "locale": draw(long_text), "bonus_paid": draw(st.booleans()),
        "time_begin": draw(app_time), "time_end": draw(app_time), "created_at": draw(_text(40)),
        "updated_at": draw(sync_time()), "deleted_at": draw(st.none() | sync_time()),
    }


def _same(sent: dict[str, Any], stored: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields whose stored value differs from the sent one (a rate is a double: compared as one)."""
    return {name: (value, stored.get(name)) for name, value in sent.items()
            if (float(value) if name == "bonus_rate" else value) != stored.get(name)}


def _post(client: TestClient, key: str, stream: str, records: list[dict[str, Any]]) -> None:
    response = client.post(f"/api/v1/ingest/{stream}", headers=headers(key), content=json.dumps({"records": records}))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rejected"] == [] and body["accepted"] == len(records), (body, records)


def test_every_valid_worklog_record_is_stored_and_read_back_exactly(client: TestClient, key: str) -> None:
    @settings(max_examples=30, deadline=None, suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.lists(week(), min_size=1, max_size=4).flatmap(
        lambda weeks: st.tuples(st.just(weeks), st.lists(task([w["client_id"] for w in weeks]), max_size=6))))
    def check(drawn: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        weeks = [w for w in drawn[0] if passes(WEEKS, w)]
        assume(weeks)
        kept = {w["client_id"] for w in weeks}
        tasks = [t for t in drawn[1] if t["week_client_id"] in kept and passes(TASKS, t)]
        _post(client, key, "weeks", weeks)
        if tasks:
            _post(client, key, "tasks", tasks)
        stored_weeks = {r["client_id"]: r for r in read_all(client, key, "weeks")[0]}
        stored_tasks = {r["client_id"]: r for r in read_all(client, key, "tasks")[0]}
        for sent, stored in [(w, stored_weeks) for w in weeks] + [(t, stored_tasks) for t in tasks]:
            assert sent["client_id"] in stored, sent
            assert _same(sent, stored[sent["client_id"]]) == {}

    check()
