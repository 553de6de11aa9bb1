"""A hostile ``Retry-After`` (hundreds of digits, a year 99999, a 20-digit hour) is read as "wait long" or
"unreadable", never raised: it crashed the sync cycle and the restore, which share the parser."""

from __future__ import annotations

from typing import Any

import pytest

from app.sync.client import ApiClient, check_connection
from app.sync.policy import RETRY_AFTER_MAX, Action, Decision, decide, parse_retry_after
from tests.sync.replay import JSON, VALID_KEY, seed_heartbeats

NOW = 1_800_000_000.0
HEALTH = b'{"status":"healthy"}'


@pytest.mark.parametrize("value", ["1" + "0" * 400, "9" * 5000, "12345678901", "0" * 5000 + "99999999999"])
def test_huge_number_is_the_maximum(value: str) -> None:
    assert parse_retry_after(value, NOW) == RETRY_AFTER_MAX
    assert decide("ingest", 429, retry_after=value, now=NOW) == Decision(Action.RETRY_AFTER, RETRY_AFTER_MAX)


def test_leading_zeros_still_count_as_the_number() -> None:
    assert parse_retry_after("0" * 5000 + "7", NOW) == 7


@pytest.mark.parametrize("value", [
    "²",  # str.isdigit() says yes, int() says no
    "Sat, 01 Jan 99999 00:00:00 GMT",
    "Sat, 01 Jan 2028 99999999999999999999:00:00 GMT",
    "Sat, 99999999999999999999 Jan 2028 00:00:00 GMT",
    "Sat, 01 Jan 2028 00:00:00 +99999999999999999999",
    "Sat, 01 Jan " + "9" * 5000 + " 00:00:00 GMT",
])
def test_hostile_value_is_unreadable_and_backs_off(value: str) -> None:
    assert parse_retry_after(value, NOW) is None
    assert decide("ingest", 503, retry_after=value, now=NOW).action is Action.BACKOFF


@pytest.mark.parametrize("value", ["1" + "0" * 400, "9" * 5000])
def test_cycle_waits_the_maximum_instead_of_failing(sync_env: Any, value: str) -> None:
    seed_heartbeats(sync_env.conn, 3)
    sync_env.server.script = [lambda seen: (429, {**JSON, "Retry-After": value}, b'{"error":"rate_limited"}')]
    engine = sync_env.engine()
    result = engine.run_cycle()
    assert engine.last_action is Action.RETRY_AFTER
    assert result.state == "unreachable" and "Unexpected" not in result.detail, result.detail
    assert RETRY_AFTER_MAX <= engine.next_attempt_at - sync_env.clock.now <= 2 * RETRY_AFTER_MAX


def test_connection_test_shows_the_number_not_the_header(sync_env: Any) -> None:
    sync_env.server.script = [lambda seen: (200, JSON, HEALTH),
                              lambda seen: (429, {**JSON, "Retry-After": "9" * 5000}, b'{"error":"rate_limited"}')]
    report = check_connection(ApiClient(sync_env.server.url, VALID_KEY))
    assert report["problem"] == "rate_limited"
    assert report["message"] == "Rate limited; try again in 3600 s"
