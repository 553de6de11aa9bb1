"""The per-worker key cache (INGESTION_API.md §4.3): a verified key skips the database lookup for a
few seconds, a wrong or unknown key never does, expiry and the time bound hold."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from ingestion.config import ConfigError, Settings
from ingestion.keycache import KeyCache
from tests.server.conftest import DEVICE, EMP
from tests.server.records import headers, heartbeat
from tests.support.pg import connect
from tests.support.server import create_key


class _Clocks:
    def __init__(self) -> None:
        self.mono = 100.0
        self.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _cache(ttl: float = 10.0, max_entries: int = 100) -> tuple[KeyCache[str], _Clocks]:
    clocks = _Clocks()
    return KeyCache(ttl, max_entries, clock=lambda: clocks.mono, wall=lambda: clocks.now), clocks


def test_an_entry_is_used_for_at_most_ttl_seconds() -> None:
    cache, clocks = _cache(ttl=10.0)
    cache.put(b"d", "identity", None)
    clocks.mono += 9.99
    assert cache.get(b"d") == "identity"
    clocks.mono += 0.01
    assert cache.get(b"d") is None
    assert len(cache) == 0


def test_an_entry_is_never_used_after_the_key_expires() -> None:
    cache, clocks = _cache(ttl=10.0)
    cache.put(b"d", "identity", clocks.now + timedelta(seconds=2))
    clocks.now += timedelta(seconds=1)
    assert cache.get(b"d") == "identity"
    clocks.now += timedelta(seconds=1)
    assert cache.get(b"d") is None


def test_a_ttl_of_zero_caches_nothing() -> None:
    cache, _ = _cache(ttl=0.0)
    cache.put(b"d", "identity", None)
    assert cache.get(b"d") is None and len(cache) == 0


def test_the_cache_is_bounded_and_drops_the_oldest_first() -> None:
    cache, _ = _cache(max_entries=3)
    for n in range(5):
        cache.put(bytes([n]), f"id{n}", None)
    assert len(cache) == 3
    assert [cache.get(bytes([n])) for n in range(5)] == [None, None, "id2", "id3", "id4"]


def test_key_cache_seconds_setting_is_bounded() -> None:
    base = {"WFH_INGEST_DATABASE_URL": "postgresql:///x"}
    assert Settings.from_env(base).key_cache_seconds == 10.0
    assert Settings.from_env(base | {"WFH_INGEST_KEY_CACHE_SECONDS": "0"}).key_cache_seconds == 0.0
    for bad in ("-1", "61", "soon"):
        try:
            Settings.from_env(base | {"WFH_INGEST_KEY_CACHE_SECONDS": bad})
        except ConfigError as exc:
            assert "WFH_INGEST_KEY_CACHE_SECONDS" in str(exc)
        else:
            raise AssertionError(f"{bad!r} was accepted")


def _count_connections(client: TestClient) -> list[int]:
    """Wrap the app's ``Database.connection`` so the test sees how often a request takes one."""
    db = client.app.state.wfh.db  # type: ignore[attr-defined]
    taken = [0]
    original = db.connection

    @asynccontextmanager
    async def counted() -> Any:
        taken[0] += 1
        async with original() as conn:
            yield conn

    db.connection = counted
    return taken


def test_a_cached_key_takes_no_connection_and_a_wrong_secret_still_does(
        clean_db: str, key: str, client_for: Callable[..., TestClient]) -> None:
    client = client_for(clean_db, key_cache_seconds=30.0)
    taken = _count_connections(client)
    assert client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 200
    assert taken[0] == 1
    for _ in range(3):
        assert client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 200
    assert taken[0] == 1, "a cached key was looked up again"
    wrong = key[:13] + ("A" if key[13] != "A" else "B") + key[14:]
    response = client.get("/api/v1/me", headers={"X-Api-Key": wrong})
    assert response.status_code == 401 and response.content == b'{"error":"unauthorized"}'
    assert taken[0] == 2, "a wrong secret must take the database path like any unknown key"


def test_a_cached_key_is_refused_once_its_expiry_passes(clean_db: str, key: str,
                                                        client_for: Callable[..., TestClient]) -> None:
    client = client_for(clean_db, key_cache_seconds=30.0)
    with connect(clean_db) as conn:
        conn.execute("UPDATE api_keys SET expires_at = now() + interval '1.5 seconds' WHERE prefix = %s",
                     (key[4:12],))
    assert client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 200
    assert len(client.app.state.wfh.keys) == 1  # type: ignore[attr-defined]
    time.sleep(1.6)
    assert client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 401


def test_during_an_outage_a_cached_key_gets_the_503_of_the_step_that_needs_the_database(
        clean_db: str, key: str, client_for: Callable[..., TestClient]) -> None:
    client = client_for(clean_db, key_cache_seconds=30.0)
    assert client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 200
    client.app.state.wfh.db.mark_down()  # type: ignore[attr-defined]  # as after a failed connection
    assert client.get("/api/v1/me", headers={"X-Api-Key": key}).status_code == 200
    stored = client.post("/api/v1/ingest/heartbeats", headers=headers(key),
                         content=json.dumps({"records": [heartbeat()]}))
    assert stored.status_code == 503 and stored.headers["Retry-After"] == "30", stored.text
    other = create_key(clean_db, EMP, DEVICE)  # never verified by this worker: the lookup needs the database
    assert client.get("/api/v1/me", headers={"X-Api-Key": other}).status_code == 503
