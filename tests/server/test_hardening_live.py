"""Issue 13 regressions against a real ``wfh-ingest serve``: conflicting concurrent batches, idle and
slow clients, recovery of a small pool after a long outage."""

from __future__ import annotations

import asyncio
import json
import resource
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from ingestion.config import Settings
from ingestion.db import DOWN_SECONDS, Database
from ingestion.errors import ApiError
from ingestion.middleware import ContractMiddleware
from tests.server.conftest import DEVICE, EMP
from tests.server.proxy import CuttableProxy
from tests.server.records import headers, heartbeat, ts
from tests.support.pg import connect
from tests.support.server import ServerProcess, create_key, start_server

FAST = {"WFH_INGEST_RATE_PER_MINUTE": "6000000", "WFH_INGEST_RATE_BURST": "1000000"}


@pytest.fixture
def server(clean_db: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with start_server(clean_db, tmp_path / "shots", workers=2, **FAST) as running:
        yield running


def _usage(keys: list[tuple[str, str]], updated: str) -> bytes:
    return json.dumps({"records": [
        {"client_id": str(uuid.uuid4()), "date": day, "domain": domain, "duration_seconds": 60,
         "tag": "neutral", "updated_at": updated} for day, domain in keys]}).encode()


def test_conflicting_concurrent_upserts_never_fail(server: ServerProcess, clean_db: str) -> None:
    """The same 1,000 (date, domain) keys in opposite orders, two batches at once, six rounds: this
    deadlocked (503 Retry-After 30 for the whole worker) in half the rounds."""
    key = create_key(clean_db, EMP, DEVICE)
    today = datetime.now(UTC).date()
    keys = [((today - timedelta(days=i % 5)).isoformat(), f"site{i}.example") for i in range(1000)]
    statuses: list[int] = []
    lock = threading.Lock()

    def post(body: bytes, start: threading.Barrier) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            start.wait()
            status = http.post("/api/v1/ingest/website_usage", headers=headers(key), content=body).status_code
        with lock:
            statuses.append(status)

    for round_ in range(6):
        updated = ts(-300 + round_)
        bodies = (_usage(keys, updated), _usage(keys[::-1], updated))
        start = threading.Barrier(2)
        threads = [threading.Thread(target=post, args=(body, start)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
    assert statuses == [200] * 12, statuses
    assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
    assert "DeadlockDetected" not in server.log_text or "retrying" in server.log_text


def test_conflicting_concurrent_append_only_batches_never_fail(server: ServerProcess, clean_db: str) -> None:
    """The same 1,000 heartbeat client_ids, two batches at once in opposite orders: unique-index
    inserts can deadlock like upserts; every batch must still answer 200 and store each row once."""
    key = create_key(clean_db, EMP, DEVICE)
    statuses: list[int] = []
    for _ in range(3):
        records = [heartbeat(offset=i) for i in range(1000)]
        bodies = (json.dumps({"records": records}).encode(), json.dumps({"records": records[::-1]}).encode())
        start = threading.Barrier(2)

        def post(body: bytes, start: threading.Barrier = start) -> None:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                start.wait()
                statuses.append(http.post("/api/v1/ingest/heartbeats", headers=headers(key), content=body).status_code)

        threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
    assert statuses == [200] * 6, statuses
    with connect(clean_db) as conn:
        assert conn.execute("SELECT count(*) FROM heartbeats").fetchone() == (3000,)


def _raise_open_files(minimum: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < minimum:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(minimum, soft)), hard))


def test_idle_and_slow_clients_do_not_starve_normal_requests(server: ServerProcess, clean_db: str) -> None:
    key = create_key(clean_db, EMP, DEVICE)
    _raise_open_files(4096)
    port = urlsplit(server.url).port
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(1000)]
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(600)]
    stop = threading.Event()

    def trickle() -> None:  # one header byte per second on each slow connection
        request = b"POST /api/v1/ingest/heartbeats HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 100
        for position in range(len(request)):
            for sock in slow:
                try:
                    sock.send(request[position:position + 1])
                except OSError:
                    pass
            if stop.wait(1.0):
                return

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    started = time.monotonic()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for i in range(40):
                body = json.dumps({"records": [heartbeat(offset=i)]})
                response = http.post("/api/v1/ingest/heartbeats", headers=headers(key), content=body)
                assert response.status_code == 200, (response.status_code, response.text)
                assert response.headers["x-wfh-api-version"] == "1"
        # Header deadline (10 s): every idle and slow connection is closed by the server.
        for sock in idle + slow:
            sock.settimeout(max(0.1, started + 25 - time.monotonic()))
            try:
                assert sock.recv(1024) == b"", "the server answered instead of closing"
            except ConnectionResetError:
                pass
        assert time.monotonic() - started < 25
    finally:
        stop.set()
        trickler.join(5)
        for sock in idle + slow:
            sock.close()


def test_endless_headers_are_cut_at_64_kib(server: ServerProcess) -> None:
    port = urlsplit(server.url).port
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(5)
        answer = b""
        try:
            for _ in range(400):  # up to 1.6 MB of headers; the server must stop reading long before
                sock.sendall(b"X-Pad: " + b"p" * 4000 + b"\r\n")
        except OSError:
            pass
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert b"x-wfh-api-version: 1" in answer


def test_excess_requests_get_the_contract_503() -> None:
    """Over the in-flight cap the answer is JSON with Retry-After and the version header."""
    async def slow_app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    middleware = ContractMiddleware(slow_app, max_in_flight=0)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/health", "headers": []}
    asyncio.run(middleware(scope, None, send))  # type: ignore[arg-type]
    start = sent[0]
    names = dict(start["headers"])
    assert start["status"] == 503
    assert names[b"retry-after"] == b"1" and names[b"x-wfh-api-version"] == b"1"
    assert json.loads(sent[1]["body"])["error"] == "unavailable"


OUTAGE_AFTER_BACKOFF = 18.0  # s: psycopg_pool's reconnect attempts come at ~1, 3, 7, 15 (13.5-16.5), 31 (>= 27.9) s


async def _recovery_seconds(url: str, proxy: CuttableProxy) -> float:
    """Seconds from PostgreSQL's return to the first request served, for a full 2-connection pool whose
    two connections both break while in use. Deterministic worst case for psycopg_pool: each broken
    connection's replacement retries with exponential backoff (1, 2, 4, 8, 16 s, each ±10 %), no slot
    is free to grow into, and no idle connection is left for ``pool.check()`` to replace at once. The
    outage ends at 18 s, after the attempt due at 13.5-16.5 s, so the pool's own next attempt is at
    least 27.9 s after the cut, 9.9 s after the return: without the pool renewal this takes >= 9.9 s."""
    db = Database(Settings(database_url=url, pool_min=2, pool_max=2, pool_wait_seconds=5.0))
    await db.open()
    await db.pool.wait(timeout=10)

    async def hold() -> None:
        async with db.connection() as conn:
            await conn.execute("SELECT pg_sleep(5)")

    async def attempt() -> bool:
        try:
            async with db.connection() as conn:
                await conn.execute("SELECT 1")
            return True
        except ApiError as exc:
            assert exc.status == 503
            return False

    try:
        assert await attempt()
        holders = [asyncio.create_task(hold()) for _ in range(2)]  # both slots, nobody waiting
        while db.pool.get_stats().get("pool_available", 0):
            await asyncio.sleep(0.01)
        proxy.cut()
        cut_at = time.monotonic()
        await asyncio.gather(*holders, return_exceptions=True)
        while time.monotonic() - cut_at < OUTAGE_AFTER_BACKOFF:
            assert not await attempt()
            await asyncio.sleep(0.5)
        stats = db.pool.get_stats()
        assert stats.get("pool_available", 0) == 0 and stats.get("pool_size", 0) == 2, stats
        proxy.start()
        back_at = time.monotonic()
        while not await attempt():
            if time.monotonic() - back_at > 30:
                break
            await asyncio.sleep(0.1)
        return time.monotonic() - back_at
    finally:
        await db.close()


def test_small_pool_recovers_right_after_the_outage_window(clean_db: str) -> None:
    """``WFH_INGEST_DB_POOL_MAX=2``: after the outage the pool kept answering "database busy" until its
    reconnect backoff ran out (>= 9.9 s here, 35 s after a 75 s outage); the pool is renewed as soon as
    a probe connects again. The bound is the outage rule's 5 s of 503 after the last failed probe (§8.3)
    plus one connection, not the backoff."""
    parts = urlsplit(clean_db)
    proxy = CuttableProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    proxy.start()
    via_proxy = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    try:
        seconds = asyncio.run(_recovery_seconds(via_proxy, proxy))
    finally:
        proxy.cut()
    assert seconds < DOWN_SECONDS + 2.5, f"still 503 {seconds:.1f} s after PostgreSQL returned"
