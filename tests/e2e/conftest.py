"""End-to-end fixtures: one real ``wfh-ingest serve`` on 127.0.0.1 over a throwaway PostgreSQL
database for the session, a fresh key and a fresh client profile per test, helpers to fill the
outbox with the real monitoring store and to read back what the server stored."""

from __future__ import annotations

import io
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.pg import connect, reset_tables, throwaway_database
from tests.support.server import ServerProcess, create_key, start_server

pytestmark = pytest.mark.postgres
EMP = 1001


@pytest.fixture(scope="session")
def ingest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ServerProcess]]:
    with throwaway_database("wfh_e2e") as url:
        # The client's own pacing is scaled down in these tests, so lift the server's per-key limit too.
        server = start_server(url, tmp_path_factory.mktemp("shots"), WFH_INGEST_RATE_PER_MINUTE="6000000",
                              WFH_INGEST_RATE_BURST="100000")
        try:
            yield url, server
        finally:
            server.stop()


@dataclass
class E2E:
    db_url: str
    server: ServerProcess
    profile: Any
    keystore: Any
    key: str
    device: str

    @property
    def conn(self) -> Any:
        return self.profile.db.get()

    def point_at(self, url: str) -> None:
        self.profile.settings.set("ingestion.api.base_url", url)

    def engine(self, **kw: Any) -> Any:
        from app.sync.engine import SyncEngine

        kw.setdefault("pace_seconds", 0)
        return SyncEngine(self.profile.db, self.profile.settings, self.profile.paths.data_dir, self.keystore, **kw)

    def server_ids(self, stream: str) -> list[str]:
        """Every client_id the server holds for this test's device (a list, so duplicates would show)."""
        with connect(self.db_url) as conn:
            rows = conn.execute(
                f"SELECT t.client_id::text FROM {stream} t JOIN devices d USING (device_id) WHERE d.name = %s",
                (self.device,)).fetchall()
        return [r[0] for r in rows]

    def local_ids(self, stream: str, *, synced_only: bool = False) -> list[str]:
        extra = " WHERE synced_at IS NOT NULL AND synced_at != 'quarantined'" if synced_only else ""
        return [r[0] for r in self.conn.execute(f"SELECT client_id FROM {stream}{extra}")]

    def ingest_log(self) -> list[dict[str, Any]]:
        with connect(self.db_url) as conn:
            cur = conn.execute(
                "SELECT endpoint, http_status, record_count, accepted, duplicates, rejected FROM ingest_log l "
                "JOIN devices d USING (device_id) WHERE d.name = %s ORDER BY ingest_id", (self.device,))
            names = [c.name for c in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@pytest.fixture
def e2e(ingest: tuple[str, ServerProcess], profile: Any) -> E2E:
    from app.sync.keystore import KeyStore

    url, server = ingest
    reset_tables(url)
    device = f"E2E-{uuid.uuid4().hex[:8]}"
    key = create_key(url, EMP, device)
    profile.settings.set("ingestion.api.base_url", server.url)
    keystore = KeyStore(profile.paths.key_file, environ={}, backend=None)
    keystore.set(key)
    return E2E(url, server, profile, keystore, key, device)


def write_week(profile: Any, *, days: int = 7, per_day: int = 1440, screenshots: int = 200,
               end: datetime | None = None, shot_side: int = 4) -> None:
    """A simulated offline week through the real monitoring store: one-minute spans, daily
    aggregates recomputed from them, and PNG screenshots (``shot_side`` 224: noise images of about
    150 KB each, the size the contract's v1.1 budget was measured with)."""
    from PIL import Image

    from app.monitor.spans import Span
    from app.monitor.store import MonitorStore

    store = MonitorStore(profile.db)
    end = end or datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    start = end - timedelta(minutes=days * per_day)
    rng = random.Random(5)
    apps = [("code", "main.py - VS Code", None, None), ("firefox", "GitHub", "github.com", "https://github.com/"),
            ("firefox", "YouTube", "youtube.com", "https://youtube.com/"), ("slack", "Slack", None, None)]
    spans = []
    for i in range(days * per_day):
        proc, title, domain, url = apps[rng.randrange(len(apps))]
        t0 = int((start + timedelta(minutes=i)).timestamp() * 1000)
        spans.append(Span(t0, t0 + 60_000, "UTC", "active", proc, title, domain, url, cpu_percent=rng.uniform(0, 60),
                          memory_percent=40.0, client_id=str(uuid.uuid4())))
    assert store.write_spans(spans)
    day = start.date()
    while day <= end.date():
        store.update_day(day, ZoneInfo("UTC"))
        day += timedelta(days=1)
    shots = profile.paths.data_dir / "screenshots"
    shots.mkdir(exist_ok=True)
    import hashlib

    for i in range(screenshots):
        buf = io.BytesIO()
        if shot_side > 4:  # incompressible noise: the PNG is about 3 * side^2 bytes
            Image.frombytes("RGB", (shot_side, shot_side), rng.randbytes(3 * shot_side * shot_side)).save(buf, "PNG")
        else:
            Image.new("RGB", (shot_side, shot_side), (i % 256, (i * 7) % 256, 3)).save(buf, "PNG")
        content = buf.getvalue()
        rel = f"screenshots/shot-{i}.png"
        (profile.paths.data_dir / rel).write_bytes(content)
        store.insert_screenshot({
            "client_id": str(uuid.uuid4()), "file_path": rel, "sha256": hashlib.sha256(content).hexdigest(),
            "captured_at": (end - timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "size_bytes": len(content), "width": shot_side, "height": shot_side, "format": "png", "blurred": 0})


def write_heartbeats(profile: Any, count: int) -> list[str]:
    from tests.sync.replay import seed_heartbeats

    return seed_heartbeats(profile.db.get(), count, minutes_ago=max(120, count // 60 + 60))
