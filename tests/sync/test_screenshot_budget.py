"""Contract v1.1 on the client (INGESTION_API.md §8.2, §10.4): screenshots are paced by their own
byte budget, not by the one-request-per-second pacing of the other requests."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from app.sync.policy import ScreenshotBudget
from tests.sync.conftest import FakeClock
from tests.sync.replay import seed_heartbeats, seed_screenshot

MIB = 1_048_576


def test_budget_allows_the_burst_then_waits_for_refill() -> None:
    clock = FakeClock(0.0)
    budget = ScreenshotBudget(clock, burst_bytes=10 * MIB, bytes_per_second=2 * MIB)
    for _ in range(4):  # 4 x 2 MiB (+ framing) fit in 10 MiB
        assert budget.wait_for(2 * MIB) == 0
        budget.spend(2 * MIB)
    wait = budget.wait_for(4 * MIB)
    assert 0.9 < wait < 1.1  # ~2 MiB left, 4 MiB needed, 2 MiB/s
    clock.advance(wait)
    assert budget.wait_for(4 * MIB) == 0
    assert budget.cost(10) == ScreenshotBudget.MIN_COST  # tiny files cost the minimum
    assert budget.cost(100 * MIB) == 10 * MIB  # never more than the whole budget


def _seed_screenshots(conn: Any, data_dir: Any, count: int) -> None:
    for i in range(count):
        content = b"\x89PNG\r\n\x1a\n" + bytes([i]) * 2_000
        meta = {"client_id": str(uuid.uuid4()), "captured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "sha256": hashlib.sha256(content).hexdigest(), "width": 1, "height": 1, "format": "png",
                "blurred": False}
        seed_screenshot(conn, data_dir, meta, content)


def test_screenshots_are_not_held_to_the_request_pacing(sync_env: Any) -> None:
    seed_heartbeats(sync_env.conn, 3)
    sync_env.profile.settings.set("ingestion.batch_size", 1)
    _seed_screenshots(sync_env.conn, sync_env.profile.paths.data_dir, 6)
    engine = sync_env.engine(pace_seconds=0.4, burst=1)
    result = engine.run_cycle()
    assert result.synced.get("screenshots") == 6 and result.requests == 9, result.as_dict()
    seen = sync_env.server.seen
    beats = [s.at for s in seen if s.path.endswith("/heartbeats")]
    shots = [s.at for s in seen if s.path == "/api/v1/screenshots"]
    assert all(b - a >= 0.39 for a, b in zip(beats, beats[1:], strict=False)), beats  # paced requests
    assert shots[-1] - shots[0] < 0.4 * 5, shots  # v1 pacing would need 6 x 0.4 s for the six


def test_screenshots_wait_for_the_budget(sync_env: Any) -> None:
    _seed_screenshots(sync_env.conn, sync_env.profile.paths.data_dir, 4)
    budget = ScreenshotBudget(time.monotonic, burst_bytes=2 * ScreenshotBudget.MIN_COST,
                              bytes_per_second=ScreenshotBudget.MIN_COST / 0.25)
    engine = sync_env.engine(pace_seconds=0, screenshot_budget=budget)
    assert engine.run_cycle().synced.get("screenshots") == 4
    shots = [s.at for s in sync_env.server.seen if s.path == "/api/v1/screenshots"]
    # Two fit in the burst; each further one waits a quarter second for its 64 KiB.
    assert shots[2] - shots[0] >= 0.2 and shots[3] - shots[2] >= 0.2, shots
