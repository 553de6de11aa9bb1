"""Rate limit (contract §8.2): token bucket per key and process, 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from ingestion.ratelimit import RateLimiter
from tests.server.conftest import count_rows


def test_bucket_refills_at_the_configured_rate() -> None:
    now = [100.0]
    limiter = RateLimiter(per_minute=60, capacity=3, clock=lambda: now[0])
    assert [limiter.take(1) for _ in range(3)] == [0, 0, 0]
    assert limiter.take(1) == 1
    assert limiter.take(2) == 0  # other keys have their own bucket
    now[0] += 0.5
    assert limiter.take(1) == 1  # half a token: still one second (rounded up) away
    now[0] += 0.5
    assert limiter.take(1) == 0
    slow = RateLimiter(per_minute=6, capacity=1, clock=lambda: now[0])
    assert slow.take(1) == 0 and slow.take(1) == 10


def test_burst_exhausted_gives_429_with_retry_after(clean_db: str, key: str,
                                                    client_for: Callable[..., TestClient]) -> None:
    client = client_for(clean_db, rate_per_minute=1.0, rate_burst=3)  # no refill during the test
    sent = {"X-Api-Key": key, "Content-Type": "application/json"}
    statuses = [client.post("/api/v1/ingest/heartbeats", headers=sent, content=b'{"records":[]}').status_code
                for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = client.get("/api/v1/me", headers=sent)
    assert limited.status_code == 429
    assert limited.json() == {"error": "rate_limited"}
    assert 1 <= int(limited.headers["retry-after"]) <= 60  # one token per 60 s
    assert client.get("/health").status_code == 200  # /health is never rate limited
    assert count_rows(clean_db, "ingest_log") == 3  # a 429 did not pass the limit: not logged


def test_bad_keys_do_not_consume_the_real_keys_tokens(clean_db: str, key: str,
                                                       client_for: Callable[..., TestClient]) -> None:
    client = client_for(clean_db, rate_per_minute=60.0, rate_burst=2)
    for _ in range(5):
        assert client.get("/api/v1/me", headers={"X-Api-Key": key[:13] + "z" * 43}).status_code == 401
    assert client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 200
