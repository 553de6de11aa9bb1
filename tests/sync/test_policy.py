"""Pure policy: §9 status table, full-jitter backoff, Retry-After parsing and spread."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from app.sync.policy import Action, backoff_bound, backoff_delay, decide, halved, parse_retry_after, retry_after_delay


@pytest.mark.parametrize(("kind", "status", "code", "action"), [
    ("ingest", 200, None, Action.COMMIT), ("screenshot", 201, None, Action.MARK_SYNCED),
    ("screenshot", 200, None, Action.MARK_SYNCED), ("ingest", 302, None, Action.PAUSE_STREAM),
    ("ingest", 400, "malformed_json", Action.PAUSE_STREAM), ("ingest", 401, None, Action.STOP_AUTH),
    ("ingest", 403, None, Action.STOP_AUTH), ("ingest", 404, None, Action.PAUSE_STREAM),
    ("ingest", 405, None, Action.PAUSE_STREAM), ("ingest", 408, None, Action.BACKOFF),
    ("screenshot", 409, "conflict", Action.QUARANTINE_ITEM), ("ingest", 413, "payload_too_large", Action.HALVE_BATCH),
    ("ingest", 413, "too_many_records", Action.HALVE_BATCH), ("ingest", 413, None, Action.PAUSE_STREAM),
    ("screenshot", 413, None, Action.QUARANTINE_ITEM), ("ingest", 415, None, Action.PAUSE_STREAM),
    ("ingest", 422, "invalid_envelope", Action.PAUSE_STREAM),
    ("screenshot", 422, "invalid_meta", Action.QUARANTINE_ITEM),
    ("screenshot", 422, "sha256_mismatch", Action.QUARANTINE_ITEM),
    ("screenshot", 422, "invalid_multipart", Action.PAUSE_STREAM), ("ingest", 418, None, Action.PAUSE_STREAM),
    ("ingest", 500, None, Action.BACKOFF), ("ingest", 502, None, Action.BACKOFF),
    ("ingest", 503, None, Action.BACKOFF), ("ingest", None, None, Action.BACKOFF),
    ("me", 200, None, Action.SHOW_IDENTITY), ("health", 503, None, Action.NONE),
])
def test_status_table(kind: str, status: int | None, code: str | None, action: Action) -> None:
    assert decide(kind, status, error_code=code).action is action


def test_invalid_2xx_is_backoff() -> None:
    assert decide("ingest", 200, valid_2xx=False).action is Action.BACKOFF


def test_retry_after_seconds_and_clamp() -> None:
    assert decide("ingest", 429, retry_after="7").retry_after == 7
    assert decide("ingest", 503, retry_after="0").retry_after == 1
    assert decide("ingest", 503, retry_after="99999").retry_after == 3600
    assert decide("ingest", 503, retry_after="soon").action is Action.BACKOFF


def test_retry_after_http_date() -> None:
    now = datetime(2026, 11, 26, 8, 0, 0, tzinfo=UTC).timestamp()
    text = format_datetime(datetime(2026, 11, 26, 8, 0, 40, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(text, now) == pytest.approx(40)
    assert parse_retry_after(format_datetime(datetime(2020, 1, 1, tzinfo=UTC), usegmt=True), now) == 1


def test_full_jitter_bounds() -> None:
    rng = random.Random(1)
    for failures in range(1, 15):
        bound = min(300.0, 2.0 * 2 ** (failures - 1))
        assert backoff_bound(failures - 1) == bound
        samples = [backoff_delay(failures, rng) for _ in range(200)]
        assert all(0 <= s <= bound for s in samples)
        assert max(samples) > bound * 0.8  # spread over the whole interval, not a fixed wait
    assert backoff_bound(8) == 300  # the cap is reached at the 9th failure


def test_retry_after_spread() -> None:
    rng = random.Random(2)
    samples = [retry_after_delay(30, rng) for _ in range(500)]
    assert min(samples) >= 30 and max(samples) <= 60
    assert max(samples) - min(samples) > 20


def test_halved() -> None:
    assert [halved(n) for n in (200, 7, 2, 1)] == [100, 3, 1, 1]
