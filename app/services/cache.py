"""TTL + LRU caching for DataService reads, without the seed sketch's defects.

- A cached ``None`` or empty list is a hit: misses are signalled with the ``MISS`` sentinel.
- Every entry keeps its own expiry (``put(..., ttl=...)`` is honoured).
- ``cleanup()`` really removes expired entries; ``CacheService`` runs it on a timer.
- Keys are ``:``-separated segments and invalidation matches whole segments, so invalidating
  ``week_tasks:1`` removes ``week_tasks:1:None:0`` but never ``week_tasks:10:…``.
- The ``@cached`` key holds every argument after binding defaults, so ``limit``/``offset`` matter.
- Time comes from an injectable clock, so TTL tests need no sleeping.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

Clock = Callable[[], float]


class _Miss:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISS"


MISS: Final = _Miss()


def _matches(key: str, pattern: str) -> bool:
    return key == pattern or key.startswith(pattern + ":")


class LRUCache:
    """Thread-safe LRU cache with a TTL per entry; ``get``/``put`` are O(1)."""

    def __init__(self, max_size: int = 1000, default_ttl: float = 300.0, clock: Clock = time.monotonic) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.max_size = max_size
        self.default_ttl = default_ttl
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Any, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = MISS) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return default
            value, expires_at = entry
            if self._clock() >= expires_at:
                del self._entries[key]
                return default
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: Any, ttl: float | None = None) -> None:
        lifetime = self.default_ttl if ttl is None else ttl
        with self._lock:
            self._entries[key] = (value, self._clock() + lifetime)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def invalidate(self, pattern: str | None = None) -> int:
        """Remove every entry (``None``) or those whose key is ``pattern`` or starts with ``pattern:``."""
        with self._lock:
            if pattern is None:
                count = len(self._entries)
                self._entries.clear()
                return count
            doomed = [k for k in self._entries if _matches(k, pattern)]
            for key in doomed:
                del self._entries[key]
            return len(doomed)

    def cleanup(self) -> int:
        """Drop expired entries; returns how many went."""
        now = self._clock()
        with self._lock:
            doomed = [k for k, (_, expires_at) in self._entries.items() if now >= expires_at]
            for key in doomed:
                del self._entries[key]
            return len(doomed)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not MISS


@dataclass(frozen=True)
class CachePolicy:
    """Size and time-to-live of one cache area."""

    max_size: int
    ttl_seconds: float


# The seed's policies: cache type -> (entries, time to live).
DEFAULT_POLICIES: dict[str, CachePolicy] = {
    "global_settings": CachePolicy(100, 3600),
    "week_data": CachePolicy(500, 1800),
    "task_aggregations": CachePolicy(200, 300),
    "user_preferences": CachePolicy(50, 7200),
    "analytics_results": CachePolicy(100, 600),
}


class CacheService(QObject):
    """Named LRU caches with the seed's policies and Qt signals for metrics and diagnostics.

    Signals (argument: ``"<cache_type>:<key or pattern>"``):
      cacheHit(str), cacheMiss(str), cacheInvalidated(str)
    """

    cacheHit = Signal(str)
    cacheMiss = Signal(str)
    cacheInvalidated = Signal(str)

    CLEANUP_INTERVAL_MS = 60_000

    def __init__(
        self,
        policies: dict[str, CachePolicy] | None = None,
        clock: Clock = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.caches: dict[str, LRUCache] = {
            name: LRUCache(p.max_size, p.ttl_seconds, clock) for name, p in (policies or DEFAULT_POLICIES).items()
        }
        self.enabled = True
        self.cleanup_timer = QTimer(self)
        self.cleanup_timer.setInterval(self.CLEANUP_INTERVAL_MS)
        self.cleanup_timer.timeout.connect(self.cleanup_expired)
        if QCoreApplication.instance() is not None:
            self.cleanup_timer.start()

    def cache(self, cache_type: str) -> LRUCache:
        try:
            return self.caches[cache_type]
        except KeyError:
            raise ValueError(f"unknown cache type: {cache_type}") from None

    def cached_query(
        self, cache_type: str, key: str, query_func: Callable[..., Any], *args: Any,
        ttl: float | None = None, **kwargs: Any,
    ) -> Any:
        """Return the cached value for ``key`` or run ``query_func`` and cache whatever it returns."""
        cache = self.cache(cache_type)
        if not self.enabled:
            return query_func(*args, **kwargs)
        value = cache.get(key)
        if value is not MISS:
            self.cacheHit.emit(f"{cache_type}:{key}")
            return value
        self.cacheMiss.emit(f"{cache_type}:{key}")
        value = query_func(*args, **kwargs)
        cache.put(key, value, ttl)
        return value

    def invalidate_pattern(self, cache_type: str, pattern: str | None = None) -> int:
        removed = self.cache(cache_type).invalidate(pattern)
        self.cacheInvalidated.emit(f"{cache_type}:{pattern or '*'}")
        return removed

    def invalidate_all(self) -> None:
        for cache_type in self.caches:
            self.invalidate_pattern(cache_type)

    def cleanup_expired(self) -> int:
        return sum(cache.cleanup() for cache in self.caches.values())

    def sizes(self) -> dict[str, int]:
        return {name: len(cache) for name, cache in self.caches.items()}


F = TypeVar("F", bound=Callable[..., Any])


def cached(cache_type: str, key_prefix: str | None = None, ttl: float | None = None) -> Callable[[F], F]:
    """Cache a method of an object that has ``cache_service``.

    The key is ``<prefix>:<arg1>:<arg2>…`` over every parameter after binding defaults, so
    ``f(1)`` and ``f(1, limit=None, offset=0)`` share an entry and ``f(1, 50, 0)`` does not.
    The undecorated method stays reachable as ``method.__wrapped__``.
    """

    def decorator(func: F) -> F:
        signature = inspect.signature(func)
        prefix = key_prefix or func.__name__

        @functools.wraps(func)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            service: CacheService | None = getattr(self, "cache_service", None)
            if service is None:
                return func(self, *args, **kwargs)
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            parts = [repr(value) for name, value in bound.arguments.items() if name != "self"]
            key = ":".join([prefix, *parts])
            return service.cached_query(cache_type, key, func, self, *args, ttl=ttl, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


class CacheMetrics:
    """Counts hits and misses from a CacheService's signals."""

    def __init__(self, cache_service: CacheService) -> None:
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        cache_service.cacheHit.connect(self._record_hit)
        cache_service.cacheMiss.connect(self._record_miss)

    def _record_hit(self, _key: str) -> None:
        with self._lock:
            self.hits += 1

    def _record_miss(self, _key: str) -> None:
        with self._lock:
            self.misses += 1

    def get_hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def reset_metrics(self) -> None:
        with self._lock:
            self.hits = 0
            self.misses = 0
