"""Property: every record that passes validation is stored by real PostgreSQL (issue 13).

Hypothesis builds records of every stream from the edges of each field's range (subnormal floats,
astral and combining characters, the oldest and newest accepted instants, every zone offset); any
that validation accepts must come back ``accepted`` and never "not storable" or a 5xx.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from ingestion.validation import MAX_AGE, STREAMS, ZONES
from tests.server.records import headers, passes

ZONE_NAMES = sorted(ZONES)

percent = st.floats(min_value=0, max_value=100, allow_subnormal=True) | st.integers(0, 100)
seconds = st.integers(0, 86_400)
any_text = st.text(st.characters(codec="utf-8"), max_size=40)


def _texts(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.text(st.characters(codec="utf-8"), min_size=lo, max_size=min(hi, 60)) | st.text(
        st.characters(codec="utf-8"), min_size=max(lo, hi - 2), max_size=hi)


_ANCHOR = [datetime.now(UTC)]


def _now() -> datetime:
    """The instant the running test started: fresh for every test (the suite may run for many minutes
    after this module is imported), yet fixed while Hypothesis replays and shrinks, which requires
    the same draws to have the same bounds."""
    return _ANCHOR[0]


@st.composite
def instant(draw: st.DrawFn, not_before: datetime | None = None, not_after: datetime | None = None) -> str:
    now = _now()
    earliest = not_before or now - MAX_AGE + timedelta(minutes=5)
    latest = min(not_after or now + timedelta(seconds=200), now + timedelta(seconds=200))
    moment = draw(st.datetimes(min_value=earliest.replace(tzinfo=None), max_value=latest.replace(tzinfo=None)))
    offset = draw(st.integers(-23 * 60 - 59, 23 * 60 + 59))
    local = moment.replace(tzinfo=UTC) + timedelta(minutes=offset)
    sign = "+" if offset >= 0 else "-"
    zone = "Z" if offset == 0 and draw(st.booleans()) else f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    fraction = draw(st.sampled_from(["", ".5", ".123456"]))
    return local.strftime("%Y-%m-%dT%H:%M:%S") + fraction + zone


@st.composite
def span(draw: st.DrawFn) -> dict[str, Any]:
    started = draw(instant())
    begin = datetime.fromisoformat(started).astimezone(UTC)
    ended = draw(instant(not_before=begin, not_after=begin + timedelta(seconds=86_400)))
    return {"client_id": str(uuid.uuid4()), "started_at": started, "ended_at": ended,
            "tz": draw(st.sampled_from(ZONE_NAMES))}


def _day(draw: st.DrawFn) -> str:
    today = _now().date()
    chosen: date = draw(st.dates(min_value=today - MAX_AGE, max_value=today + timedelta(days=1)))
    return chosen.isoformat()


@st.composite
def heartbeat(draw: st.DrawFn) -> dict[str, Any]:
    record = draw(span())
    record.update(status=draw(st.sampled_from(["active", "idle", "locked", "offline"])),
                  cpu_percent=draw(percent), memory_percent=draw(percent),
                  process_name=draw(_texts(0, 256)), window_title=draw(_texts(0, 1024)),
                  domain=draw(st.none() | _texts(1, 253)), url=draw(st.none() | _texts(1, 2048)),
                  battery_level=draw(st.none() | percent), battery_plugged=draw(st.none() | st.booleans()),
                  geo=draw(st.none() | st.fixed_dictionaries({
                      "lat": st.floats(-90, 90, allow_subnormal=True),
                      "lon": st.floats(-180, 180, allow_subnormal=True)})))
    return record


@st.composite
def timeline(draw: st.DrawFn) -> dict[str, Any]:
    record = draw(span())
    record.update(kind=draw(st.sampled_from(["app", "web", "idle", "task"])), label=draw(_texts(0, 1024)),
                  task_id=draw(st.none() | _texts(1, 128)))
    return record


@st.composite
def website_usage(draw: st.DrawFn) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "date": _day(draw), "domain": draw(_texts(1, 253)),
            "duration_seconds": draw(seconds), "tag": draw(st.sampled_from(["productive", "unproductive",
                                                                            "neutral"])),
            "updated_at": draw(instant())}


@st.composite
def productivity(draw: st.DrawFn) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "date": _day(draw), "productive_seconds": draw(seconds),
            "unproductive_seconds": draw(seconds), "neutral_seconds": draw(seconds),
            "idle_seconds": draw(seconds), "score": draw(percent), "updated_at": draw(instant())}


@st.composite
def wellness(draw: st.DrawFn) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "date": _day(draw), "active_seconds": draw(seconds),
            "break_count": draw(st.integers(0, 1440)), "longest_streak_seconds": draw(seconds),
            "overtime_seconds": draw(seconds), "updated_at": draw(instant())}


STRATEGIES = {"heartbeats": heartbeat(), "timeline": timeline(), "website_usage": website_usage(),
              "productivity": productivity(), "wellness": wellness()}


@pytest.mark.parametrize("stream", sorted(STRATEGIES))
def test_every_valid_record_is_storable(client: TestClient, key: str, stream: str) -> None:
    _ANCHOR[0] = datetime.now(UTC).replace(microsecond=0)

    @settings(max_examples=40, deadline=None, suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.lists(STRATEGIES[stream], min_size=1, max_size=8))
    def check(records: list[dict[str, Any]]) -> None:
        records = [r for r in records if passes(STREAMS[stream], r)]
        assume(records)
        response = client.post(f"/api/v1/ingest/{stream}", headers=headers(key),
                               content=json.dumps({"records": records}))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["rejected"] == [], (body["rejected"], records)
        assert body["accepted"] + body["duplicates"] == len(records)

    check()
