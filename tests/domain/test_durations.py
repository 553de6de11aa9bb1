"""Durations typed like in Toggl/Clockify (task dialog and task CLI); the legacy parser keeps MM:SS."""

from __future__ import annotations

import pytest

from app.domain.durations import DurationError, describe_duration, parse_entry_duration
from app.domain.timeparse import parse_duration
from app.domain.validation import validate_task
from app.errors import ValidationError


@pytest.mark.parametrize(("text", "seconds"), [
    ("1:30", 5400), ("1:30:00", 5400), ("0:45", 2700), ("10:00:05", 36005),
    ("90m", 5400), ("1h30m", 5400), ("1h 30m", 5400), ("1H30M", 5400), ("1.5h", 5400), ("1,5h", 5400),
    ("45m", 2700), ("45 min", 2700), ("30s", 30), ("2 hours", 7200), ("1h 0m 5s", 3605), ("1.5m", 90),
    ("95", 95 * 60), ("2.5", 150), ("  95  ", 95 * 60), ("", 0), (None, 0), (0, 0), (5400, 5400),
])
def test_accepted_forms(text: object, seconds: int) -> None:
    assert parse_entry_duration(text) == seconds


@pytest.mark.parametrize(("text", "needle"), [
    ("abc", "not a duration"), ("1:3", "not a duration"), ("1:60", "not a duration"), ("1h30", "not a duration"),
    ("-5", "negative"), ("-1:30", "negative"), (-1, "negative"), ("5x", "unknown unit"), ("1h 2h", "twice"),
    ("0.5s", "whole number"), ("1001h", "more than 1000 hours"), ("60001", "more than 1000 hours"),
    (True, "not a duration"), (1.5, "not a duration"), ("1h\x00", "not a duration"),
])
def test_junk_negative_and_absurd_are_refused_with_a_reason(text: object, needle: str) -> None:
    with pytest.raises(DurationError, match=needle):
        parse_entry_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [
    (5400, "1 h 30 min"), (3600, "1 h 00 min"), (3605, "1 h 00 min 05 s"), (2700, "45 min"), (30, "30 s"),
    (0, "0 s"), (95, "1 min 35 s"),
])
def test_describe_duration(seconds: int, text: str) -> None:
    assert describe_duration(seconds) == text


def test_task_validation_uses_the_entry_parser_and_names_the_field() -> None:
    assert validate_task({"duration": "1:30", "time_limit": "2h"})["duration_seconds"] == 5400
    assert validate_task({"duration": "1:30"})["duration_display"] == "01:30:00"
    with pytest.raises(ValidationError) as caught:
        validate_task({"time_limit": "soon"})
    assert caught.value.field == "time_limit" and "1h30m" in str(caught.value)


def test_the_legacy_parser_keeps_its_documented_mm_ss() -> None:
    assert parse_duration("125:30") == 125 * 60 + 30
    assert parse_duration("95") == 95
    assert parse_entry_duration("125:30") == 125 * 3600 + 30 * 60


def test_blank_score_is_no_score() -> None:
    assert validate_task({"score": ""})["score"] is None
    assert validate_task({"score": "  "})["score"] is None
    assert validate_task({})["score"] is None
    assert validate_task({"score": "0"})["score"] == 0
