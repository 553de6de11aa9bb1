"""A client fleet in threads, behaving as the contract's §9 says: every batch is resent unchanged
after a retryable answer (503, other 5xx, network error, timeout) until it is acknowledged (200).

Records every acknowledged ``client_id``, every status seen and every answer that the contract does
not call retryable, so a test can check "stored exactly once" and "at most retryable errors"."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

# §9: 503 is retry_after, 502/504 (a proxy) backoff. A 500 is a server bug here (such as a prepared
# statement lost behind PgBouncer), so the fleet treats it as a failure although §9 would back off.
RETRYABLE = frozenset({502, 503, 504})


def batch(size: int, seq: int) -> list[dict[str, Any]]:
    """``size`` heartbeat spans with fresh client ids, a minute apart and within the accepted window."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    out = []
    for i in range(size):
        start = base - timedelta(seconds=60 * ((seq * size + i) % 5000))
        out.append({"client_id": str(uuid.uuid4()), "started_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "ended_at": (start + timedelta(seconds=55)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "tz": "Europe/Berlin", "status": "active", "cpu_percent": 10.0, "memory_percent": 40.0,
                    "process_name": "Code.exe", "window_title": "main.py - Visual Studio Code",
                    "domain": "github.com", "url": "https://github.com/"})
    return out


@dataclass
class Fleet:
    """``len(keys)`` clients posting ``size``-record heartbeat batches to ``url`` until stopped."""

    url: str
    keys: list[str]
    size: int = 20
    acked: set[str] = field(default_factory=set)
    statuses: Counter[str] = field(default_factory=Counter)
    fatal: list[str] = field(default_factory=list)
    ack_times: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Fleet:
        for n, key in enumerate(self.keys):
            thread = threading.Thread(target=self._client, args=(key, n), name=f"fleet-client-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, drain_seconds: float = 30.0) -> None:
        """Stop sending new batches; the batch each client holds is still resent until acknowledged."""
        self._stop.set()
        deadline = time.monotonic() + drain_seconds
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            raise AssertionError(f"clients still unacknowledged after {drain_seconds:.0f} s: {alive}")

    def acked_since(self, moment: float) -> int:
        with self._lock:
            return sum(1 for t in self.ack_times if t >= moment)

    def _client(self, key: str, n: int) -> None:
        headers = {"X-Api-Key": key, "Content-Type": "application/json", "User-Agent": "wfh-agent/0.2.0 (fleet)"}
        seq = 0
        with httpx.Client(base_url=self.url, timeout=15) as client:
            while not self._stop.is_set():
                records = batch(self.size, seq * 64 + n)
                seq += 1
                self._deliver(client, headers, records)

    def _deliver(self, client: httpx.Client, headers: dict[str, str], records: list[dict[str, Any]]) -> None:
        body = {"records": records}
        give_up = float("inf")
        while True:
            if self._stop.is_set() and give_up == float("inf"):
                give_up = time.monotonic() + 25
            try:
                response = client.post("/api/v1/ingest/heartbeats", json=body, headers=headers)
            except httpx.TransportError as exc:
                self._count(type(exc).__name__)
            else:
                self._count(str(response.status_code))
                if response.status_code == 200:
                    answer = response.json()
                    if answer.get("rejected") or answer["accepted"] + answer["duplicates"] != len(records):
                        self._fail(f"200 that does not account for the batch: {response.text[:300]}")
                    with self._lock:
                        self.acked.update(r["client_id"] for r in records)
                        self.ack_times.append(time.monotonic())
                    return
                if response.status_code not in RETRYABLE:
                    self._fail(f"{response.status_code} is not retryable: {response.text[:300]}")
                    return
            if time.monotonic() > give_up:
                self._fail("batch never acknowledged")
                return
            time.sleep(0.1)  # the contract says Retry-After / backoff; the test keeps it short

    def _count(self, what: str) -> None:
        with self._lock:
            self.statuses[what] += 1

    def _fail(self, message: str) -> None:
        with self._lock:
            self.fatal.append(message)


def stored_once(conn: Any, acked: set[str]) -> tuple[int, int, int]:
    """(acknowledged ids, of those stored exactly once, stored more than once)."""
    ids = [uuid.UUID(i) for i in acked]
    row = conn.execute("SELECT count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n > 1) FROM"
                       " (SELECT client_id, count(*) AS n FROM heartbeats WHERE client_id = ANY(%s)"
                       " GROUP BY client_id) s", (ids,)).fetchone()
    return len(ids), int(row[0]), int(row[1])
