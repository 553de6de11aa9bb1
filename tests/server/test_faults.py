"""PostgreSQL going away under load (contract §7.1, §8.3): 503 with Retry-After, never a partial
batch, and the same server process recovers without a restart. Two outages, neither touching the
shared PostgreSQL others use: a private cluster (initdb/pg_ctl) that is really stopped and started,
and a TCP proxy in front of the session database that is cut and restored."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.server.conftest import DEVICE, EMP
from tests.server.proxy import CuttableProxy
from tests.server.records import headers, heartbeat
from tests.support.pg import TempCluster, connect, create_database, migrate
from tests.support.server import ServerProcess, create_key, start_server

BATCH = 50
CLIENTS = 4


@dataclass
class Outage:
    """A database URL for the server plus how to take that database away and bring it back."""

    server_url: str
    admin_url: str  # where the test checks the stored rows
    stop: Callable[[], None]
    start: Callable[[], None]


@pytest.fixture(params=["postgres_stopped", "connection_cut"])
def outage(request: pytest.FixtureRequest, clean_db: str) -> Iterator[Outage]:
    if request.param == "postgres_stopped":
        cluster = TempCluster.create()
        url = create_database(cluster.admin_url, "wfh_test_fault")
        try:
            migrate(url)
            yield Outage(url, url, lambda: cluster.stop("fast"), cluster.start)
        finally:
            cluster.destroy()
    else:
        parts = urlsplit(clean_db)
        proxy = CuttableProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
        proxy.start()
        via_proxy = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
        yield Outage(via_proxy, clean_db, proxy.cut, proxy.start)
        proxy.cut()


class Load:
    """CLIENTS threads posting distinct batches; every outcome is recorded, events mark progress."""

    def __init__(self, server: ServerProcess, key: str) -> None:
        self.server, self.key = server, key
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.outcomes: list[tuple[str, int, str | None, dict[str, object]]] = []
        self.ok_after: dict[float, threading.Event] = {}
        self.first_503 = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(CLIENTS)]

    def wait_for_ok_after(self, moment: float, timeout: float) -> bool:
        event = threading.Event()
        with self.lock:
            self.ok_after[moment] = event
        return event.wait(timeout)

    def _run(self) -> None:
        with httpx.Client(base_url=self.server.url, timeout=30) as http:
            while not self.stop.is_set():
                batch_id = str(uuid.uuid4())
                records = [heartbeat(offset=i, window_title=batch_id) for i in range(BATCH)]
                try:
                    response = http.post("/api/v1/ingest/heartbeats", headers=headers(self.key),
                                         content=json.dumps({"records": records}))
                except httpx.HTTPError:
                    continue
                now = time.monotonic()
                with self.lock:
                    self.outcomes.append((batch_id, response.status_code, response.headers.get("retry-after"),
                                          response.json()))
                    if response.status_code == 503:
                        self.first_503.set()
                    if response.status_code == 200:
                        for moment, event in self.ok_after.items():
                            if now > moment:
                                event.set()
                if response.status_code == 503:
                    self.stop.wait(0.05)  # a real client would wait Retry-After; keep the test short

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def test_database_outage_under_load(outage: Outage, tmp_path: Path) -> None:
    key = create_key(outage.admin_url, EMP, DEVICE)
    with start_server(outage.server_url, tmp_path / "shots", WFH_INGEST_RATE_PER_MINUTE="600000",
                      WFH_INGEST_RATE_BURST="100000") as server, Load(server, key) as load:
        assert load.wait_for_ok_after(time.monotonic(), 30), "no batch succeeded before the outage"
        outage.stop()
        cut_at = time.monotonic()
        assert load.first_503.wait(30), "no 503 while the database was gone"
        health = httpx.get(f"{server.url}/health", timeout=10)
        assert health.status_code == 503 and health.headers["retry-after"] == "30"
        load.stop.wait(1.0)  # keep the outage going for a while under load
        outage.start()
        restored_at = time.monotonic()
        assert load.wait_for_ok_after(restored_at, 30), "the server did not recover without a restart"
        assert server.process.poll() is None, "the server process must have stayed up throughout"

    outcomes = load.outcomes
    failures = [o for o in outcomes if o[1] == 503]
    assert failures, outcomes[-5:]
    for _, _, retry_after, body in failures:
        assert retry_after is not None and int(retry_after) >= 1
        assert body["error"] == "unavailable"
    assert {o[1] for o in outcomes} <= {200, 503}, {o[1] for o in outcomes}
    with connect(outage.admin_url) as conn:
        stored = dict(conn.execute("SELECT window_title, count(*) FROM heartbeats GROUP BY 1").fetchall())
        logged = conn.execute("SELECT count(*) FROM ingest_log WHERE http_status = 200").fetchone()
    ok = [o[0] for o in outcomes if o[1] == 200]
    assert all(stored.get(batch_id) == BATCH for batch_id in ok), "an acknowledged batch is incomplete"
    assert all(count == BATCH for count in stored.values()), "a partial batch was stored"
    # 503 batches are stored either not at all or (response lost after commit) completely.
    assert logged is not None and logged[0] == len(stored)
    assert time.monotonic() - cut_at < 120
