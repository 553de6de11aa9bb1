"""LRUCache / CacheService / @cached semantics with an injected clock (no sleeping)."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest

from app.services.cache import MISS, CacheMetrics, CachePolicy, CacheService, LRUCache, cached


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_none_and_empty_values_are_hits() -> None:
    cache = LRUCache(10, 60, FakeClock())
    cache.put("none", None)
    cache.put("empty", [])
    assert cache.get("none") is None
    assert cache.get("empty") == []
    assert cache.get("absent") is MISS


def test_per_entry_ttl_is_honoured() -> None:
    clock = FakeClock()
    cache = LRUCache(10, default_ttl=100, clock=clock)
    cache.put("short", 1, ttl=5)
    cache.put("default", 2)
    clock.now += 5
    assert cache.get("short") is MISS
    assert cache.get("default") == 2
    clock.now += 95
    assert cache.get("default") is MISS


def test_cleanup_really_removes_expired_entries() -> None:
    clock = FakeClock()
    cache = LRUCache(10, 10, clock)
    for i in range(5):
        cache.put(f"k{i}", i, ttl=i + 1)
    clock.now += 3
    assert cache.cleanup() == 3
    assert len(cache) == 2


def test_lru_eviction_keeps_recently_used() -> None:
    cache = LRUCache(3, 60, FakeClock())
    for key in "abc":
        cache.put(key, key)
    cache.get("a")
    cache.put("d", "d")
    assert cache.get("b") is MISS
    assert [cache.get(k) for k in "acd"] == ["a", "c", "d"]


def test_invalidation_matches_whole_segments() -> None:
    cache = LRUCache(10, 60, FakeClock())
    for key in ("week_tasks:1:None:0", "week_tasks:1:50:0", "week_tasks:10:None:0", "week_tasks:1"):
        cache.put(key, key)
    assert cache.invalidate("week_tasks:1") == 3
    assert cache.get("week_tasks:10:None:0") == "week_tasks:10:None:0"
    assert cache.invalidate() == 1 and len(cache) == 0


class Source:
    def __init__(self, service: CacheService) -> None:
        self.cache_service = service
        self.calls: list[tuple[Any, ...]] = []

    @cached("task_aggregations", "rows")
    def rows(self, week_id: int, limit: int | None = None, offset: int = 0) -> list[int]:
        self.calls.append((week_id, limit, offset))
        return list(range(offset, offset + (limit or 3)))


def test_cached_key_includes_every_argument(qapp: Any) -> None:
    source = Source(CacheService())
    assert source.rows(1) == [0, 1, 2]
    assert source.rows(1, None, 0) == [0, 1, 2]
    assert source.rows(1, limit=2, offset=5) == [5, 6]
    assert source.rows(1, 2, 7) == [7, 8]
    assert source.calls == [(1, None, 0), (1, 2, 5), (1, 2, 7)]


def test_cache_service_signals_and_metrics(qtbot: Any) -> None:
    clock = FakeClock()
    service = CacheService(clock=clock)
    metrics = CacheMetrics(service)
    with qtbot.waitSignal(service.cacheMiss) as miss:
        service.cached_query("week_data", "week:1", lambda: None)
    assert miss.args == ["week_data:week:1"]
    with qtbot.waitSignal(service.cacheHit) as hit:
        assert service.cached_query("week_data", "week:1", lambda: pytest.fail("must not run")) is None
    assert hit.args == ["week_data:week:1"]
    assert metrics.get_hit_rate() == 0.5
    with qtbot.waitSignal(service.cacheInvalidated) as inv:
        service.invalidate_pattern("week_data", "week:1")
    assert inv.args == ["week_data:week:1"]
    metrics.reset_metrics()
    assert metrics.get_hit_rate() == 0.0
    with pytest.raises(ValueError, match="unknown cache type"):
        service.cached_query("nope", "k", lambda: 1)


def test_seed_policies_are_in_place(qapp: Any) -> None:
    service = CacheService()
    expected = {"global_settings": (100, 3600), "week_data": (500, 1800), "task_aggregations": (200, 300),
                "user_preferences": (50, 7200), "analytics_results": (100, 600)}
    assert {k: (c.max_size, c.default_ttl) for k, c in service.caches.items()} == expected


def test_cleanup_timer_cleans(qtbot: Any) -> None:
    clock = FakeClock()
    service = CacheService({"t": CachePolicy(10, 5)}, clock=clock)
    service.caches["t"].put("a", 1)
    clock.now += 10
    service.cleanup_timer.setInterval(10)
    service.cleanup_timer.start()
    qtbot.waitUntil(lambda: len(service.caches["t"]) == 0, timeout=2000)


def test_eight_threads_hammering_stay_consistent() -> None:
    cache = LRUCache(max_size=64, default_ttl=60)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(20_000):
                key = f"k:{rng.randrange(128)}"
                op = rng.random()
                if op < 0.5:
                    value = cache.get(key)
                    assert value is MISS or value == key
                elif op < 0.95:
                    cache.put(key, key)
                else:
                    cache.invalidate(key)
                assert len(cache) <= 64
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(cache) <= 64
